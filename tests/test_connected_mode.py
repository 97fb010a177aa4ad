"""Connected mode as a member's accountant lives it: the clearing house decides,
the books follow.

The clearing house (CH) and the member B are databases of their own, each
served by an Odoo server process on 127.0.0.1, driven over JSON-RPC as their
admin; the member A is the database of these tests. B's own membership and
credit line are typed nowhere in B's books: they are the clearing house's.
"""

from odoo import Command, fields
from odoo.tests import tagged

from .servers import EndToEndCommon


@tagged("post_install", "-at_install")
class TestConnectedModeEndToEnd(EndToEndCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ch, cls.b = cls.serve_databases("cm", "ch", "b")
        members = [("Atelier A", "MA-1"), ("Boulangerie B", "MB-1")]
        partners, keys = cls._setup_clearing_house(cls.ch, members)
        cls.ch_a, cls.ch_b = partners["MA-1"], partners["MB-1"]
        # B's database: a new member's Odoo, its own membership and line untouched.
        cls.b.rpc("ir.config_parameter", "set_param", "database.uuid", "cm-member-b")
        company = cls.b.rpc("res.company", "search_read", [], ["partner_id"])[0]
        cls.b_company, cls.b_own = company["id"], company["partner_id"][0]
        cls.b_a = cls._member(cls.b, "Atelier A", "MA-1")
        cls.b.rpc(
            "res.company",
            "write",
            [cls.b_company],
            {"mlml_clearing_house_url": cls.ch.url, "mlml_clearing_house_key": keys["MB-1"]},
        )
        cls.a_b = cls._setup_member_a(keys["MA-1"], members)["MB-1"]

    # ------------------------------------------------------------------

    def b_company_read(self, *names):
        return self.b.rpc("res.company", "read", [self.b_company], list(names))[0]

    def b_synchronize(self):
        self.assertTrue(
            self.b.rpc("res.company", "mlml_synchronize", [self.b_company]),
            self.b_company_read("mlml_sync_message"),
        )

    def a_synchronize(self):
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)

    def b_refused(self, model, method, args, kwargs=None):
        """B's server refuses the call: return the message its user reads."""
        with self.assertRaises(RuntimeError) as caught:
            self.b.rpc(model, method, *args, **(kwargs or {}))
        return str(caught.exception)

    def invoice_to_b(self, amount, share):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.a_b.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create({"name": "Impression", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        invoice.mlml_share = share
        invoice.action_post()
        return invoice

    def bill_from_a(self, reference, amount):
        """B records A's invoice, the share computed from A's acceptance rate typed in B."""
        bill = self.b.rpc(
            "account.move",
            "create",
            {
                "move_type": "in_invoice",
                "partner_id": self.b_a,
                "ref": reference,
                "invoice_date": str(fields.Date.today()),
                "invoice_line_ids": [
                    Command.create({"name": "Impression", "price_unit": amount, "tax_ids": []})
                ],
            },
        )
        self.b.rpc("account.move", "action_post", [bill])
        return bill

    def b_journal(self):
        return self.b_company_read("mlml_journal_id")["mlml_journal_id"][0]

    def b_payment(self, amount, memo):
        """A draft MLML payment of B to A."""
        return self.b.rpc(
            "account.payment",
            "create",
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": self.b_a,
                "amount": amount,
                "journal_id": self.b_journal(),
                "memo": memo,
            },
        )

    def b_register_payment(self, bill):
        """Register Payment on ``bill`` in B's MLML journal, as proposed."""
        return self.b.rpc(
            "account.payment.register",
            "create",
            {"journal_id": self.b_journal()},
            context={"active_model": "account.move", "active_ids": [bill]},
        )

    def bill_read(self, bill, *names):
        return self.b.rpc("account.move", "read", [bill], list(names))[0]

    def b_requests(self, reference, amount):
        """B's received requests of ``reference`` and ``amount`` (A's test transaction
        is rolled back after each test, its invoice numbers given again; the other
        databases keep what each test did)."""
        return self.b.rpc(
            "mlml.member.request",
            "search_read",
            [
                ("direction", "=", "received"),
                ("reference", "=", reference),
                ("amount", "=", amount),
            ],
            ["state", "move_id", "message", "amount"],
        )

    # ------------------------------------------------------------------

    def test_1_membership_and_credit_line_come_from_the_clearing_house(self):
        before = self.b_company_read("mlml_credit_limit", "mlml_available_credit")
        self.assertEqual(before["mlml_credit_limit"], 0.0)

        # The accountant tests the connection from the settings, with nothing to save.
        settings = self.b.rpc("res.config.settings", "create", {})
        action = self.b.rpc("res.config.settings", "action_mlml_test_connection", [settings])
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertTrue(action["params"]["sticky"])
        self.assertIn("credit line 2,000.00", action["params"]["message"])

        company = self.b_company_read(
            "mlml_credit_limit",
            "mlml_balance_ceiling",
            "mlml_available_credit",
            "mlml_credit_from_ledger",
            "mlml_ledger_member_state",
            "mlml_ledger_read_date",
            "mlml_connection_ok",
            "mlml_connection_message",
            "mlml_credit_line_id",
        )
        self.assertEqual(company["mlml_credit_limit"], 2000.0)
        self.assertEqual(company["mlml_balance_ceiling"], 5000.0)
        self.assertEqual(company["mlml_available_credit"], 2000.0)
        self.assertTrue(company["mlml_credit_from_ledger"])
        self.assertFalse(company["mlml_credit_line_id"])
        self.assertEqual(company["mlml_ledger_member_state"], "active")
        self.assertTrue(company["mlml_ledger_read_date"])
        self.assertTrue(company["mlml_connection_ok"])
        self.assertEqual(company["mlml_connection_message"], action["params"]["message"])
        own = self.b.rpc(
            "res.partner", "read", [self.b_own], ["mlml_member_state", "mlml_member_number"]
        )[0]
        self.assertEqual((own["mlml_member_state"], own["mlml_member_number"]), ("active", "MB-1"))

        # Nobody grants his own company a credit line, nor keys its membership.
        message = self.b_refused(
            "mlml.credit.line",
            "create",
            [{"partner_id": self.b_own, "credit_limit": 9000.0, "balance_ceiling": 0.0}],
        )
        self.assertIn("is granted by the clearing house", message)
        message = self.b_refused(
            "res.partner", "write", [[self.b_own], {"mlml_member_state": "suspended"}]
        )
        self.assertIn("is the clearing house's: it is read from it", message)
        # Nor types what the clearing house said, whatever the context says.
        message = self.b_refused(
            "res.company",
            "write",
            [[self.b_company], {"mlml_ledger_credit_limit": 9000.0}],
            {"context": {"mlml_ledger_read": True}},
        )
        self.assertIn("never typed", message)
        self.assertEqual(self.b_company_read("mlml_credit_limit")["mlml_credit_limit"], 2000.0)

        # The first MLML payment goes through, within the line the clearing house gave.
        payment = self.b_payment(300.0, "Avance")
        self.b.rpc("account.payment", "action_post", [payment])
        sent = self.b.rpc(
            "account.payment",
            "read",
            [payment],
            ["state", "mlml_send_state", "mlml_transfer_number", "mlml_ledger_decides"],
        )[0]
        self.assertEqual(sent["mlml_send_state"], "sent")
        self.assertTrue(sent["mlml_transfer_number"])
        self.assertTrue(sent["mlml_ledger_decides"])
        self.b_synchronize()
        self.assertEqual(
            self.b_company_read("mlml_available_credit")["mlml_available_credit"], 1700.0
        )

    def test_2_the_seller_s_split_decides_and_the_request_finds_the_bill(self):
        self.b_synchronize()
        # B typed a 50 % acceptance rate on A; A's invoice asks 40 %: 400 of 1,000.
        self.b.rpc("res.partner", "write", [self.b_a], {"mlml_acceptance_rate": 50.0})
        invoice = self.invoice_to_b(1000.0, 40.0)
        self.assertEqual(invoice.mlml_amount, 400.0)
        # The request reaches B before B recorded the bill.
        self.b_synchronize()
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual((request["state"], request["move_id"]), ("open", False))
        self.assertIn("No posted bill", request["message"])

        bill = self.bill_from_a(invoice.name, 1000.0)
        # Posting the bill with the request's reference matched them.
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual(request["move_id"][0], bill)
        self.assertFalse(request["message"])
        figures = self.bill_read(
            bill,
            "mlml_amount",
            "mlml_residual",
            "mlml_rate_amount",
            "mlml_seller_amount",
            "mlml_seller_notice",
            "mlml_request_id",
        )
        self.assertEqual(figures["mlml_seller_amount"], 400.0)
        self.assertEqual(figures["mlml_amount"], 400.0)
        self.assertEqual(figures["mlml_residual"], 400.0)
        self.assertEqual(figures["mlml_rate_amount"], 500.0)
        self.assertIn("The seller's part applies", figures["mlml_seller_notice"])
        self.assertEqual(figures["mlml_request_id"][0], request["id"])
        # Register Payment in the MLML journal proposes the seller's part.
        wizard = self.b_register_payment(bill)
        amount = self.b.rpc("account.payment.register", "read", [wizard], ["amount"])[0]
        self.assertEqual(amount["amount"], 400.0)
        # Nobody types the seller's part.
        message = self.b_refused(
            "account.move",
            "write",
            [[bill], {"mlml_seller_amount": 100.0}],
            {"context": {"mlml_seller_part": True}},
        )
        self.assertIn("never typed", message)

        self.b.rpc("mlml.member.request", "action_pay", [request["id"]])
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual(request["state"], "accepted")
        self.assertEqual(self.bill_read(bill, "mlml_residual")["mlml_residual"], 0.0)

    def test_3_a_request_paid_another_way_is_closed_on_both_sides(self):
        self.b_synchronize()
        invoice = self.invoice_to_b(500.0, 40.0)
        bill = self.bill_from_a(invoice.name, 500.0)
        self.b_synchronize()
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual((request["state"], request["move_id"][0]), ("open", bill))

        # B pays the MLML part with Register Payment, not from the request.
        wizard = self.b_register_payment(bill)
        self.b.rpc("account.payment.register", "action_create_payments", [wizard])
        self.assertEqual(self.bill_read(bill, "mlml_residual")["mlml_residual"], 0.0)
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual(request["state"], "paid_elsewhere")
        self.assertFalse(self.bill_read(bill, "mlml_request_id")["mlml_request_id"])

        # A's books receive the transfer; its request is closed at the clearing house too.
        self.a_synchronize()
        self.assertEqual(invoice.mlml_residual, 0.0)
        sent = self.env["mlml.member.request"].search([("move_id", "=", invoice.id)])
        self.assertEqual(sent.state, "paid_elsewhere")
        ch_request = self.ch.rpc(
            "mlml.payment.request",
            "search_read",
            [("reference", "=", invoice.name), ("amount", "=", 200.0)],
            ["state"],
        )
        self.assertEqual(ch_request[0]["state"], "cancelled")
        # B reads the cancellation as what it is: paid.
        self.b_synchronize()
        [request] = self.b_requests(invoice.name, invoice.mlml_amount)
        self.assertEqual(request["state"], "paid_elsewhere")

    def test_4_a_refusal_about_the_payee_names_the_payee(self):
        self.b_synchronize()
        self.ch.rpc("res.partner", "action_mlml_suspend", [self.ch_a], reason="Cotisation impayée")
        self.addCleanup(self.ch.rpc, "res.partner", "action_mlml_activate", [self.ch_a])
        payment = self.b_payment(50.0, "Acompte")
        message = self.b_refused("account.payment", "action_post", [[payment]])
        self.assertIn("Atelier A cannot be paid: its membership is", message)
        self.assertNotIn("key", message)
        self.assertNotIn("credit line", message)
        draft = self.b.rpc("account.payment", "read", [payment], ["state", "mlml_ledger_decides"])[
            0
        ]
        # A draft that offers no forcing of B's credit line: it has nothing to do with it.
        self.assertEqual(draft["state"], "draft")
        self.assertTrue(draft["mlml_ledger_decides"])
