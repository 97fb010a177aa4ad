from odoo import fields, models


class MlmlMemberSuspend(models.TransientModel):
    """The reason a member is suspended, asked before it is."""

    _name = "mlml.member.suspend"
    _description = "Suspend a Member"

    partner_ids = fields.Many2many(comodel_name="res.partner", string="Members", readonly=True)
    reason = fields.Text(
        required=True,
        help="Shown on the member and kept in its chatter, with your name.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.partner_ids.action_mlml_suspend(self.reason)
        return {"type": "ir.actions.act_window_close"}
