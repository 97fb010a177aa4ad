from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import MlmlBarterCommon


class MlmlPaymentCommon(MlmlBarterCommon):
    @classmethod
    @MlmlBarterCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        cls.journal = company.mlml_journal_id
        cls.barter_account = cls.journal.default_account_id
        company.partner_id.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": "MLML-0001",
                "mlml_charter_date": "2025-12-01",
            }
        )
        company.partner_id.action_mlml_activate()
        cls.company_line = cls.create_line(
            company.partner_id, "approved", limit=1000.0, ceiling=2000.0
        )
        cls.member = cls.create_member("Imprimerie Lilloise", number="MLML-0401")

    @classmethod
    def pay(cls, amount, payment_type="outbound", partner=None, journal=None, post=True):
        payment = cls.env["account.payment"].create(
            {
                "company_id": cls.env.company.id,
                "payment_type": payment_type,
                "partner_type": "supplier" if payment_type == "outbound" else "customer",
                "partner_id": (partner or cls.member).id,
                "amount": amount,
                "journal_id": (journal or cls.journal).id,
            }
        )
        if post:
            payment.action_post()
        return payment

    def assert_balance(self, balance):
        company = self.env.company
        company.invalidate_recordset()
        self.assertEqual(company.mlml_balance, balance)
        ledger = self.env["mlml.balance"]._ledger_balances(company).get(company, 0.0)
        self.assertEqual(ledger, balance, "the maintained balance is the ledger's")


@tagged("post_install", "-at_install")
class TestMlmlPayment(MlmlPaymentCommon):
    def test_barter_journal_pays_by_mlml_transfer_on_its_own_account(self):
        lines = self.journal.inbound_payment_method_line_ids + (
            self.journal.outbound_payment_method_line_ids
        )
        self.assertEqual(set(lines.mapped("code")), {"mlml"})
        self.assertEqual(lines.payment_account_id, self.barter_account)
        euro_bank = self.company_data["default_journal_bank"]
        self.assertNotIn(
            "mlml",
            (
                euro_bank.inbound_payment_method_line_ids
                + euro_bank.outbound_payment_method_line_ids
            ).mapped("code"),
        )

    def test_the_network_example_with_numbers(self):
        company = self.env.company
        payment = self.pay(800.0)
        self.assert_balance(-800.0)
        self.assertEqual(company.mlml_available_credit, 200.0)
        self.assertEqual(company.mlml_ceiling_room, 2800.0)
        self.assertRecordValues(payment, [{"state": "paid", "is_matched": True}])
        barter_line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == self.barter_account
        )
        self.assertRecordValues(
            barter_line,
            [{"currency_id": self.mlml.id, "amount_currency": -800.0, "balance": -800.0}],
        )

        refused = self.pay(300.0, post=False)
        with self.assert_refused(
            UserError,
            "Barter balance -800.00\N{NO-BREAK SPACE}MLML; payment 300.00\N{NO-BREAK SPACE}MLML; "
            "credit line 1,000.00\N{NO-BREAK SPACE}MLML: 100.00\N{NO-BREAK SPACE}MLML short.",
        ):
            refused.action_post()
        self.assertEqual(refused.state, "draft")
        self.assert_balance(-800.0)

        self.pay(2500.0, "inbound")
        self.assert_balance(1700.0)
        with self.assert_refused(
            UserError,
            "Barter balance 1,700.00\N{NO-BREAK SPACE}MLML; receipt 500.00\N{NO-BREAK SPACE}MLML; "
            "ceiling 2,000.00\N{NO-BREAK SPACE}MLML: 200.00\N{NO-BREAK SPACE}MLML over.",
        ):
            self.pay(500.0, "inbound")
        self.assert_balance(1700.0)

    def test_warn_mode_posts_and_warns_the_managers(self):
        self.env.company.mlml_limit_mode = "warn"
        self.pay(800.0)
        payment = self.pay(300.0)
        self.assertEqual(payment.state, "paid")
        self.assert_balance(-1100.0)
        move = payment.move_id
        self.assertIn("Warning: this entry takes the barter balance past", move.message_ids[0].body)
        self.assertIn("100.00&nbsp;MLML short", move.message_ids[0].body)
        bounds = self.env.ref("mlml_barter.mail_activity_type_mlml_bounds")
        self.assertEqual(move.activity_ids.activity_type_id, bounds)
        self.assertIn(self.env.user, move.activity_ids.user_id)

    def test_a_manager_forces_one_refused_entry(self):
        self.pay(800.0)
        payment = self.pay(300.0, post=False)
        wizard = (
            self.env["mlml.bounds.override"]
            .with_context(active_model="account.payment", active_ids=payment.ids)
            .create({"reason": "Accord de la chambre de compensation du 27/11"})
        )
        wizard.action_confirm()
        self.assertEqual(payment.state, "paid")
        self.assert_balance(-1100.0)
        body = payment.move_id.message_ids[0].body
        self.assertIn(f"Barter bounds forced by {self.env.user.name}", body)
        self.assertIn("Accord de la chambre de compensation du 27/11", body)
        # The override was for that entry only.
        with self.assert_refused(UserError, "MLML short"):
            self.pay(1.0)

    def test_billing_user_cannot_force(self):
        billing = self.create_user("mlml_billing_pay", "account.group_account_invoice")
        payment = self.pay(1200.0, post=False)
        wizard = (
            self.env["mlml.bounds.override"]
            .with_context(active_model="account.payment", active_ids=payment.ids)
            .create({"reason": "Je force"})
        )
        with self.assertRaises(Exception):  # noqa: B017 - no access to the wizard at all
            wizard.with_user(billing).action_confirm()
        self.assertEqual(payment.state, "draft")

    def test_cancelling_a_receipt_that_would_cross_the_bound_is_refused(self):
        receipt = self.pay(500.0, "inbound")
        self.pay(1400.0)
        self.assert_balance(-900.0)
        with self.assert_refused(
            UserError,
            "Barter balance -900.00\N{NO-BREAK SPACE}MLML; cancellation 500.00\N{NO-BREAK SPACE}"
            "MLML; credit line 1,000.00\N{NO-BREAK SPACE}MLML: 400.00\N{NO-BREAK SPACE}MLML short.",
        ):
            receipt.action_draft()
        self.assertEqual(receipt.state, "paid")
        self.assert_balance(-900.0)
        # Cancelling a payment instead gives the credit back.
        self.pay(50.0).action_draft()
        self.assert_balance(-900.0)

    def test_reversal_and_manual_entries_are_checked_too(self):
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": fields.Date.today(),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.barter_account.id,
                            "currency_id": self.mlml.id,
                            "amount_currency": 600.0,
                            "balance": 600.0,
                            "partner_id": self.member.id,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_revenue"].id,
                            "balance": -600.0,
                        }
                    ),
                ],
            }
        )
        entry.action_post()
        self.assert_balance(600.0)
        self.pay(1500.0)
        self.assert_balance(-900.0)
        reversal = entry._reverse_moves(cancel=False)
        with self.assert_refused(
            UserError,
            "credit line 1,000.00\N{NO-BREAK SPACE}MLML: 500.00\N{NO-BREAK SPACE}MLML short.",
        ):
            reversal.action_post()
        self.assert_balance(-900.0)

    def test_no_exchange_difference_on_a_bill_paid_in_mlml(self):
        self.member.mlml_acceptance_rate = 80.0  # 400 of the 500 HT
        bill = self.init_invoice(
            "in_invoice", partner=self.member, amounts=[500.0], taxes=self.tax_purchase_a, post=True
        )
        self.assertEqual(bill.amount_total, 600.0)
        self.assertEqual(bill.mlml_amount, 400.0)
        wizard = Form(
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=bill.ids
            )
        )
        wizard.journal_id = self.journal
        wizard.amount = 400.0
        payment = wizard.save()._create_payments()
        self.assertEqual(payment.currency_id, self.mlml)
        self.assertEqual(bill.amount_residual, 200.0)
        self.assertEqual(bill.payment_state, "partial")
        partials = bill.line_ids.matched_debit_ids
        self.assertEqual(partials.mapped("amount"), [400.0])
        self.assertFalse(partials.exchange_move_id)
        exchange_journal = self.env.company.currency_exchange_journal_id
        self.assertFalse(
            self.env["account.move"].search_count([("journal_id", "=", exchange_journal.id)])
        )
        self.assert_balance(-400.0)

    def test_dashboard_card_shows_the_bounds(self):
        self.pay(800.0)
        data = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertTrue(data["mlml_is_barter"])
        self.assertEqual(data["mlml_balance"], self.mlml.format(-800.0))
        self.assertEqual(data["mlml_credit_limit"], self.mlml.format(1000.0))
        self.assertEqual(data["mlml_available_credit"], self.mlml.format(200.0))
        self.assertEqual(data["mlml_ceiling_room"], self.mlml.format(2800.0))


