from odoo import fields, models


class MlmlTransferReverse(models.TransientModel):
    """A reason, for reversing a transfer or refusing a payment request."""

    _name = "mlml.transfer.reverse"
    _description = "Reverse a Transfer or Refuse a Payment Request"

    transfer_id = fields.Many2one(comodel_name="mlml.transfer", readonly=True)
    request_id = fields.Many2one(comodel_name="mlml.payment.request", readonly=True)
    reason = fields.Text(required=True, help="Kept in the ledger, with your name.")
    force = fields.Boolean(
        string="Force the Bounds",
        help="Reverse even if it takes a balance past its bounds (MLML managers).",
    )

    def action_confirm(self):
        self.ensure_one()
        if self.request_id:
            self.request_id.action_refuse(self.reason)
            return {"type": "ir.actions.act_window_close"}
        with self.env["mlml.transfer"]._mlml_plain_refusal(
            self._fields["force"]._description_string(self.env)
        ):
            self.transfer_id.reverse(self.reason, forced=self.force)
        # Back on the transfer, reloaded: it reads "Reversed" and links its reversal.
        return {"type": "ir.actions.act_window_close"}
