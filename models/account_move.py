from contextlib import contextmanager

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang

from ..mlml_barter import split
from ..mlml_barter.amounts import RuleError, check_percent
from ..mlml_barter.bounds import BELOW_CREDIT_LIMIT, check_movement
from .mlml_bounds_grant import BoundsNote, grant_in, ledger_decided, notes_in
from .mlml_inputs import check_numbers

INVOICE_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund")

#: The mark of the add-on's own code writing the part a seller asked on a bill
#: (:func:`seller_part`): a Python object no JSON-RPC context can carry.
_SELLER_PART = object()


def seller_part(bills):
    """``bills``, marked as written by the matching of the seller's request."""
    return bills.with_context(mlml_seller_part=_SELLER_PART)


MLML_SHARE_FIELDS = ("mlml_share", "mlml_amount", "mlml_amount_typed")


class AccountMove(models.Model):
    _inherit = "account.move"

    mlml_is_barter = fields.Boolean(
        string="Moves the Barter Account", compute="_compute_mlml_is_barter"
    )

    # The MLML share of an invoice (customer invoices, vendor bills, credit notes)
    mlml_currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    mlml_member_state = fields.Selection(
        related="commercial_partner_id.mlml_member_state", string="Membership"
    )
    mlml_share_blocker = fields.Char(
        string="Why No MLML Share",
        compute="_compute_mlml_share_blocker",
        help="Why this invoice cannot have a share payable in the barter currency.",
    )
    mlml_available_credit = fields.Monetary(
        related="company_id.mlml_available_credit",
        currency_field="mlml_currency_id",
        groups="mlml_barter.group_mlml_user",
    )
    mlml_eligible_amount = fields.Monetary(
        string="Eligible for MLML",
        compute="_compute_mlml_eligible_amount",
        store=True,
        help="The untaxed amount of the lines that may be paid in the barter currency "
        "(products excluded from the MLML share are left out).",
    )
    mlml_share = fields.Float(
        string="MLML Share (%)",
        compute="_compute_mlml_share",
        store=True,
        readonly=False,
        precompute=True,
        copy=True,
        tracking=True,
        help="The percent of the eligible untaxed amount payable in the barter "
        "currency. VAT is always paid in euros.",
    )
    mlml_amount = fields.Monetary(
        string="MLML Part",
        compute="_compute_mlml_amount",
        inverse="_inverse_mlml_amount",
        store=True,
        readonly=False,
        currency_field="mlml_currency_id",
        tracking=True,
        help="The part of the invoice payable in the barter currency, 1 for 1. Enter an "
        "amount and the share follows.",
    )
    mlml_amount_typed = fields.Monetary(
        string="MLML Part Entered",
        currency_field="mlml_currency_id",
        copy=False,
        help="The MLML part entered by hand: it is kept when the lines change as long as "
        "it fits. 0: the part follows the share.",
    )
    mlml_seller_amount = fields.Monetary(
        string="MLML Part Asked by the Seller",
        currency_field="mlml_currency_id",
        readonly=True,
        copy=False,
        help="On a bill: the MLML part the supplier asked through the clearing house (its "
        "payment request). The seller's split decides: the bill's MLML part is this one, "
        "whatever the acceptance rate typed on the supplier would give.",
    )
    mlml_rate_amount = fields.Monetary(
        string="MLML Part From the Acceptance Rate",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_rate_amount",
        help="On a bill: the MLML part the acceptance rate typed on the supplier would give.",
    )
    mlml_notice = fields.Char(
        string="MLML Notice",
        compute="_compute_mlml_notice",
        help="Why the MLML part is not the share of the eligible amount.",
    )
    mlml_seller_notice = fields.Char(
        string="Seller's MLML Part",
        compute="_compute_mlml_seller_notice",
        help="On a bill: the MLML part its seller asked, and what the acceptance rate "
        "typed here would give when it differs.",
    )
    mlml_cash_amount = fields.Monetary(
        string="Cash Part",
        compute="_compute_mlml_cash_amount",
        store=True,
        help="The part of the invoice payable in euros, VAT included.",
    )
    mlml_paid = fields.Monetary(
        string="Paid in MLML",
        compute="_compute_mlml_paid",
        currency_field="mlml_currency_id",
        help="What moved through the barter account to pay the invoice (write-offs left out).",
    )
    mlml_residual = fields.Monetary(
        string="MLML Residual",
        compute="_compute_mlml_residual",
        store=True,
        currency_field="mlml_currency_id",
        help="What remains to pay of the MLML part.",
    )
    mlml_request_id = fields.Many2one(
        comodel_name="mlml.member.request",
        string="MLML Payment Request",
        compute="_compute_mlml_request_id",
        help="The supplier's open request to be paid the MLML part of this bill.",
    )
    mlml_cash_residual = fields.Monetary(
        string="Cash Residual",
        compute="_compute_mlml_residual",
        store=True,
        help="What remains to pay in euros.",
    )
    # The multilateral compensation (member side)
    mlml_declared_amount = fields.Monetary(
        string="Submitted to the Compensation",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="What was open on the invoice when it was last submitted to the clearing "
        "house's compensation (less what runs set off since).",
    )
    mlml_declared_mlml = fields.Monetary(
        string="MLML Part Submitted",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="On an invoice: of what was submitted to the compensation, what the company still "
        "accepts in MLML (its MLML part less what was paid of it in MLML, by payments or by "
        "compensation runs): a run with liquidity pays no more than that in MLML.",
    )
    mlml_declared_due = fields.Date(string="Submitted Due Date", readonly=True, copy=False)
    mlml_declared_date = fields.Datetime(string="Submitted On", readonly=True, copy=False)
    mlml_obligation_ref = fields.Char(
        string="Clearing House Obligation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The clearing house's identifier of the invoice in the compensation.",
    )
    mlml_obligation_state = fields.Selection(
        selection=[
            ("declared", "Waiting for the other side"),
            ("confirmed", "Confirmed by both sides"),
            ("partly_cleared", "Partly cleared"),
            ("cleared", "Cleared"),
            ("withdrawn", "Withdrawn"),
        ],
        string="Compensation State",
        readonly=True,
        copy=False,
    )
    mlml_compensation_ref = fields.Char(
        string="Compensation Run",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="On a set-off entry: the clearing house's identifier of the run it books.",
    )
    mlml_compensation_number = fields.Char(string="Compensation Number", readonly=True, copy=False)
    mlml_compensation_mlml = fields.Monetary(
        string="MLML Moved by Compensations",
        currency_field="company_currency_id",
        readonly=True,
        copy=False,
        help="Of what compensation runs with liquidity settled on the invoice, what the MLML "
        "account received (invoice) or paid (bill): on an invoice, MLML received on its MLML "
        "part, which the compensation may not pay again.",
    )

    _sql_constraints = [
        (
            "mlml_compensation_unique",
            "unique(company_id, mlml_compensation_ref)",
            "A compensation run is booked once in the company's books.",
        ),
    ]

    @api.depends("line_ids.account_id.currency_id.mlml_is_barter")
    def _compute_mlml_is_barter(self):
        for move in self:
            move.mlml_is_barter = any(move.line_ids.account_id.currency_id.mapped("mlml_is_barter"))

    @api.depends(
        "move_type", "currency_id", "company_id", "commercial_partner_id.mlml_member_state"
    )
    def _compute_mlml_share_blocker(self):
        for move in self:
            move.mlml_share_blocker = move._mlml_share_blocker()

    def _mlml_share_blocker(self):
        """Why this invoice may not have an MLML share, or False if it may."""
        self.ensure_one()
        if self.move_type not in INVOICE_TYPES or not self.company_id.mlml_currency_id:
            return self._mlml_text(
                self.env._("Only invoices, bills and credit notes have an MLML share.")
            )
        if self.currency_id != self.company_id.currency_id:
            return self._mlml_text(
                self.env._(
                    "This invoice is in %(currency)s: only invoices in %(company_currency)s "
                    "have an MLML share.",
                    currency=self.currency_id.name,
                    company_currency=self.company_id.currency_id.name,
                )
            )
        if not self.company_id.partner_id._mlml_may_trade():
            return self.env._(
                "%(company)s is not an active member of the network.",
                company=self.company_id.name,
            )
        if self.partner_id and not self.partner_id._mlml_may_trade():
            return self.env._(
                "%(partner)s is not an active member of the network: it trades in euros only.",
                partner=self.commercial_partner_id.name,
            )
        return False

    @api.depends(
        "invoice_line_ids.price_subtotal",
        "invoice_line_ids.display_type",
        "invoice_line_ids.product_id",
    )
    def _compute_mlml_eligible_amount(self):
        for move in self:
            eligible = sum(
                line.price_subtotal
                for line in move.invoice_line_ids
                if line.display_type == "product" and not line.product_id.mlml_excluded
            )
            move.mlml_eligible_amount = max(eligible, 0.0)

    @api.depends("move_type", "partner_id", "currency_id", "company_id", "mlml_seller_amount")
    def _compute_mlml_share(self):
        for move in self:
            if move._mlml_share_blocker():
                move.mlml_share = 0.0
            elif move.is_sale_document(include_receipts=False):
                move.mlml_share = move.company_id.mlml_default_share
            elif move._mlml_seller_decides():
                move.mlml_share = float(
                    split.share_for(move.mlml_eligible_amount, move.mlml_seller_amount, 0)
                )
            else:
                move.mlml_share = move.commercial_partner_id.mlml_acceptance_rate

    def _mlml_seller_decides(self):
        """Does the seller's asked part make this bill's MLML part?"""
        self.ensure_one()
        return bool(
            self.is_purchase_document(include_receipts=False)
            and self.mlml_seller_amount
            and split.fits(self.mlml_eligible_amount, self.mlml_seller_amount, 0)
        )

    @api.depends("mlml_eligible_amount", "partner_id", "move_type")
    def _compute_mlml_rate_amount(self):
        for move in self:
            rate = move.commercial_partner_id.mlml_acceptance_rate
            if move.is_purchase_document(include_receipts=False) and rate:
                move.mlml_rate_amount = move._mlml_part_of_share(rate) or 0.0
            else:
                move.mlml_rate_amount = 0.0

    @api.depends(
        "mlml_share",
        "mlml_eligible_amount",
        "amount_total",
        "mlml_amount_typed",
        "mlml_seller_amount",
    )
    def _compute_mlml_amount(self):
        """The share of the eligible amount, within the cap.

        The cap and the products' exclusion are read when the part is computed:
        changing them later does not rewrite the MLML part of posted invoices.
        A part entered by hand is kept as long as it fits. On a bill, the part
        the seller asked decides.
        """
        for move in self:
            if move._mlml_seller_decides():
                move.mlml_amount = move.mlml_seller_amount
                continue
            cap = move._mlml_cap()
            typed = move.mlml_amount_typed
            if typed and split.fits(move.mlml_eligible_amount, typed, cap):
                move.mlml_amount = typed
                continue
            try:
                parts = split.split_invoice(
                    move._mlml_total(),
                    move.mlml_eligible_amount,
                    move.mlml_share,
                    cap,
                    move.currency_id.rounding or 0.01,
                )
            except RuleError:
                # An out-of-range share is refused by _check_mlml_share.
                move.mlml_amount = 0.0
                continue
            move.mlml_amount = float(parts.barter)

    @api.depends("mlml_amount", "amount_total", "tax_totals")
    def _compute_mlml_cash_amount(self):
        for move in self:
            move.mlml_cash_amount = move._mlml_total() - move.mlml_amount

    def _mlml_total(self):
        """The invoice's total, also while it is being edited.

        ``amount_total`` comes from the journal items, which a new invoice only
        gets when saved; ``tax_totals`` follows the invoice lines as they are typed.
        """
        self.ensure_one()
        if self.tax_totals and "total_amount_currency" in self.tax_totals:
            return self.tax_totals["total_amount_currency"]
        return self.amount_total

    def _inverse_mlml_amount(self):
        for move in self:
            if move._mlml_part_of_share(move.mlml_share) == move.currency_id.round(
                move.mlml_amount
            ):
                continue  # the share asked gives this part (the cap may set it)
            try:
                share = split.share_for(
                    move.mlml_eligible_amount, move.mlml_amount, move._mlml_cap()
                )
            except RuleError as error:
                raise ValidationError(move._mlml_share_message(error)) from error
            move.mlml_share = float(share)
            move.mlml_amount_typed = move.mlml_amount

    def _mlml_part_of_share(self, share):
        """The MLML part a share gives (within the cap), or None for a bad share."""
        self.ensure_one()
        try:
            part = split.barter_part(
                self.mlml_eligible_amount,
                share,
                self._mlml_cap(),
                self.currency_id.rounding or 0.01,
            )
        except RuleError:
            return None
        return float(part)

    @api.depends("mlml_share", "mlml_amount", "mlml_amount_typed", "mlml_eligible_amount")
    def _compute_mlml_notice(self):
        for move in self:
            move.mlml_notice = move._mlml_notice()

    def _mlml_notice(self):
        self.ensure_one()
        # Told while the part is being computed: a posted invoice keeps its own.
        if (
            self.move_type not in INVOICE_TYPES
            or not self.mlml_currency_id
            or self.state != "draft"
        ):
            return False

        def fmt(value):
            return formatLang(self.env, value, currency_obj=self.mlml_currency_id)

        cap = self._mlml_cap()
        typed = self.mlml_amount_typed
        if self._mlml_seller_decides():
            return False  # told by mlml_seller_notice
        if typed and not split.fits(self.mlml_eligible_amount, typed, cap):
            return self._mlml_text(
                self.env._(
                    "The MLML part entered (%(typed)s) no longer fits this invoice (eligible "
                    "amount %(eligible)s): it follows the share again.",
                    typed=fmt(typed),
                    eligible=formatLang(
                        self.env, self.mlml_eligible_amount, currency_obj=self.currency_id
                    ),
                )
            )
        try:
            capped = split.is_capped(self.mlml_eligible_amount, self.mlml_share, cap)
        except RuleError:
            return False
        if capped:
            return self._mlml_text(
                self.env._(
                    "Capped: a share of %(share)s %% would give %(asked)s; the company's cap "
                    "per invoice limits the MLML part to %(cap)s.",
                    share=formatLang(self.env, self.mlml_share),
                    asked=fmt(self.mlml_eligible_amount * self.mlml_share / 100.0),
                    cap=fmt(cap),
                )
            )
        return False

    @api.depends("mlml_seller_amount", "mlml_rate_amount", "mlml_amount")
    def _compute_mlml_seller_notice(self):
        for move in self:
            move.mlml_seller_notice = move._mlml_seller_notice()

    def _mlml_seller_notice(self):
        """On a bill whose seller asked its MLML part: that part, and what the
        acceptance rate typed here would have given when it differs."""
        self.ensure_one()
        if not self._mlml_seller_decides():
            return False
        currency = self.mlml_currency_id

        def fmt(value):
            return formatLang(self.env, value, currency_obj=currency)

        if (
            not self.mlml_rate_amount
            or currency.compare_amounts(self.mlml_rate_amount, self.mlml_seller_amount) == 0
        ):
            return self._mlml_text(
                self.env._(
                    "MLML part asked by %(supplier)s through the clearing house: %(asked)s.",
                    supplier=self.commercial_partner_id.name,
                    asked=fmt(self.mlml_seller_amount),
                )
            )
        return self._mlml_text(
            self.env._(
                "%(supplier)s asks %(asked)s through the clearing house (the MLML part its "
                "invoice asks); its acceptance rate typed here (%(rate)s %%) would give "
                "%(local)s. The seller's part applies: pay %(asked)s, and the rest in euros.",
                supplier=self.commercial_partner_id.name,
                asked=fmt(self.mlml_seller_amount),
                rate=formatLang(self.env, self.commercial_partner_id.mlml_acceptance_rate),
                local=fmt(self.mlml_rate_amount),
            )
        )

    @api.onchange("mlml_amount")
    def _onchange_mlml_amount(self):
        """The share follows a typed MLML part at once; the part is kept as typed."""
        for move in self:
            if (
                move.currency_id.compare_amounts(
                    move.mlml_amount, move._mlml_part_of_share(move.mlml_share) or 0.0
                )
                == 0
            ):
                continue
            try:
                share = split.share_for(
                    move.mlml_eligible_amount, move.mlml_amount, move._mlml_cap()
                )
            except RuleError as error:
                return {
                    "warning": {
                        "title": self._mlml_text(self.env._("MLML part")),
                        "message": move._mlml_share_message(error),
                    }
                }
            move.mlml_amount_typed = move.mlml_amount
            move.mlml_share = float(share)
        return None

    @api.onchange("invoice_line_ids")
    def _onchange_mlml_lines(self):
        """A typed MLML part stays when the lines change, the share follows it."""
        for move in self:
            typed = move.mlml_amount_typed
            if typed and split.fits(move.mlml_eligible_amount, typed, move._mlml_cap()):
                move.mlml_share = float(
                    split.share_for(move.mlml_eligible_amount, typed, move._mlml_cap())
                )

    @api.onchange("mlml_share")
    def _onchange_mlml_share(self):
        """A typed share drives the part again."""
        for move in self:
            if move.mlml_amount_typed and move._mlml_part_of_share(
                move.mlml_share
            ) != move.currency_id.round(move.mlml_amount_typed):
                move.mlml_amount_typed = 0.0

    def _mlml_cap(self):
        """The company's cap per invoice applies to what it sells."""
        self.ensure_one()
        return self.company_id.mlml_invoice_cap if self.is_sale_document() else 0.0

    @api.depends("line_ids.matched_debit_ids.amount", "line_ids.matched_credit_ids.amount")
    def _compute_mlml_paid(self):
        for move in self:
            move.mlml_paid = move._mlml_barter_settlement()[1]

    def _mlml_barter_settlement(self):
        """What barter-currency payments settled of the invoice, and what of it
        moved through the barter account: (settled, moved).

        A write-off carried by a barter payment settles the MLML part without
        moving anything at the clearing house.
        """
        self.ensure_one()
        terms = self.line_ids.filtered(lambda line: line.display_type == "payment_term")
        rounding = self.currency_id.rounding or 0.01
        settled = moved = 0.0
        for partial in terms.matched_debit_ids | terms.matched_credit_ids:
            counterpart = (partial.debit_move_id | partial.credit_move_id) - terms
            if not any(counterpart.currency_id.mapped("mlml_is_barter")):
                continue
            barter = sum(
                counterpart.move_id.line_ids.filtered(
                    lambda line: line.account_id.currency_id.mlml_is_barter
                ).mapped("balance")
            )
            settled += partial.amount
            moved += float(
                split.barter_moved(
                    partial.amount, barter, sum(counterpart.mapped("balance")), rounding
                )
            )
        return self.currency_id.round(settled), self.currency_id.round(moved)

    @api.depends(
        "mlml_amount",
        "amount_residual",
        "state",
        "line_ids.matched_debit_ids.amount",
        "line_ids.matched_credit_ids.amount",
    )
    def _compute_mlml_residual(self):
        for move in self:
            if move.state == "posted":
                residual = move.amount_residual
            else:
                residual = move.amount_total
            settled = move._mlml_barter_settlement()[0]
            barter, cash = split.residuals(move.mlml_amount, settled, residual)
            move.mlml_residual = float(barter)
            move.mlml_cash_residual = float(cash)

    def _mlml_check_barter_settlement(self, partials):
        """Barter-currency payments pay the MLML part of an invoice and no more,
        whatever reconciles them with it (``partials``: the new matchings)."""
        for move in self.filtered(lambda m: m.move_type in INVOICE_TYPES):
            settled = move._mlml_barter_settlement()[0]
            try:
                split.check_barter_settlement(settled, move.currency_id.round(move.mlml_amount))
            except RuleError as error:
                terms = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
                new = partials.filtered(
                    lambda p, terms=terms: (p.debit_move_id | p.credit_move_id) & terms
                )
                payments = (new.debit_move_id | new.credit_move_id).move_id - move
                before = settled - sum(new.mapped("amount"))
                left = max(move.mlml_amount - before, 0.0)
                currency = move.mlml_currency_id
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "%(payments)s would pay %(settled)s of %(invoice)s in MLML, more than "
                            "its MLML part (%(part)s, of which %(left)s is left to pay): an MLML "
                            "payment pays the MLML part and no more. Match it with another "
                            "invoice, or pay at most %(left)s of this one in MLML and the rest "
                            "in euros.",
                            payments=", ".join(payments.mapped("display_name")),
                            settled=formatLang(self.env, settled, currency_obj=currency),
                            invoice=move.display_name,
                            part=formatLang(self.env, move.mlml_amount, currency_obj=currency),
                            left=formatLang(self.env, left, currency_obj=currency),
                        )
                    )
                ) from error

    @api.constrains("mlml_share", "mlml_amount", "partner_id", "currency_id")
    def _check_mlml_share(self):
        for move in self.filtered(lambda m: m.move_type in INVOICE_TYPES):
            try:
                check_percent(move.mlml_share)
            except RuleError as error:
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "The MLML share of %(invoice)s must be between 0 and 100 %%, not "
                            "%(share)s %%.",
                            invoice=move.display_name,
                            share=formatLang(self.env, move.mlml_share),
                        )
                    )
                ) from error
            # Only an invoice that asks for an MLML part needs a reason not to.
            if move.currency_id.is_zero(move.mlml_amount):
                continue
            blocker = move._mlml_share_blocker()
            if blocker:
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "%(invoice)s cannot have an MLML share: %(reason)s Set the share to 0.",
                            invoice=move.display_name,
                            reason=blocker,
                        )
                    )
                )

    def _mlml_share_message(self, error):
        params = error.params

        def fmt(value):
            return formatLang(self.env, float(value), currency_obj=self.mlml_currency_id)

        if error.code == "barter_part_negative":
            return self._mlml_text(
                self.env._(
                    "The MLML part of %(invoice)s cannot be negative (%(amount)s).",
                    invoice=self.display_name,
                    amount=fmt(params["amount"]),
                )
            )
        if error.code == "barter_part_above_cap":
            return self._mlml_text(
                self.env._(
                    "The MLML part of %(invoice)s (%(amount)s) is above the company's cap per "
                    "invoice (%(cap)s): enter at most the cap.",
                    invoice=self.display_name,
                    amount=fmt(params["amount"]),
                    cap=fmt(params["cap"]),
                )
            )
        return self._mlml_text(
            self.env._(
                "The MLML part of %(invoice)s (%(amount)s) is above its eligible untaxed amount "
                "(%(eligible)s): VAT and excluded products are paid in euros. Enter at most "
                "%(most)s.",
                invoice=self.display_name,
                amount=fmt(params["amount"]),
                eligible=formatLang(
                    self.env, float(params["eligible"]), currency_obj=self.currency_id
                ),
                most=fmt(params["eligible"]),
            )
        )

    @contextmanager
    def _check_balanced(self, container):
        # Every change of entries passes here (their fields, state, lines; the
        # lines' own create, write and unlink): the entry of a payment waiting
        # for the clearing house's answer does not change meanwhile.
        self.sudo().origin_payment_id._mlml_check_waiting()
        with super()._check_balanced(container):
            yield

    @api.model_create_multi
    def create(self, vals_list):
        self._mlml_check_computed_write(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, [vals], MLML_SHARE_FIELDS)
        self._mlml_check_computed_write([vals])
        if "mlml_seller_amount" in vals and (
            self.env.context.get("mlml_seller_part") is not _SELLER_PART
        ):
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "The MLML part asked by the seller comes from its payment request at "
                        "the clearing house: it is never typed."
                    )
                )
            )
        if MLML_SHARE_FIELDS & vals.keys():
            self._mlml_check_share_lock(vals)
        if "state" in vals:
            self._mlml_check_bounds(vals["state"])
        result = super().write(vals)
        if {"invoice_line_ids", "line_ids"} & vals.keys():
            self._mlml_follow_typed_part()
        return result

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        Request = self.env["mlml.member.request"]
        Request._ask_for(posted.filtered(lambda move: move.move_type == "out_invoice"))
        Request._match_open(bills=posted.filtered(lambda move: move.move_type == "in_invoice"))
        reversed_invoices = posted.filtered(
            lambda move: move.move_type == "out_refund" and move.reversed_entry_id
        ).reversed_entry_id
        Request._withdraw_for(
            reversed_invoices.filtered(lambda invoice: invoice.payment_state == "reversed")
        )
        return posted

    def button_cancel(self):
        result = super().button_cancel()
        self.env["mlml.member.request"]._withdraw_for(
            self.filtered(lambda move: move.state == "cancel")
        )
        return result

    def _compute_mlml_request_id(self):
        requests = self.env["mlml.member.request"].search(
            [("move_id", "in", self.ids), ("direction", "=", "received"), ("state", "=", "open")]
        )
        by_move = {request.move_id.id: request for request in requests}
        for move in self:
            # Nothing to pay on a bill whose MLML part is paid, however it was.
            paid = move.state == "posted" and move.currency_id.is_zero(move.mlml_residual)
            move.mlml_request_id = not paid and by_move.get(move.id, False)

    def action_mlml_pay_request(self):
        self.ensure_one()
        return self.mlml_request_id.action_pay()

    def action_mlml_refuse_request(self):
        self.ensure_one()
        return self.mlml_request_id.action_refuse_wizard()

    def _mlml_follow_typed_part(self):
        """Outside the form too, the share follows a typed MLML part that still fits."""
        for move in self.filtered(lambda m: m.state == "draft" and m.mlml_amount_typed):
            cap = move._mlml_cap()
            if not split.fits(move.mlml_eligible_amount, move.mlml_amount_typed, cap):
                continue
            share = float(split.share_for(move.mlml_eligible_amount, move.mlml_amount_typed, cap))
            if float_compare(share, move.mlml_share, precision_digits=6):
                move.mlml_share = share

    def _mlml_check_computed_write(self, vals_list):
        """No figure computed from the lines and the payments is written by hand."""
        names = {
            name
            for vals in vals_list
            for name in vals
            if name.startswith("mlml_")
            and name in self._fields
            and self._fields[name].readonly
            and (self._fields[name].compute or self._fields[name].related)
        }
        if names:
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "%(fields)s: computed from the invoice's lines, share and payments, "
                        "never written by hand. Change the lines, the share or the MLML part "
                        "instead.",
                        fields=", ".join(
                            sorted(
                                self._fields[name]._description_string(self.env) for name in names
                            )
                        ),
                    )
                )
            )

    def _mlml_check_share_lock(self, vals):
        """The share of a posted invoice changes only after resetting it to draft,
        and never once a barter payment is matched with it."""
        for move in self.filtered(lambda m: m.move_type in INVOICE_TYPES):
            if not any(
                not move.currency_id.is_zero(move[name] - vals[name])
                for name in MLML_SHARE_FIELDS
                if name in vals
            ):
                continue
            settled = move._mlml_barter_settlement()[0]
            if settled:
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "%(invoice)s is already paid in part in MLML (%(paid)s): its MLML "
                            "share no longer changes. Unreconcile the MLML payment first.",
                            invoice=move.display_name,
                            paid=formatLang(self.env, settled, currency_obj=move.mlml_currency_id),
                        )
                    )
                )
            if move.state == "posted":
                raise UserError(
                    self._mlml_text(
                        self.env._(
                            "%(invoice)s is posted: its MLML share (%(share)s %%) and MLML part "
                            "(%(part)s) are those the customer received. Reset it to draft to "
                            "change them.",
                            invoice=move.display_name,
                            share=formatLang(self.env, move.mlml_share),
                            part=formatLang(
                                self.env, move.mlml_amount, currency_obj=move.mlml_currency_id
                            ),
                        )
                    )
                )

    def _mlml_check_bounds(self, new_state):
        """Check the barter balance of each company against its credit line.

        Called before an entry enters or leaves the posted state, which is
        when the balance at the clearing house moves: payments, manual
        entries, statement lines, cancellations and reversals alike.
        """
        entering = self.filtered(lambda m: m.state != "posted") if new_state == "posted" else None
        leaving = self.filtered(lambda m: m.state == "posted") if new_state != "posted" else None
        moving = entering or leaving
        if not moving:
            return
        if entering and not ledger_decided(self.env.context):
            entering._mlml_check_members()
        sign = 1 if entering else -1
        rows = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", moving.ids),
                    ("account_id.currency_id.mlml_is_barter", "=", True),
                ],
                groupby=["company_id"],
                aggregates=["amount_currency:sum"],
            )
        )
        for company, amount in rows:
            amount *= sign
            if company.currency_id.is_zero(amount):
                continue
            moves = moving.filtered(lambda m, company=company: m.company_id == company)
            moves._mlml_move_balance(company, amount, entering=bool(entering))

    def _mlml_check_members(self):
        """An entry that moves the barter account with a partner is a trade between
        members: the partner and the company must both be active members, as for
        an MLML payment, whatever way the entry is made. Reversing an earlier
        trade stays possible: it undoes a movement, it makes no new one."""
        trades = self.filtered(lambda move: not move.reversed_entry_id)
        for line in trades.line_ids.filtered(
            lambda line: line.partner_id and line.account_id.currency_id.mlml_is_barter
        ):
            move = line.move_id
            for partner in (line.company_id.partner_id, line.partner_id):
                if partner._mlml_may_trade():
                    continue
                states = dict(partner._fields["mlml_member_state"]._description_selection(self.env))
                raise UserError(
                    self.env._(
                        "%(entry)s moves the barter account with %(partner)s, which is not "
                        "an active member of the network (membership: %(state)s): only "
                        "active members trade in %(currency)s. Book it in euros, or "
                        "activate the membership first.",
                        entry=move.display_name,
                        partner=partner.commercial_partner_id.display_name,
                        state=states[partner.commercial_partner_id.mlml_member_state],
                        currency=line.account_id.currency_id.name,
                    )
                )

    def _mlml_move_balance(self, company, amount, entering):
        before, _after = self.env["mlml.balance"].sudo()._move(company, amount)
        if ledger_decided(self.env.context):
            return
        grant = grant_in(self.env.context)
        forced = bool(grant) and grant.allows(self)
        verdict = check_movement(
            before,
            amount,
            company.mlml_credit_limit,
            company.mlml_balance_ceiling,
            mode=company.mlml_limit_mode,
            forced=forced,
        )
        if verdict.accepted and not verdict.warning:
            return
        if not verdict.accepted:
            figures = self._mlml_breach_message(company, verdict.breach, entering)
            if company._mlml_credit_from_ledger():
                # The clearing house grants the line and decides: nobody forces it here.
                advice = self.env._(
                    "%(figures)s\nPay less, or ask the clearing house for a larger credit "
                    "line (the line above is the one it granted, read from it).",
                    figures=figures,
                )
            else:
                advice = self.env._(
                    "%(figures)s\nPay less, or ask the clearing house for a larger credit "
                    "line. An MLML manager may force this entry.",
                    figures=figures,
                )
            raise UserError(self._mlml_text(advice))
        collector = notes_in(self.env.context)
        for move in self:
            note = BoundsNote(
                move=move,
                company=company,
                breach=verdict.breach,
                entering=entering,
                forced=forced,
                reason=grant.reason if forced else "",
            )
            if collector is not None and move.origin_payment_id:
                # Logged by the payment once posted, under its number.
                collector.notes.append(note)
            else:
                move._mlml_log_bounds(note)

    def _mlml_log_bounds(self, note, documents=None):
        """Log an entry posted past the bounds on it and on ``documents`` (record
        sets: its payment, the invoices it pays), and ask the managers to look at it,
        each in their own language."""
        self.ensure_one()
        company = note.company
        if note.body is None:
            message = self._mlml_breach_message(company, note.breach, note.entering)
            if note.forced:
                title = self.env._(
                    "Barter bounds forced by %(user)s: %(reason)s",
                    user=self.env.user.name,
                    reason=note.reason,
                )
            else:
                title = self.env._(
                    "Warning: this entry takes the barter balance past the credit line."
                )
            note.body = Markup("{}<br/>{}").format(title, message)
        for records in (self, *(documents or ())):
            for record in records:
                record.message_post(body=note.body)
        if note.forced:
            return
        activity_type = self.env.ref("mlml_barter.mail_activity_type_mlml_bounds")
        managers = self.env.ref("mlml_barter.group_mlml_manager").users.filtered(
            lambda user: company in user.company_ids and not user.share
        )
        document = self.origin_payment_id or self
        for manager in managers:
            move = self.with_context(lang=manager.lang)
            move.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=manager.id,
                summary=move.env._(
                    "%(document)s took the barter balance past its bounds",
                    document=document.name or document.display_name,
                ),
                note=move._mlml_breach_message(company, note.breach, note.entering),
            )

    def _mlml_breach_message(self, company, breach, entering):
        currency = company.mlml_currency_id

        def fmt(value):
            return formatLang(self.env, float(value), currency_obj=currency)

        if not entering:
            movement = self.env._("cancellation")
        elif all(move.origin_payment_id for move in self):
            movement = self.env._("payment") if breach.amount < 0 else self.env._("receipt")
        else:
            movement = self.env._("entry")
        values = {
            "balance": fmt(breach.balance),
            "movement": movement,
            "amount": fmt(abs(breach.amount)),
            "bound": fmt(breach.bound),
            "excess": fmt(breach.excess),
        }
        if breach.reason == BELOW_CREDIT_LIMIT:
            return self.env._(
                "Barter balance %(balance)s; %(movement)s %(amount)s; credit line "
                "%(bound)s: %(excess)s short.",
                **values,
            )
        return self.env._(
            "Barter balance %(balance)s; %(movement)s %(amount)s; ceiling %(bound)s: "
            "%(excess)s over.",
            **values,
        )

    def _generate_qr_code(self, silent_errors=False):
        """The QR code of an invoice with an MLML part asks for its cash part.

        The MLML part is paid at the clearing house, not by bank transfer: the
        QR code asks for what remains to pay in euros, and there is no QR code
        once that is paid.
        """
        self.ensure_one()
        if self.currency_id.is_zero(self.mlml_amount):
            return super()._generate_qr_code(silent_errors=silent_errors)
        if self.currency_id.compare_amounts(self.mlml_cash_residual, 0.0) <= 0:
            return None
        move = self.with_context(mlml_qr_amount=self.mlml_cash_residual)
        return super(AccountMove, move)._generate_qr_code(silent_errors=silent_errors)

    def _mlml_invoice_texts(self):
        """The sentences of the printed invoice about its MLML part, in the
        language of the context (the invoice report gives the partner's)."""
        self.ensure_one()
        barter = self.mlml_currency_id.symbol or ""
        currency = self.company_id.currency_id
        cash = currency.symbol or ""
        # "euros" for a company in EUR, "francs" for one in CHF (a WIR member)…
        unit = (currency.currency_unit_label or currency.name or "").lower()
        return {
            "barter_part": self.env._("Of which payable in %(barter)s:", barter=barter),
            "cash_part": self.env._("payable in %(unit)s:", unit=unit),
            "mention": self.env._(
                "Partial payment by compensation in the inter-company currency %(barter)s "
                "(1 %(barter)s = 1 %(cash)s). VAT payable in %(unit)s.",
                barter=barter,
                cash=cash,
                unit=unit,
            ),
            "cash_to_pay": self.env._("Amount to pay in %(unit)s:", unit=unit),
        }
