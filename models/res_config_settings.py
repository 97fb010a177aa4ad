from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlml_network_name = fields.Char(related="company_id.mlml_network_name", readonly=False)
    mlml_currency_id = fields.Many2one(related="company_id.mlml_currency_id", readonly=False)
    mlml_journal_id = fields.Many2one(related="company_id.mlml_journal_id", readonly=False)
    mlml_default_share = fields.Float(related="company_id.mlml_default_share", readonly=False)

    mlml_limit_mode = fields.Selection(related="company_id.mlml_limit_mode", readonly=False)
    mlml_invoice_cap = fields.Monetary(
        related="company_id.mlml_invoice_cap", currency_field="currency_id", readonly=False
    )
    mlml_member_state = fields.Selection(
        related="company_id.partner_id.mlml_member_state", readonly=False
    )
    mlml_member_number = fields.Char(
        related="company_id.partner_id.mlml_member_number", readonly=False
    )
    mlml_charter_date = fields.Date(
        related="company_id.partner_id.mlml_charter_date", readonly=False
    )
    mlml_credit_line_id = fields.Many2one(related="company_id.mlml_credit_line_id")
    mlml_credit_from_ledger = fields.Boolean(related="company_id.mlml_credit_from_ledger")
    mlml_ledger_read_date = fields.Datetime(related="company_id.mlml_ledger_read_date")
    mlml_connection_message = fields.Char(related="company_id.mlml_connection_message")
    mlml_connection_ok = fields.Boolean(related="company_id.mlml_connection_ok")
    mlml_connection_date = fields.Datetime(related="company_id.mlml_connection_date")
    mlml_is_clearing_house = fields.Boolean(
        related="company_id.mlml_is_clearing_house", readonly=False
    )
    mlml_commission_percent = fields.Float(
        related="company_id.mlml_commission_percent", readonly=False
    )
    mlml_repay_suspended = fields.Boolean(related="company_id.mlml_repay_suspended", readonly=False)
    mlml_credit_limit = fields.Monetary(
        related="company_id.mlml_credit_limit", currency_field="mlml_currency_id"
    )
    mlml_balance_ceiling = fields.Monetary(
        related="company_id.mlml_balance_ceiling", currency_field="mlml_currency_id"
    )

    mlml_backend = fields.Selection(related="company_id.mlml_backend", readonly=False)
    mlml_clearing_house_url = fields.Char(
        related="company_id.mlml_clearing_house_url", readonly=False
    )
    # The key is written, never read back: the settings show whether one is saved.
    mlml_clearing_house_key_input = fields.Char(
        string="New API Key",
        groups="mlml_barter.group_mlml_manager",
        help="Paste the API key the clearing house gave the company; it is saved and "
        "never shown again.",
    )
    mlml_clearing_house_key_set = fields.Boolean(
        string="API Key Saved",
        compute="_compute_mlml_clearing_house_key_set",
        groups="mlml_barter.group_mlml_manager",
    )
    mlml_cyclos_auth = fields.Selection(related="company_id.mlml_cyclos_auth", readonly=False)
    mlml_cyclos_user = fields.Char(related="company_id.mlml_cyclos_user", readonly=False)
    # The token and the password are written, never read back, as the key.
    mlml_cyclos_token_input = fields.Char(
        string="New Access Client Token",
        groups="mlml_barter.group_mlml_manager",
        help="Paste the token of the access client activated in Cyclos for the company's "
        "user; it is saved and never shown again.",
    )
    mlml_cyclos_token_set = fields.Boolean(
        string="Token Saved",
        compute="_compute_mlml_cyclos_secrets_set",
        groups="mlml_barter.group_mlml_manager",
    )
    mlml_cyclos_password_input = fields.Char(
        string="New Cyclos Password",
        groups="mlml_barter.group_mlml_manager",
        help="The password of the company's user in Cyclos; it is saved and never shown again.",
    )
    mlml_cyclos_password_set = fields.Boolean(
        string="Password Saved",
        compute="_compute_mlml_cyclos_secrets_set",
        groups="mlml_barter.group_mlml_manager",
    )
    mlml_cyclos_account_type = fields.Char(
        related="company_id.mlml_cyclos_account_type", readonly=False
    )
    mlml_cyclos_payment_type = fields.Char(
        related="company_id.mlml_cyclos_payment_type", readonly=False
    )
    mlml_cyclos_member_field = fields.Char(
        related="company_id.mlml_cyclos_member_field", readonly=False
    )
    mlml_cyclos_city_field = fields.Char(
        related="company_id.mlml_cyclos_city_field", readonly=False
    )
    mlml_cyclos_offers_field = fields.Char(
        related="company_id.mlml_cyclos_offers_field", readonly=False
    )
    mlml_cyclos_needs_field = fields.Char(
        related="company_id.mlml_cyclos_needs_field", readonly=False
    )
    mlml_sync_date = fields.Datetime(related="company_id.mlml_sync_date")
    mlml_sync_message = fields.Char(related="company_id.mlml_sync_message")
    mlml_sync_failed = fields.Boolean(related="company_id.mlml_sync_failed")
    mlml_compensation_auto = fields.Boolean(
        related="company_id.mlml_compensation_auto", readonly=False
    )
    mlml_compensation_account_id = fields.Many2one(
        related="company_id.mlml_compensation_account_id", readonly=False
    )
    mlml_compensation_journal_id = fields.Many2one(
        related="company_id.mlml_compensation_journal_id", readonly=False
    )

    @api.depends("company_id")
    def _compute_mlml_clearing_house_key_set(self):
        for settings in self:
            settings.mlml_clearing_house_key_set = bool(
                settings.company_id._mlml_secret().clearing_house_key
            )

    @api.depends("company_id")
    def _compute_mlml_cyclos_secrets_set(self):
        for settings in self:
            secret = settings.company_id._mlml_secret()
            settings.mlml_cyclos_token_set = bool(secret.cyclos_token)
            settings.mlml_cyclos_password_set = bool(secret.cyclos_password)

    def set_values(self):
        result = super().set_values()
        if self.mlml_clearing_house_key_input:
            self.company_id.mlml_clearing_house_key = self.mlml_clearing_house_key_input.strip()
            self.mlml_clearing_house_key_input = False
        if self.mlml_cyclos_token_input:
            self.company_id.mlml_cyclos_token = self.mlml_cyclos_token_input.strip()
            self.mlml_cyclos_token_input = False
        if self.mlml_cyclos_password_input:
            self.company_id.mlml_cyclos_password = self.mlml_cyclos_password_input
            self.mlml_cyclos_password_input = False
        return result

    def action_mlml_test_connection(self):
        """Save the settings, then tell what the clearing house says of the account."""
        self.ensure_one()
        self.execute()
        ok, message = self.company_id._mlml_test_connection()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if ok else "danger",
                # Read at leisure; the settings keep it too, under the button.
                "sticky": True,
                "title": self.env._("Cyclos connection")
                if self.company_id.sudo().mlml_backend == "cyclos"
                else self.env._("Clearing house connection"),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_mlml_open_credit_line(self):
        """The company's own credit line, or a new one for its partner."""
        self.ensure_one()
        company = self.company_id
        action = {
            "type": "ir.actions.act_window",
            "res_model": "mlml.credit.line",
            "view_mode": "form",
            "target": "current",
        }
        if company.mlml_credit_line_id:
            action["res_id"] = company.mlml_credit_line_id.id
        else:
            action["context"] = {
                "default_partner_id": company.partner_id.id,
                "default_company_id": company.id,
            }
        return action

    def action_mlml_create_journal(self):
        self.ensure_one()
        self.company_id._mlml_ensure_journal()
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_mlml_submit_compensation(self):
        """Save the settings, then submit the open invoices and bills with other
        members to the compensation and say what was done."""
        self.ensure_one()
        self.execute()
        return self.company_id.action_mlml_submit_compensation()
