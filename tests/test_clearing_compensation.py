import unittest
from unittest.mock import patch

from markupsafe import Markup

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mlml_barter.mlml_barter import compensation as solver
from odoo.addons.mlml_barter.models.clearing_house.mlml_compensation import note_html

from .common import solver_missing
from .test_clearing_obligations_api import ObligationsApiCommon


@tagged("post_install", "-at_install")
class TestClearingCompensation(ObligationsApiCommon):
    """A owes B 100, B owes C 80, C owes A 120, declared and confirmed through the API."""

    @classmethod
    def setUpClass(cls):
        if solver_missing():
            raise unittest.SkipTest(solver_missing())
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.ab = self.declare_both("FAC/B/1", self.beta, self.alpha, "100.00")
        self.bc = self.declare_both("FAC/C/1", self.gamma, self.beta, "80.00")
        self.ca = self.declare_both("FAC/A/1", self.alpha, self.gamma, "120.00")
        # Declared by its creditor only: the debtor never confirmed it.
        made = self.declare(self.gamma, "FAC/C/2", self.gamma, self.alpha, "50.00")
        self.unconfirmed = self.Obligation.browse(made.json()["id"])
        self.run = self.env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})

    def member(self, run, partner):
        return run.member_ids.filtered(lambda m: m.partner_id == partner)

    def line(self, run, obligation):
        return (run.line_ids | run.excluded_line_ids).filtered(
            lambda line: line.obligation_id == obligation
        )

    def test_the_loop_clears_80_each_way_round(self):
        self.run.action_simulate()
        run = self.run
        self.assertTrue(run.name.startswith("CMP/"))
        self.assertEqual(run.state, "simulated")
        self.assertEqual((run.obligation_count, run.excluded_count), (3, 1))
        self.assertEqual((run.total_debt, run.net_internal_debt), (300.0, 40.0))
        self.assertEqual((run.cleared_without, run.percent_without), (240.0, 80.0))
        self.assertEqual((run.cleared_with, run.percent_with), (300.0, 100.0))
        self.assertEqual((run.net_internal_debt_after, run.nid_percent_removed), (0.0, 100.0))
        self.assertEqual(run.mlml_moved, 40.0)
        self.assertIn(" → ", run.loops_html)
        self.assertIn("80.00", run.loops_html)
        self.assertEqual(str(run.loops_html).count("Alpha Nettoyage"), 2)
        for obligation in (self.ab, self.bc, self.ca):
            self.assertEqual(self.line(run, obligation).cleared_without, 80.0)
        excluded = self.line(run, self.unconfirmed)
        self.assertEqual(excluded.status, "excluded")
        self.assertIn("Not confirmed by the debtor Alpha Nettoyage", excluded.reason)
        self.assertEqual(
            [
                (m.partner_id, m.owes, m.set_off_without, m.still_pays_without, m.mlml_transfer)
                for m in run.member_ids
            ],
            [
                (self.alpha, 100.0, 80.0, 20.0, 20.0),
                (self.beta, 80.0, 80.0, 0.0, 20.0),
                (self.gamma, 120.0, 80.0, 40.0, -40.0),
            ],
        )
        count = self.ledger_count()
        run.action_confirm_without()
        self.assertEqual((run.state, run.with_liquidity), ("confirmed", False))
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(
            [(o.state, o.amount_cleared, o.amount_open) for o in (self.ab, self.bc, self.ca)],
            [
                ("partly_cleared", 80.0, 20.0),
                ("cleared", 80.0, 0.0),
                ("partly_cleared", 80.0, 40.0),
            ],
        )
        self.assertEqual((self.unconfirmed.state, self.unconfirmed.amount_cleared), ("declared", 0))
        self.assertEqual(self.balances(), (0.0, 0.0, 0.0, 0.0))
        self.assertIn(
            f"Compensation {run.name} confirmed: 80.00 € of your bills and 80.00 € of your "
            "invoices set off.",
            str(self.gamma.message_ids[0].body).replace("&nbsp;", " "),
        )
        # What the members' Odoo reads to book its set-off.
        feed = self.call("GET", "/compensations", self.key_alpha).json()
        self.assertEqual(len(feed["items"]), 1)
        alpha = feed["items"][0]
        self.assertEqual(
            (alpha["number"], alpha["with_liquidity"], alpha["amount_cleared"]),
            (run.name, False, "160.00"),
        )
        self.assertEqual((alpha["mlml_amount"], alpha["transfers"]), ("0.00", []))
        self.assertEqual(
            sorted(
                (i["invoice"], i["role"], i["amount"], i["amount_cleared"])
                for i in alpha["invoices"]
            ),
            [("FAC/A/1", "creditor", "120.00", "80.00"), ("FAC/B/1", "debtor", "100.00", "80.00")],
        )
        self.assertEqual(
            self.call(
                "GET", "/compensations", self.key_alpha, params={"after": feed["next"]}
            ).json()["items"],
            [],
        )
        # The obligations come again in the members' feed, in their new state.
        states = {
            o["invoice"]: (o["state"], o["amount_open"])
            for o in self.call("GET", "/obligations", self.key_beta).json()["items"]
        }
        self.assertEqual(
            states, {"FAC/B/1": ("partly_cleared", "20.00"), "FAC/C/1": ("cleared", "0.00")}
        )
        # A cleared invoice is closed; a partly cleared one takes its new open amount.
        self.assert_problem(
            self.declare(self.gamma, "FAC/C/1", self.gamma, self.beta, "80.00"),
            409,
            "obligation_cleared",
        )
        self.assertEqual(
            self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "20.00").json()["state"],
            "partly_cleared",
        )

    def test_liquidity_clears_more_and_the_ledger_moves_by_what_the_run_said(self):
        self.run.action_simulate()
        self.run.action_confirm_with()
        run = self.run
        self.assertEqual((run.state, run.with_liquidity), ("confirmed", True))
        self.assertEqual(
            [(o.state, o.amount_cleared) for o in (self.ab, self.bc, self.ca)],
            [("cleared", 100.0), ("cleared", 80.0), ("cleared", 120.0)],
        )
        self.assertEqual(self.unconfirmed.state, "declared")
        self.assertEqual(self.balances(), (20.0, 20.0, -40.0, 0.0))
        self.assertEqual(self.network_sum(), 0)
        for partner in (self.alpha, self.beta, self.gamma):
            self.assertEqual(self.member(run, partner).mlml_transfer, partner.mlml_ledger_balance)
        self.assertEqual(
            sorted((t.payer_id.name, t.payee_id.name, t.amount) for t in run.transfer_ids),
            [
                ("Gamma Conseil", "Alpha Nettoyage", 20.0),
                ("Gamma Conseil", "Beta Imprimerie", 20.0),
            ],
        )
        self.assertEqual(set(run.transfer_ids.mapped("channel")), {"compensation"})
        self.assertEqual(set(run.transfer_ids.mapped("reference")), {run.name})
        gamma = self.call("GET", "/compensations", self.key_gamma).json()["items"][0]
        self.assertEqual((gamma["mlml_amount"], gamma["amount_cleared"]), ("-40.00", "200.00"))
        self.assertEqual(
            sorted(
                (t["number"], t["amount"], t["direction"], t["channel"]) for t in gamma["transfers"]
            ),
            sorted((t.name, "20.00", "out", "compensation") for t in run.transfer_ids),
        )
        self.assertIn("MLML transfers of the liquidity part", self.gamma.message_ids[0].body)

    def test_the_members_notes_read_as_the_sanitizer_stores_them(self):
        # A name the HTML of a note must escape, in Alpha's note on its invoice to Gamma.
        self.gamma.name = 'Gamma & <Fils> l\'atelier "Nord"'
        self.run.action_simulate()
        self.run.action_confirm_with()
        Message = self.env["mail.message"]
        body = Message._fields["body"]
        for partner in (self.alpha, self.beta, self.gamma):
            message = partner.message_ids[0]
            self.assertEqual(message.body, body.convert_to_cache(message.body, message))
        self.assertIn(
            'Your invoice FAC/A/1 to Gamma &amp; &lt;Fils&gt; l\'atelier "Nord": ',
            self.alpha.message_ids[0].body,
        )
        # What the sanitizer reads otherwise (a signature, a line break, a control
        # character) goes through it.
        for texts in (["--", "Signature"], ["Deux\nlignes"], ["Nom\x01"], [" Espace"]):
            self.assertIsNone(note_html(texts))
            self.run._log_notes(self.beta, {self.beta.id: texts})
            self.assertEqual(
                self.beta.message_ids[0].body,
                body.convert_to_cache(Markup("<br/>").join(texts), Message),
            )

    def test_a_bound_that_refuses_now_confirms_nothing(self):
        self.run.action_simulate()
        # Since the simulation, Beta received so much that 20.00 more pass its ceiling.
        self.book(self.gamma, self.beta, 1490)
        count = self.ledger_count()
        with self.assert_refused(UserError, "simulate compensation") as caught:
            self.run.action_confirm_with()
        self.assertIn("from Gamma Conseil to Beta Imprimerie is refused now", str(caught.exception))
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.run.state, "simulated")
        self.assertEqual(
            [(o.state, o.amount_cleared) for o in (self.ab, self.bc, self.ca)],
            [("confirmed", 0.0)] * 3,
        )
        self.assertEqual(self.balances(), (0.0, 1490.0, -1490.0, 0.0))
        # Simulated again: Beta may only receive 10.00, less is cleared.
        self.run.action_simulate()
        self.assertEqual(self.member(self.run, self.beta).can_receive, 10.0)
        # Alpha takes the MLML Beta cannot: FAC/B/1 clears 90.00 only, the rest in full.
        self.assertEqual(self.run.cleared_with, 290.0)
        self.assertEqual(self.line(self.run, self.ab).cleared_with, 90.0)
        self.run.action_confirm_with()
        self.assertEqual(self.balances(), (30.0, 1500.0, -1530.0, 0.0))
        self.assertEqual(self.network_sum(), 0)

    def test_confirm_twice_refused_and_a_confirmed_run_never_changes(self):
        user = self.create_user("cmp_user", "base.group_user,mlml_barter.group_mlml_clearing_staff")
        self.run.with_user(user).action_simulate()
        with self.assert_refused(UserError, "come from its simulation"):
            self.run.with_user(user).write({"cleared_with": 1000.0, "state": "simulated"})
        with self.assert_refused(AccessError, "Only the clearing house's MLML managers confirm"):
            self.run.with_user(user).action_confirm_without()
        self.run.action_confirm_without()
        with self.assert_refused(UserError, f"Compensation {self.run.name} is already confirmed"):
            self.run.action_confirm_with()
        self.assertEqual(self.ab.amount_cleared, 80.0)
        message = "a confirmed run is never changed nor deleted"
        with self.assert_refused(UserError, message):
            self.run.write({"cutoff_date": "2027-01-31"})
        with self.assert_refused(UserError, message):
            self.run.action_simulate()
        with self.assert_refused(UserError, message):
            self.run.line_ids[0].write({"amount_cleared": 1.0})
        with self.assert_refused(UserError, message):
            self.run.unlink()
        self.assertEqual(str(self.run.cutoff_date), "2026-12-31")
        self.assertEqual(self.run.line_ids[0].amount_cleared, 80.0)

    def test_a_changed_or_withdrawn_obligation_leaves_the_draft_run(self):
        self.run.action_simulate()
        # The invoice was partly paid: its creditor declares what is still open.
        self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "90.00")
        self.assertEqual(self.run.state, "draft")
        line = self.line(self.run, self.ab)
        self.assertEqual(line.status, "withdrawn")
        self.assertIn("Beta Imprimerie declared other figures for invoice FAC/B/1", line.reason)
        with self.assert_refused(UserError, "Simulate compensation"):
            self.run.action_confirm_without()
        self.assertEqual(self.bc.amount_cleared, 0.0)
        # Simulated again, the changed invoice is not counted until the debtor agrees.
        self.run.action_simulate()
        self.assertEqual((self.run.obligation_count, self.run.cleared_without), (2, 0.0))
        self.assertIn("Not confirmed by the debtor", self.line(self.run, self.ab).reason)
        # A manager withdraws an obligation with a reason.
        self.declare(self.alpha, "FAC/B/1", self.beta, self.alpha, "90.00")
        self.run.action_simulate()
        self.assertEqual(self.run.cleared_without, 240.0)
        with self.assert_refused(UserError, "Say why invoice FAC/C/1 is withdrawn"):
            self.bc.action_withdraw()
        self.bc.withdrawal_reason = "Litige sur la livraison"
        self.bc.action_withdraw()
        self.assertEqual((self.bc.state, self.run.state), ("withdrawn", "draft"))
        self.assertIn("Litige sur la livraison", self.line(self.run, self.bc).reason)
        self.run.action_simulate()
        self.assertEqual((self.run.obligation_count, self.run.cleared_without), (2, 0.0))
        withdrawn = self.call("GET", "/obligations", self.key_gamma).json()["items"]
        self.assertIn(
            ("FAC/C/1", "withdrawn", "Litige sur la livraison"),
            [(o["invoice"], o["state"], o["withdrawal_reason"]) for o in withdrawn],
        )

    def test_an_obligation_changed_after_the_simulation_is_not_confirmed(self):
        self.run.action_simulate()
        other = self.env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})
        other.action_simulate()
        other.action_confirm_without()
        with self.assert_refused(UserError, "changed since compensation") as caught:
            self.run.action_confirm_without()
        self.assertIn("simulate again", str(caught.exception))
        self.assertEqual(self.ab.amount_cleared, 80.0)

    def test_a_member_gone_after_the_simulation_is_not_confirmed(self):
        self.run.action_simulate()
        self.gamma.action_mlml_resign()
        with self.assert_refused(UserError, "changed since compensation") as caught:
            self.run.action_confirm_with()
        self.assertIn("is no longer a member of the network", str(caught.exception))
        self.assertIn("simulate again", str(caught.exception))
        self.assertEqual(self.run.state, "simulated")
        self.assertEqual((self.ab.amount_cleared, self.bc.state), (0.0, "confirmed"))
        self.assertFalse(self.run.transfer_ids)

    def test_cut_off_and_missing_solver(self):
        self.run.cutoff_date = "2026-12-30"
        self.run.action_simulate()
        self.assertEqual((self.run.obligation_count, self.run.total_debt), (0, 0.0))

        def missing():
            raise solver.SolverMissing("No module named 'ortools'")

        with (
            patch.object(solver, "_load_solver", missing),
            self.assert_refused(UserError, "needs Google OR-Tools"),
        ):
            self.run.action_simulate()
