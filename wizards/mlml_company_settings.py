from odoo import api, fields, models
from odoo.exceptions import AccessError

# The company's MLML settings an MLML manager sets without the rights on all settings.
MANAGED_FIELDS = ("mlml_default_share", "mlml_invoice_cap", "mlml_limit_mode")


class MlmlCompanySettings(models.TransientModel):
    """The company's MLML settings, for the MLML managers.

    The share, the cap and the bounds mode are the company's (res.company);
    MLML managers set them here without Administration rights, and only them.
    """

    _name = "mlml.company.settings"
    _description = "MLML Settings of the Company"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    mlml_currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    mlml_is_clearing_house = fields.Boolean(related="company_id.mlml_is_clearing_house")
    mlml_default_share = fields.Float(
        string="Default Barter Share (%)",
        digits=(5, 2),
        help="Percent of an invoice's untaxed amount the company accepts in the "
        "barter currency when it sells. VAT is always paid in the company's currency.",
    )
    mlml_invoice_cap = fields.Monetary(
        string="MLML Cap per Invoice",
        currency_field="currency_id",
        help="The most a customer invoice may ask in the barter currency, whatever its "
        "share; 0 means no cap.",
    )
    mlml_limit_mode = fields.Selection(
        # The company's choices, with their labels in the reader's language.
        selection=lambda self: (
            self.env["res.company"]._fields["mlml_limit_mode"]._description_selection(self.env)
        ),
        string="Credit Line Bounds",
        required=True,
        help="Block: an entry that would take the barter balance past the credit line "
        "is refused. Warn: it is posted, and the MLML managers are warned.",
    )
    mlml_credit_limit = fields.Monetary(
        related="company_id.mlml_credit_limit", currency_field="mlml_currency_id"
    )
    mlml_balance_ceiling = fields.Monetary(
        related="company_id.mlml_balance_ceiling", currency_field="mlml_currency_id"
    )
    mlml_balance = fields.Monetary(
        related="company_id.mlml_balance", currency_field="mlml_currency_id"
    )
    mlml_available_credit = fields.Monetary(
        related="company_id.mlml_available_credit", currency_field="mlml_currency_id"
    )

    @api.model
    def default_get(self, fields_list):
        """The company's settings as they are."""
        values = super().default_get(fields_list)
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        for name in MANAGED_FIELDS:
            if name in fields_list:
                values[name] = company[name]
        return values

    def action_save(self):
        """Write the MLML settings on the company, and nothing else of it."""
        self.ensure_one()
        user = self.env.user
        if not user.has_group("mlml_barter.group_mlml_manager"):
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "Only MLML managers change the MLML settings of %(company)s. Ask one "
                        "of them, or an administrator in Settings.",
                        company=self.company_id.name,
                    )
                )
            )
        if self.company_id not in user.company_ids:
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "You do not work for %(company)s: its MLML settings are not yours to "
                        "change.",
                        company=self.company_id.sudo().name,
                    )
                )
            )
        self.company_id.sudo().write({name: self[name] for name in MANAGED_FIELDS})
        return {"type": "ir.actions.act_window_close"}
