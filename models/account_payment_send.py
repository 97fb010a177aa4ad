"""Paying through the clearing house: an outgoing MLML payment of a connected
company is posted only once the clearing house made its transfer.

The payment is asked for with its own Idempotency-Key; without an answer it
waits (*En attente d'envoi*) and the scheduled action sends it again with the
same key until the clearing house answers. What the answer says is written
with ``SENDING``, a mark no JSON-RPC caller can send.
"""

import logging
from decimal import Decimal

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from ..mlml_barter.amounts import to_decimal
from ..mlml_barter.backend import BackendError, Refused, Unanswered
from .account_payment import MLML_SEND_BATCH, SENDING
from .mlml_bounds_grant import LEDGER_DECIDED, notes_in

_logger = logging.getLogger(__name__)


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _mlml_post_through_ledger(self, sending):
        """Post ``sending`` (outgoing payments of connected companies) by making
        their transfers at the clearing house, and the other payments as usual."""
        result = True
        others = self - sending
        if others:
            result = others.action_post()
        waiting = self.browse()
        # One payment refused: the user reads why, nothing is written. Several: those
        # the clearing house made stay made; the refused ones say why on their form.
        alone = len(sending) == 1
        for payment in sending:
            outcome = payment._mlml_send(first=True, alone=alone)
            if outcome is False:
                waiting |= payment
            elif isinstance(outcome, dict):
                result = outcome
        if waiting:
            refused = waiting.filtered(lambda p: p.mlml_send_state == "refused")
            params = {
                "type": "danger" if refused else "warning",
                "sticky": True,
                "title": self.env._("Refused or waiting to be sent")
                if refused
                else self.env._("Waiting to be sent"),
                "message": "\n".join(waiting.mapped("mlml_send_message")),
            }
            if isinstance(result, dict):
                params["next"] = result
            return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
        return result

    def _mlml_send(self, first=False, alone=True):
        """Ask the clearing house to make the payment's transfer, with its key.

        The first time (``first``), the payment is posted in a savepoint first,
        so that the local checks (members, credit line) run before anything is
        asked; a refusal is then raised to the user and nothing is written.
        When resent, the clearing house's answer decides alone. Return False
        when the payment waits to be sent, else the result of posting it.
        """
        self.ensure_one()
        company = self.company_id
        payee = self.partner_id.commercial_partner_id
        if not payee.mlml_member_number:
            raise UserError(
                self.env._(
                    "%(partner)s has no member number: the clearing house cannot pay it. "
                    "Refresh the member directory, or enter its number on its MLML tab.",
                    partner=payee.display_name,
                )
            )
        backend = company._mlml_backend(**({"retries": 1} if first else {}))
        request = {
            "key": self._mlml_transfer_key(),
            "payee": payee.mlml_member_number,
            "amount": to_decimal(self.currency_id.round(self.amount)).quantize(Decimal("0.01")),
            # Never the payment's number: it is given at posting, and a request sent
            # again must be the same, word for word.
            "reference": (self.memo or "").strip()[:200],
        }
        # One sender at a time per payment: the scheduled action, the user's
        # "Confirm" and the synchronisation wait for each other.
        self.env.cr.execute("SELECT id FROM account_payment WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_recordset(["move_id", "mlml_transfer_ref"])
        if self._mlml_posted():
            return True
        result = True
        collector = notes_in(self.env.context)
        noted = len(collector.notes) if collector is not None else 0
        try:
            if first:
                with self.env.cr.savepoint():
                    result = self.with_context(mlml_sending=SENDING).action_post()
                    transfer = backend.pay(**request)
            else:
                transfer = backend.pay(**request)
        except Unanswered as error:
            if collector is not None:
                # The posting was rolled back: nothing of it is to be told.
                del collector.notes[noted:]
            self._mlml_wait(company._mlml_error_text(error))
            return False
        except Refused as error:
            detail = company._mlml_refusal_detail(error)
            message = self._mlml_text(
                self.env._(
                    "The clearing house refused the payment of %(amount)s to %(partner)s "
                    "(%(reference)s): %(detail)s Nothing was paid.",
                    amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                    partner=payee.display_name,
                    reference=request["reference"],
                    detail=detail,
                )
            )
            if first and alone:
                raise UserError(message) from error
            self.with_context(mlml_sending=SENDING).write(
                {"mlml_send_state": "refused", "mlml_send_message": message}
            )
            self.message_post(body=Markup("<p>%s</p>") % message)
            return False
        finally:
            backend.close()
        self._mlml_accepted(transfer)
        return result

    def _mlml_wait(self, reason):
        message = self._mlml_text(
            self.env._(
                "The payment of %(amount)s to %(partner)s waits to be sent: %(reason)s It "
                "will be sent again automatically, with the same key, until the clearing "
                "house answers.",
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                partner=self.partner_id.commercial_partner_id.display_name,
                reason=reason,
            )
        )
        _logger.info("MLML payment %s waits to be sent", self.id)
        if self.mlml_send_state != "to_send":
            self.message_post(body=Markup("<p>%s</p>") % message)
        self.with_context(mlml_sending=SENDING).write(
            {"mlml_send_state": "to_send", "mlml_send_message": message}
        )

    def _mlml_accepted(self, transfer):
        """The clearing house made the payment's transfer: record it and post."""
        self.ensure_one()
        posted = self.move_id.state == "posted"
        self.with_context(mlml_sending=SENDING).write(
            {
                "mlml_send_state": "sent",
                "mlml_send_message": False,
                "mlml_transfer_ref": str(transfer.id),
                "mlml_transfer_number": transfer.number,
            }
        )
        if not posted:
            self.with_context(
                mlml_sending=SENDING, mlml_ledger_decided=LEDGER_DECIDED
            ).action_post()
            self._mlml_reconcile_invoices()

    def _mlml_reconcile_invoices(self):
        """Match a payment posted after the clearing house's late answer with the
        invoices it was registered for."""
        self.ensure_one()
        lines = self.move_id.line_ids.filtered(
            lambda line: (
                line.account_id.account_type in ("asset_receivable", "liability_payable")
                and not line.reconciled
            )
        )
        for invoice in self.invoice_ids.filtered(lambda move: move.state == "posted"):
            terms = invoice.line_ids.filtered(
                lambda line: (
                    line.display_type == "payment_term"
                    and not line.reconciled
                    and line.account_id in lines.account_id
                )
            )
            if terms and lines:
                (
                    lines.filtered(
                        lambda line, terms=terms: line.account_id == terms.account_id[:1]
                    )
                    | terms
                ).reconcile()

    @api.model
    def _mlml_find_sent(self, company, transfer):
        """The payment of this database that made ``transfer``, if any: by the
        transfer recorded on it, or by the key it was sent with (its answer was
        lost, or this database stopped before saving it)."""
        Payment = self.sudo()
        if transfer.direction != "out":
            return Payment
        payment = Payment.search(
            [("company_id", "=", company.id), ("mlml_transfer_ref", "=", str(transfer.id))],
            limit=1,
        )
        prefix = self._mlml_key_prefix()
        if payment or not (transfer.key or "").startswith(prefix):
            return payment
        number = transfer.key[len(prefix) :]
        payment = Payment.browse(int(number)).exists() if number.isdigit() else Payment
        if payment:
            self.env.cr.execute(
                "SELECT id FROM account_payment WHERE id = %s FOR UPDATE SKIP LOCKED", [payment.id]
            )
            if not self.env.cr.rowcount:
                raise UserError(
                    self.env._(
                        "Payment %(payment)s is being sent to the clearing house right now: "
                        "the synchronisation reads on from here at its next run.",
                        payment=payment.display_name,
                    )
                )
            payment.invalidate_recordset()
        if (
            payment
            and payment.company_id == company
            and payment.state != "canceled"
            and not payment._mlml_posted()
            and payment.partner_id.commercial_partner_id.mlml_member_number == transfer.payee
            and not payment.currency_id.compare_amounts(payment.amount, float(transfer.amount))
        ):
            return payment
        return Payment

    @api.model
    def _cron_mlml_send(self):
        """Send again the payments waiting for the clearing house's answer, a
        batch per run (the scheduler commits and runs again for the rest). A
        batch rolled back by a crash is sent again: the keys make it safe."""
        waiting = self.sudo().search([("mlml_send_state", "=", "to_send")], order="id")
        batch = waiting[:MLML_SEND_BATCH]
        for payment in batch:
            try:
                with self.env.cr.savepoint():
                    payment._mlml_send()
            except (BackendError, UserError, ValidationError) as error:
                _logger.info("MLML payment %s could not be sent: %s", payment.id, error)
                payment.with_context(mlml_sending=SENDING).mlml_send_message = str(error.args[0])
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(waiting) - len(batch))
