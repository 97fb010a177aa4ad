from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..mlml_barter.amounts import is_peg_rate


class ResCurrency(models.Model):
    _inherit = "res.currency"

    mlml_is_barter = fields.Boolean(
        string="Barter Currency",
        help="A barter currency (MLML, WIR, Sardex…) is worth exactly one unit of "
        "the company's currency on every date: its rate is always 1 and it never "
        "produces exchange differences.",
    )

    def _get_rates(self, company, date):
        """Peg barter currencies to the company's currency, whatever the date.

        Every conversion of the ORM (``_convert``, ``_get_conversion_rate``, the
        ``rate`` shown on the currency) goes through this method, so giving a
        barter currency the rate of the company's currency makes every conversion
        between them the identity.
        """
        rates = super()._get_rates(company, date)
        barter = self.filtered("mlml_is_barter")
        if barter:
            company_currency = company.currency_id
            peg = rates.get(company_currency.id)
            if peg is None:
                # The company's currency is not in this recordset: ask for its
                # own rate without coming back here.
                peg = super(ResCurrency, company_currency)._get_rates(company, date)[
                    company_currency.id
                ]
            rates.update(dict.fromkeys(barter.ids, peg))
        return rates

    @api.constrains("mlml_is_barter")
    def _check_mlml_barter_rates(self):
        for currency in self.filtered("mlml_is_barter"):
            floating = currency.rate_ids.filtered(lambda r: not is_peg_rate(r.rate))
            if floating:
                raise ValidationError(
                    self.env._(
                        "%(currency)s cannot become a barter currency: it has rates "
                        "other than 1.0 (%(rates)s). Delete those rates first.",
                        currency=currency.name,
                        rates=", ".join(f"{r.name}: {r.rate}" for r in floating[:5]),
                    )
                )
