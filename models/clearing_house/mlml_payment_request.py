from odoo import api, fields, models
from odoo.exceptions import UserError

from .mlml_guards import booking, check_staff, is_booking
from .mlml_transfer import MlmlRefusal

#: What the clearing house's rules alone write on a request: its answer and its feed.
LEDGER_FIELDS = {
    "state",
    "transfer_id",
    "refusal_reason",
    "feed_position",
    "idempotency_key",
    "request_fingerprint",
}


class MlmlPaymentRequest(models.Model):
    """A seller (the payee) asks a buyer (the payer) to pay an amount.

    The buyer accepts, which books the transfer with the bounds, or refuses
    with a reason; the seller may cancel an open request. Accepting twice
    pays once.
    """

    _name = "mlml.payment.request"
    _description = "Clearing-House Payment Request"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", string="Request")
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id", string="Currency")
    payer_id = fields.Many2one(
        comodel_name="res.partner",
        string="Buyer (Payer)",
        required=True,
        index=True,
        domain="[('is_company', '=', True), ('mlml_member_state', '=', 'active')]",
    )
    payee_id = fields.Many2one(
        comodel_name="res.partner",
        string="Seller (Payee)",
        required=True,
        index=True,
        domain="[('is_company', '=', True), ('mlml_member_state', '=', 'active')]",
    )
    amount = fields.Monetary(required=True)
    reference = fields.Char(help="What is asked for, e.g. the MLML part of an invoice.")
    due_date = fields.Date()
    state = fields.Selection(
        selection=[
            ("open", "Open"),
            ("accepted", "Accepted"),
            ("refused", "Refused"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
    )
    transfer_id = fields.Many2one(comodel_name="mlml.transfer", readonly=True, copy=False)
    refusal_reason = fields.Text(readonly=True, copy=False)
    # The members' systems read the requests as a feed of changes: each
    # creation and each change of state takes the next number of a gapless
    # sequence of the clearing house (see ``_bump_feed``).
    feed_position = fields.Integer(readonly=True, copy=False, index=True)
    idempotency_key = fields.Char(readonly=True, copy=False)
    request_fingerprint = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("amount_positive", "CHECK (amount > 0)", "A payment request asks a positive amount."),
        ("payer_not_payee", "CHECK (payer_id != payee_id)", "A member does not ask itself."),
    ]

    @api.depends("reference")
    def _compute_name(self):
        for request in self:
            if request.reference:
                request.name = self.env._(
                    "Request %(id)s (%(reference)s)",
                    id=request.id or "",
                    reference=request.reference,
                )
            else:
                request.name = self.env._("Request %(id)s", id=request.id or "")

    @api.model_create_multi
    def create(self, vals_list):
        self._check_staff()
        if not is_booking(self.env):
            for vals in vals_list:
                self._check_ledger_fields(vals)
        for vals in vals_list:
            self.new({**self.default_get(["company_id"]), **vals})._check_new()
        requests = super().create(vals_list)
        requests._bump_feed()
        return requests

    def write(self, vals):
        if not is_booking(self.env):
            self._check_ledger_fields(vals)
        if set(vals) & {"payer_id", "payee_id", "amount", "company_id"}:
            self._check_staff()
            closed = self.filtered(lambda r: r.state != "open")
            if closed:
                raise UserError(
                    self.env._(
                        "%(request)s is %(state)s: its payer, payee and amount no longer "
                        "change. Make a new request.",
                        request=closed[0].name,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            closed[0].state
                        ],
                    )
                )
        return super().write(vals)

    @api.model
    def _check_ledger_fields(self, vals):
        written = LEDGER_FIELDS & vals.keys()
        if written:
            raise UserError(
                self.env._(
                    "The state of a payment request, its transfer and its refusal are written by "
                    "the clearing house when the payer accepts or refuses it, or the payee "
                    "cancels it (%(fields)s cannot be written): use Accept, Refuse or Cancel.",
                    fields=", ".join(sorted(written)),
                )
            )

    def _check_staff(self):
        check_staff(
            self.env,
            self.env._(
                "Only the clearing house's staff make, change or answer a payment request on "
                "a member's behalf; members do it through the clearing house's API."
            ),
        )

    def _bump_feed(self):
        """Give the requests the next positions of their clearing house's feed,
        so that a member reading the requests after its last position sees
        each new request, and each one again once its state changed."""
        Transfer = self.env["mlml.transfer"]
        for request in self:
            sequence = Transfer._sequence(
                request.company_id,
                "mlml.payment.request.feed",
                self.env._(
                    "Payment requests of %(company)s (feed)", company=request.company_id.name
                ),
            )
            self.env.cr.execute(
                "UPDATE mlml_payment_request SET feed_position = %s WHERE id = %s",
                [Transfer._take_number(sequence), request.id],
            )
        self.invalidate_recordset(["feed_position"])

    def _check_new(self):
        self.ensure_one()
        self.env["mlml.ledger.account"]._clearing_house(self.company_id)
        payer = self.payer_id.commercial_partner_id
        payee = self.payee_id.commercial_partner_id
        if payer == payee:
            raise MlmlRefusal(
                self.env._(
                    "%(member)s cannot ask itself to pay: choose another member as payer.",
                    member=payee.display_name,
                ),
                "transfer_to_oneself",
                400,
                field="payer",
            )
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise MlmlRefusal(
                self.env._("A payment request must ask more than zero."),
                "amount_not_positive",
                400,
                field="amount",
            )
        for partner, role in ((payee, "payee"), (payer, "payer")):
            if partner.mlml_member_state != "active":
                raise MlmlRefusal(
                    self.env._(
                        "%(member)s is not an active member: only active members ask for "
                        "and make payments.",
                        member=partner.display_name,
                    ),
                    f"{role}_not_active",
                    403,
                    member=partner.mlml_member_number,
                )

    def _lock_open(self, action):
        """Lock the request's row and refuse it unless it is still open."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT state FROM mlml_payment_request WHERE id = %s FOR UPDATE", [self.id]
        )
        self.invalidate_recordset(["state", "transfer_id"])
        labels = dict(self._fields["state"]._description_selection(self.env))
        if self.state != "open":
            raise MlmlRefusal(
                self.env._(
                    "%(request)s is already %(state)s: it can no longer be %(action)s.",
                    request=self.name,
                    state=labels[self.state].lower(),
                    action=action,
                ),
                "request_not_open",
                409,
                state=self.state,
            )

    def _creation_message(self):
        # Its own sentence, not mail's "%s created": the noun is feminine in French.
        self.ensure_one()
        return self.env._("Payment request created")

    def action_accept(self, channel="back_office", idempotency_key=None, fingerprint=None):
        """The buyer accepts: the transfer is booked. Accepting again pays nothing more:
        the transfer made the first time is returned."""
        self.ensure_one()
        self._check_staff()
        self.env.cr.execute(
            "SELECT state FROM mlml_payment_request WHERE id = %s FOR UPDATE", [self.id]
        )
        self.invalidate_recordset(["state", "transfer_id"])
        if self.state == "accepted":
            return self.transfer_id
        self._lock_open(self.env._("accepted"))
        transfer = self.env["mlml.transfer"]._book(
            self.payer_id,
            self.payee_id,
            self.amount,
            reference=self.reference,
            memo=self.env._("Payment request %(id)s", id=self.id),
            channel=channel,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            company=self.company_id,
        )
        booking(self).write({"state": "accepted", "transfer_id": transfer.id})
        self._bump_feed()
        return transfer

    def action_refuse(self, reason):
        self.ensure_one()
        self._check_staff()
        if not (reason or "").strip():
            raise MlmlRefusal(
                self.env._(
                    "Say why %(request)s is refused: the seller reads it.", request=self.name
                ),
                "reason_missing",
                400,
                field="reason",
            )
        self._lock_open(self.env._("refused"))
        booking(self).write({"state": "refused", "refusal_reason": reason})
        self._bump_feed()
        return True

    def action_cancel(self):
        self.ensure_one()
        self._check_staff()
        self._lock_open(self.env._("cancelled"))
        booking(self).write({"state": "cancelled"})
        self._bump_feed()
        return True

    def action_accept_button(self):
        for request in self:
            request.action_accept()
        return True

    def action_cancel_button(self):
        for request in self:
            request.action_cancel()
        return True

    def action_refuse_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Refuse %(request)s", request=self.name),
            "res_model": "mlml.transfer.reverse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }
