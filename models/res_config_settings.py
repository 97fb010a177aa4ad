from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlml_currency_id = fields.Many2one(related="company_id.mlml_currency_id", readonly=False)
    mlml_journal_id = fields.Many2one(related="company_id.mlml_journal_id", readonly=False)
    mlml_default_share = fields.Float(related="company_id.mlml_default_share", readonly=False)

    def action_mlml_create_journal(self):
        self.ensure_one()
        self.company_id._mlml_ensure_journal()
        return {"type": "ir.actions.client", "tag": "reload"}
