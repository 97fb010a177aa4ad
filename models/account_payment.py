import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .mlml_bounds_grant import BoundsNotes, notes_in
from .mlml_inputs import check_numbers

_logger = logging.getLogger(__name__)


# Marks the posting of a payment the clearing house is being asked to make (a
# Python object: no JSON-RPC caller can send it).
SENDING = object()
# The fields of a payment the clearing house may already have been sent.
MLML_SENT_FIELDS = ("amount", "partner_id", "journal_id", "memo", "payment_type", "currency_id")
# And what decides whether and how a waiting payment is booked: none changes
# until the clearing house answers, nor do the fields Odoo copies to its entry.
MLML_BOOKED_FIELDS = (
    "state",
    "move_id",
    "company_id",
    "outstanding_account_id",
    "payment_method_line_id",
)
# Payments the scheduled action sends in one run.
MLML_SEND_BATCH = 20
# What only the clearing house's answers write on a payment.
MLML_LEDGER_FIELDS = (
    "mlml_send_state",
    "mlml_send_message",
    "mlml_transfer_number",
    "mlml_transfer_ref",
)


class AccountPayment(models.Model):
    _inherit = "account.payment"

    mlml_is_barter = fields.Boolean(
        string="Barter Payment", related="journal_id.currency_id.mlml_is_barter"
    )
    mlml_ledger_decides = fields.Boolean(
        string="The Clearing House Decides",
        related="company_id.mlml_credit_from_ledger",
        help="The company is connected: its clearing house decides on its payments and "
        "its credit line, nobody forces them here.",
    )
    # A payment of a company connected to its clearing house is a transfer there.
    mlml_send_state = fields.Selection(
        selection=[
            ("to_send", "Waiting to be sent"),
            ("sent", "Sent"),
            ("refused", "Refused"),
        ],
        string="Clearing House",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="Waiting to be sent: the clearing house did not answer; the payment is "
        "sent again, with the same key, until it answers. Sent: the transfer is made. "
        "Refused: the clearing house said no, nothing was paid.",
    )
    mlml_send_message = fields.Char(string="Clearing House Answer", readonly=True, copy=False)
    mlml_transfer_number = fields.Char(
        string="Transfer Number",
        readonly=True,
        copy=False,
        help="The number of the transfer in the clearing house's ledger.",
    )
    mlml_transfer_ref = fields.Char(
        string="Clearing House Transfer",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The clearing house's identifier of the transfer this payment made.",
    )

    _sql_constraints = [
        (
            "mlml_transfer_unique",
            "unique(company_id, mlml_transfer_ref)",
            "A transfer of the clearing house is the transfer of one payment.",
        ),
    ]

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
        for vals in vals_list:
            self._mlml_check_ledger_fields(vals, defaults=True)
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, [vals], ["amount"])
        self._mlml_check_ledger_fields(vals)
        self._mlml_check_waiting(vals)
        return super().write(vals)

    def action_post(self):
        """Post, after checking the members again: a membership may have changed
        since the payment was drafted. Past the bounds in warn mode, the payer is
        told at once, and the warning is logged on the payment under its number.
        A company connected to its clearing house pays there first."""
        if self.env.context.get("mlml_sending") is not SENDING:
            for payment in self.filtered(
                lambda p: (
                    p.payment_type == "inbound"
                    and p.journal_id
                    and p.journal_id == p.company_id.mlml_journal_id
                    and p.company_id._mlml_connected()
                )
            ):
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "%(company)s is connected to its clearing house: what members "
                            "pay it comes into the barter journal at each synchronisation, "
                            "matched with the invoice. Do not record payment %(payment)s by "
                            "hand: synchronise the barter journal instead.",
                            company=payment.company_id.name,
                            payment=payment.display_name,
                        )
                    )
                )
            sending = self.filtered(lambda p: not p._mlml_posted() and p._mlml_sends())
            if sending:
                return self._mlml_post_through_ledger(sending)
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
        # Uninstalling the add-on (an administrator's act) deletes the payments of
        # its data; the flag, which any caller may send, counts for nothing else.
        uninstalling = self.env.context.get(MODULE_UNINSTALL_FLAG) and self.env.is_system()
        for payment in self:
            if payment.mlml_send_state == "to_send":
                raise UserError(payment._mlml_waiting_text())
            if uninstalling:
                continue
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

    # ------------------------------------------------------------------
    # Paying through the clearing house (connected companies)
    # ------------------------------------------------------------------

    def _mlml_check_ledger_fields(self, vals, defaults=False):
        """The transfer of a payment and its state at the clearing house are
        written from the clearing house's answers only, whatever the value: no
        one records a transfer by hand (nor over RPC) to post without paying,
        nor empties the state of a waiting payment to change or delete it.
        ``defaults``: a payment is created, with the defaults of the context."""
        if self.env.context.get("mlml_sending") is SENDING:
            return
        names = [
            name
            for name in MLML_LEDGER_FIELDS
            if name in vals or (defaults and f"default_{name}" in self.env.context)
        ]
        if names:
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "%(fields)s: written from the clearing house's answers only, never by "
                        "hand. Post the payment to send it; a payment waiting to be sent is "
                        "sent again until the clearing house answers.",
                        fields=", ".join(
                            self._fields[name]._description_string(self.env) for name in names
                        ),
                    )
                )
            )

    def _mlml_check_waiting(self, vals=None):
        """A payment waiting to be sent keeps what the clearing house may have
        received, and its state, until it answers (``vals``: what is written;
        None: any change of the payment's entry)."""
        sending = self.env.context.get("mlml_sending") is SENDING
        waiting = self.filtered(lambda p: p.mlml_send_state == "to_send")
        if not waiting or (sending and vals is None):
            return
        names = set(MLML_SENT_FIELDS)
        if not sending:
            names |= {*MLML_BOOKED_FIELDS, *self._get_trigger_fields_to_synchronize()}
        for payment in waiting:
            if vals is None or any(
                payment._mlml_changes(name, vals[name]) for name in names & vals.keys()
            ):
                raise UserError(payment._mlml_waiting_text())

    def _mlml_changes(self, name, value):
        """Would writing ``value`` change the payment's field ``name``?"""
        field = self._fields[name]
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[name]

    def _mlml_posted(self):
        """Is the payment in the books (posted), or already made at the clearing house?"""
        self.ensure_one()
        return bool(self.mlml_transfer_ref) or self.move_id.state == "posted"

    def _mlml_sends(self):
        """Is this an outgoing payment the company's clearing house makes?"""
        self.ensure_one()
        journal = self.journal_id
        return bool(
            journal
            and journal == self.company_id.mlml_journal_id
            and self.payment_type == "outbound"
            and self.company_id._mlml_connected()
        )

    @api.model
    def _mlml_key_prefix(self):
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"{uuid}:payment:"

    def _mlml_transfer_key(self):
        """The payment's Idempotency-Key: the same at every try, unique across
        databases (their uuid), never given to another payment (ids are never
        reused, even after a rollback)."""
        self.ensure_one()
        return f"{self._mlml_key_prefix()}{self.id}"

    def _mlml_waiting_text(self):
        return self._mlml_text(
            self.env._(
                "The MLML payment %(payment)s waits to be sent to the clearing house, which "
                "may already have made it: it cannot be changed, cancelled or deleted until "
                "the clearing house answers. It is sent again every few minutes; "
                "“Confirm” sends it at once.",
                payment=self.display_name,
            )
        )

    def action_draft(self):
        self._mlml_check_made()
        return super().action_draft()

    def action_cancel(self):
        self._mlml_check_made()
        return super().action_cancel()

    def _mlml_check_made(self):
        for payment in self:
            if payment.mlml_send_state == "to_send":
                raise UserError(payment._mlml_waiting_text())
            if payment.mlml_transfer_ref:
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "The MLML payment %(payment)s is transfer %(number)s at the "
                            "clearing house: it cannot be undone here. Ask the clearing house "
                            "to reverse it; the reversal comes into the barter journal at the "
                            "next synchronisation.",
                            payment=payment.display_name,
                            number=payment.mlml_transfer_number,
                        )
                    )
                )
