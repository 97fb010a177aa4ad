from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import formatLang

from ..mlml_barter import split
from ..mlml_barter.amounts import RuleError
from ..models.mlml_bounds_grant import BoundsGrant, BoundsNotes


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    mlml_may_force = fields.Boolean(compute="_compute_mlml_may_force")
    mlml_bounds_reason = fields.Text(
        string="Reason to Force",
        help="MLML managers only: if the credit line refuses this payment, post it all "
        "the same for this reason, logged with your name on the payment and the invoice.",
    )

    @api.depends("journal_id")
    @api.depends_context("uid")
    def _compute_mlml_may_force(self):
        manager = self.env.user.has_group("mlml_barter.group_mlml_manager")
        for wizard in self:
            wizard.mlml_may_force = manager and wizard._mlml_barter_journal()

    def action_create_payments(self):
        """Create the payments; past the bounds, log it on the invoices paid and tell
        the payer at once."""
        collector = BoundsNotes()
        result = super(
            AccountPaymentRegister, self.with_context(mlml_bounds_notes=collector)
        ).action_create_payments()
        for note in collector.notes:
            payment = note.move.origin_payment_id
            for invoice in payment.reconciled_invoice_ids | payment.reconciled_bill_ids:
                invoice.message_post(body=note.body)
        if any(not note.forced for note in collector.notes):
            return self.env["account.payment"]._mlml_bounds_notification(
                collector.notes, next_action=result
            )
        return result

    def _post_payments(self, to_process, edit_mode=False):
        reason = (self.mlml_bounds_reason or "").strip()
        if not reason or not self._mlml_barter_journal():
            return super()._post_payments(to_process, edit_mode=edit_mode)
        if not self.env.user.has_group("mlml_barter.group_mlml_manager"):
            raise AccessError(self.env._("Only MLML managers force an entry past the credit line."))
        grant = BoundsGrant(
            self.env.uid, reason, payment_ids=[vals["payment"].id for vals in to_process]
        )
        return super(
            AccountPaymentRegister, self.with_context(mlml_bounds_override=grant)
        )._post_payments(to_process, edit_mode=edit_mode)

    def _mlml_barter_journal(self):
        return bool(self.journal_id.currency_id.mlml_is_barter)

    def _get_total_amounts_to_pay(self, batch_results):
        """Propose each part in its journal: the MLML residual in the barter journal,
        the cash residual in the others (the whole residual stays payable in cash)."""
        result = super()._get_total_amounts_to_pay(batch_results)
        moves = self.env["account.move"].union(*(batch["lines"].move_id for batch in batch_results))
        if not any(moves.mapped("mlml_amount")):
            return result
        if self._mlml_barter_journal():
            barter = sum(moves.mapped("mlml_residual"))
            result.update(amount_by_default=barter, full_amount=barter)
        else:
            result["amount_by_default"] = sum(moves.mapped("mlml_cash_residual"))
        return result

    def _create_payment_vals_from_batch(self, batch_result):
        values = super()._create_payment_vals_from_batch(batch_result)
        moves = batch_result["lines"].move_id
        if self._mlml_barter_journal():
            # Paid in the barter currency, 1 for 1: the MLML part.
            values["currency_id"] = self.journal_id.currency_id.id
            values["amount"] = sum(moves.mapped("mlml_residual"))
        elif any(moves.mapped("mlml_amount")):
            values["amount"] = sum(moves.mapped("mlml_cash_residual"))
        return values

    def _create_payments(self):
        if self._mlml_barter_journal():
            self._mlml_check_barter_payment()
        return super()._create_payments()

    def _mlml_check_barter_payment(self):
        """An MLML payment pays the MLML part, and no more."""
        self.ensure_one()
        moves = self.line_ids.move_id
        for move in moves:
            try:
                split.check_barter_payment(0, move.mlml_residual)
            except RuleError as error:
                raise UserError(
                    self.env._(
                        "%(invoices)s has no MLML part left to pay: pay it in euros, from a "
                        "bank journal.",
                        invoices=move.display_name,
                    )
                ) from error
        if not (self.can_edit_wizard and (len(self.line_ids) == 1 or self.group_payment)):
            return  # one payment per invoice, each of its MLML residual
        residual = sum(moves.mapped("mlml_residual"))
        try:
            split.check_barter_payment(self.amount, residual)
        except RuleError as error:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the MLML part left to pay (%(residual)s): an "
                    "MLML payment pays the MLML part, the rest is paid in euros. Enter at "
                    "most %(residual)s.",
                    amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                    residual=formatLang(self.env, residual, currency_obj=self.currency_id),
                )
            ) from error
