from odoo.tests import tagged

from odoo.addons.mlml_barter.models.clearing_house.mlml_transfer import MlmlRefusal

from .test_clearing_ledger import ClearingHouseCommon


@tagged("post_install", "-at_install")
class TestClearingPaymentRequest(ClearingHouseCommon):
    def ask(self, payer, payee, amount, **values):
        return self.env["mlml.payment.request"].create(
            {"payer_id": payer.id, "payee_id": payee.id, "amount": amount, **values}
        )

    def test_accepting_makes_the_transfer_once(self):
        request = self.ask(self.alpha, self.beta, 120.0, reference="FAC/2026/0042")
        self.assertEqual(request.state, "open")
        transfer = request.action_accept()
        self.assertEqual(request.state, "accepted")
        self.assertEqual(request.transfer_id, transfer)
        self.assertEqual(transfer.payer_id, self.alpha)
        self.assertEqual(transfer.payee_id, self.beta)
        self.assertEqual(transfer.reference, "FAC/2026/0042")
        count = self.ledger_count()
        self.assertEqual(request.action_accept(), transfer)
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.balances(self.alpha, self.beta), (-120.0, 120.0))

    def test_accepting_is_checked_against_the_bounds(self):
        request = self.ask(self.beta, self.gamma, 600.0)
        with self.assert_refused(MlmlRefusal, "Beta Imprimerie cannot pay 600.00"):
            request.action_accept()
        self.assertEqual(request.state, "open")
        self.assertFalse(request.transfer_id)
        self.assertEqual(self.balances(self.beta), (0.0,))

    def test_refuse_with_a_reason_and_cancel(self):
        request = self.ask(self.alpha, self.beta, 50.0)
        with self.assert_refused(MlmlRefusal, "Say why"):
            request.action_refuse("  ")
        request.action_refuse("Déjà payée en euros")
        self.assertEqual(request.state, "refused")
        self.assertEqual(request.refusal_reason, "Déjà payée en euros")
        with self.assert_refused(MlmlRefusal, "is already refused: it can no longer be accepted"):
            request.action_accept()
        other = self.ask(self.alpha, self.beta, 60.0)
        other.action_cancel()
        self.assertEqual(other.state, "cancelled")
        with self.assert_refused(MlmlRefusal, "is already cancelled"):
            other.action_refuse("trop tard")
        self.assertEqual(self.balances(self.alpha, self.beta), (0.0, 0.0))

    def test_bad_requests_are_refused(self):
        Request = self.env["mlml.payment.request"]
        with self.assert_refused(MlmlRefusal, "cannot ask itself to pay"):
            self.ask(self.alpha, self.alpha, 10.0)
        with self.assert_refused(MlmlRefusal, "must ask more than zero"):
            self.ask(self.alpha, self.beta, 0.0)
        candidate = self.create_member("Candidat PR", state="candidate")
        with self.assert_refused(MlmlRefusal, "Candidat PR is not an active member"):
            self.ask(candidate, self.beta, 10.0)
        self.assertFalse(Request.search([("payee_id", "=", self.beta.id)]))

    def test_wizards_of_the_back_office(self):
        wizard = self.env["mlml.transfer.wizard"].create(
            {"payer_id": self.alpha.id, "payee_id": self.gamma.id, "amount": 35.0, "memo": "tél."}
        )
        action = wizard.action_confirm()
        transfer = self.Transfer.browse(action["res_id"])
        self.assertEqual(
            (transfer.amount, transfer.channel, transfer.memo), (35.0, "back_office", "tél.")
        )
        reverse = self.env["mlml.transfer.reverse"].create(
            {"transfer_id": transfer.id, "reason": "doublon"}
        )
        # Back on the transfer it came from, which now links its reversal.
        self.assertEqual(reverse.action_confirm(), {"type": "ir.actions.act_window_close"})
        self.assertEqual(transfer.state, "reversed")
        self.assertEqual(transfer.reversed_by_id.reversal_of_id, transfer)
        request = self.ask(self.alpha, self.beta, 5.0)
        self.env["mlml.transfer.reverse"].create(
            {"request_id": request.id, "reason": "pas commandé"}
        ).action_confirm()
        self.assertEqual(request.state, "refused")
        self.assertEqual(self.balances(self.alpha, self.gamma), (0.0, 0.0))
