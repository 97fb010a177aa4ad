from odoo import fields, models


class MlmlMemberRequestRefuse(models.TransientModel):
    """The reason a company refuses a supplier's payment request."""

    _name = "mlml.member.request.refuse"
    _description = "Refuse a Payment Request"

    request_id = fields.Many2one(comodel_name="mlml.member.request", required=True, readonly=True)
    reason = fields.Text(required=True, help="The supplier reads it.")

    def action_confirm(self):
        self.ensure_one()
        self.request_id._refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
