import json

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import forged_context, solver_missing
from .test_clearing_obligations_api import ObligationsApiCommon

NBSP = "\N{NO-BREAK SPACE}"
#: The fields of an obligation in the API, as before disputes existed.
OBLIGATION_FIELDS = {
    "id",
    "invoice",
    "creditor",
    "debtor",
    "amount",
    "amount_cleared",
    "amount_open",
    "currency",
    "due_date",
    "mlml_open",
    "state",
    "role",
    "declared_by_creditor",
    "confirmed_by_debtor",
    "withdrawal_reason",
}


@tagged("post_install", "-at_install")
class TestClearingObligationDisputes(ObligationsApiCommon):
    """An invoice number is its creditor's: Gamma (the squatter) declares itself the
    debtor of Beta's invoice before Beta does; Alpha is Beta's real debtor."""

    def setUp(self):
        super().setUp()
        self.to_squatter = []

    def as_squatter(self, response):
        """An answer to Gamma, kept to check that none names a third member."""
        self.to_squatter.append(response.text)
        return response

    def assert_names_nobody_else(self, texts, *others):
        for text in texts:
            for other in others:
                for name in (other.name, other.mlml_member_number):
                    self.assertNotIn(name, text)

    def disputes(self):
        """The obligations the staff's filter "Disputes" shows."""
        arch = etree.fromstring(self.Obligation.get_view(view_type="search")["arch"])
        domain = arch.xpath("//filter[@name='disputes']")[0].get("domain")
        return self.Obligation.search(safe_eval(domain))

    def simulate(self):
        if solver_missing():
            self.skipTest(solver_missing())
        run = self.env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})
        run.action_simulate()
        return run

    def test_a_squatter_never_blocks_the_creditor_and_counts_in_no_run(self):
        # Gamma declares itself the debtor of Beta's invoice first.
        squat = self.as_squatter(
            self.declare(self.gamma, "FAC/B/77", self.beta, self.gamma, "500.00")
        )
        self.assertEqual(squat.status_code, 201, squat.text)
        claim = self.Obligation.browse(squat.json()["id"])
        self.assertFalse(claim.dispute)
        self.assertIn("Not declared by the creditor Beta Imprimerie", claim.waiting_for)
        # Beta declares its invoice with its real debtor: accepted, a claim of its own.
        made = self.declare(self.beta, "FAC/B/77", self.beta, self.alpha, "120.00")
        self.assertEqual(made.status_code, 201, made.text)
        self.assertEqual(
            {k: made.json()[k] for k in ("invoice", "creditor", "debtor", "amount", "state")},
            {
                "invoice": "FAC/B/77",
                "creditor": "CH-B",
                "debtor": "CH-A",
                "amount": "120.00",
                "state": "declared",
            },
        )
        self.assert_names_nobody_else([made.text], self.gamma)
        invoice = self.Obligation.browse(made.json()["id"])
        self.assertNotEqual(invoice, claim)
        # Alpha confirms its bill: the pair counts.
        confirmed = self.declare(self.alpha, "FAC/B/77", self.beta, self.alpha, "120.00")
        self.assertEqual(confirmed.status_code, 200, confirmed.text)
        self.assertEqual(
            (confirmed.json()["id"], confirmed.json()["state"]), (invoice.id, "confirmed")
        )
        self.assert_names_nobody_else([confirmed.text], self.gamma)
        self.assertEqual(
            (invoice.state, invoice.dispute, invoice.waiting_for), ("confirmed", False, False)
        )
        # Gamma's claim is a dispute the staff see, with why.
        self.assertEqual((claim.state, claim.dispute), ("declared", "debtor"))
        self.assertEqual(self.disputes(), claim)
        self.assertEqual(
            claim.waiting_for,
            "In dispute: Beta Imprimerie declared invoice FAC/B/77 with the debtor Alpha "
            "Nettoyage, while Gamma Conseil declared itself its debtor. An MLML manager "
            "withdraws the wrong claim; the creditor's claim counts once its debtor confirms it.",
        )
        # Both declarations of the invoice are on each claim's form.
        self.assertEqual(
            sorted(
                (d.member_id.name, d.side, d.debtor_id.name, d.amount)
                for d in claim.invoice_declaration_ids
            ),
            [
                ("Alpha Nettoyage", "debtor", "Alpha Nettoyage", 120.0),
                ("Beta Imprimerie", "creditor", "Alpha Nettoyage", 120.0),
                ("Gamma Conseil", "debtor", "Gamma Conseil", 500.0),
            ],
        )
        self.assertEqual(invoice.invoice_declaration_ids, claim.invoice_declaration_ids)
        # Whatever Gamma declares or reads, no answer names Alpha nor its figures.
        again = self.as_squatter(
            self.declare(self.gamma, "FAC/B/77", self.beta, self.gamma, "120.00")
        )
        self.assertEqual((again.status_code, again.json()["id"]), (200, claim.id))
        self.assertEqual(set(again.json()), OBLIGATION_FIELDS)
        self.assertEqual(
            (again.json()["state"], again.json()["declared_by_creditor"]), ("declared", False)
        )
        self.assert_problem(
            self.as_squatter(self.declare(self.gamma, "FAC/B/77", self.beta, self.alpha, "1.00")),
            403,
            "not_a_party",
            "You are neither the creditor nor the debtor of invoice FAC/B/77",
        )
        feed = self.as_squatter(self.call("GET", "/obligations", self.key_gamma)).json()["items"]
        self.assertEqual(
            [(o["id"], o["creditor"], o["debtor"], o["amount"]) for o in feed],
            [(claim.id, "CH-B", "CH-C", "120.00")],
        )
        self.assert_names_nobody_else(self.to_squatter, self.alpha)
        # Alpha never sees Gamma's claim; Beta, its named creditor, does.
        alpha_feed = self.call("GET", "/obligations", self.key_alpha)
        self.assertEqual([o["id"] for o in alpha_feed.json()["items"]], [invoice.id])
        self.assert_names_nobody_else([alpha_feed.text], self.gamma)
        beta_feed = self.call("GET", "/obligations", self.key_beta).json()["items"]
        self.assertEqual({o["id"] for o in beta_feed}, {invoice.id, claim.id})
        # Even with Gamma's figures now equal to Beta's, its claim counts in no run.
        run = self.simulate()
        self.assertEqual((run.obligation_count, run.total_debt), (1, 120.0))
        self.assertEqual(run.line_ids.obligation_id, invoice)
        excluded = run.excluded_line_ids.filtered(lambda line: line.obligation_id == claim)
        self.assertEqual(excluded.reason, claim.waiting_for)
        # An MLML manager withdraws the claim: the dispute is settled.
        claim.withdrawal_reason = "Gamma ne doit rien sur cette facture"
        claim.action_withdraw()
        self.assertEqual((claim.state, claim.dispute), ("withdrawn", False))
        self.assertFalse(self.disputes())

    def test_two_debtors_claim_an_invoice_its_creditor_settles(self):
        first = self.declare(self.gamma, "FAC/B/9", self.beta, self.gamma, "80.00")
        second = self.declare(self.alpha, "FAC/B/9", self.beta, self.alpha, "80.00")
        self.assertEqual((first.status_code, second.status_code), (201, 201))
        squat, bill = (self.Obligation.browse(r.json()["id"]) for r in (first, second))
        self.assertEqual(self.disputes(), squat | bill)
        self.assertIn(
            "In dispute: Gamma Conseil, Alpha Nettoyage each declared themselves the debtor "
            "of invoice FAC/B/9 of Beta Imprimerie",
            squat.waiting_for,
        )
        self.assertEqual(second.json()["state"], "declared")
        self.assert_names_nobody_else([second.text], self.gamma)
        self.assert_names_nobody_else([first.text], self.alpha)
        # The creditor names its debtor: that claim counts, the other stays in dispute.
        named = self.declare(self.beta, "FAC/B/9", self.beta, self.alpha, "80.00")
        self.assertEqual((named.status_code, named.json()["state"]), (200, "confirmed"))
        self.assertEqual((bill.dispute, squat.dispute), (False, "debtor"))
        # The creditor cannot name a second debtor for the same invoice.
        self.assert_problem(
            self.declare(self.beta, "FAC/B/9", self.beta, self.gamma, "80.00"),
            403,
            "not_a_party",
            "You declared invoice FAC/B/9 with the debtor Alpha Nettoyage",
        )
        self.assertFalse(squat.declared_by_creditor)
        # Withdrawn, the creditor's claim no longer contests the other; it only waits.
        bill.withdrawal_reason = "Erreur de numéro"
        bill.action_withdraw()
        self.assertEqual((bill.dispute, squat.dispute), (False, False))
        self.assertIn("Not declared by the creditor Beta Imprimerie", squat.waiting_for)

    def test_two_amounts_are_a_dispute_settled_by_a_matching_declaration(self):
        self.assertEqual(
            self.declare(self.beta, "FAC/B/8", self.beta, self.alpha, "100.00").status_code, 201
        )
        # The debtor answers with another amount: a dispute, both figures kept.
        answer = self.declare(self.alpha, "FAC/B/8", self.beta, self.alpha, "90.00")
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(set(answer.json()), OBLIGATION_FIELDS)
        self.assertEqual(
            {
                k: answer.json()[k]
                for k in ("amount", "state", "declared_by_creditor", "confirmed_by_debtor")
            },
            {
                "amount": "90.00",
                "state": "declared",
                "declared_by_creditor": False,
                "confirmed_by_debtor": True,
            },
        )
        obligation = self.Obligation.browse(answer.json()["id"])
        self.assertEqual((obligation.dispute, self.disputes()), ("figures", obligation))
        self.assertEqual(
            obligation.waiting_for,
            "Not declared by the creditor Beta Imprimerie with these figures: an invoice counts "
            "once its creditor declared it too. In dispute: Beta Imprimerie declared "
            f"100.00{NBSP}€ due 12/31/2026, Alpha Nettoyage 90.00{NBSP}€ due 12/31/2026. It "
            "counts once one of them declares the other's figures; an MLML manager may "
            "withdraw it.",
        )
        self.assertEqual(
            [(d.member_id, d.amount, d.outcome) for d in obligation.invoice_declaration_ids],
            [(self.alpha, 90.0, "dispute"), (self.beta, 100.0, "new")],
        )
        # Another due date from the creditor: still a dispute, not counted in a run.
        self.declare(self.beta, "FAC/B/8", self.beta, self.alpha, "90.00", due="2026-11-30")
        self.assertEqual(obligation.dispute, "figures")
        self.assertIn(
            f"Beta Imprimerie declared 90.00{NBSP}€ due 11/30/2026", obligation.waiting_for
        )
        run = self.simulate()
        self.assertEqual(
            (run.obligation_count, run.excluded_line_ids.obligation_id), (0, obligation)
        )
        self.assertEqual(run.excluded_line_ids.reason, obligation.waiting_for)
        self.assertIn("In dispute", run.excluded_line_ids.reason)
        # The debtor agrees to the creditor's figures: settled, it counts.
        agreed = self.declare(
            self.alpha, "FAC/B/8", self.beta, self.alpha, "90.00", due="2026-11-30"
        )
        self.assertEqual(agreed.json()["state"], "confirmed")
        self.assertEqual((obligation.dispute, obligation.waiting_for), (False, False))
        self.assertFalse(self.disputes())
        run.action_simulate()
        self.assertEqual((run.obligation_count, run.line_ids.obligation_id), (1, obligation))

    def test_a_partial_payment_is_an_update_not_a_dispute(self):
        obligation = self.declare_both("FAC/B/10", self.beta, self.alpha, "100.00")
        # Partly paid: the creditor declares what is still open; the debtor follows.
        self.declare(self.beta, "FAC/B/10", self.beta, self.alpha, "40.00")
        self.assertEqual((obligation.state, obligation.dispute), ("declared", False))
        self.declare(self.alpha, "FAC/B/10", self.beta, self.alpha, "40.00")
        self.assertEqual((obligation.state, obligation.amount_open), ("confirmed", 40.0))

    def test_staff_cannot_settle_a_dispute_by_hand(self):
        self.declare(self.beta, "FAC/B/11", self.beta, self.alpha, "100.00")
        made = self.declare(self.alpha, "FAC/B/11", self.beta, self.alpha, "70.00")
        obligation = self.Obligation.browse(made.json()["id"])
        staff = self.create_user(
            "dispute_staff",
            "base.group_user,mlml_barter.group_mlml_clearing_staff,mlml_barter.group_mlml_manager",
        )
        self.env.flush_all()
        self.authenticate("dispute_staff", "dispute_staff")
        for values in ({"dispute": False}, {"declared_by_creditor": True, "dispute": False}):
            payload = {
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "model": "mlml.obligation",
                    "method": "write",
                    "args": [obligation.ids, values],
                    "kwargs": {"context": forged_context()},
                },
            }
            with mute_logger("odoo.http"):
                answer = self.url_open(
                    "/web/dataset/call_kw/mlml.obligation/write",
                    data=json.dumps(payload),
                    headers={"Content-Type": "application/json"},
                ).json()
            self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError")
            self.assertIn("come from the members' declarations", answer["error"]["data"]["message"])
        obligation.invalidate_recordset()
        self.assertEqual(
            (obligation.dispute, obligation.declared_by_creditor, obligation.amount),
            ("figures", False, 70.0),
        )
        with self.assert_refused(UserError, "come from the members' declarations"):
            obligation.with_user(staff).with_context(**forged_context()).write({"dispute": False})
