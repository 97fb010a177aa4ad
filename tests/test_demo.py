import unittest

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import html2plaintext


def _words(text):
    """The text as a reader sees it: spaces of any kind count as one."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


@tagged("post_install", "-at_install")
class TestMlmlDemo(TransactionCase):
    """The figures a new user sees on the demo database.

    The demo is data of the demo company (base.main_company), not of a test
    company: these tests read it as it was installed, so they run only where
    the add-on was installed with its demo data.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        refused = "mlml_barter.account_payment_mlml_demo_refused"
        if not cls.env.ref(refused, raise_if_not_found=False):
            raise unittest.SkipTest("mlml_barter was installed without its demo data")
        cls.company = cls.env.ref("base.main_company")
        cls.journal = cls.company.mlml_journal_id

    def demo(self, name):
        return self.env.ref(f"mlml_barter.{name}")

    def test_the_balance_is_the_sum_of_the_posted_mlml_payments(self):
        payments = self.env["account.payment"].search(
            [("journal_id", "=", self.journal.id), ("state", "!=", "draft")]
        )
        self.assertEqual(len(payments), 4)
        self.assertEqual(set(payments.mapped("payment_type")), {"inbound", "outbound"})
        signed = sum(
            payment.amount if payment.payment_type == "inbound" else -payment.amount
            for payment in payments
        )
        # Received 600 + 1,500, paid 360 + 500.
        self.assertEqual(signed, 1240.0)
        self.assertEqual(self.company.mlml_balance, 1240.0)
        self.assertEqual(self.company.mlml_available_credit, 6240.0)
        self.assertEqual(self.company.mlml_ceiling_room, 8760.0)
        ledger = self.env["mlml.balance"]._ledger_balances(self.company)[self.company]
        self.assertEqual(ledger, 1240.0)
        card = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertEqual(card["mlml_balance"], self.journal.currency_id.format(1240.0))

    def test_invoices_with_an_open_mlml_part_a_cap_and_an_excluded_product(self):
        formaction = self.demo("account_move_mlml_invoice_formaction")
        # 50 % of the brochures (1,200); the shipping costs (150) are paid in euros.
        self.assertRecordValues(
            formaction,
            [
                {
                    "state": "posted",
                    "mlml_share": 50.0,
                    "mlml_eligible_amount": 1200.0,
                    "amount_untaxed": 1350.0,
                    "mlml_amount": 600.0,
                    "mlml_residual": 600.0,
                    "mlml_cash_residual": 0.0,
                    "payment_state": "partial",
                }
            ],
        )
        hennebique = self.demo("account_move_mlml_invoice_hennebique")
        # 30 % of 8,000 would be 2,400: the cap per invoice keeps it at 1,500.
        self.assertEqual(self.company.mlml_invoice_cap, 1500.0)
        self.assertRecordValues(
            hennebique,
            [
                {
                    "mlml_share": 30.0,
                    "mlml_eligible_amount": 8000.0,
                    "mlml_amount": 1500.0,
                    "mlml_paid": 1500.0,
                    "mlml_residual": 0.0,
                }
            ],
        )
        shares = self.env["account.move"].search(
            [("company_id", "=", self.company.id), ("mlml_amount", "!=", 0.0)]
        )
        self.assertGreaterEqual(len(set(shares.mapped("mlml_share"))), 3)
        self.assertEqual(
            set(shares.filtered(lambda m: m.state == "posted").mapped("move_type")),
            {"out_invoice", "out_refund", "in_invoice"},
        )

    def test_a_credit_note_with_its_share(self):
        refund = self.demo("account_move_mlml_refund_beffroi")
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": self.demo("account_move_mlml_invoice_beffroi").id,
                    "mlml_share": 30.0,
                    "mlml_amount": 150.0,
                    "mlml_residual": 150.0,
                }
            ],
        )

    def test_the_refused_payment_stays_in_draft_and_says_why(self):
        refused = self.demo("account_payment_mlml_demo_refused")
        self.assertRecordValues(
            refused,
            [{"state": "draft", "amount": 7000.0, "payment_type": "outbound"}],
        )
        self.assertFalse(refused.move_id.posted_before)
        # The chatter holds what the check says, in the company's language.
        lang = self.company.partner_id.lang or "en_US"
        with self.assertRaises(UserError) as caught:
            refused.with_context(lang=lang).action_post()
        reason = _words(caught.exception.args[0])
        self.assertIn("760", reason)
        notes = [_words(html2plaintext(message.body)) for message in refused.message_ids]
        self.assertTrue(
            any(reason in note for note in notes),
            f"no message in the chatter of {refused.display_name} says {reason!r}: {notes}",
        )
        self.assertEqual(refused.state, "draft")
        self.assertEqual(self.company.mlml_balance, 1240.0)

    def test_the_statement_of_the_last_months_has_the_movements(self):
        today = fields.Date.context_today(self.env.user)
        wizard = self.env["mlml.statement.wizard"].create(
            {
                "company_id": self.company.id,
                "date_from": today - relativedelta(months=6),
                "date_to": today,
            }
        )
        statement = wizard._mlml_statement()
        self.assertEqual(
            [float(row.amount) for row in statement.rows], [600.0, -360.0, 1500.0, -500.0]
        )
        self.assertEqual(float(statement.opening), 0.0)
        self.assertEqual(float(statement.closing), 1240.0)
        self.assertIn(
            self.demo("account_move_mlml_invoice_beffroi").name, statement.rows[0].invoice
        )
