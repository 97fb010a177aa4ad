import unittest

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import solver_missing
from .test_clearing_obligations_api import ObligationsApiCommon


@tagged("post_install", "-at_install")
class TestCompensationAcceptance(ObligationsApiCommon):
    """Beta accepts 40 % in MLML: its invoice of 1,200.00 to Alpha (400.00 MLML +
    800.00 €) had its MLML part paid, 800.00 is open and none of it in MLML. Beta owes
    Gamma 560.00 and Gamma owes Alpha 560.00: the loop sets off 560.00; Alpha's MLML
    could pay the other 240.00, but not to Beta, which accepts no more MLML on it."""

    @classmethod
    def setUpClass(cls):
        if solver_missing():
            raise unittest.SkipTest(solver_missing())
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.ab = self.declare_both("FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="0.00")
        self.bc = self.declare_both("FAC/C/1", self.gamma, self.beta, "560.00")
        self.ca = self.declare_both("FAC/A/1", self.alpha, self.gamma, "560.00")
        self.run = self.env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})

    def declare_both(self, invoice, creditor, debtor, amount, mlml_open=None):
        extra = {} if mlml_open is None else {"mlml_open": mlml_open}
        first = self.declare(creditor, invoice, creditor, debtor, amount, **extra)
        self.assertEqual(first.status_code, 201, first.text)
        second = self.declare(debtor, invoice, creditor, debtor, amount)
        self.assertEqual(second.json()["state"], "confirmed")
        return self.Obligation.browse(second.json()["id"])

    def member(self, partner):
        return self.run.member_ids.filtered(lambda m: m.partner_id == partner)

    def line(self, obligation):
        return self.run.line_ids.filtered(lambda line: line.obligation_id == obligation)

    def figures(self, partner):
        member = self.member(partner)
        return (
            member.mlml_pays,
            member.mlml_receives,
            member.mlml_accepted,
            member.receive_cap,
            member.receive_cap_by,
        )

    def test_a_member_receives_no_more_mlml_than_its_invoices_mlml_parts(self):
        self.assertEqual((self.ab.mlml_declared, self.ab.mlml_open), (True, 0.0))
        self.assertFalse(self.bc.mlml_declared)
        self.run.action_simulate()
        # Beta receives nothing: the 240.00 left on its invoice stays due.
        self.assertEqual((self.run.cleared_without, self.run.cleared_with), (1680.0, 1680.0))
        self.assertEqual(self.line(self.ab).cleared_with, 560.0)
        self.assertEqual(self.figures(self.beta), (0.0, 0.0, 0.0, 0.0, "acceptance"))
        self.assertEqual(self.figures(self.alpha), (0.0, 0.0, 560.0, 560.0, "acceptance"))
        # Beta declares that it still accepts 100.00 in MLML on it (the same figures
        # otherwise): a run simulated before cannot be confirmed.
        again = self.declare(
            self.beta, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="100.00"
        )
        self.assertEqual((again.status_code, again.json()["mlml_open"]), (200, "100.00"))
        self.assertEqual(again.json()["state"], "confirmed")
        count = self.ledger_count()
        with self.assert_refused(UserError, "The MLML part Beta Imprimerie accepts on invoice"):
            self.run.action_confirm_with()
        self.assertEqual(self.ledger_count(), count)
        self.run.action_simulate()
        self.assertEqual(self.run.cleared_with, 1780.0)
        self.assertEqual(self.figures(self.beta), (0.0, 100.0, 100.0, 100.0, "acceptance"))
        self.assertEqual(self.figures(self.alpha), (100.0, 0.0, 560.0, 560.0, "acceptance"))
        line = self.line(self.ab)
        self.assertEqual(
            (line.mlml_accepted, line.cleared_with, line.received_with, line.paid_with),
            (100.0, 660.0, 100.0, 100.0),
        )
        self.run.action_confirm_with()
        self.assertEqual(self.balances(), (-100.0, 100.0, 0.0, 0.0))
        self.assertEqual((self.ab.amount_open, self.ab.mlml_open), (140.0, 0.0))
        # Per invoice, what was set off and what was paid in MLML.
        beta = self.call("GET", "/compensations", self.key_beta).json()["items"][0]
        self.assertEqual(
            sorted(
                (i["invoice"], i["role"], i["amount_cleared"], i["amount_mlml"])
                for i in beta["invoices"]
            ),
            [("FAC/B/1", "creditor", "660.00", "100.00"), ("FAC/C/1", "debtor", "560.00", "0.00")],
        )
        alpha = self.call("GET", "/compensations", self.key_alpha).json()["items"][0]
        self.assertIn(
            ("FAC/B/1", "debtor", "100.00"),
            [(i["invoice"], i["role"], i["amount_mlml"]) for i in alpha["invoices"]],
        )
        message = str(self.beta.message_ids[0].body).replace("&nbsp;", " ")
        self.assertRegex(
            message,
            r"Your invoice FAC/B/1 to Alpha Nettoyage: 560\.00 € set off, 100\.00 MLML "
            r"received on your MLML account\.",
        )
        self.assertRegex(
            message, r"Your bill FAC/C/1 of Gamma Conseil: 560\.00 € set off, 0\.00 MLML paid "
        )
        self.assertRegex(
            str(self.alpha.message_ids[0].body).replace("&nbsp;", " "),
            r"Your bill FAC/B/1 of Beta Imprimerie: 560\.00 € set off, 100\.00 MLML paid "
            r"from your MLML account\.",
        )

    def test_a_member_that_accepts_nothing_receives_nothing(self):
        # Without the MLML part declared, as before: Alpha's MLML pays Beta the 240.00.
        self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00")
        self.run.action_simulate()
        self.assertEqual((self.run.cleared_with, self.run.mlml_moved), (1920.0, 240.0))
        self.assertEqual(self.figures(self.beta), (0.0, 240.0, 800.0, 800.0, "acceptance"))
        for obligation in (self.ab, self.bc, self.ca):
            self.declare(
                obligation.creditor_id,
                obligation.name,
                obligation.creditor_id,
                obligation.debtor_id,
                "800.00" if obligation == self.ab else "560.00",
                mlml_open="0.00",
            )
        self.run.action_simulate()
        self.assertEqual(self.run.cleared_with, self.run.cleared_without)
        self.assertEqual(self.run.mlml_moved, 0.0)
        for partner in (self.alpha, self.beta, self.gamma):
            self.assertEqual(self.figures(partner), (0.0, 0.0, 0.0, 0.0, "acceptance"))
        count = self.ledger_count()
        self.run.action_confirm_with()
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.balances(), (0.0, 0.0, 0.0, 0.0))

    def test_the_ceiling_bounds_below_the_parts_accepted(self):
        self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="240.00")
        # Beta received so much since that only 10.00 more fit below its ceiling.
        self.book(self.gamma, self.beta, 1490)
        self.run.action_simulate()
        member = self.member(self.beta)
        self.assertEqual(self.figures(self.beta), (0.0, 10.0, 240.0, 10.0, "ceiling"))
        self.assertEqual((member.can_receive, member.no_ceiling), (10.0, False))
        self.assertEqual(self.line(self.ab).received_with, 10.0)
        self.run.action_confirm_without()
        self.assertIn(
            "Your invoice FAC/B/1 to Alpha Nettoyage: 560.00 € set off.<br>",
            str(self.beta.message_ids[0].body).replace("&nbsp;", " "),
        )

    def test_the_mlml_part_is_the_creditors_and_read_as_declared(self):
        # Absent: not declared, as before (null in the API).
        listed = self.call("GET", "/obligations", self.key_gamma).json()["items"]
        self.assertIn(("FAC/C/1", None), [(o["invoice"], o["mlml_open"]) for o in listed])
        # The debtor's figure is not read.
        answer = self.declare(
            self.alpha, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="800.00"
        )
        self.assertEqual((answer.status_code, answer.json()["mlml_open"]), (200, "0.00"))
        self.assert_problem(
            self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="800.01"),
            400,
            "mlml_open_above_amount",
            "more than what is open on it",
        )
        self.assert_problem(
            self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open="-1"),
            400,
            "amount_not_positive",
        )
        self.assert_problem(
            self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00", mlml_open=5),
            400,
            "amount_not_a_string",
        )
        self.assertEqual((self.ab.mlml_declared, self.ab.mlml_open), (True, 0.0))
        # A declaration of the creditor without it: not declared any more.
        self.declare(self.beta, "FAC/B/1", self.beta, self.alpha, "800.00")
        self.assertFalse(self.ab.mlml_declared)
