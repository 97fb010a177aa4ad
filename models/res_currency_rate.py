from odoo import api, models
from odoo.exceptions import ValidationError

from ..mlml_barter.amounts import is_peg_rate


class ResCurrencyRate(models.Model):
    _inherit = "res.currency.rate"

    @api.constrains("rate", "currency_id")
    def _check_mlml_peg(self):
        for rate in self:
            if rate.currency_id.mlml_is_barter and not is_peg_rate(rate.rate):
                raise ValidationError(
                    self.env._(
                        "%(currency)s is a barter currency: one %(currency)s is worth "
                        "exactly one unit of the company's currency on every date. "
                        "The rate of %(date)s cannot be %(rate)s; delete that rate or "
                        "set it to 1.0.",
                        currency=rate.currency_id.name,
                        date=rate.name,
                        rate=rate.rate,
                    )
                )
