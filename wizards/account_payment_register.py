from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import formatLang

from ..mlml_barter import split
from ..mlml_barter.amounts import RuleError
from ..models.mlml_bounds_grant import BoundsGrant, BoundsNotes


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    mlml_notice = fields.Char(string="MLML Notice", compute="_compute_mlml_notice")
    mlml_is_barter = fields.Boolean(
        string="Barter Payment", related="journal_id.currency_id.mlml_is_barter"
    )

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
            # A connected company's clearing house decides: nobody forces it here.
            wizard.mlml_may_force = (
                manager
                and wizard._mlml_barter_journal()
                and not wizard.company_id._mlml_credit_from_ledger()
            )

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
            raise AccessError(
                self._mlml_text(
                    self.env._("Only MLML managers force an entry past the credit line.")
                )
            )
        grant = BoundsGrant(
            self.env.uid, reason, payment_ids=[vals["payment"].id for vals in to_process]
        )
        return super(
            AccountPaymentRegister, self.with_context(mlml_bounds_override=grant)
        )._post_payments(to_process, edit_mode=edit_mode)

    def _reconcile_payments(self, to_process, edit_mode=False):
        # A payment waiting for the clearing house's answer is posted later: it
        # keeps what it pays, to be matched with it then.
        for vals in to_process:
            payment = vals["payment"]
            if payment.mlml_send_state == "to_send":
                payment.invoice_ids = vals["to_reconcile"].move_id
        result = super()._reconcile_payments(to_process, edit_mode=edit_mode)
        # A request for an MLML part paid here is closed as paid.
        self.env["mlml.member.request"]._close_paid(
            self.env["account.move"].union(*(vals["to_reconcile"].move_id for vals in to_process))
        )
        return result

    def _mlml_barter_journal(self):
        return bool(self.journal_id.currency_id.mlml_is_barter)

    def _get_total_amounts_to_pay(self, batch_results):
        """Propose each part in its journal: the MLML residual in the barter journal,
        the cash residual in the others (the whole residual stays payable in cash)."""
        result = super()._get_total_amounts_to_pay(batch_results)
        moves = self.env["account.move"].union(*(batch["lines"].move_id for batch in batch_results))
        if self._mlml_barter_journal():
            # What is left of the MLML parts, also as the ground of any write-off:
            # the barter journal never writes off the euro part.
            barter = sum(moves.mapped("mlml_residual"))
            result.update(
                amount_by_default=barter,
                full_amount=barter,
                amount_for_difference=barter,
                full_amount_for_difference=barter,
            )
        elif any(moves.mapped("mlml_amount")):
            result["amount_by_default"] = sum(moves.mapped("mlml_cash_residual"))
        return result

    @api.depends("journal_id", "line_ids")
    def _compute_mlml_notice(self):
        for wizard in self:
            wizard.mlml_notice = wizard._mlml_notice()

    def _mlml_notice(self):
        """Paying in euros what still has an MLML part left: say so, and where to pay it."""
        self.ensure_one()
        if not self.journal_id or self._mlml_barter_journal():
            return False
        moves = self.line_ids.move_id
        residual = sum(moves.mapped("mlml_residual"))
        currency = moves.mlml_currency_id[:1]
        if not currency or currency.is_zero(residual):
            return False
        return self._mlml_text(
            self.env._(
                "%(residual)s of this amount is payable in MLML, through the journal "
                "%(journal)s. Paid from %(bank)s, it is settled in euros.",
                residual=formatLang(self.env, residual, currency_obj=currency),
                journal=self.company_id.mlml_journal_id.display_name or "MLML",
                bank=self.journal_id.display_name,
            )
        )

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
                    self._mlml_text(
                        self.env._(
                            "%(invoices)s has no MLML part left to pay: pay it in euros, from a "
                            "bank journal.",
                            invoices=move.display_name,
                        )
                    )
                ) from error
        if not (self.can_edit_wizard and (len(self.line_ids) == 1 or self.group_payment)):
            return  # one payment per invoice, each of its MLML residual
        if len(moves) > 1:
            # One payment matched with several invoices would pay them in turn,
            # the first beyond its MLML part.
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "One MLML payment pays the MLML part of one invoice: untick Group "
                        "Payments to pay %(invoices)s with one MLML payment each.",
                        invoices=", ".join(moves.mapped("display_name")),
                    )
                )
            )
        residual = sum(moves.mapped("mlml_residual"))
        try:
            split.check_barter_payment(self.amount, residual)
        except RuleError as error:
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "%(amount)s is more than the MLML part left to pay (%(residual)s): an "
                        "MLML payment pays the MLML part, the rest is paid in euros. Enter at "
                        "most %(residual)s.",
                        amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                        residual=formatLang(self.env, residual, currency_obj=self.currency_id),
                    )
                )
            ) from error
