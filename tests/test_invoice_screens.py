"""Screenshots of the MLML group, to look at (not part of the suite).

Run with ``--test-tags /mlml_barter:TestInvoiceScreens``; the pictures go to
``$MLML_SCREENS_DIR`` (default ``/tmp/mlml-screens``), one per language,
width and document.
"""

import base64
import os
import time

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .test_invoice_tours import MlmlInvoiceHttpCommon


@tagged("-standard", "-at_install", "post_install", "mlml_screens")
class TestInvoiceScreens(MlmlInvoiceHttpCommon):
    def document(self, move_type, post=True, share=30.0):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.customer.id,
                "invoice_date": "2026-11-02",
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.product.id, "price_unit": 1000.0, "tax_ids": False}
                    )
                ],
            }
        )
        move.mlml_share = share
        if post:
            move.action_post()
        return move

    def save(self, shot, folder, name):
        with open(os.path.join(folder, name), "wb") as file:
            file.write(base64.b64decode(shot["data"]))

    def test_screens(self):
        folder = os.environ.get("MLML_SCREENS_DIR", "/tmp/mlml-screens")
        os.makedirs(folder, exist_ok=True)
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.mlml_acceptance_rate = 30.0
        documents = {
            "invoice-draft": self.document("out_invoice", post=False),
            "invoice-posted": self.document("out_invoice"),
            "bill-posted": self.document("in_invoice"),
            "refund-posted": self.document("out_refund"),
        }
        self.env.company.mlml_invoice_cap = 200.0
        documents["invoice-capped"] = self.document("out_invoice", post=False, share=50.0)
        for lang in ("fr_FR", "en_US"):
            self.salesperson.lang = lang
            self.env.flush_all()
            for width in (1280, 1440, 1920):
                browser = ChromeBrowser(self)
                try:
                    self.authenticate(self.salesperson.login, self.salesperson.login, browser)
                    browser._websocket_request(
                        "Emulation.setDeviceMetricsOverride",
                        params={
                            "mobile": False,
                            "width": width,
                            "height": 1300,
                            "deviceScaleFactor": 1,
                        },
                    )
                    for name, move in documents.items():
                        browser.navigate_to(
                            f"{self.base_url()}/odoo/account.move/{move.id}", wait_stop=True
                        )
                        time.sleep(3)
                        shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
                        self.save(shot, folder, f"{lang}-{width}-{name}.png")
                    # Register Payment from a bank journal on the posted invoice
                    move = documents["invoice-posted"]
                    browser.navigate_to(
                        f"{self.base_url()}/odoo/account.move/{move.id}", wait_stop=True
                    )
                    time.sleep(3)
                    browser._websocket_request(
                        "Runtime.evaluate",
                        params={
                            "expression": "document.querySelector("
                            "'button[name=action_register_payment]').click()"
                        },
                    )
                    time.sleep(3)
                    shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
                    self.save(shot, folder, f"{lang}-{width}-register-payment.png")
                finally:
                    browser.stop()