@tagged("post_install", "-at_install")
class TestMlmlPaymentRefused(MlmlPaymentCommon):
    def test_only_active_members(self):
        cases = {
            "not a member": self.partner_a,
            "candidate": self.create_member("Candidat MLML", state="candidate"),
            "suspended": self.create_member("Suspendu MLML", state="suspended", number="S-1"),
            "resigned": self.create_member("Parti MLML", state="resigned"),
        }
        for label, partner in cases.items():
            with (
                self.subTest(label),
                self.assert_refused(ValidationError, "is not an active member of the network"),
            ):
                self.pay(10.0, partner=partner)
        self.assertFalse(self.env["account.payment"].search([("journal_id", "=", self.journal.id)]))

    def test_the_company_must_be_an_active_member(self):
        self.env.company.partner_id.action_mlml_suspend("Unpaid membership fee")
        with self.assert_refused(ValidationError, "is not an active member of the network"):
            self.pay(10.0)

    def test_amount_zero(self):
        # A negative amount is refused by Odoo itself (a check on the table).
        with self.assert_refused(ValidationError, "An MLML payment moves a positive amount"):
            self.pay(0.0)

    def test_barter_currency_in_a_euro_journal(self):
        euro_bank = self.company_data["default_journal_bank"]
        with self.assert_refused(ValidationError, "goes through the barter journal"):
            self.env["account.payment"].create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.member.id,
                    "amount": 10.0,
                    "journal_id": euro_bank.id,
                    "currency_id": self.mlml.id,
                }
            )

    def test_posted_mlml_payment_is_not_deleted(self):
        payment = self.pay(10.0)
        with self.assert_refused(UserError, "it stays in the books"):
            payment.unlink()

    def test_journal_of_another_company(self):
        other = self.setup_other_company(name="Autre société MLML")["company"]
        with self.assert_refused(ValidationError, "pays through its own barter journal"):
            self.pay(10.0, journal=other.mlml_journal_id)

    def test_barter_journal_keeps_its_currency_once_used(self):
        self.pay(10.0)
        with self.assert_refused(UserError, "its currency can no longer change"):
            self.journal.currency_id = self.env.company.currency_id
