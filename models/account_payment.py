from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .mlml_bounds_grant import BoundsNotes, notes_in
from .mlml_inputs import check_numbers


class AccountPayment(models.Model):
    _inherit = "account.payment"

    mlml_is_barter = fields.Boolean(
        string="Barter Payment", related="journal_id.currency_id.mlml_is_barter"
    )

    @api.constrains("journal_id", "currency_id", "partner_id", "amount", "company_id")
    def _check_mlml_payment(self):
        for payment in self:
            journal = payment.journal_id
            if payment.currency_id.mlml_is_barter and not journal.currency_id.mlml_is_barter:
                raise ValidationError(
                    self.env._(
                        "A payment in %(currency)s goes through the barter journal, not "
                        "%(journal)s: choose the journal %(barter)s.",
                        currency=payment.currency_id.name,
                        journal=journal.display_name,
                        barter=payment.company_id.mlml_journal_id.display_name or "MLML",
                    )
                )
            if not journal.currency_id.mlml_is_barter:
                continue
            payment._mlml_check_parties()
            if payment.currency_id.compare_amounts(payment.amount, 0.0) <= 0:
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "An MLML payment moves a positive amount: %(amount)s is not one. "
                            "Enter the amount paid or received.",
                            amount=formatLang(
                                self.env, payment.amount, currency_obj=payment.currency_id
                            ),
                        )
                    )
                )

    def _mlml_check_parties(self):
        """Only active members trade in MLML, the company itself included."""
        self.ensure_one()
        journal = self.journal_id
        if journal.company_id != self.company_id:
            raise ValidationError(
                self.env._(
                    "The barter journal %(journal)s is %(owner)s's account at the clearing "
                    "house: %(company)s pays through its own barter journal.",
                    journal=journal.display_name,
                    owner=journal.company_id.name,
                    company=self.company_id.name,
                )
            )
        company_partner = self.company_id.partner_id
        if not company_partner._mlml_may_trade():
            raise ValidationError(
                self.env._(
                    "%(company)s is not an active member of the network: it cannot pay or "
                    "be paid in %(currency)s. Record its membership in the settings first.",
                    company=self.company_id.name,
                    currency=journal.currency_id.name,
                )
            )
        if not self.partner_id:
            raise ValidationError(
                self._mlml_text(
                    self.env._("An MLML payment is made with a member: choose the partner.")
                )
            )
        if not self.partner_id._mlml_may_trade():
            state = dict(
                self.env["res.partner"]
                ._fields["mlml_member_state"]
                ._description_selection(self.env)
            )[self.partner_id.commercial_partner_id.mlml_member_state]
            raise ValidationError(
                self.env._(
                    "%(partner)s is not an active member of the network (membership: "
                    "%(state)s): it cannot pay or be paid in %(currency)s. Pay it in "
                    "euros, or activate its membership first.",
                    partner=self.partner_id.display_name,
                    state=state,
                    currency=journal.currency_id.name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list, ["amount"])
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, [vals], ["amount"])
        return super().write(vals)

    def action_post(self):
        """Post, after checking the members again: a membership may have changed
        since the payment was drafted. Past the bounds in warn mode, the payer is
        told at once, and the warning is logged on the payment under its number."""
        for payment in self.filtered(lambda p: p.journal_id.currency_id.mlml_is_barter):
            payment._mlml_check_parties()
        collector = notes_in(self.env.context)
        own = collector is None
        if own:
            collector = BoundsNotes()
        done = len(collector.notes)
        payments = self.with_context(mlml_bounds_notes=collector)
        result = super(AccountPayment, payments).action_post()
        notes = collector.notes[done:]
        for note in notes:
            payment = note.move.origin_payment_id
            invoices = payment.reconciled_invoice_ids | payment.reconciled_bill_ids
            note.move._mlml_log_bounds(note, documents=[payment, invoices])
        if own and any(not note.forced for note in notes):
            return self._mlml_bounds_notification(notes, next_action=result)
        return result

    @api.model
    def _mlml_bounds_notification(self, notes, next_action=None):
        """Tell the payer at once that the balance went past the credit line."""
        messages = [
            note.move._mlml_breach_message(note.company, note.breach, note.entering)
            for note in notes
            if not note.forced
        ]
        params = {
            "type": "warning",
            "sticky": True,
            "title": self.env._("Posted past the credit line"),
            "message": self._mlml_text(
                self.env._(
                    "%(figures)s The MLML managers have been told.",
                    figures=" ".join(messages),
                )
            ),
        }
        if isinstance(next_action, dict):
            if next_action.get("type") == "ir.actions.act_window" and "views" not in next_action:
                # The web client reads the views of an action; Odoo adds them to the
                # action a button returns, not to the one a notification opens next.
                modes = (next_action.get("view_mode") or "form").split(",")
                next_action = {**next_action, "views": [(False, mode) for mode in modes]}
            params["next"] = next_action
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}

    def unlink(self):
        # Before Odoo resets the payment's entry to draft on its way to deletion.
        self._mlml_check_unlink()
        return super().unlink()

    def _mlml_check_unlink(self):
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            return
        for payment in self:
            if payment.journal_id.currency_id.mlml_is_barter and payment.move_id.posted_before:
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "The MLML payment %(payment)s has moved the balance at the "
                            "clearing house: it stays in the books. Cancel it instead, which "
                            "moves the balance back.",
                            payment=payment.display_name,
                        )
                    )
                )

    def _compute_state(self):
        """A barter payment is final when made: the clearing house's ledger moved.

        Its liquidity line is on the barter account itself, which no statement
        line will ever match: it is paid at once, not "in process".
        """
        result = super()._compute_state()
        for payment in self:
            if payment.state == "in_process" and payment.journal_id.currency_id.mlml_is_barter:
                payment.state = "paid"
        return result
