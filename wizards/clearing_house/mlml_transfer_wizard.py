from odoo import api, fields, models

from ...models.clearing_house.mlml_guards import check_staff


class MlmlTransferWizard(models.TransientModel):
    """A transfer entered by the clearing house's staff on a member's behalf."""

    _name = "mlml.transfer.wizard"
    _description = "New Clearing-House Transfer"

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    payer_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        domain="[('is_company', '=', True), ('mlml_member_state', '!=', 'none')]",
    )
    payee_id = fields.Many2one(
        comodel_name="res.partner",
        required=True,
        domain="[('is_company', '=', True), ('mlml_member_state', '!=', 'none')]",
    )
    amount = fields.Monetary(required=True)
    reference = fields.Char()
    memo = fields.Char()
    payer_balance = fields.Monetary(
        related="payer_id.mlml_ledger_balance", string="Payer's Balance"
    )
    payee_balance = fields.Monetary(
        related="payee_id.mlml_ledger_balance", string="Payee's Balance"
    )
    force = fields.Boolean(
        string="Force the Bounds",
        help="Book it even if it takes a balance past its bounds (MLML managers), saying why.",
    )
    force_reason = fields.Char(string="Why")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        self.env["mlml.ledger.account"]._clearing_house()
        return values

    def action_confirm(self):
        self.ensure_one()
        check_staff(
            self.env,
            self.env._(
                "Only the clearing house's staff book a transfer between two members; members "
                "pay through the clearing house's API."
            ),
        )
        Transfer = self.env["mlml.transfer"]
        with Transfer._mlml_plain_refusal(self._fields["force"]._description_string(self.env)):
            transfer = Transfer._book(
                self.payer_id,
                self.payee_id,
                self.amount,
                reference=self.reference,
                memo=self.memo,
                channel="back_office",
                forced=self.force,
                force_reason=self.force_reason,
                company=self.company_id,
            )
        # The new transfer replaces the screens it was made from: no breadcrumbs pile up.
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlml.transfer",
            "res_id": transfer.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "main",
        }
