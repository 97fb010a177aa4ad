from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.mlml_bounds_grant import BoundsGrant


class MlmlBoundsOverride(models.TransientModel):
    """An MLML manager posts one entry the credit line refused, and says why."""

    _name = "mlml.bounds.override"
    _description = "Force an Entry Past the Barter Bounds"

    move_ids = fields.Many2many(comodel_name="account.move", string="Entries")
    payment_ids = fields.Many2many(comodel_name="account.payment", string="Payments")
    reason = fields.Text(required=True, help="Logged on the entry, with your name.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "account.move":
            values["move_ids"] = [fields.Command.set(ids)]
        elif model == "account.payment":
            values["payment_ids"] = [fields.Command.set(ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("mlml_barter.group_mlml_manager"):
            raise AccessError(
                self._mlml_text(
                    self.env._("Only MLML managers force an entry past the credit line.")
                )
            )
        if not (self.reason or "").strip():
            raise UserError(
                self.env._("Say why you force this entry: the reason is logged with your name.")
            )
        grant = BoundsGrant(
            self.env.uid,
            self.reason.strip(),
            move_ids=self.move_ids.ids,
            payment_ids=self.payment_ids.ids,
        )
        self.move_ids.with_context(mlml_bounds_override=grant).action_post()
        self.payment_ids.with_context(mlml_bounds_override=grant).action_post()
        return {"type": "ir.actions.act_window_close"}
