from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ClearingApiCalls
from .test_connector import ConnectedMemberCommon


@tagged("post_install", "-at_install")
class TestConnectorRequests(ClearingApiCalls, ConnectedMemberCommon):
    """Payment requests between a connected member (Delta, a company of this
    database) and Alpha (a member using the API directly), over real HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_alpha = cls.alpha.mlml_generate_api_key()
        cls.Request = cls.env["mlml.member.request"]

    def api(self, method, path, body=None, headers=None):
        headers = {"Content-Type": "application/json", **(headers or {})}
        response = self.call(method, path, self.key_alpha, body, headers=headers)
        self.assertLess(response.status_code, 300, response.text)
        return response.json()

    def test_posting_an_invoice_asks_the_customer_for_its_mlml_part(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 50.0)
        request = self.Request.search([("move_id", "=", invoice.id)])
        self.assertRecordValues(
            request,
            [
                {
                    "direction": "sent",
                    "state": "open",
                    "amount": 500.0,
                    "reference": invoice.name,
                    "member_number": "CH-A",
                }
            ],
        )
        asked = self.api("GET", "/payment-requests")["items"]
        self.assertEqual(
            [(r["payee"], r["amount"], r["reference"], r["role"]) for r in asked],
            [("CH-D", "500.00", invoice.name, "payer")],
        )
        # Alpha pays it from its own tool: the transfer and the new state arrive.
        self.api(
            "POST", f"/payment-requests/{asked[0]['id']}/accept", headers={"Idempotency-Key": "a1"}
        )
        self.synchronize()
        self.assertEqual(request.state, "accepted")
        self.assertTrue(request.transfer_number.startswith("VIR/"))
        self.assertEqual(invoice.mlml_residual, 0.0)
        self.assertEqual(invoice.mlml_cash_residual, 500.0)
        # Posting again asks nothing more.
        self.env["mlml.member.request"]._ask_for(invoice)
        self.assertEqual(self.Request.search_count([("move_id", "=", invoice.id)]), 1)

    def test_cancelled_invoice_withdraws_its_request(self):
        invoice = self.invoice("out_invoice", self.alpha, 200.0, 50.0)
        request = self.Request.search([("move_id", "=", invoice.id)])
        invoice.button_draft()
        invoice.button_cancel()
        self.assertEqual(request.state, "cancelled")
        remote = self.env["mlml.payment.request"].browse(int(request.remote_id))
        self.assertEqual(remote.state, "cancelled")

    def test_reversed_invoice_withdraws_its_request(self):
        invoice = self.invoice("out_invoice", self.alpha, 300.0, 50.0)
        request = self.Request.search([("move_id", "=", invoice.id)])
        reversal = (
            self.env["account.move.reversal"]
            .with_company(self.member)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Erreur"})
        )
        reversal.refund_moves()
        self.env["account.move"].search(
            [("reversed_entry_id", "=", invoice.id), ("state", "=", "draft")]
        ).action_post()
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(request.state, "cancelled")

    def test_received_request_is_paid_from_the_bill(self):
        bill = self.invoice("in_invoice", self.alpha, 400.0, 50.0, ref="FA-ALPHA-7")
        self.api(
            "POST",
            "/payment-requests",
            {"payer": "CH-D", "amount": "200.00", "reference": "FA-ALPHA-7"},
        )
        self.synchronize()
        request = self.Request.search([("direction", "=", "received")])
        self.assertRecordValues(
            request, [{"state": "open", "move_id": bill.id, "amount": 200.0, "message": False}]
        )
        self.assertEqual(bill.mlml_request_id, request)
        count = self.ledger_count()
        bill.action_mlml_pay_request()
        self.assertEqual(self.ledger_count(), count + 1)
        transfer = self.Transfer.search([("company_id", "=", self.company.id)], limit=1)
        self.assertRecordValues(
            transfer,
            [{"payer_id": self.delta.id, "payee_id": self.alpha.id, "amount": 200.0}],
        )
        self.assertEqual(request.state, "accepted")
        self.assertEqual(request.payment_id.mlml_transfer_number, transfer.name)
        self.assertEqual(bill.mlml_residual, 0.0)
        self.assertFalse(bill.mlml_request_id)
        # The synchronisation recognises the transfer: nothing is booked twice.
        self.synchronize()
        self.assertFalse(
            self.env["account.bank.statement.line"].search(
                [("company_id", "=", self.member.id), ("mlml_transfer_ref", "=", str(transfer.id))]
            )
        )
        self.assertEqual(self.ledger_count(), count + 1)

    def test_received_request_refused_with_a_reason_the_supplier_reads(self):
        bill = self.invoice("in_invoice", self.alpha, 100.0, 50.0, ref="FA-ALPHA-8")
        made = self.api(
            "POST",
            "/payment-requests",
            {"payer": "CH-D", "amount": "50.00", "reference": "FA-ALPHA-8"},
        )
        self.synchronize()
        action = bill.action_mlml_refuse_request()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"reason": "Prestation non livrée"})
        )
        wizard.action_confirm()
        request = self.Request.search([("direction", "=", "received")])
        self.assertEqual(request.state, "refused")
        seen = self.api("GET", "/payment-requests")["items"]
        self.assertEqual(
            [(r["id"], r["state"], r["refusal_reason"]) for r in seen if r["id"] == made["id"]][-1],
            (made["id"], "refused", "Prestation non livrée"),
        )

    def test_request_without_bill_or_asking_too_much_is_listed(self):
        self.api(
            "POST", "/payment-requests", {"payer": "CH-D", "amount": "10.00", "reference": "FA-X"}
        )
        bill = self.invoice("in_invoice", self.alpha, 100.0, 50.0, ref="FA-ALPHA-9")
        self.api(
            "POST",
            "/payment-requests",
            {"payer": "CH-D", "amount": "150.00", "reference": "FA-ALPHA-9"},
        )
        self.synchronize()
        lonely, greedy = self.Request.search([("direction", "=", "received")], order="id")
        self.assertFalse(lonely.move_id)
        self.assertIn("No posted bill of Alpha Nettoyage has the reference FA-X", lonely.message)
        self.assertEqual(greedy.move_id, bill)
        # More than the bill's untaxed amount: the seller's part cannot be this bill's.
        self.assertIn(
            "asks 150.00 MLML, more than the untaxed amount of bill",
            greedy.message.replace("\xa0", " "),
        )
        self.assertEqual(bill.mlml_amount, 50.0)
        count = self.ledger_count()
        with self.assertRaisesRegex(UserError, "more than the untaxed amount"):
            greedy.action_pay()
        with self.assertRaisesRegex(UserError, "matches no bill"):
            lonely.action_pay()
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(greedy.state, "open")
