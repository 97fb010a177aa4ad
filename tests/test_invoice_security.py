from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .test_invoice_share import MlmlInvoiceCommon

FIGURES = [
    "mlml_share",
    "mlml_eligible_amount",
    "mlml_amount",
    "mlml_cash_amount",
    "mlml_paid",
    "mlml_residual",
    "mlml_cash_residual",
    "amount_residual",
]


@tagged("post_install", "-at_install")
class TestInvoiceComputedFigures(MlmlInvoiceCommon):
    """No computed MLML figure of an invoice is written by hand (issue: VAT paid in MLML)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.create_user("mlml_billing_figures", "account.group_account_invoice")

    def test_a_billing_user_cannot_write_the_computed_figures(self):
        for post in (False, True):
            invoice = self.invoice(post=post)
            before = invoice.read(FIGURES)
            attacks = {
                "mlml_eligible_amount": 2400.0,
                "mlml_residual": 1200.0,
                "mlml_cash_residual": 0.0,
                "mlml_cash_amount": 0.0,
                "mlml_paid": 1200.0,
            }
            for name, value in attacks.items():
                with (
                    self.subTest(post=post, field=name),
                    self.assert_refused(UserError, "never written by hand"),
                ):
                    invoice.with_user(self.billing).write({name: value})
            invoice.invalidate_recordset()
            self.assertEqual(invoice.read(FIGURES), before)
        # Register Payment still proposes the MLML part of 500, not 1,200.
        self.assertEqual(self.register(invoice, self.journal)[0], 500.0)

    def test_the_exact_refusal_and_none_at_creation(self):
        with self.assert_refused(
            UserError,
            "Eligible for MLML: computed from the invoice's lines, share and payments, "
            "never written by hand.",
        ):
            self.env["account.move"].with_user(self.billing).create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.member.id,
                    "mlml_eligible_amount": 2400.0,
                }
            )
        self.assertFalse(self.env["account.move"].search([("mlml_eligible_amount", "=", 2400.0)]))

    def test_the_share_lock_holds_once_paid_in_mlml(self):
        invoice = self.invoice()
        self.register(invoice, self.journal, amount=200.0)[1]._create_payments()
        before = invoice.read(FIGURES)
        for vals in ({"mlml_eligible_amount": 2400.0}, {"mlml_share": 100.0}):
            with self.subTest(vals), self.assertRaises(UserError):
                invoice.with_user(self.billing).write(vals)
        invoice.invalidate_recordset()
        self.assertEqual(invoice.read(FIGURES), before)


@tagged("post_install", "-at_install")
class TestInvoicePostedShare(MlmlInvoiceCommon):
    """On a posted invoice the split changes only after reset to draft, and is tracked."""

    def test_posted_split_changes_only_in_draft_and_is_tracked(self):
        invoice = self.invoice(amounts=[800.0])
        self.assertEqual(invoice.mlml_amount, 400.0)
        for vals in ({"mlml_share": 35.0}, {"mlml_amount": 350.0}):
            with (
                self.subTest(vals),
                self.assert_refused(
                    UserError,
                    f"{invoice.name} is posted: its MLML share (50.00 %) and MLML part "
                    "(400.00\xa0MLML) are those the customer received. Reset it to draft",
                ),
            ):
                invoice.write(vals)
        self.assertRecordValues(invoice, [{"mlml_share": 50.0, "mlml_amount": 400.0}])
        invoice.button_draft()
        invoice.with_context(tracking_disable=False, mail_notrack=False).mlml_share = 35.0
        self.assertRecordValues(invoice, [{"mlml_amount": 280.0, "mlml_cash_amount": 680.0}])
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking is written when the transaction ends
        tracked = invoice.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name in ("mlml_share", "mlml_amount")
        )
        self.assertEqual(
            sorted((v.field_id.name, v.old_value_float, v.new_value_float) for v in tracked),
            [("mlml_amount", 400.0, 280.0), ("mlml_share", 50.0, 35.0)],
        )

    def test_changing_the_cap_does_not_rewrite_posted_invoices(self):
        invoice = self.invoice()
        self.env.company.mlml_invoice_cap = 100.0
        self.env.flush_all()
        invoice.invalidate_recordset()
        self.assertEqual(invoice.mlml_amount, 500.0)


@tagged("post_install", "-at_install")
class TestInvoiceTyping(MlmlInvoiceCommon):
    """The share follows a typed MLML part; the cap is told, never silent."""

    def test_a_typed_part_moves_the_share_at_once_and_is_kept(self):
        invoice = self.invoice(post=False)
        with Form(invoice) as form:
            form.mlml_amount = 400.0
            self.assertEqual(form.mlml_share, 40.0)
            with form.invoice_line_ids.edit(0) as line:
                line.price_unit = 1600.0
            self.assertEqual(form.mlml_amount, 400.0)
            self.assertEqual(form.mlml_share, 25.0)
            self.assertFalse(form.mlml_notice)
            with form.invoice_line_ids.edit(0) as line:
                line.price_unit = 300.0
            # 400 no longer fits 300 of eligible amount: the part follows the share, and says so.
            self.assertEqual(form.mlml_amount, 75.0)
            self.assertEqual(
                form.mlml_notice,
                "The MLML part entered (400.00\xa0MLML) no longer fits this invoice (eligible "
                "amount 300.00\xa0€): it follows the share again.",
            )
        self.assertRecordValues(invoice, [{"mlml_share": 25.0, "mlml_amount": 75.0}])

    def test_a_written_part_is_kept_when_the_lines_change(self):
        invoice = self.invoice(post=False)
        invoice.mlml_amount = 400.0
        self.assertRecordValues(invoice, [{"mlml_share": 40.0, "mlml_amount_typed": 400.0}])
        line = invoice.invoice_line_ids
        invoice.write({"invoice_line_ids": [Command.update(line.id, {"price_unit": 1600.0})]})
        self.assertRecordValues(
            invoice,
            [{"mlml_eligible_amount": 1600.0, "mlml_amount": 400.0, "mlml_share": 25.0}],
        )

    def test_a_typed_share_drives_the_part_again(self):
        invoice = self.invoice(post=False)
        with Form(invoice) as form:
            form.mlml_amount = 400.0
            form.mlml_share = 10.0
            self.assertEqual(form.mlml_amount, 100.0)
            with form.invoice_line_ids.edit(0) as line:
                line.price_unit = 2000.0
            self.assertEqual(form.mlml_amount, 200.0)
        self.assertRecordValues(invoice, [{"mlml_share": 10.0, "mlml_amount": 200.0}])

    def test_the_cap_keeps_the_share_asked_and_says_so(self):
        self.env.company.mlml_invoice_cap = 500.0
        invoice = self.invoice(amounts=[2000.0], post=False)
        with Form(invoice) as form:
            form.mlml_share = 50.0
            self.assertEqual(form.mlml_amount, 500.0)
            self.assertEqual(
                form.mlml_notice,
                "Capped: a share of 50.00 % would give 1,000.00\xa0MLML; the company's cap per "
                "invoice limits the MLML part to 500.00\xa0MLML.",
            )
        self.assertRecordValues(
            invoice, [{"mlml_share": 50.0, "mlml_amount": 500.0, "mlml_cash_amount": 1900.0}]
        )


@tagged("post_install", "-at_install")
class TestInvoiceBarterPayment(MlmlInvoiceCommon):
    """Paying the MLML part: no euro write-off, final at once."""

    def test_the_barter_journal_writes_off_only_the_mlml_part(self):
        invoice = self.invoice()  # 1,200: 500 MLML + 700 €
        wizard = Form(
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            )
        )
        wizard.journal_id = self.journal
        wizard.amount = 100.0
        self.assertEqual(wizard.payment_difference, 400.0)
        wizard.payment_difference_handling = "reconcile"
        wizard.writeoff_account_id = self.company_data["default_account_expense"]
        wizard.writeoff_label = "Remise MLML"
        payment = wizard.save()._create_payments()
        writeoff = payment.move_id.line_ids.filtered(lambda line: line.name == "Remise MLML")
        self.assertRecordValues(writeoff, [{"currency_id": self.mlml.id, "debit": 400.0}])
        self.assertRecordValues(
            invoice,
            [
                {
                    "payment_state": "partial",
                    "amount_residual": 700.0,
                    "mlml_paid": 100.0,
                    "mlml_residual": 0.0,
                    "mlml_cash_residual": 700.0,
                }
            ],
        )
        self.assert_balance(100.0)

    def test_an_mlml_payment_is_final_at_once(self):
        invoice = self.invoice()
        payment = self.register(invoice, self.journal)[1]._create_payments()
        self.assertRecordValues(payment, [{"state": "paid", "is_matched": True}])
        self.assertEqual(invoice.payment_state, "partial")
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": self.bank.id})
        )
        self.assertFalse(wizard.actionable_errors)
        self.assertEqual(wizard.amount, 700.0)

    def test_a_bank_journal_tells_the_mlml_part_left(self):
        invoice = self.invoice()
        _proposed, wizard = self.register(invoice, self.bank)
        self.assertEqual(
            wizard.mlml_notice,
            "500.00\xa0MLML of this amount is payable in MLML, through the journal "
            f"{self.journal.display_name}. Paid from {self.bank.display_name}, it is "
            "settled in euros.",
        )
        self.assertFalse(self.register(invoice, self.journal)[1].mlml_notice)


@tagged("post_install", "-at_install")
class TestInvoiceBarterReconciliation(MlmlInvoiceCommon):
    """An MLML payment pays the MLML part and no more, whatever matches it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.create_user("mlml_billing_match", "account.group_account_invoice")

    def receipt(self, amount):
        payment = self.pay(amount, "inbound")
        line = payment.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        return payment, line

    def assert_untouched(self, invoice, line):
        invoice.invalidate_recordset()
        self.assertRecordValues(
            invoice,
            [
                {
                    "payment_state": "not_paid",
                    "amount_residual": 1200.0,
                    "mlml_paid": 0.0,
                    "mlml_residual": 500.0,
                    "mlml_cash_residual": 700.0,
                }
            ],
        )
        self.assertFalse(line.matched_debit_ids | line.matched_credit_ids)
        self.assertEqual(line.amount_residual, -1200.0)

    def test_outstanding_payment_above_the_mlml_part_is_refused(self):
        invoice = self.invoice()
        payment, line = self.receipt(1200.0)
        self.assertIn(
            line.id,
            [item["id"] for item in invoice.invoice_outstanding_credits_debits_widget["content"]],
        )
        with self.assert_refused(
            UserError,
            f"{payment.move_id.display_name} would pay 1,200.00\xa0MLML of {invoice.display_name} "
            "in MLML, more than its MLML part (500.00\xa0MLML, of which 500.00\xa0MLML is left to "
            "pay)",
        ):
            invoice.with_user(self.billing).js_assign_outstanding_line(line.id)
        self.assert_untouched(invoice, line)

    def test_reconciling_the_lines_above_the_mlml_part_is_refused(self):
        invoice = self.invoice()
        _payment, line = self.receipt(1200.0)
        term = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        with self.assert_refused(UserError, "an MLML payment pays the MLML part and no more"):
            (term + line).with_user(self.billing).reconcile()
        self.assert_untouched(invoice, line)

    def test_what_fits_is_matched_and_the_rest_refused(self):
        invoice = self.invoice()
        _payment, line = self.receipt(300.0)
        invoice.with_user(self.billing).js_assign_outstanding_line(line.id)
        self.assertRecordValues(
            invoice, [{"mlml_paid": 300.0, "mlml_residual": 200.0, "amount_residual": 900.0}]
        )
        _payment, second = self.receipt(300.0)
        with self.assert_refused(UserError, "of which 200.00\xa0MLML is left to pay"):
            invoice.with_user(self.billing).js_assign_outstanding_line(second.id)
        self.assertRecordValues(invoice, [{"mlml_paid": 300.0, "amount_residual": 900.0}])
        self.assertEqual(second.amount_residual, -300.0)

    def test_one_grouped_mlml_payment_for_several_invoices_is_refused(self):
        invoices = self.invoice() + self.invoice(amounts=[400.0])
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"journal_id": self.journal.id, "group_payment": True})
        )
        self.assertEqual(wizard.amount, 700.0)
        with self.assert_refused(UserError, "untick Group Payments"):
            wizard._create_payments()
        self.assertEqual(invoices.mapped("payment_state"), ["not_paid", "not_paid"])
        wizard.group_payment = False
        payments = wizard._create_payments()
        self.assertEqual(sorted(payments.mapped("amount")), [200.0, 500.0])
        self.assertEqual(invoices.mapped("mlml_residual"), [0.0, 0.0])
