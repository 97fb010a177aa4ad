import dataclasses
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ...mlml_barter.amounts import RuleError, to_decimal
from ...mlml_barter.ledger import decide_transfer
from ...mlml_barter.membership import ACTIVE
from .mlml_guards import (
    STAFF_GROUP,
    booking,
    check_ledger_manager,
    data_fields,
    is_booking,
    is_ledger_manager,
    unnest_rows,
)

# Only these are ever written on a booked transfer, and only by the ledger itself.
LEDGER_WRITABLE = {"state", "reversed_by_id", "commission_id"}
# The refusals an MLML manager may force.
BOUND_CODES = {"payer_below_credit_limit", "payee_cannot_receive"}
# The channels that take no commission (a compensation moves only what the run
# found room for).
NO_COMMISSION = ("reversal", "commission", "compensation")


class MlmlRefusal(UserError):
    """A transfer (or a payment request) the clearing house refuses.

    Carries the rule's ``code``, the HTTP ``status`` the API answers with and
    the figures a program needs, next to the message a user reads.
    """

    def __init__(self, message, code, status=422, **figures):
        super().__init__(message)
        self.code = code
        self.status = status
        self.figures = figures


class MlmlTransfer(models.Model):
    """A transfer between two members' accounts at the clearing house.

    Booked by ``_book`` only, never edited nor deleted: a correction is a
    reversal, a new transfer the other way (``reverse``).
    """

    _name = "mlml.transfer"
    _description = "Clearing-House Transfer"
    _inherit = ["mail.thread"]
    _order = "ledger_position desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        help="The transfer's number in the ledger, gapless in the order transfers were accepted.",
    )
    ledger_position = fields.Integer(
        readonly=True, copy=False, index=True, help="The transfer's rank in the ledger."
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id", string="Currency")
    payer_id = fields.Many2one(comodel_name="res.partner", required=True, readonly=True, index=True)
    payee_id = fields.Many2one(comodel_name="res.partner", required=True, readonly=True, index=True)
    amount = fields.Monetary(required=True, readonly=True, aggregator="sum")
    reference = fields.Char(readonly=True, help="What the transfer pays, e.g. an invoice number.")
    memo = fields.Char(readonly=True)
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    channel = fields.Selection(
        selection=[
            ("api", "API"),
            ("back_office", "Back office"),
            ("compensation", "Compensation run"),
            ("reversal", "Reversal"),
            ("commission", "Commission"),
        ],
        required=True,
        readonly=True,
        default="back_office",
    )
    idempotency_key = fields.Char(readonly=True, copy=False)
    request_fingerprint = fields.Char(readonly=True, copy=False)
    state = fields.Selection(
        selection=[("posted", "Posted"), ("reversed", "Reversed")],
        required=True,
        readonly=True,
        default="posted",
        index=True,
        tracking=True,
    )
    reversal_of_id = fields.Many2one(
        comodel_name="mlml.transfer", string="Reverses", readonly=True, index="btree_not_null"
    )
    reversed_by_id = fields.Many2one(comodel_name="mlml.transfer", readonly=True)
    reversal_reason = fields.Text(readonly=True)
    commission_of_id = fields.Many2one(
        comodel_name="mlml.transfer",
        string="Commission On",
        readonly=True,
        index="btree_not_null",
    )
    commission_id = fields.Many2one(comodel_name="mlml.transfer", readonly=True)
    forced = fields.Boolean(
        string="Bounds Forced",
        readonly=True,
        help="An MLML manager booked this transfer past a bound.",
    )
    account_amount = fields.Monetary(
        string="Amount for the Account",
        compute="_compute_account_figures",
        help="Seen from the account whose history is read: negative when it paid.",
    )
    account_balance = fields.Monetary(
        string="Balance After",
        compute="_compute_account_figures",
        help="The balance of the account whose history is read, once this transfer booked.",
    )
    month = fields.Date(
        compute="_compute_month",
        store=True,
        precompute=True,
        help="For the ledger's reports by month.",
    )

    _sql_constraints = [
        (
            "amount_positive",
            "CHECK (amount > 0)",
            "The amount of a transfer is positive.",
        ),
        ("payer_not_payee", "CHECK (payer_id != payee_id)", "A member does not pay itself."),
        (
            "position_unique",
            "unique(company_id, ledger_position)",
            "Each transfer has its own place in the ledger.",
        ),
        (
            "idempotency_key_unique",
            "unique(company_id, payer_id, idempotency_key)",
            "A payer's Idempotency-Key names one transfer.",
        ),
    ]

    @api.depends("date")
    def _compute_month(self):
        for transfer in self:
            transfer.month = transfer.date and transfer.date.replace(day=1)

    @api.depends("amount", "payer_id", "payee_id")
    @api.depends_context("mlml_ledger_partner_id")
    def _compute_account_figures(self):
        """A member's history: each transfer signed from its side, and the running
        balance (the sum of its transfers up to this one, in ledger order)."""
        partner_id = self.env.context.get("mlml_ledger_partner_id")
        balances = {}
        if partner_id and self.ids:
            self.env.cr.execute(
                """
                SELECT id, balance FROM (
                    SELECT id, SUM(CASE WHEN payee_id = %(partner)s THEN amount ELSE -amount END)
                               OVER (PARTITION BY company_id ORDER BY ledger_position) AS balance
                      FROM mlml_transfer
                     WHERE company_id IN %(companies)s
                       AND (payer_id = %(partner)s OR payee_id = %(partner)s)
                ) history
                 WHERE id IN %(ids)s
                """,
                {
                    "partner": int(partner_id),
                    "companies": tuple(self.company_id.ids),
                    "ids": tuple(self.ids),
                },
            )
            balances = dict(self.env.cr.fetchall())
        for transfer in self:
            if transfer.payer_id.id == partner_id:
                transfer.account_amount = -transfer.amount
            else:
                transfer.account_amount = transfer.amount
            transfer.account_balance = balances.get(transfer.id, 0.0)

    # ------------------------------------------------------------------
    # Never edited, never deleted
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_booking(self.env):
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "A transfer is booked by the clearing house's ledger only: use "
                        "MLML › Clearing House › New Transfer, or the members' API."
                    )
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        changed = data_fields(vals)
        if changed and not (is_booking(self.env) and changed <= LEDGER_WRITABLE):
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "Transfer %(number)s is posted: a posted transfer is never edited. "
                        "To correct it, an MLML manager reverses it and a new transfer is made.",
                        number=", ".join(self.mapped("name")),
                    )
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self._mlml_text(
                self.env._(
                    "Transfer %(number)s is in the ledger: a transfer is never deleted. To "
                    "cancel it, an MLML manager reverses it.",
                    number=", ".join(self.mapped("name")),
                )
            )
        )

    # ------------------------------------------------------------------
    # Booking
    # ------------------------------------------------------------------

    @api.model
    def _to_decimal(self, value):
        return to_decimal(value if value is not None else 0)

    def _fmt(self, amount, company):
        return formatLang(self.env, float(amount), currency_obj=company.mlml_currency_id)

    @api.model
    def _book(self, payer, payee, amount, **options):
        """Book a transfer of ``amount`` from ``payer`` to ``payee``; return it.

        The accounts are locked (one fixed order), the pure rules decide
        (membership, both bounds in the company's block/warn mode or forced
        by a manager, the commission), the balances move by SQL and the
        transfer takes the next number of the gapless sequence. A refusal
        raises MlmlRefusal and leaves nothing written. With an
        ``idempotency_key`` already used by this payer, the transfer it made
        is returned and nothing is booked. ``options``: those of ``_book_once``.
        """
        return self._book_once(payer, payee, amount, **options)[0]

    @api.model
    def _book_once(
        self,
        payer,
        payee,
        amount,
        *,
        reference="",
        memo="",
        channel="back_office",
        idempotency_key=None,
        fingerprint=None,
        forced=False,
        force_reason=None,
        reversal_of=None,
        company=None,
    ):
        """``_book``, saying also whether it booked: (transfer, True), or the
        transfer booked before with ``idempotency_key`` and False."""
        Account = self.env["mlml.ledger.account"].sudo()
        company = Account._clearing_house(company)
        payer = payer.commercial_partner_id
        payee = payee.commercial_partner_id
        if forced:
            check_ledger_manager(
                self.env,
                self._mlml_text(
                    self.env._(
                        "Only the clearing house's MLML managers book a transfer past a "
                        "member's bounds."
                    )
                ),
            )
        percent = 0 if channel in NO_COMMISSION else company.mlml_commission_percent
        # The clearing house's own account is locked only when it is paid: every
        # transfer would otherwise wait for every other one.
        house = company.partner_id if percent else self.env["res.partner"]
        accounts = Account._lock(company, payer | payee | house)
        if idempotency_key:
            # Booked before, or by another transaction while this one waited for the locks.
            done = self._find_by_key(company, payer, idempotency_key)
            if done:
                return self.browse(done.ids), False
        if reversal_of:
            # A reversal corrects the ledger: memberships do not stop it, the bounds do.
            for partner in (payer, payee):
                accounts[partner.id] = dataclasses.replace(accounts[partner.id], state=ACTIVE)
        try:
            decision = decide_transfer(
                accounts[payer.id],
                accounts[payee.id],
                to_decimal(amount),
                commission_percent=percent,
                house=accounts.get(house.id),
                mode=company.mlml_limit_mode,
                forced=forced,
                repay_suspended=company.mlml_repay_suspended,
            )
        except RuleError as error:
            raise self._refusal(error, company, payer, payee) from error
        moves = defaultdict(Decimal)
        moves[payer.id] -= decision.amount + decision.commission
        moves[payee.id] += decision.amount
        if decision.commission:
            moves[house.id] += decision.commission
        Account._move(company, moves)
        values = {
            "company_id": company.id,
            "payer_id": payer.id,
            "payee_id": payee.id,
            "amount": decision.amount,
            "reference": reference or "",
            "memo": memo or "",
            "channel": channel,
            "idempotency_key": idempotency_key or False,
            "request_fingerprint": fingerprint or False,
            "forced": bool(forced and decision.warnings),
            "reversal_of_id": reversal_of.id if reversal_of else False,
            "reversal_reason": force_reason if reversal_of else False,
        }
        transfer = self._write_booked(company, values)
        if decision.commission:
            commission = self._write_booked(
                company,
                {
                    "company_id": company.id,
                    "payer_id": payer.id,
                    "payee_id": house.id,
                    "amount": decision.commission,
                    "reference": transfer.name,
                    "memo": self.env._(
                        "Commission of %(percent)s %% on %(number)s",
                        percent=formatLang(self.env, company.mlml_commission_percent),
                        number=transfer.name,
                    ),
                    "channel": "commission",
                    "commission_of_id": transfer.id,
                },
            )
            transfer.commission_id = commission
        if decision.warnings:
            transfer._note_breaches(decision.warnings, company, forced, force_reason)
        return self.browse(transfer.ids), True

    @api.model
    def _book_many(self, transfers, *, reference="", memo="", channel, company=None):
        """Book ``transfers`` (``[(payer, payee, amount)]``) in their order, each as
        ``_book`` books it, in a channel without commission; return them.

        For the many transfers of one operation (a compensation run): the
        accounts of all of them are locked at once (``_lock``: one fixed order),
        the pure rules decide each transfer on the balances the ones before it
        left, then the balances move in one query and the transfers take the
        next numbers of the ledger in one statement. A refusal raises the
        MlmlRefusal of the first transfer refused (its ``transfer``: that payer,
        payee and amount) and leaves nothing written.
        """
        if channel not in NO_COMMISSION:
            raise ValueError(f"Transfers of the channel {channel!r} take a commission.")
        if not transfers:
            return self.browse()
        Account = self.env["mlml.ledger.account"].sudo()
        company = Account._clearing_house(company)
        transfers = [
            (payer.commercial_partner_id, payee.commercial_partner_id, amount)
            for payer, payee, amount in transfers
        ]
        partners = self.env["res.partner"].concat(
            *(payer | payee for payer, payee, _amount in transfers)
        )
        accounts = Account._lock(company, partners)
        moves = defaultdict(Decimal)
        booked = []
        for payer, payee, amount in transfers:
            try:
                decision = decide_transfer(
                    accounts[payer.id],
                    accounts[payee.id],
                    to_decimal(amount),
                    mode=company.mlml_limit_mode,
                    repay_suspended=company.mlml_repay_suspended,
                )
            except RuleError as error:
                refusal = self._refusal(error, company, payer, payee)
                refusal.transfer = (payer, payee, amount)
                raise refusal from error
            for partner_id, move in ((payer.id, -decision.amount), (payee.id, decision.amount)):
                account = accounts[partner_id]
                accounts[partner_id] = dataclasses.replace(account, balance=account.balance + move)
                moves[partner_id] += move
            values = {
                "company_id": company.id,
                "payer_id": payer.id,
                "payee_id": payee.id,
                "amount": decision.amount,
                "reference": reference or "",
                "memo": memo or "",
                "channel": channel,
            }
            booked.append((values, decision.warnings))
        Account._move(company, moves)
        written = self._write_booked_many(company, [values for values, _warnings in booked])
        for transfer, (_values, warnings) in zip(written, booked, strict=True):
            if warnings:
                transfer._note_breaches(warnings, company, False, None)
        return self.browse(written.ids)

    @api.model
    def _write_booked(self, company, values):
        """Write a transfer the rules accepted, at the next place of the
        company's gapless ledger (``ledger_position`` and ``name``); return it
        (see ``_write_booked_many``)."""
        return self._write_booked_many(company, [values])

    @api.model
    def _write_booked_many(self, company, values_list):
        """Write transfers the rules accepted, in their order, at the next places
        of the company's gapless ledger (``ledger_position`` and ``name``); return
        them.

        One statement takes the numbers and writes the rows, when all else is
        decided: the counter's row stays locked until the transaction ends, so
        numbers follow the order in which transfers are accepted, a transaction
        that fails gives its numbers back, and concurrent bookings wait for each
        other only from there to the commit. The ledger writes its rows itself
        (no chatter, followers nor tracking on a transfer: the ledger is its
        own trace); ``create`` refuses anyone else.
        """
        if not values_list:
            return booking(self).browse()
        sequence = self._ledger_sequence(company)
        sequence.fetch(["prefix", "suffix", "padding"])
        prefix, suffix = sequence._get_prefix_suffix()
        day = fields.Date.context_today(self)
        now = self.env.cr.now()
        rows = [
            {
                "reference": "",
                "memo": "",
                "forced": False,
                **{name: value if value is not False else None for name, value in values.items()},
                "date": day,
                "month": day.replace(day=1),
                "state": "posted",
                "create_uid": self.env.uid,
                "create_date": now,
                "write_uid": self.env.uid,
                "write_date": now,
            }
            for values in values_list
        ]
        names = list(dict.fromkeys(name for row in rows for name in row))
        self.env.cr.execute(
            SQL(
                """
                WITH counter AS (
                    UPDATE ir_sequence SET number_next = number_next + %(count)s
                     WHERE id = %(sequence)s
                 RETURNING number_next - %(count)s AS first
                ), numbered AS (
                    SELECT t.*, counter.first + t.rank - 1 AS position
                      FROM counter, %(rows)s
                )
                INSERT INTO mlml_transfer (%(columns)s, ledger_position, name)
                SELECT %(columns)s, position,
                       %(prefix)s
                       || lpad(position::text, greatest(%(padding)s, length(position::text)), '0')
                       || %(suffix)s
                  FROM numbered
                 ORDER BY position
             RETURNING id, ledger_position
                """,
                count=len(rows),
                sequence=sequence.id,
                rows=unnest_rows(self, names, rows, ordinality=True),
                columns=SQL(", ").join(SQL.identifier(name) for name in names),
                prefix=prefix,
                suffix=suffix,
                padding=sequence.padding,
            )
        )
        written = sorted(self.env.cr.fetchall(), key=lambda row: row[1])
        sequence.invalidate_recordset(["number_next"])
        return booking(self).browse([transfer_id for transfer_id, _position in written])

    @api.model
    def _ledger_sequence(self, company):
        return self._sequence(
            company,
            "mlml.transfer",
            self.env._("Clearing-house ledger of %(company)s", company=company.name),
            prefix="VIR/",
        )

    @api.model
    def _take_number(self, sequence):
        """The next number of a gapless sequence, its row locked until the
        transaction ends: numbers follow the order of the commits, so a reader
        paging after a number never misses one committed later."""
        self.env.cr.execute(
            """
            UPDATE ir_sequence SET number_next = number_next + 1
             WHERE id = %s
         RETURNING number_next - 1
            """,
            [sequence.id],
        )
        position = self.env.cr.fetchone()[0]
        sequence.invalidate_recordset(["number_next"])
        return position

    @api.model
    def _sequence(self, company, code, name, prefix=""):
        Sequence = self.env["ir.sequence"].sudo()
        self.env.cr.execute(
            "SELECT id FROM ir_sequence WHERE code = %s AND company_id = %s ORDER BY id LIMIT 1",
            [code, company.id],
        )
        sequence = Sequence.browse([row[0] for row in self.env.cr.fetchall()])
        if not sequence:
            sequence = Sequence.create(
                {
                    "name": name,
                    "code": code,
                    "company_id": company.id,
                    "implementation": "no_gap",
                    "prefix": prefix,
                    "padding": 7,
                    "number_next": 1,
                    "number_increment": 1,
                }
            )
        return sequence

    @api.model
    def _find_by_key(self, company, payer, key):
        """The transfer a payer made with an Idempotency-Key (one query, on the
        unique index of the key)."""
        self.env.cr.execute(
            """
            SELECT id FROM mlml_transfer
             WHERE company_id = %s AND payer_id = %s AND idempotency_key = %s
            """,
            [company.id, payer.id, key],
        )
        return self.sudo().browse([row[0] for row in self.env.cr.fetchall()])

    def _note_breaches(self, breaches, company, forced, reason):
        lines = []
        for breach in breaches:
            values = {
                "balance": self._fmt(breach.balance, company),
                "amount": self._fmt(abs(breach.amount), company),
                "bound": self._fmt(breach.bound, company),
                "excess": self._fmt(breach.excess, company),
            }
            if breach.amount < 0:
                lines.append(
                    self.env._(
                        "Payer's balance %(balance)s, paid %(amount)s, credit line "
                        "%(bound)s: %(excess)s past it.",
                        **values,
                    )
                )
            else:
                lines.append(
                    self.env._(
                        "Payee's balance %(balance)s, received %(amount)s, ceiling "
                        "%(bound)s: %(excess)s past it.",
                        **values,
                    )
                )
        if forced:
            title = self.env._(
                "Bounds forced by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=reason or "",
            )
        else:
            title = self.env._("Warning: this transfer takes a balance past its bounds.")
        body = Markup("<br/>").join([title, *lines])
        booking(self).message_post(body=body)

    def _refusal(self, error, company, payer, payee):
        """The refusal of a transfer the rules refused, in the user's words."""
        params = error.params
        labels = dict(
            self.env["res.partner"]._fields["mlml_member_state"]._description_selection(self.env)
        )

        def fmt(value):
            return self._fmt(value, company)

        if error.code == "payer_below_credit_limit":
            balance, amount = params["balance"], params["amount"]
            commission, limit = params["commission"], params["credit_limit"]
            message = self._mlml_text(
                self.env._(
                    "%(payer)s cannot pay %(amount)s%(commission)s: its balance is %(balance)s and "
                    "its credit line %(limit)s, so %(missing)s are missing. Pay less, or ask the "
                    "clearing house for a larger credit line; an MLML manager may force this "
                    "transfer.",
                    payer=payer.display_name,
                    amount=fmt(amount),
                    commission=self.env._(
                        " (plus a commission of %(commission)s)", commission=fmt(commission)
                    )
                    if commission
                    else "",
                    balance=fmt(balance),
                    limit=fmt(limit),
                    missing=fmt(params["missing"]),
                )
            )
            return MlmlRefusal(
                message,
                "payer_below_credit_limit",
                422,
                balance=balance,
                amount=amount,
                commission=commission,
                credit_limit=limit,
                missing=params["missing"],
            )
        if error.code == "payee_above_ceiling":
            # The payee's balance and ceiling are the payee's own: the payer (a
            # member, or its API) only learns that this amount cannot be received.
            # The clearing house's staff, whose ledger it is, read the figures.
            user = self.env.user
            if user._is_superuser() or user.has_group(STAFF_GROUP):
                message = self._mlml_text(
                    self.env._(
                        "%(payee)s cannot receive %(amount)s: its balance is %(balance)s and "
                        "its ceiling %(ceiling)s, so %(excess)s would be too much. Pay less, or "
                        "ask the clearing house to raise the payee's ceiling; an MLML manager "
                        "may force this transfer.",
                        payee=payee.display_name,
                        amount=fmt(params["amount"]),
                        balance=fmt(params["balance"]),
                        ceiling=fmt(params["balance_ceiling"]),
                        excess=fmt(params["excess"]),
                    )
                )
            else:
                message = self._mlml_text(
                    self.env._(
                        "%(payee)s cannot receive %(amount)s now: its account at the clearing "
                        "house cannot take that much more. Pay a smaller amount, or part of it "
                        "in euros, or ask %(payee)s to contact the clearing house.",
                        payee=payee.display_name,
                        amount=fmt(params["amount"]),
                    )
                )
            return MlmlRefusal(
                message, "payee_cannot_receive", 422, member=payee.mlml_member_number
            )
        if error.code == "payer_not_active":
            message = self.env._(
                "%(payer)s cannot pay: its membership is “%(state)s”, and only active members "
                "pay in the network. Its membership must be active again first.",
                payer=payer.display_name,
                state=labels.get(params["state"], params["state"]),
            )
            return MlmlRefusal(message, "payer_not_active", 403, member=payer.mlml_member_number)
        if error.code == "payee_not_active":
            if params["state"] == "suspended" and company.mlml_repay_suspended:
                hint = self.env._(" A suspended member may only be paid back up to a zero balance.")
            else:
                hint = ""
            message = self.env._(
                "%(payee)s cannot be paid: its membership is “%(state)s”, and only active "
                "members are paid in the network.%(hint)s",
                payee=payee.display_name,
                state=labels.get(params["state"], params["state"]),
                hint=hint,
            )
            return MlmlRefusal(message, "payee_not_active", 403, member=payee.mlml_member_number)
        if error.code == "transfer_to_oneself":
            message = self.env._(
                "%(member)s cannot pay itself: choose another member as payee.",
                member=payer.display_name,
            )
            return MlmlRefusal(message, "transfer_to_oneself", 400, field="payee")
        if error.code == "transfer_amount_not_positive":
            message = self.env._(
                "The amount of a transfer must be more than zero, not %(amount)s.",
                amount=fmt(params["amount"]),
            )
            return MlmlRefusal(message, "amount_not_positive", 400, field="amount")
        return MlmlRefusal(str(error), error.code, 400)

    # ------------------------------------------------------------------
    # Reversal
    # ------------------------------------------------------------------

    def reverse(self, reason, forced=False):
        """Reverse this transfer (and its commission) with ``reason``; return the
        reversing transfer, a new transfer the other way. MLML managers only."""
        self.ensure_one()
        check_ledger_manager(
            self.env,
            self._mlml_text(
                self.env._(
                    "Only the clearing house's MLML managers reverse a transfer. Ask one of them."
                )
            ),
        )
        if not (reason or "").strip():
            raise UserError(
                self.env._(
                    "Say why transfer %(number)s is reversed: the reason stays in the ledger.",
                    number=self.name,
                )
            )
        transfer = self.sudo()
        # The transfer's row is locked so that two reversals of it cannot both pass.
        self.env.cr.execute("SELECT state FROM mlml_transfer WHERE id = %s FOR UPDATE", [self.id])
        transfer.invalidate_recordset(["state", "reversed_by_id"])
        if transfer.state == "reversed":
            raise MlmlRefusal(
                self.env._(
                    "Transfer %(number)s was already reversed by %(reversal)s: a transfer is "
                    "reversed once.",
                    number=transfer.name,
                    reversal=transfer.reversed_by_id.name,
                ),
                "already_reversed",
                409,
            )
        if transfer.reversal_of_id or transfer.commission_of_id:
            raise MlmlRefusal(
                self.env._(
                    "Transfer %(number)s is itself a %(kind)s of %(origin)s: reverse a "
                    "member's transfer, or make a new transfer.",
                    number=transfer.name,
                    kind=self.env._("reversal")
                    if transfer.reversal_of_id
                    else self.env._("commission"),
                    origin=(transfer.reversal_of_id or transfer.commission_of_id).name,
                ),
                "not_reversible",
                409,
            )
        memo = self.env._("Reversal of %(number)s: %(reason)s", number=transfer.name, reason=reason)
        reversal = self._book(
            transfer.payee_id,
            transfer.payer_id,
            transfer.amount,
            reference=transfer.name,
            memo=memo,
            channel="reversal",
            forced=forced,
            force_reason=reason,
            reversal_of=transfer,
            company=transfer.company_id,
        )
        booking(transfer).write({"state": "reversed", "reversed_by_id": reversal.id})
        if transfer.commission_id and transfer.commission_id.state == "posted":
            commission = transfer.commission_id
            back = self._book(
                commission.payee_id,
                commission.payer_id,
                commission.amount,
                reference=commission.name,
                memo=self.env._(
                    "Reversal of %(number)s: %(reason)s", number=commission.name, reason=reason
                ),
                channel="reversal",
                forced=True,
                force_reason=reason,
                reversal_of=commission,
                company=transfer.company_id,
            )
            booking(commission).write({"state": "reversed", "reversed_by_id": back.id})
        booking(transfer).message_post(
            body=self.env._(
                "Reversed by %(reversal)s (%(user)s): %(reason)s",
                reversal=reversal.name,
                user=self.env.user.name,
                reason=reason,
            )
        )
        return self.browse(reversal.ids)

    # ------------------------------------------------------------------
    # Back office
    # ------------------------------------------------------------------

    @api.model
    @contextmanager
    def _mlml_plain_refusal(self, force_label):
        """Show the ledger's refusals on a back-office screen as the plain message
        they are (the web client shows a UserError's subclass as a crash); past a
        bound, tell an MLML manager how to force it with the box ``force_label``."""
        try:
            yield
        except MlmlRefusal as refusal:
            message = refusal.args[0]
            if refusal.code in BOUND_CODES and is_ledger_manager(self.env):
                message = self.env._(
                    "%(refusal)s To force it, tick “%(force)s” and say why.",
                    refusal=message,
                    force=force_label,
                )
            raise UserError(message) from None

    def action_reverse_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reverse %(number)s", number=self.name),
            "res_model": "mlml.transfer.reverse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_transfer_id": self.id},
        }
