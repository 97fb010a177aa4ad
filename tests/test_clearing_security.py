"""The clearing house answers to its own rules only.

Each test replays an attack on the ledger through real JSON-RPC, as the
user of the cooperative's Odoo who tried it, with every ``mlml_*`` context
key the add-on reads set in the call, and checks that it is refused and that
nothing changed in the database.
"""

from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from odoo.addons.mlml_barter.models.clearing_house.mlml_guards import BOOKING_KEY

from .common import FORMER_BYPASSES, JsonRpcCalls, context_keys_read, forged_context
from .test_clearing_obligations_api import ObligationsApiCommon


@tagged("post_install", "-at_install")
class TestClearingSecurity(JsonRpcCalls, ObligationsApiCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.create_user("ch_billing", "base.group_user,account.group_account_invoice")
        cls.staff = cls.create_user(
            "ch_staff",
            "base.group_user,account.group_account_invoice,mlml_barter.group_mlml_clearing_staff",
        )
        cls.Request = cls.env["mlml.payment.request"]

    def call_kw(self, login, model, method, args, kwargs=None):
        """The JSON-RPC answer of ``model.method`` called as ``login``, context forged."""
        return self.rpc(login, model, method, args, kwargs).json()

    def assert_rpc_refused(self, answer, error, text):
        self.assertIn("error", answer, answer.get("result"))
        self.assertEqual(answer["error"]["data"]["name"], f"odoo.exceptions.{error}")
        self.assertIn(text, answer["error"]["data"]["message"])

    def rows(self, table, ids, columns):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE id = ANY(%s) ORDER BY id",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL.identifier(table),
                list(ids),
            )
        )
        return self.env.cr.fetchall()

    def ledger(self):
        """The whole ledger as the database holds it: transfers and balances."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, state, reversed_by_id, amount, payer_id, payee_id FROM mlml_transfer "
            "WHERE company_id = %s ORDER BY id",
            [self.company.id],
        )
        transfers = self.env.cr.fetchall()
        self.env.cr.execute(
            "SELECT partner_id, balance FROM mlml_ledger_account WHERE company_id = %s "
            "ORDER BY partner_id",
            [self.company.id],
        )
        return transfers, self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # The forged context itself
    # ------------------------------------------------------------------

    def test_every_context_key_of_the_addon_is_forged(self):
        keys = context_keys_read()
        # The scan finds the keys the add-on reads, its own booking mark included.
        for key in (BOOKING_KEY, "mlml_sending", "mlml_bounds_override", "mlml_decision"):
            self.assertIn(key, keys)
        self.assertLessEqual(set(FORMER_BYPASSES) | keys, set(forged_context()))
        # No guard is lifted by a key's mere presence: the former bypasses are read nowhere.
        for key in FORMER_BYPASSES:
            self.assertNotIn(key, keys)

    # ------------------------------------------------------------------
    # 1. A transfer's state
    # ------------------------------------------------------------------

    def test_attack_1_transfer_state_written_over_rpc(self):
        posted = self.book(self.alpha, self.beta, 100)
        reversed_ = self.book(self.alpha, self.beta, 50)
        reversed_.reverse("erreur de saisie")
        before = self.ledger()
        for login in ("ch_billing", "ch_staff"):
            answer = self.call_kw(
                login, "mlml.transfer", "write", [posted.ids, {"state": "reversed"}]
            )
            self.assertIn("error", answer)
            answer = self.call_kw(
                login,
                "mlml.transfer",
                "write",
                [reversed_.ids, {"state": "posted", "reversed_by_id": False}],
            )
            self.assertIn("error", answer)
        answer = self.call_kw(
            "ch_staff", "mlml.transfer", "write", [posted.ids, {"state": "reversed"}]
        )
        self.assert_rpc_refused(answer, "UserError", "a posted transfer is never edited")
        answer = self.call_kw(
            "ch_billing", "mlml.transfer", "write", [posted.ids, {"state": "reversed"}]
        )
        self.assert_rpc_refused(answer, "UserError", "a posted transfer is never edited")
        self.assertEqual(self.ledger(), before)
        # A transfer written by hand is refused too.
        answer = self.call_kw(
            "ch_staff",
            "mlml.transfer",
            "create",
            [
                {
                    "company_id": self.company.id,
                    "payer_id": self.alpha.id,
                    "payee_id": self.beta.id,
                    "amount": 10,
                    "name": "VIR/FAUX",
                }
            ],
        )
        self.assertIn("error", answer)
        self.assertEqual(self.ledger(), before)
        # The reversed transfer cannot be reversed (and refunded) a second time.
        with self.assert_refused(Exception, "already reversed"):
            reversed_.reverse("encore")
        self.assertEqual(self.ledger(), before)

    # ------------------------------------------------------------------
    # 2. A payment request's state
    # ------------------------------------------------------------------

    def test_attack_2_request_state_written_over_rpc(self):
        accepted = self.Request.create(
            {"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 40, "reference": "F1"}
        )
        accepted.action_accept()
        open_ = self.Request.create(
            {"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 25, "reference": "F2"}
        )
        columns = ["state", "transfer_id", "amount", "refusal_reason"]
        requests = (accepted | open_).ids
        before = (self.ledger(), self.rows("mlml_payment_request", requests, columns))
        attempts = [
            (accepted.ids, {"state": "open"}),
            (accepted.ids, {"state": "open", "transfer_id": False}),
            (open_.ids, {"state": "accepted"}),
            (open_.ids, {"state": "refused", "refusal_reason": "non"}),
        ]
        for ids, values in attempts:
            answer = self.call_kw("ch_billing", "mlml.payment.request", "write", [ids, values])
            self.assert_rpc_refused(answer, "UserError", "cannot be written")
            answer = self.call_kw("ch_staff", "mlml.payment.request", "write", [ids, values])
            self.assert_rpc_refused(answer, "UserError", "cannot be written")
        # The accepted request is paid once: accepting it again books nothing.
        answer = self.call_kw(
            "ch_staff", "mlml.payment.request", "action_accept_button", [accepted.ids]
        )
        self.assertTrue(answer.get("result"), answer)
        self.assertEqual(
            (self.ledger(), self.rows("mlml_payment_request", requests, columns)), before
        )

    # ------------------------------------------------------------------
    # 3. Obligations: confirmed in the debtor's place, withdrawn
    # ------------------------------------------------------------------

    def test_attack_3_obligation_confirmed_or_withdrawn_over_rpc(self):
        self.declare(self.alpha, "FAC/A/1", self.alpha, self.beta, "120.00")
        obligation = self.Obligation.search([("name", "=", "FAC/A/1")])
        columns = ["state", "declared_by_creditor", "confirmed_by_debtor", "amount"]
        before = self.rows("mlml_obligation", obligation.ids, columns)
        self.assertEqual((obligation.state, obligation.confirmed_by_debtor), ("declared", False))
        for login in ("ch_billing", "ch_staff"):
            for values in (
                {"confirmed_by_debtor": True},
                {"state": "confirmed"},
                {"state": "withdrawn", "withdrawal_reason": "doublon"},
            ):
                answer = self.call_kw(login, "mlml.obligation", "write", [obligation.ids, values])
                self.assertIn("error", answer)
            answer = self.call_kw(
                login,
                "mlml.obligation",
                "action_withdraw",
                [obligation.ids],
            )
            self.assertIn("error", answer)
        answer = self.call_kw(
            "ch_staff", "mlml.obligation", "write", [obligation.ids, {"withdrawal_reason": "x"}]
        )
        self.assert_rpc_refused(
            answer, "AccessError", "Only the clearing house's MLML managers withdraw"
        )
        answer = self.call_kw("ch_staff", "mlml.obligation", "action_withdraw", [obligation.ids])
        self.assert_rpc_refused(
            answer, "AccessError", "Only the clearing house's MLML managers withdraw"
        )
        self.assertEqual(self.rows("mlml_obligation", obligation.ids, columns), before)
        # Nothing was created by hand either.
        answer = self.call_kw(
            "ch_staff",
            "mlml.obligation",
            "create",
            [
                {
                    "name": "FAC/FAUX",
                    "creditor_id": self.beta.id,
                    "debtor_id": self.alpha.id,
                    "amount": 10,
                    "due_date": "2026-12-31",
                    "declared_by_creditor": True,
                    "confirmed_by_debtor": True,
                    "state": "confirmed",
                }
            ],
        )
        self.assertIn("error", answer)
        self.assertFalse(self.Obligation.search([("name", "=", "FAC/FAUX")]))

    # ------------------------------------------------------------------
    # 4. A compensation run marked confirmed
    # ------------------------------------------------------------------

    def test_attack_4_run_confirmed_without_a_manager(self):
        self.declare_both("FAC/A/1", self.alpha, self.beta, "100.00")
        self.declare_both("FAC/B/1", self.beta, self.alpha, "80.00")
        run = self.env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})
        answer = self.call_kw("ch_billing", "mlml.compensation", "action_simulate", [run.ids])
        self.assert_rpc_refused(answer, "AccessError", "Only the clearing house's staff")
        answer = self.call_kw("ch_staff", "mlml.compensation", "action_simulate", [run.ids])
        self.assertTrue(answer.get("result"), answer)
        columns = ["state", "confirmed_at", "confirmed_by_id", "feed_position", "cleared_without"]
        before = self.rows("mlml_compensation", run.ids, columns)
        self.assertEqual(before[0][0], "simulated")
        for login in ("ch_billing", "ch_staff"):
            for values in (
                {"state": "confirmed"},
                {"state": "confirmed", "confirmed_at": "2026-12-01 10:00:00", "feed_position": 9},
                {"cleared_without": 1000},
            ):
                answer = self.call_kw(login, "mlml.compensation", "write", [run.ids, values])
                self.assertIn("error", answer)
            answer = self.call_kw(login, "mlml.compensation", "action_confirm_with", [run.ids])
            self.assertIn("error", answer)
        answer = self.call_kw("ch_staff", "mlml.compensation", "action_confirm_without", [run.ids])
        self.assert_rpc_refused(
            answer, "AccessError", "Only the clearing house's MLML managers confirm"
        )
        self.assertEqual(self.rows("mlml_compensation", run.ids, columns), before)
        # Made by hand already confirmed: refused too.
        answer = self.call_kw(
            "ch_staff",
            "mlml.compensation",
            "create",
            [{"cutoff_date": "2026-12-31", "state": "confirmed", "feed_position": 9}],
        )
        self.assert_rpc_refused(answer, "UserError", "cannot be written")
        # The members still read their runs: none is confirmed.
        response = self.call("GET", "/compensations", self.key_alpha)
        self.assertEqual((response.status_code, response.json()["items"]), (200, []))
        # A manager confirms for real.
        run.action_confirm_without()
        self.assertEqual(run.state, "confirmed")
        response = self.call("GET", "/compensations", self.key_alpha)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([item["number"] for item in response.json()["items"]], [run.name])

    # ------------------------------------------------------------------
    # 5. Back office acts by a Billing user who is not staff
    # ------------------------------------------------------------------

    def test_attack_5_billing_user_moves_no_money(self):
        before = self.ledger()
        answer = self.call_kw(
            "ch_billing",
            "mlml.transfer.wizard",
            "create",
            [{"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 300}],
        )
        self.assert_rpc_refused(answer, "AccessError", "not allowed to create")
        # Even with a wizard made for him, confirming it books nothing.
        wizard = self.env["mlml.transfer.wizard"].create(
            {"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 300}
        )
        answer = self.call_kw("ch_billing", "mlml.transfer.wizard", "action_confirm", [wizard.ids])
        self.assertIn("error", answer)
        requests = self.Request.search_count([])
        answer = self.call_kw(
            "ch_billing",
            "mlml.payment.request",
            "create",
            [{"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 30}],
        )
        self.assert_rpc_refused(answer, "AccessError", "Only the clearing house's staff")
        request = self.Request.create(
            {"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 30}
        )
        answer = self.call_kw(
            "ch_billing", "mlml.payment.request", "write", [request.ids, {"amount": 900}]
        )
        self.assert_rpc_refused(answer, "AccessError", "Only the clearing house's staff")
        for method in ("action_accept_button", "action_cancel_button"):
            answer = self.call_kw("ch_billing", "mlml.payment.request", method, [request.ids])
            self.assert_rpc_refused(answer, "AccessError", "Only the clearing house's staff")
        self.assertEqual(self.Request.search_count([]), requests + 1)
        self.assertEqual((request.state, request.amount), ("open", 30.0))
        self.assertEqual(self.ledger(), before)
        # The staff do it, through the same calls.
        answer = self.call_kw(
            "ch_staff", "mlml.payment.request", "write", [request.ids, {"amount": 35}]
        )
        self.assertTrue(answer.get("result"), answer)
        answer = self.call_kw(
            "ch_staff", "mlml.payment.request", "action_accept_button", [request.ids]
        )
        self.assertTrue(answer.get("result"), answer)
        self.assertEqual((request.state, request.transfer_id.amount), ("accepted", 35.0))
        answer = self.call_kw(
            "ch_staff",
            "mlml.transfer.wizard",
            "create",
            [{"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 300}],
        )
        answer = self.call_kw(
            "ch_staff", "mlml.transfer.wizard", "action_confirm", [[answer["result"]]]
        )
        transfer = self.env["mlml.transfer"].browse(answer["result"]["res_id"])
        self.assertEqual((transfer.amount, transfer.channel), (300.0, "back_office"))

    def test_billing_user_reads_the_ledger(self):
        transfer = self.book(self.alpha, self.beta, 10)
        answer = self.call_kw(
            "ch_billing", "mlml.transfer", "read", [transfer.ids, ["name", "amount", "state"]]
        )
        self.assertEqual(answer["result"][0]["amount"], 10.0)
        answer = self.call_kw(
            "ch_billing", "mlml.ledger.account", "search_read", [[], ["partner_id", "balance"]]
        )
        self.assertTrue(answer["result"])
