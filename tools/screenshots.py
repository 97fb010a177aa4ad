#!/usr/bin/env python3
"""Take the README's pictures from the running demo (``python3 tools/demo.py``).

Drives Chromium through Playwright, in French at 1280 px wide, over the first
member's Odoo and the clearing house's, and saves PNG files into
``static/description/``: the mixed invoice form, the MLML card of the
accounting dashboard, the clearing house's network page and a compensation
run. Needs Playwright for Python and a Chromium::

    python3 -m venv ~/.cache/mlml_barter/pw
    ~/.cache/mlml_barter/pw/bin/pip install playwright
    ~/.cache/mlml_barter/pw/bin/playwright install chromium   # or --chromium /usr/bin/chromium
    ~/.cache/mlml_barter/pw/bin/python tools/screenshots.py

Not part of the test command.
"""

import argparse
import json
import shutil
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "description"
WIDTH, HEIGHT = 1280, 800


def rpc(url, database, model, method, *args, **kwargs):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [database, 2, "admin", model, method, list(args), kwargs],
        },
    }
    request = urllib.request.Request(
        f"{url}/jsonrpc",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(answer["error"].get("data", {}).get("message") or answer["error"])
    return answer["result"]


def database_of(url):
    request = urllib.request.Request(
        f"{url}/web/database/list",
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"][0]


class Browser:
    def __init__(self, playwright, chromium):
        options = {"args": ["--no-sandbox"]}
        if chromium:
            options["executable_path"] = chromium
        self.browser = playwright.chromium.launch(**options)

    def session(self, url):
        context = self.browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="fr-FR", timezone_id="Europe/Paris"
        )
        page = context.new_page()
        page.goto(f"{url}/web/login")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", "admin")
        page.click("button[type=submit]")
        page.wait_for_selector(".o_action_manager", timeout=60000)
        return page

    @staticmethod
    def app(page, name):
        page.click(".o_navbar_apps_menu button")
        page.locator(f".o_app:has-text('{name}')").first.click()
        page.wait_for_selector(f".o_main_navbar:has-text('{name}')", timeout=60000)

    @staticmethod
    def menu(page, section, item):
        """Open the menu ``item`` (its xml id) of the top menu ``section`` (its label)."""
        page.locator(f".o_menu_sections button:has-text('{section}')").first.click()
        page.locator(f".o-dropdown--menu [data-menu-xmlid='{item}']").first.click()

    @staticmethod
    def open_row(page, text):
        page.wait_for_selector(f".o_data_row:has-text('{text}')", timeout=60000)
        page.locator(f".o_data_row:has-text('{text}') td.o_data_cell").first.click()

    @staticmethod
    def shoot(page, name, ready, scroll_to=None, full_page=False):
        """Wait for ``ready`` and save the page as ``name``.png."""
        page.wait_for_selector(ready, timeout=60000)
        if scroll_to:
            page.locator(scroll_to).first.scroll_into_view_if_needed()
        # The bus keeps a request open: the page never goes idle; let it settle.
        page.wait_for_timeout(2500)
        path = OUT / f"{name}.png"
        if full_page:
            # Odoo scrolls inside its content: the window grows to show all of it.
            height = page.evaluate(
                "() => { const c = document.querySelector('.o_action_manager .o_content');"
                " return c ? c.scrollHeight + c.getBoundingClientRect().top : 0; }"
            )
            page.set_viewport_size({"width": WIDTH, "height": int(max(HEIGHT, min(height, 2400)))})
            page.wait_for_timeout(1000)
        page.screenshot(path=str(path))
        page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        print(f"saved {path.relative_to(ROOT)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--member", default="http://127.0.0.1:8069", help="the first member")
    parser.add_argument(
        "--clearing-house", default="http://127.0.0.1:8070", help="the clearing house"
    )
    parser.add_argument(
        "--chromium",
        default=shutil.which("chromium") or shutil.which("chromium-browser"),
        help="a Chromium to drive (default: chromium on PATH, else Playwright's own)",
    )
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sys.exit(
            "Playwright for Python is missing. Install it in a virtualenv and run this "
            "script with that virtualenv's Python:\n"
            "  python3 -m venv ~/.cache/mlml_barter/pw\n"
            "  ~/.cache/mlml_barter/pw/bin/pip install playwright\n"
            "  ~/.cache/mlml_barter/pw/bin/playwright install chromium  "
            "# unless a chromium is on PATH\n"
            "  ~/.cache/mlml_barter/pw/bin/python tools/screenshots.py"
        )
    member_db = database_of(args.member)
    ch_db = database_of(args.clearing_house)
    invoice = rpc(
        args.member,
        member_db,
        "account.move",
        "search_read",
        [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("mlml_amount", ">", 0)],
        ["name"],
        order="invoice_date",
        limit=1,
    )
    run = rpc(
        args.clearing_house,
        ch_db,
        "mlml.compensation",
        "search_read",
        [("state", "=", "confirmed")],
        ["name"],
        order="id desc",
        limit=1,
    )
    if not invoice or not run:
        sys.exit("The demo has no mixed invoice or no confirmed run: run tools/demo.py first.")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = Browser(playwright, args.chromium)
        page = browser.session(args.member)
        browser.app(page, "Facturation")
        card = ".o_kanban_record:has-text('Le compte de la société')"
        browser.shoot(page, "mlml_card", card, scroll_to=card)
        browser.menu(page, "Clients", "account.menu_action_move_out_invoice_type")
        browser.open_row(page, invoice[0]["name"])
        browser.shoot(page, "mixed_invoice", ".o_form_view .o_mlml_group", full_page=True)
        page = browser.session(args.clearing_house)
        browser.app(page, "Facturation")
        browser.menu(page, "MLML", "mlml_barter.mlml_network_report_menu")
        browser.shoot(page, "network", ".o_form_view", full_page=True)
        browser.menu(page, "MLML", "mlml_barter.mlml_compensation_menu")
        browser.open_row(page, run[0]["name"])
        browser.shoot(
            page, "compensation", ".o_form_view .o_field_widget[name=name]", full_page=True
        )
        browser.browser.close()


if __name__ == "__main__":
    main()
