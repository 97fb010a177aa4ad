from odoo import api, models


class AccountPaymentMethod(models.Model):
    _inherit = "account.payment.method"

    @api.model
    def _get_payment_method_information(self):
        result = super()._get_payment_method_information()
        # Offered only on journals whose currency is a barter currency.
        result["mlml"] = {
            "mode": "multi",
            "type": ("bank",),
            "currency_ids": self.env["res.currency"]
            .with_context(active_test=False)
            .search([("mlml_is_barter", "=", True)])
            .ids
            or [0],
        }
        return result
