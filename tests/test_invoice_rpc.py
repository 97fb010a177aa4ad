import json

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_invoice_tours import MlmlInvoiceHttpCommon


@tagged("post_install", "-at_install")
class TestInvoiceRpc(MlmlInvoiceHttpCommon):
    """The attack on the MLML part through real JSON-RPC, as a Billing user."""

    def call(self, model, method, args):
        """Call ``method`` as the web client does; return the error's message."""
        data = json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"model": model, "method": method, "args": args, "kwargs": {}},
            }
        )
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=data,
                headers={"Content-Type": "application/json"},
            )
        response.raise_for_status()
        error = response.json().get("error")
        return error and error["data"]["message"]

    def test_an_mlml_payment_above_the_mlml_part_is_refused_over_rpc(self):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"product_id": self.product.id})],
            }
        )
        invoice.action_post()
        self.assertEqual(invoice.mlml_amount, 500.0)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 1200.0,
                "journal_id": self.journal.id,
            }
        )
        payment.action_post()
        line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.authenticate(self.salesperson.login, self.salesperson.login)

        error = self.call("account.move", "js_assign_outstanding_line", [invoice.ids, line.id])
        self.assertIn("an MLML payment pays the MLML part and no more", error)
        error = self.call("account.move", "write", [invoice.ids, {"mlml_eligible_amount": 2400.0}])
        self.assertIn("never written by hand", error)

        self.env.invalidate_all()
        self.assertRecordValues(
            invoice,
            [
                {
                    "payment_state": "not_paid",
                    "amount_residual": 1200.0,
                    "mlml_eligible_amount": 1000.0,
                    "mlml_residual": 500.0,
                    "mlml_paid": 0.0,
                }
            ],
        )
        self.assertFalse(line.matched_debit_ids | line.matched_credit_ids)
        self.assertEqual(self.company.mlml_balance, 1200.0)
