from odoo import api, models
from odoo.exceptions import ValidationError


class AccountPaymentMethodLine(models.Model):
    _inherit = "account.payment.method.line"

    @api.depends("journal_id", "payment_method_id.name")
    @api.depends_context("hide_payment_journal_id", "lang")
    def _compute_display_name(self):
        """A barter line named as its method reads in the user's language.

        The line keeps a copy of its method's name in the language of whoever
        created the journal (often English, at install); while nobody renamed
        it, the reader sees the method's name in their own language.
        """
        result = super()._compute_display_name()
        for line in self.filtered(lambda line: line.code == "mlml" and line.name):
            method = line.payment_method_id
            translated = method.name
            default_names = {
                method.with_context(lang=code).name
                for code, _name in self.env["res.lang"].get_installed()
            }
            if line.name != translated and line.name in default_names:
                line.display_name = line.display_name.replace(line.name, translated, 1)
            line.display_name = line._mlml_text(line.display_name)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._mlml_use_the_barter_account()
        return lines

    def _mlml_use_the_barter_account(self):
        """A barter journal's payments go straight to its account.

        There is no bank statement to wait for: the clearing house's ledger
        moves when the payment is made, so the barter account itself is the
        outstanding account of every method line of a barter journal.
        """
        for line in self:
            journal = line.journal_id
            if (
                journal.currency_id.mlml_is_barter
                and journal.default_account_id
                and line.payment_account_id != journal.default_account_id
            ):
                line.payment_account_id = journal.default_account_id

    @api.constrains("payment_account_id", "journal_id")
    def _check_mlml_outstanding_account(self):
        for line in self:
            journal = line.journal_id
            if (
                journal.currency_id.mlml_is_barter
                and line.payment_account_id
                and line.payment_account_id != journal.default_account_id
            ):
                raise ValidationError(
                    self.env._(
                        "The payment method “%(method)s” of the barter journal %(journal)s must "
                        "use the journal's own account %(account)s: payments in the barter "
                        "currency move the balance at the clearing house at once.",
                        method=line.name,
                        journal=journal.display_name,
                        account=journal.default_account_id.display_name,
                    )
                )
