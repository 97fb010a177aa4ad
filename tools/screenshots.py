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
    def shoot(page, url, name, ready, scroll_to=None):
        page.goto(url)
        page.wait_for_selector(ready, timeout=60000)
        page.wait_for_load_state("networkidle")
        if scroll_to:
            page.locator(scroll_to).first.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        path = OUT / f"{name}.png"
        page.screenshot(path=str(path))
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
        "search",
        [("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("mlml_amount", ">", 0)],
        order="invoice_date",
        limit=1,
    )
    run = rpc(
        args.clearing_house,
        ch_db,
        "mlml.compensation",
        "search",
        [("state", "=", "confirmed")],
        order="id desc",
        limit=1,
    )
    if not invoice or not run:
        sys.exit("The demo has no mixed invoice or no confirmed run: run tools/demo.py first.")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = Browser(playwright, args.chromium)
        page = browser.session(args.member)
        browser.shoot(
            page,
            f"{args.member}/odoo/action-account.action_move_out_invoice_type/{invoice[0]}",
            "mixed_invoice",
            ".o_form_view .o_field_widget[name=partner_id]",
        )
        browser.shoot(
            page,
            f"{args.member}/odoo/action-account.open_account_journal_dashboard_kanban",
            "mlml_card",
            ".o_kanban_record .o_kanban_card_header",
            scroll_to=".o_kanban_record:has-text('MLML')",
        )
        page = browser.session(args.clearing_house)
        browser.shoot(
            page,
            f"{args.clearing_house}/odoo/action-mlml_barter.mlml_network_report_action_server",
            "network",
            ".o_form_view",
        )
        browser.shoot(
            page,
            f"{args.clearing_house}/odoo/action-mlml_barter.mlml_compensation_action/{run[0]}",
            "compensation",
            ".o_form_view .o_field_widget[name=name]",
        )
        browser.browser.close()


if __name__ == "__main__":
    main()
