from odoo import api, models
from odoo.exceptions import ValidationError


class AccountPaymentMethodLine(models.Model):
    _inherit = "account.payment.method.line"

    @api.depends("journal_id", "payment_method_id.name")
    @api.depends_context("hide_payment_journal_id", "lang")
    def _compute_display_name(self):
        """A line named as its method reads in the user's language.

        A line keeps a copy of its method's name in the language of whoever
        created the journal (English at install, before the translations are
        loaded: "MLML Transfer", "Manual Payment"); while nobody renamed it,
        the reader sees the method's name in their own language.
        """
        result = super()._compute_display_name()
        for line in self.filtered("name"):
            translated = line.payment_method_id.name
            if line.name != translated and line.name in line._mlml_default_names():
                line.display_name = line.display_name.replace(line.name, translated, 1)
            if line.code == "mlml":
                line.display_name = line._mlml_text(line.display_name)
        return result

    def _mlml_default_names(self):
        """The names of the line's method in English and in every active language."""
        method = self.payment_method_id
        codes = {"en_US", *(code for code, _name in self.env["res.lang"].get_installed())}
        return {method.with_context(lang=code).name for code in codes}

    def _mlml_name_in_company_language(self):
        """Give the lines still named after their method the method's name in
        their company's language (as shown in the journal's settings)."""
        for line in self:
            lang = line.journal_id.company_id.partner_id.lang or self.env.lang
            name = line.payment_method_id.with_context(lang=lang).name
            if line.name != name and line.name in line._mlml_default_names():
                line.name = name

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
