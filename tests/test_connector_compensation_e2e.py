import unittest

from odoo import Command, fields
from odoo.tests import tagged

from .common import solver_missing
from .servers import EndToEndCommon


@tagged("post_install", "-at_install")
class TestConnectorCompensationEndToEnd(EndToEndCommon):
    """The multilateral compensation between four databases and their servers.

    The clearing house (CH) and the members B and C are databases of their own
    (one install, two copies), each served by an Odoo server process on
    127.0.0.1; the member A is the database of these tests. A owes B 100, B
    owes C 80, C owes A 120: every member submits its invoices and bills, the
    clearing house runs the compensation, and each member's synchronisation
    books the set-off in its books.

    The databases outside this one keep what the test did: it is one test, in
    phases, so that nothing depends on the order of several.
    """

    @classmethod
    def setUpClass(cls):
        if solver_missing():
            raise unittest.SkipTest(solver_missing())
        super().setUpClass()
        cls.ch, cls.b, cls.c = cls.serve_databases("comp", "ch", "b", "c")
        cls.today = fields.Date.today()
        members = [("Atelier A", "MA-1"), ("Boulangerie B", "MB-1"), ("Cave C", "MC-1")]
        cls.ch_members, keys = cls._setup_clearing_house(cls.ch, members)
        cls.key_a, cls.key_b, cls.key_c = keys["MA-1"], keys["MB-1"], keys["MC-1"]
        cls.b_company, cls.b_partners = cls._setup_member(cls.b, "MB-1", cls.key_b, members)
        cls.c_company, cls.c_partners = cls._setup_member(cls.c, "MC-1", cls.key_c, members)
        partners = cls._setup_member_a(cls.key_a, members)
        cls.a_b, cls.a_c = partners["MB-1"], partners["MC-1"]
        # Each member accepts half of its sales in MLML: a run with liquidity may pay
        # it in MLML up to that part of its invoices.
        cls.company.mlml_default_share = 50.0
        for db, company in ((cls.b, cls.b_company), (cls.c, cls.c_company)):
            db.rpc("res.company", "write", [company], {"mlml_default_share": 50.0})

    # ------------------------------------------------------------------
    # Documents
    # ------------------------------------------------------------------

    @staticmethod
    def _values(move_type, partner, amount, ref=False, date=None):
        return {
            "move_type": move_type,
            "partner_id": partner,
            "ref": ref,
            "invoice_date": str(date),
            "invoice_line_ids": [
                Command.create(
                    {"name": "Marchandises", "price_unit": amount, "tax_ids": [Command.set([])]}
                )
            ],
        }

    def a_document(self, move_type, partner, amount, ref=False):
        move = self.env["account.move"].create(
            self._values(move_type, partner.id, amount, ref, self.today)
        )
        move.action_post()
        return move

    def remote_document(self, db, move_type, partner, amount, ref=False):
        move = db.rpc(
            "account.move", "create", self._values(move_type, partner, amount, ref, self.today)
        )
        db.rpc("account.move", "action_post", [move])
        return db.rpc("account.move", "read", [move], ["name"])[0]

    def remote_residual(self, db, move_id):
        fields_read = ["amount_residual", "payment_state"]
        return db.rpc("account.move", "read", [move_id], fields_read)[0]

    def synchronise(self, db, company):
        ok = db.rpc("res.company", "mlml_synchronize", [company])
        self.assertTrue(ok, db.rpc("res.company", "read", [company], ["mlml_sync_message"]))

    def set_off_entries(self, db=None):
        domain = [("mlml_compensation_ref", "!=", False)]
        if db is None:
            return self.env["account.move"].search(domain, order="id")
        return db.rpc("account.move", "search_read", domain, ["name", "ref", "state"], order="id")

    def clearing_balance(self, db, company):
        account = db.rpc("res.company", "read", [company], ["mlml_compensation_account_id"])[0][
            "mlml_compensation_account_id"
        ][0]
        lines = db.rpc(
            "account.move.line",
            "search_read",
            [("account_id", "=", account), ("parent_state", "=", "posted")],
            ["balance"],
        )
        return round(sum(line["balance"] for line in lines), 2)

    def mlml_balance(self, db, company):
        return db.rpc("res.company", "read", [company], ["mlml_balance"])[0]["mlml_balance"]

    def compensate(self, liquidity):
        ch = self.ch
        run = ch.rpc("mlml.compensation", "create", {"cutoff_date": str(self.today)})
        ch.rpc("mlml.compensation", "action_simulate", [run])
        ch.rpc(
            "mlml.compensation",
            "action_confirm_with" if liquidity else "action_confirm_without",
            [run],
        )
        return ch.rpc(
            "mlml.compensation",
            "read",
            [run],
            ["name", "state", "cleared_without", "cleared_with", "with_liquidity"],
        )[0]

    # ------------------------------------------------------------------

    def test_a_loop_of_three_members_is_set_off_in_every_member_s_books(self):
        b, c = self.b, self.c
        # A owes B 100, B owes C 80, C owes A 120: each side has its document.
        b_invoice = self.remote_document(b, "out_invoice", self.b_partners["MA-1"], 100.0)
        a_bill = self.a_document("in_invoice", self.a_b, 100.0, ref=b_invoice["name"])
        c_invoice = self.remote_document(c, "out_invoice", self.c_partners["MB-1"], 80.0)
        b_bill = self.remote_document(
            b, "in_invoice", self.b_partners["MC-1"], 80.0, ref=c_invoice["name"]
        )
        a_invoice = self.a_document("out_invoice", self.a_c, 120.0)
        c_bill = self.remote_document(
            c, "in_invoice", self.c_partners["MA-1"], 120.0, ref=a_invoice.name
        )
        # A bill without the supplier's number is not submitted, and says why.
        no_ref = self.a_document("in_invoice", self.a_b, 10.0)

        # Submitted: A with the settings' button, B and C over RPC.
        settings = self.env["res.config.settings"].create({})
        notification = settings.action_mlml_submit_compensation()
        self.assertIn("2 invoice(s) or bill(s) submitted", notification["params"]["message"])
        self.assertIn(
            f"{no_ref.name} not submitted: Bill {no_ref.name} of Boulangerie B has no "
            "supplier's invoice number",
            notification["params"]["message"],
        )
        self.assertFalse(no_ref.mlml_declared_amount)
        self.assertEqual(a_bill.mlml_declared_amount, 100.0)
        self.assertEqual(a_invoice.mlml_declared_amount, 120.0)
        for db, company in ((b, self.b_company), (c, self.c_company)):
            db.rpc("res.company", "action_mlml_submit_compensation", [company])
        obligations = self.ch.rpc(
            "mlml.obligation", "search_read", [], ["name", "state", "amount"], order="name"
        )
        self.assertEqual(
            sorted((o["name"], o["state"], o["amount"]) for o in obligations),
            sorted(
                [
                    (b_invoice["name"], "confirmed", 100.0),
                    (c_invoice["name"], "confirmed", 80.0),
                    (a_invoice.name, "confirmed", 120.0),
                ]
            ),
        )

        # The clearing house's run, without liquidity: 80 each way round the loop.
        first = self.compensate(liquidity=False)
        self.assertEqual((first["state"], first["cleared_without"]), ("confirmed", 240.0))

        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.synchronise(b, self.b_company)
        self.synchronise(c, self.c_company)

        # A's books: one set-off entry, the residuals 20 (owes B) and 40 (C owes).
        entry = self.set_off_entries()
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.journal_id, self.company.mlml_compensation_journal_id)
        self.assertEqual(entry.ref, f"Settled by multilateral compensation {first['name']}")
        self.assertEqual(
            sorted((line.partner_id.name, line.debit, line.credit) for line in entry.line_ids),
            [("Boulangerie B", 80.0, 0.0), ("Cave C", 0.0, 80.0)],
        )
        self.assertEqual((a_bill.amount_residual, a_bill.payment_state), (20.0, "partial"))
        self.assertEqual((a_invoice.amount_residual, a_invoice.payment_state), (40.0, "partial"))
        self.assertRegex(
            str(a_invoice.message_ids[0].body),
            rf"Settled by multilateral compensation {first['name']}: \S*80\.00\S* set off",
        )
        # B's and C's books: the same run, residuals 20 / 0 and 0 / 40.
        for db in (b, c):
            entries = self.set_off_entries(db)
            self.assertEqual(len(entries), 1)
            self.assertEqual(entries[0]["state"], "posted")
            self.assertIn(first["name"], entries[0]["ref"])
        self.assertEqual(self.remote_residual(b, b_invoice["id"])["amount_residual"], 20.0)
        self.assertEqual(
            self.remote_residual(b, b_bill["id"]),
            {"id": b_bill["id"], "amount_residual": 0.0, "payment_state": "paid"},
        )
        self.assertEqual(self.remote_residual(c, c_invoice["id"])["payment_state"], "paid")
        self.assertEqual(self.remote_residual(c, c_bill["id"])["amount_residual"], 40.0)

        # Synchronising again books nothing more.
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.synchronise(b, self.b_company)
        self.assertEqual(len(self.set_off_entries()), 1)
        self.assertEqual(len(self.set_off_entries(b)), 1)

        # With liquidity from the credit lines: A pays B its 20 and C pays A its
        # 40 in MLML; the MLML balances move by exactly what the run says.
        before = {
            "MA-1": self.company.mlml_balance,
            "MB-1": self.mlml_balance(b, self.b_company),
            "MC-1": self.mlml_balance(c, self.c_company),
        }
        second = self.compensate(liquidity=True)
        self.assertEqual((second["with_liquidity"], second["cleared_with"]), (True, 60.0))
        moves = {
            row["member_number"]: row["mlml_transfer"]
            for row in self.ch.rpc(
                "mlml.compensation.member",
                "search_read",
                [("compensation_id.name", "=", second["name"])],
                ["member_number", "mlml_transfer"],
            )
        }
        self.assertEqual(moves, {"MA-1": 20.0, "MB-1": 20.0, "MC-1": -40.0})

        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.synchronise(b, self.b_company)
        self.synchronise(c, self.c_company)
        self.company.invalidate_recordset()
        self.assertEqual(self.company.mlml_balance - before["MA-1"], moves["MA-1"])
        self.assertEqual(self.mlml_balance(b, self.b_company) - before["MB-1"], moves["MB-1"])
        self.assertEqual(self.mlml_balance(c, self.c_company) - before["MC-1"], moves["MC-1"])
        self.assertEqual((a_bill.payment_state, a_invoice.payment_state), ("paid", "paid"))
        self.assertEqual(self.remote_residual(b, b_invoice["id"])["payment_state"], "paid")
        self.assertEqual(self.remote_residual(c, c_bill["id"])["payment_state"], "paid")
        # The clearing account nets to zero once the run and its transfers are booked.
        self.assertEqual(self.clearing_balance(b, self.b_company), 0.0)
        self.assertEqual(self.clearing_balance(c, self.c_company), 0.0)
        clearing = self.company.mlml_compensation_account_id
        self.assertAlmostEqual(
            sum(
                self.env["account.move.line"]
                .search([("account_id", "=", clearing.id), ("parent_state", "=", "posted")])
                .mapped("balance")
            ),
            0.0,
        )
        statement_line = self.env["account.bank.statement.line"].search(
            [("mlml_transfer_ref", "!=", False)]
        )
        self.assertEqual(statement_line.amount, 20.0)
        self.assertIn(clearing, statement_line.move_id.line_ids.account_id)

        # An invoice paid after it was submitted leaves the run not confirmed yet,
        # with the reason: A invoices B 50, B invoices A 50 (a loop of two).
        b_second = self.remote_document(b, "out_invoice", self.b_partners["MA-1"], 50.0)
        self.a_document("in_invoice", self.a_b, 50.0, ref=b_second["name"])
        a_second = self.a_document("out_invoice", self.a_b, 50.0)
        self.remote_document(b, "in_invoice", self.b_partners["MA-1"], 50.0, ref=a_second.name)
        self.company.mlml_compensation_auto = True
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        b.rpc("res.company", "write", [self.b_company], {"mlml_compensation_auto": True})
        self.synchronise(b, self.b_company)
        pending = self.ch.rpc("mlml.compensation", "create", {"cutoff_date": str(self.today)})
        self.ch.rpc("mlml.compensation", "action_simulate", [pending])
        simulated = self.ch.rpc(
            "mlml.compensation", "read", [pending], ["state", "cleared_without"]
        )
        self.assertEqual(simulated[0]["state"], "simulated")
        self.assertEqual(simulated[0]["cleared_without"], 100.0)

        bank = self.company_data["default_journal_bank"]
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=a_second.ids
        ).create({"journal_id": bank.id, "amount": 30.0}).action_create_payments()
        self.assertEqual(a_second.amount_residual, 20.0)
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertEqual(a_second.mlml_declared_amount, 20.0)
        self.assertEqual(a_second.mlml_obligation_state, "declared")
        self.assertIn(
            "Submitted again to the multilateral compensation", a_second.message_ids[0].body
        )
        run = self.ch.rpc("mlml.compensation", "read", [pending], ["state"])[0]
        self.assertEqual(run["state"], "draft")
        withdrawn = self.ch.rpc(
            "mlml.compensation.line",
            "search_read",
            [("compensation_id", "=", pending), ("status", "=", "withdrawn")],
            ["invoice", "reason"],
        )
        self.assertEqual([line["invoice"] for line in withdrawn], [a_second.name])
        self.assertIn(f"declared other figures for invoice {a_second.name}", withdrawn[0]["reason"])
        self.assertIn("20", withdrawn[0]["reason"])
        # Nothing more was booked in A's books.
        self.assertEqual(len(self.set_off_entries()), 2)
