from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .test_payment import MlmlPaymentCommon


class MlmlInvoiceCommon(MlmlPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.mlml_default_share = 50.0
        cls.tax_20 = cls.tax_sale_a  # 20 % on the French chart
        cls.bank = cls.company_data["default_journal_bank"]

    def invoice(self, amounts=(1000.0,), move_type="out_invoice", partner=None, post=True, **kw):
        return self.init_invoice(
            move_type,
            partner=partner or self.member,
            amounts=list(amounts),
            taxes=self.tax_20 if move_type.startswith("out") else self.tax_purchase_a,
            post=post,
            **kw,
        )

    def register(self, moves, journal, amount=None):
        wizard = Form(
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=moves.ids
            )
        )
        wizard.journal_id = journal
        proposed = wizard.amount
        if amount is not None:
            wizard.amount = amount
        return proposed, wizard.save()


@tagged("post_install", "-at_install")
class TestInvoiceShare(MlmlInvoiceCommon):
    def test_mixed_invoice_paid_in_both_parts(self):
        invoice = self.invoice()
        self.assertRecordValues(
            invoice,
            [
                {
                    "amount_untaxed": 1000.0,
                    "amount_total": 1200.0,
                    "mlml_share": 50.0,
                    "mlml_amount": 500.0,
                    "mlml_cash_amount": 700.0,
                    "mlml_residual": 500.0,
                    "mlml_cash_residual": 700.0,
                }
            ],
        )
        proposed, wizard = self.register(invoice, self.journal)
        self.assertEqual(proposed, 500.0)
        self.assertEqual(self.register(invoice, self.bank)[0], 700.0)
        wizard._create_payments()
        self.assertRecordValues(
            invoice,
            [{"payment_state": "partial", "mlml_residual": 0.0, "mlml_cash_residual": 700.0}],
        )
        self.assert_balance(500.0)
        proposed, wizard = self.register(invoice, self.bank)
        self.assertEqual(proposed, 700.0)
        wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.amount_residual, 0.0)
        exchange_journal = self.env.company.currency_exchange_journal_id
        self.assertFalse(
            self.env["account.move"].search_count([("journal_id", "=", exchange_journal.id)])
        )

    def test_the_whole_residual_stays_payable_in_cash(self):
        invoice = self.invoice()
        proposed, wizard = self.register(invoice, self.bank, amount=1200.0)
        self.assertEqual(proposed, 700.0)
        wizard._create_payments()
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(invoice.mlml_residual, 0.0)

    def test_credit_note_carries_the_share_and_is_refunded_in_mlml(self):
        invoice = self.invoice(amounts=[800.0])
        self.assertEqual(invoice.mlml_amount, 400.0)
        self.register(invoice, self.journal)[1]._create_payments()
        self.register(invoice, self.bank)[1]._create_payments()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Retour"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        self.assertRecordValues(credit_note, [{"mlml_share": 50.0, "mlml_amount": 400.0}])
        credit_note.action_post()
        proposed, wizard = self.register(credit_note, self.journal)
        self.assertEqual(proposed, 400.0)
        payment = wizard._create_payments()
        self.assertEqual(payment.payment_type, "outbound")
        self.assertEqual(credit_note.mlml_residual, 0.0)
        self.assertEqual(credit_note.mlml_cash_residual, 560.0)
        self.assert_balance(0.0)

    def test_partial_credit_note_takes_the_share_of_its_own_amount(self):
        invoice = self.invoice(amounts=[800.0])
        credit_note = invoice._reverse_moves()
        with Form(credit_note) as form, form.invoice_line_ids.edit(0) as line:
            line.price_unit = 300.0
        self.assertRecordValues(credit_note, [{"mlml_share": 50.0, "mlml_amount": 150.0}])

    def test_vendor_bill_takes_the_acceptance_rate_and_fits_the_credit_line(self):
        self.member.mlml_acceptance_rate = 30.0
        bill = self.invoice(move_type="in_invoice")
        self.assertRecordValues(
            bill, [{"mlml_share": 30.0, "mlml_amount": 300.0, "mlml_cash_amount": 900.0}]
        )
        self.assertEqual(bill.mlml_available_credit, 1000.0)
        proposed, wizard = self.register(bill, self.journal)
        self.assertEqual(proposed, 300.0)
        wizard._create_payments()
        self.assert_balance(-300.0)
        self.assertEqual(bill.mlml_residual, 0.0)

    def test_paying_a_bill_part_beyond_the_credit_line_is_refused(self):
        self.member.mlml_acceptance_rate = 100.0
        bill = self.invoice(amounts=[1500.0], move_type="in_invoice")
        _proposed, wizard = self.register(bill, self.journal)
        with self.assert_refused(UserError, "500.00\N{NO-BREAK SPACE}MLML short"):
            wizard._create_payments()
        self.assertEqual(bill.payment_state, "not_paid")

    def test_the_cap_per_invoice(self):
        self.env.company.mlml_invoice_cap = 300.0
        invoice = self.invoice(post=False)
        self.assertEqual(invoice.mlml_amount, 300.0)
        self.assertEqual(invoice.mlml_cash_amount, 900.0)
        with self.assert_refused(ValidationError, "above the company's cap per invoice"):
            invoice.mlml_amount = 400.0

    def test_an_excluded_product_is_not_eligible(self):
        disbursement = self._create_product(name="Débours", lst_price=200.0, mlml_excluded=True)
        invoice = self.invoice(post=False)
        invoice.write(
            {
                "invoice_line_ids": [
                    Command.create({"product_id": disbursement.id, "price_unit": 200.0})
                ]
            }
        )
        self.assertEqual(invoice.mlml_eligible_amount, 1000.0)
        self.assertEqual(invoice.mlml_amount, 500.0)
        self.assertEqual(invoice.mlml_cash_amount, invoice.amount_total - 500.0)

    def test_a_non_member_gets_no_share(self):
        invoice = self.invoice(partner=self.partner_a, post=False)
        self.assertEqual(invoice.mlml_share, 0.0)
        self.assertIn("is not an active member of the network", invoice.mlml_share_blocker)
        with self.assert_refused(ValidationError, "cannot have an MLML share"):
            invoice.mlml_share = 20.0

    def test_three_lines_of_33_33_at_33_percent(self):
        self.env.company.mlml_default_share = 33.0
        invoice = self.invoice(amounts=[33.33, 33.33, 33.33])
        self.assertEqual(invoice.amount_untaxed, 99.99)
        self.assertEqual(invoice.mlml_amount, 33.0)
        self.assertAlmostEqual(invoice.mlml_amount + invoice.mlml_cash_amount, invoice.amount_total)

    def test_the_amount_drives_the_share(self):
        invoice = self.invoice(post=False)
        invoice.mlml_amount = 250.0
        self.assertEqual(invoice.mlml_share, 25.0)
        self.assertEqual(invoice.mlml_cash_amount, 950.0)

    def test_bad_shares_and_amounts(self):
        invoice = self.invoice(post=False)
        for share in (-1.0, 100.5):
            with self.assert_refused(ValidationError, "must be between 0 and 100 %"):
                invoice.mlml_share = share
        with self.assert_refused(ValidationError, "is above its eligible untaxed amount"):
            invoice.mlml_amount = 1000.01
        with self.assert_refused(ValidationError, "cannot be negative"):
            invoice.mlml_amount = -1.0
        self.assertEqual(invoice.mlml_amount, 500.0)

    def test_no_share_on_a_foreign_currency_invoice(self):
        usd = self.setup_other_currency("USD")
        invoice = self.invoice(post=False, currency=usd)
        self.assertEqual(invoice.mlml_share, 0.0)
        with self.assert_refused(ValidationError, "only invoices in EUR have an MLML share"):
            invoice.mlml_share = 10.0

    def test_the_share_is_locked_once_paid_in_mlml(self):
        invoice = self.invoice()
        _proposed, wizard = self.register(invoice, self.journal, amount=200.0)
        wizard._create_payments()
        self.assertEqual(invoice.mlml_paid, 200.0)
        self.assertEqual(invoice.mlml_residual, 300.0)
        with self.assert_refused(UserError, "its MLML share no longer changes"):
            invoice.mlml_share = 10.0

    def test_an_mlml_payment_above_the_mlml_residual_is_refused(self):
        invoice = self.invoice()
        _proposed, wizard = self.register(invoice, self.journal, amount=600.0)
        with self.assert_refused(UserError, "is more than the MLML part left to pay"):
            wizard._create_payments()
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_an_mlml_payment_on_an_invoice_without_mlml_part_is_refused(self):
        self.env.company.mlml_default_share = 0.0
        invoice = self.invoice()
        _proposed, wizard = self.register(invoice, self.journal, amount=100.0)
        with self.assert_refused(UserError, "has no MLML part left to pay"):
            wizard._create_payments()

    def test_batch_of_invoices_keeps_mlml_and_cash_apart(self):
        other = self.create_member("Traiteur Lambersart", number="MLML-0402")
        invoices = self.invoice() + self.invoice(amounts=[400.0], partner=other)
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"journal_id": self.journal.id})
        )
        payments = wizard._create_payments()
        self.assertEqual(sorted(payments.mapped("amount")), [200.0, 500.0])
        self.assertEqual(payments.journal_id, self.journal)
        self.assertEqual(invoices.mapped("mlml_residual"), [0.0, 0.0])
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"journal_id": self.bank.id})
        )
        payments = wizard._create_payments()
        self.assertEqual(sorted(payments.mapped("amount")), [280.0, 700.0])
        self.assertTrue(
            all(state in ("paid", "in_payment") for state in invoices.mapped("payment_state"))
        )
