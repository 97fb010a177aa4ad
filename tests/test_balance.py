from odoo import Command
from odoo.tests import tagged

from .test_payment import MlmlPaymentCommon


@tagged("post_install", "-at_install")
class TestMlmlFreshFigures(MlmlPaymentCommon):
    """A script that pays and then reads the figures gets the new ones at once."""

    def assert_figures(self, balance, available, room):
        company = self.env.company
        self.assertRecordValues(
            company,
            [
                {
                    "mlml_balance": balance,
                    "mlml_available_credit": available,
                    "mlml_ceiling_room": room,
                }
            ],
        )

    def test_payment_posted_then_cancelled(self):
        self.assert_figures(0.0, 1000.0, 2000.0)  # read once: the figures are cached
        payment = self.pay(300.0)
        self.assert_figures(-300.0, 700.0, 2300.0)
        received = self.pay(500.0, payment_type="inbound")
        self.assert_figures(200.0, 1200.0, 1800.0)
        payment.action_draft()
        payment.action_cancel()
        self.assertEqual(payment.state, "canceled")
        self.assert_figures(500.0, 1500.0, 1500.0)
        received.move_id.button_draft()
        self.assert_figures(0.0, 1000.0, 2000.0)

    def test_manual_entry_and_its_reversal(self):
        self.assert_figures(0.0, 1000.0, 2000.0)
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Cotisation MLML",
                            "account_id": self.barter_account.id,
                            "currency_id": self.mlml.id,
                            "amount_currency": -120.0,
                            "balance": -120.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Cotisation MLML",
                            "account_id": self.company_data["default_account_expense"].id,
                            "balance": 120.0,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        self.assert_figures(-120.0, 880.0, 2120.0)
        # A bill reading the available credit reads the new figure too.
        bill = self.init_invoice("in_invoice", partner=self.member, amounts=[100.0])
        self.assertEqual(bill.mlml_available_credit, 880.0)
        entry._reverse_moves(cancel=True)
        self.assert_figures(0.0, 1000.0, 2000.0)
        self.assertEqual(bill.mlml_available_credit, 1000.0)

    def test_credit_line_change_moves_the_available_credit(self):
        self.pay(300.0)
        self.assert_figures(-300.0, 700.0, 2300.0)
        self.create_line(self.env.company.partner_id, "approved", limit=1500.0, ceiling=0.0)
        self.assert_figures(-300.0, 1200.0, 0.0)
        self.company_line.invalidate_recordset()
        self.assertEqual(self.company_line.state, "closed")
