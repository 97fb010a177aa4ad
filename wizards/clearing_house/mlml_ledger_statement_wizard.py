from odoo import api, fields, models


class MlmlLedgerStatementWizard(models.TransientModel):
    """The statement of a member's account at the clearing house, for a period."""

    _name = "mlml.ledger.statement.wizard"
    _description = "Clearing-House Account Statement"

    account_id = fields.Many2one(
        comodel_name="mlml.ledger.account", required=True, readonly=True, ondelete="cascade"
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(month=1, day=1),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            self.env["mlml.statement"]._check_period(wizard.date_from, wizard.date_to)

    def action_print_pdf(self):
        self.ensure_one()
        return self.account_id.action_print_statement(self.date_from, self.date_to)

    def action_export_csv(self):
        self.ensure_one()
        return self.account_id.action_export_statement_csv(self.date_from, self.date_to)
