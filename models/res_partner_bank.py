from odoo import models


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    def _build_qr_code_vals(
        self,
        amount,
        free_communication,
        structured_communication,
        currency,
        debtor_partner,
        qr_method=None,
        silent_errors=True,
    ):
        """Ask for the amount an invoice gives in ``mlml_qr_amount``, if any.

        An invoice with an MLML part asks a bank transfer for its cash part
        only (``account.move._generate_qr_code``): the MLML part is paid at the
        clearing house. Both ``build_qr_code_url`` and ``build_qr_code_base64``
        go through here, and so do the checks of the amount.
        """
        amount = self.env.context.get("mlml_qr_amount", amount)
        return super()._build_qr_code_vals(
            amount,
            free_communication,
            structured_communication,
            currency,
            debtor_partner,
            qr_method=qr_method,
            silent_errors=silent_errors,
        )
