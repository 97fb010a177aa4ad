import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..mlml_barter import split
from ..mlml_barter.amounts import to_decimal
from ..mlml_barter.backend import BackendError, Refused, Unanswered
from ..mlml_barter.wire import format_amount
from .account_move import seller_part

_logger = logging.getLogger(__name__)

#: The states of a request at the clearing house, as this database last read them.
LEDGER_STATES = ("open", "accepted", "refused", "cancelled")


class MlmlMemberRequest(models.Model):
    """A payment request between members, as a connected member's Odoo sees it.

    Sent: the company asks a customer to pay the MLML part of an invoice; the
    request is made at the clearing house when the invoice is posted (again
    and again, with the same key, until the clearing house answers) and
    cancelled there when the invoice is cancelled or reversed. Received: the
    synchronisation brings the requests a supplier made to the company; each
    is matched with the supplier's bill whose reference is the request's, and
    paid from it (*Payer la part MLML*) or refused with a reason.
    """

    _name = "mlml.member.request"
    _description = "Payment Request Between Members"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id", string="Currency")
    direction = fields.Selection(
        selection=[("sent", "Sent"), ("received", "Received")], required=True, readonly=True
    )
    remote_id = fields.Char(
        string="Clearing-House Id", readonly=True, copy=False, help="Its id at the clearing house."
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Member",
        readonly=True,
        help="The customer asked to pay (sent), or the supplier asking (received).",
    )
    member_number = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True)
    reference = fields.Char(readonly=True, help="The number of the invoice it asks to pay.")
    due_date = fields.Date(readonly=True)
    state = fields.Selection(
        selection=[
            ("to_send", "Waiting to be sent"),
            ("failed", "Refused by the clearing house"),
            ("open", "Open"),
            ("accepted", "Paid"),
            ("paid_elsewhere", "Paid another way"),
            ("refused", "Refused"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        readonly=True,
        default="to_send",
        tracking=True,
        index=True,
    )
    cancel_asked = fields.Boolean(
        readonly=True,
        copy=False,
        help="The invoice was cancelled: cancel it at the clearing house.",
    )
    message = fields.Char(string="Clearing House Answer", readonly=True, copy=False)
    refusal_reason = fields.Text(readonly=True, copy=False)
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice or Bill",
        readonly=True,
        index="btree_not_null",
        check_company=True,
    )
    payment_id = fields.Many2one(comodel_name="account.payment", readonly=True, copy=False)
    transfer_number = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "remote_unique",
            "unique(company_id, remote_id)",
            "A payment request of the clearing house is recorded once.",
        ),
    ]

    @api.depends("reference", "direction", "partner_id")
    def _compute_name(self):
        for request in self:
            request.name = self.env._(
                "%(reference)s (%(member)s)",
                reference=request.reference or "?",
                member=request.partner_id.display_name or request.member_number or "?",
            )

    # ------------------------------------------------------------------
    # Sent: the MLML part of a customer invoice
    # ------------------------------------------------------------------

    @api.model
    def _request_key(self, request_id):
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"{uuid}:request:{request_id}"

    @api.model
    def _ask_for(self, invoices):
        """Ask the customers of the posted ``invoices`` (connected companies,
        member customers, an MLML part) to pay that part."""
        requests = self.browse()
        for invoice in invoices:
            company = invoice.company_id
            customer = invoice.commercial_partner_id
            if (
                invoice.move_type != "out_invoice"
                or not company._mlml_connected()
                or invoice.currency_id.is_zero(invoice.mlml_amount)
                or not customer.mlml_member_number
                or self.sudo().search_count(
                    [
                        ("move_id", "=", invoice.id),
                        ("direction", "=", "sent"),
                        ("state", "not in", ("failed", "cancelled", "refused")),
                    ],
                    limit=1,
                )
            ):
                continue
            requests |= (
                self.sudo()
                .with_context(mail_create_nolog=True)
                .create(
                    {
                        "company_id": company.id,
                        "direction": "sent",
                        "partner_id": customer.id,
                        "member_number": customer.mlml_member_number,
                        "amount": invoice.mlml_amount,
                        "reference": invoice.name,
                        "due_date": invoice.invoice_date_due,
                        "move_id": invoice.id,
                    }
                )
            )
        for request in requests:
            request._send(retries=1)
        return requests

    def _send(self, retries=None):
        """Make the request at the clearing house, with its key; keep it waiting
        when there is no answer."""
        self.ensure_one()
        company = self.company_id
        backend = company._mlml_backend(**({"retries": retries} if retries is not None else {}))
        if backend is None:
            return False
        try:
            made = backend.request_payment(
                self._request_key(self.id),
                self.member_number,
                to_decimal(format_amount(self.amount)),
                reference=self.reference or "",
                due_date=self.due_date,
            )
        except Unanswered as error:
            self.message = company._mlml_error_text(error)
            return False
        except Refused as error:
            message = self.env._(
                "The clearing house refused to ask %(member)s for %(amount)s (%(reference)s): "
                "%(detail)s",
                member=self.partner_id.display_name or self.member_number,
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                reference=self.reference,
                detail=company._mlml_refusal_detail(error),
            )
            self.write({"state": "failed", "message": message})
            if self.move_id:
                self.move_id.message_post(body=Markup("<p>%s</p>") % message)
            return False
        finally:
            backend.close()
        self.write({"remote_id": made.id, "state": made.state, "message": False})
        if self.move_id:
            self.move_id.message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Payment request of %(amount)s sent to %(member)s through the clearing house.",
                    amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                    member=self.partner_id.display_name,
                )
            )
        if self.cancel_asked:
            self._cancel_remote()
        return True

    @api.model
    def _withdraw_for(self, invoices):
        """The invoices were cancelled or reversed: cancel their open requests."""
        requests = self.sudo().search(
            [
                ("move_id", "in", invoices.ids),
                ("direction", "=", "sent"),
                ("state", "in", ("to_send", "open")),
            ]
        )
        requests.write({"cancel_asked": True})
        for request in requests:
            if request.state == "to_send":
                # Made without an answer, or never: once made, it is cancelled.
                request._send(retries=1)
            else:
                request._cancel_remote()

    def _cancel_remote(self):
        self.ensure_one()
        answer = self._cancel_at_clearing_house()
        if answer is None:
            return False
        self.write({"state": answer.state, "cancel_asked": False, "message": False})
        return True

    def _cancel_at_clearing_house(self, backend=None):
        """Cancel the request at the clearing house (with ``backend``, or one of
        its own); its answer, or None when it did not cancel it (the reason in
        ``message``)."""
        self.ensure_one()
        own = backend is None
        if own:
            backend = self.company_id._mlml_backend(retries=1)
            if backend is None:
                return None
        try:
            return backend.cancel_request(self.remote_id)
        except Unanswered as error:
            self.message = self.company_id._mlml_error_text(error)
        except Refused as error:
            # Accepted or refused meanwhile: the synchronisation brings its state.
            self.message = error.detail
        finally:
            if own:
                backend.close()
        return None

    @api.model
    def _cron_send(self):
        """Send again the requests waiting for the clearing house, and the
        cancellations it did not answer."""
        waiting = self.sudo().search(
            ["|", ("state", "=", "to_send"), ("cancel_asked", "=", True)], order="id"
        )
        for request in waiting:
            try:
                with self.env.cr.savepoint():
                    if request.state == "to_send":
                        request._send()
                    elif request.state == "open":
                        request._cancel_remote()
            except (BackendError, UserError) as error:
                _logger.info("MLML payment request %s could not be sent: %s", request.id, error)

    # ------------------------------------------------------------------
    # The synchronisation: requests made and received, as the ledger says
    # ------------------------------------------------------------------

    @api.model
    def _synchronize(self, company, backend):
        """Read the requests that changed at the clearing house since the
        company's request cursor; return how many were received."""
        received = 0
        while True:
            with self.env.cr.savepoint():
                page = backend.payment_requests(after=company.mlml_request_cursor or None)
                for item in page.items:
                    received += self._take(company, item)
                company.mlml_request_cursor = page.cursor
            if not page.has_more:
                break
        self._match_open(company=company)
        self._close_paid(self.env["account.move"], company=company, backend=backend)
        return received

    @api.model
    def _match_open(self, company=None, bills=None):
        """Match the open received requests that have no bill yet with the bill
        of their supplier whose reference is theirs: those of ``company``, or
        those that ``bills`` (just posted) answer."""
        domain = [("direction", "=", "received"), ("state", "=", "open"), ("move_id", "=", False)]
        if bills is not None:
            bills = bills.filtered("ref")
            if not bills:
                return
            domain += [
                ("company_id", "in", bills.company_id.ids),
                ("reference", "in", bills.mapped("ref")),
            ]
        else:
            domain.append(("company_id", "=", company.id))
        for request in self.sudo().search(domain, order="id"):
            request.with_company(request.company_id)._match_bill()

    @api.model
    def _close_paid(self, moves, company=None, backend=None):
        """Close as paid the open requests whose MLML part was paid another way
        (a direct payment, a transfer reconciled by hand, the back office): the
        requests of ``moves``, or all those of ``company``. A request the company
        made is cancelled at the clearing house first, so that its customer's
        Odoo closes it too (when the clearing house does not answer, the next
        synchronisation tries again)."""
        domain = [("state", "=", "open"), ("move_id", "!=", False)]
        if company is not None:
            domain.append(("company_id", "=", company.id))
        else:
            if not moves:
                return
            domain.append(("move_id", "in", moves.ids))
        requests = self.sudo().search(domain, order="id")
        for request in requests.filtered(lambda r: r._mlml_part_paid()):
            if request.direction == "sent" and not request._cancel_at_clearing_house(backend):
                continue
            request.write({"state": "paid_elsewhere", "message": False})
            request._note_on_document(
                self.env._(
                    "The MLML part of %(document)s is paid: the payment request of %(amount)s "
                    "(%(member)s) is closed as paid.",
                    document=request.move_id.name,
                    amount=formatLang(self.env, request.amount, currency_obj=request.currency_id),
                    member=request.partner_id.display_name or request.member_number,
                )
            )

    def _mlml_part_paid(self):
        """Is the MLML part of the request's invoice or bill paid?"""
        self.ensure_one()
        document = self.move_id
        return (
            document.state == "posted"
            and not document.currency_id.is_zero(document.mlml_amount)
            and document.currency_id.is_zero(document.mlml_residual)
        )

    @api.model
    def _take(self, company, item):
        """Record one request read from the clearing house (the latest state wins)."""
        Request = self.sudo().with_company(company)
        request = Request.search(
            [("company_id", "=", company.id), ("remote_id", "=", str(item.id))], limit=1
        )
        if not request and item.role == "payee":
            # Made from this database, its answer lost: recognised by its amount and
            # reference among those waiting.
            request = Request.search(
                [
                    ("company_id", "=", company.id),
                    ("direction", "=", "sent"),
                    ("state", "=", "to_send"),
                    ("reference", "=", item.reference),
                    ("member_number", "=", item.payer),
                ],
                limit=1,
            )
        values = {
            "state": item.state,
            "refusal_reason": item.refusal_reason or False,
            "transfer_number": item.transfer.number if item.transfer else False,
            "remote_id": str(item.id),
        }
        if (
            request
            and item.state == "cancelled"
            and (
                request.state == "paid_elsewhere" or (request.move_id and request._mlml_part_paid())
            )
        ):
            # Closed by the seller because the part was paid another way.
            values["state"] = "paid_elsewhere"
        if request:
            changed = request.state != values["state"]
            request.write(values)
            if changed and request.direction == "sent" and item.state == "refused":
                request._note_on_document(
                    self.env._(
                        "%(member)s refused the payment request of %(amount)s: %(reason)s",
                        member=request.partner_id.display_name or request.member_number,
                        amount=formatLang(
                            self.env, request.amount, currency_obj=request.currency_id
                        ),
                        reason=item.refusal_reason or "",
                    )
                )
            return 0
        if item.role != "payer":
            return 0
        supplier = self.env["res.partner"].search(
            [("mlml_member_number", "=", item.payee), ("is_company", "=", True)], limit=1
        )
        request = Request.create(
            {
                **values,
                "company_id": company.id,
                "direction": "received",
                "partner_id": supplier.id,
                "member_number": item.payee,
                "amount": float(item.amount),
                "reference": item.reference,
                "due_date": item.due_date,
            }
        )
        request._match_bill()
        return 1

    def _note_on_document(self, text):
        if self.move_id:
            self.move_id.message_post(body=Markup("<p>%s</p>") % text)
        else:
            self.message_post(body=Markup("<p>%s</p>") % text)

    def _match_bill(self):
        """Match a received request with the supplier's bill whose reference is the
        request's; say why when there is none, or when it asks too much."""
        self.ensure_one()
        if not self.partner_id:
            self.message = self.env._(
                "No partner has the member number %(number)s: refresh the member directory.",
                number=self.member_number,
            )
            return
        bill = self.env["account.move"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("move_type", "=", "in_invoice"),
                ("state", "=", "posted"),
                ("commercial_partner_id", "=", self.partner_id.commercial_partner_id.id),
                ("ref", "=", self.reference),
            ],
            limit=1,
        )
        if not bill:
            self.message = self.env._(
                "No posted bill of %(supplier)s has the reference %(reference)s: record the "
                "bill, or refuse the request.",
                supplier=self.partner_id.display_name,
                reference=self.reference,
            )
            return
        self.move_id = bill
        settled = bill._mlml_barter_settlement()[0]
        if not split.fits(bill.mlml_eligible_amount, self.amount, 0):
            self.message = self.env._(
                "The request asks %(amount)s, more than the untaxed amount of bill %(bill)s "
                "that may be paid in MLML (%(eligible)s): check the bill with the supplier, "
                "or refuse the request.",
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                bill=bill.name,
                eligible=formatLang(
                    self.env, bill.mlml_eligible_amount, currency_obj=bill.currency_id
                ),
            )
            return
        if self.currency_id.compare_amounts(settled, self.amount) <= 0 and (
            self.currency_id.compare_amounts(bill.mlml_seller_amount, self.amount) != 0
        ):
            # The seller's split decides the bill's MLML part.
            seller_part(bill.sudo()).write({"mlml_seller_amount": self.amount})
        if self.currency_id.compare_amounts(self.amount, bill.mlml_residual) > 0:
            self.message = self.env._(
                "The request asks %(amount)s, more than the MLML part left to pay on bill "
                "%(bill)s (%(residual)s): refuse it, or check the bill with the supplier.",
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                bill=bill.name,
                residual=formatLang(self.env, bill.mlml_residual, currency_obj=self.currency_id),
            )
        else:
            self.message = False
        bill.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "%(supplier)s asks %(amount)s through the clearing house for the MLML part of "
                "this bill.",
                supplier=self.partner_id.display_name,
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
            )
        )

    # ------------------------------------------------------------------
    # Received: paid or refused from the bill
    # ------------------------------------------------------------------

    def _check_payable(self):
        self.ensure_one()
        if self.direction != "received" or self.state != "open":
            raise UserError(
                self.env._(
                    "The payment request %(request)s is not an open request addressed to "
                    "your company: nothing to pay or refuse.",
                    request=self.name,
                )
            )

    def _creation_message(self):
        # Its own sentence, not mail's "%s created": the noun is feminine in French.
        self.ensure_one()
        return self.env._("Payment request created")

    def action_pay(self):
        """Accept the request at the clearing house (the transfer is made there,
        once for this request's key), then book the payment of the bill's MLML
        part and reconcile it."""
        self.ensure_one()
        self._check_payable()
        bill = self.move_id
        if not bill:
            raise UserError(
                self.env._(
                    "The request %(request)s matches no bill: record the supplier's bill with "
                    "the reference %(reference)s first, or refuse the request.",
                    request=self.name,
                    reference=self.reference,
                )
            )
        if self._mlml_part_paid():
            raise UserError(
                self.env._(
                    "The MLML part of bill %(bill)s is already paid: nothing is left to pay "
                    "for the request %(request)s. It is closed as paid at the next "
                    "synchronisation.",
                    bill=bill.name,
                    request=self.name,
                )
            )
        if self.currency_id.compare_amounts(self.amount, bill.mlml_residual) > 0:
            raise UserError(self.message or self.env._("The request asks too much."))
        company = self.company_id
        backend = company._mlml_backend(retries=1)
        if backend is None:
            raise UserError(self.env._("The company is not connected to its clearing house."))
        try:
            answer = backend.accept_request(self.remote_id, self._request_key(self.id))
        except BackendError as error:
            raise UserError(
                self.env._(
                    "The clearing house did not pay the request %(request)s: %(detail)s",
                    request=self.name,
                    detail=company._mlml_refusal_detail(error)
                    if isinstance(error, Refused)
                    else company._mlml_error_text(error),
                )
            ) from error
        finally:
            backend.close()
        transfer = answer.transfer
        if transfer is None:
            # Paid by an earlier attempt whose answer was lost (a ledger that does not
            # answer again with the transfer): the synchronisation books it.
            self.write({"state": "accepted", "message": False})
            return self._paid_and_told(
                bill,
                self.env._(
                    "The clearing house had already paid the request %(request)s "
                    "(%(amount)s to %(supplier)s): the next synchronisation books its "
                    "transfer on %(bill)s.",
                    request=self.name,
                    amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                    supplier=bill.commercial_partner_id.display_name,
                    bill=bill.display_name,
                ),
            )
        journal = company.mlml_journal_id
        payment = (
            self.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": bill.commercial_partner_id.id,
                    "amount": self.amount,
                    "currency_id": self.currency_id.id,
                    "journal_id": journal.id,
                    "memo": self.reference,
                    "invoice_ids": [fields.Command.set(bill.ids)],
                }
            )
        )
        payment._mlml_accepted(transfer)
        bill.invalidate_recordset(["mlml_request_id"])
        self.write(
            {
                "state": "accepted",
                "payment_id": payment.id,
                "transfer_number": transfer.number if transfer else False,
                "message": False,
            }
        )
        return self._paid_and_told(
            bill,
            self.env._(
                "MLML part of %(bill)s paid through the clearing house: transfer "
                "%(transfer)s of %(amount)s to %(supplier)s, for the request %(request)s.",
                bill=bill.display_name,
                transfer=transfer.number,
                amount=formatLang(self.env, self.amount, currency_obj=self.currency_id),
                supplier=bill.commercial_partner_id.display_name,
                request=self.name,
            ),
        )

    def _paid_and_told(self, bill, message):
        """Say ``message`` in the chatter of the bill and of the request, and to
        the user; then show the bill again, paid."""
        body = Markup("<p>%s</p>") % message
        bill.message_post(body=body)
        self.message_post(body=body)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("MLML part paid"),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_refuse_wizard(self):
        self.ensure_one()
        self._check_payable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse %(request)s", request=self.name),
            "res_model": "mlml.member.request.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def _refuse(self, reason):
        self.ensure_one()
        self._check_payable()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the request is refused: the supplier reads it."))
        backend = self.company_id._mlml_backend(retries=1)
        if backend is None:
            raise UserError(self.env._("The company is not connected to its clearing house."))
        try:
            answer = backend.refuse_request(self.remote_id, reason)
        except BackendError as error:
            raise UserError(
                self.env._(
                    "The clearing house did not record the refusal: %(detail)s",
                    detail=self.company_id._mlml_refusal_detail(error)
                    if isinstance(error, Refused)
                    else self.company_id._mlml_error_text(error),
                )
            ) from error
        finally:
            backend.close()
        self.write({"state": answer.state, "refusal_reason": reason, "message": False})
        self._note_on_document(self.env._("Payment request refused: %(reason)s", reason=reason))
        return True
