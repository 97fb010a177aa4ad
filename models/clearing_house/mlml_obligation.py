from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date, formatLang

from ...mlml_barter import wire
from ...mlml_barter.amounts import RuleError
from ...mlml_barter.compensation_run import (
    CONFIRM,
    CREDITOR,
    DEBTOR,
    DISPUTE,
    NEW,
    REPLAY,
    Declared,
    cents,
    contested_claims,
    declaration_outcome,
    from_cents,
)
from ...mlml_barter.membership import ACTIVE, SUSPENDED
from .mlml_guards import booking, check_ledger_manager, data_fields, is_booking
from .mlml_transfer import MlmlRefusal

#: Memberships whose invoices a compensation sets off (a suspended member still owes).
IN_NETWORK = (ACTIVE, SUSPENDED)


def mlml_accepted_cents(amount_open, mlml_declared, mlml_open):
    """What a run may pay the creditor in MLML on an obligation, in cents, within
    what is open (all of it when the creditor declared no MLML part)."""
    open_cents = cents(amount_open)
    if not mlml_declared:
        return open_cents
    return min(open_cents, cents(mlml_open))


class MlmlObligation(models.Model):
    """An open invoice between two members, declared for the compensation.

    The creditor declares its invoice, the debtor its bill; the obligation
    counts in a compensation run only once both declared the same figures
    (``declared_by_creditor`` and ``confirmed_by_debtor``). A declaration with
    other figures (the invoice was partly paid) replaces them and needs the
    other side again. Runs record what they cleared in ``amount_cleared``.

    An invoice number is its creditor's: an obligation is one claim
    (creditor, invoice, debtor), so a member that declares itself the debtor
    of another's invoice makes a claim of its own and never blocks the
    creditor's declaration. Conflicts are kept for the staff in ``dispute``:
    two sides standing by different figures, or a claim whose debtor the
    creditor's own claim contradicts (see ``contested_claims``). A disputed
    claim never has both sides' figures, so it counts in no run.
    """

    _name = "mlml.obligation"
    _description = "Obligation to Compensate"
    _inherit = ["mail.thread"]
    _order = "due_date, id"
    _check_company_auto = True

    name = fields.Char(string="Invoice", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    creditor_id = fields.Many2one(
        comodel_name="res.partner", required=True, readonly=True, index=True
    )
    debtor_id = fields.Many2one(
        comodel_name="res.partner", required=True, readonly=True, index=True
    )
    amount = fields.Monetary(
        required=True,
        readonly=True,
        help="The invoice's amount as last declared, what the runs cleared included.",
    )
    amount_cleared = fields.Monetary(
        readonly=True, help="What confirmed compensation runs set off on this invoice."
    )
    amount_open = fields.Monetary(
        compute="_compute_amount_open",
        store=True,
        aggregator="sum",
        help="What is still open: the amount less what compensations cleared.",
    )
    mlml_open = fields.Monetary(
        string="MLML Part Open",
        readonly=True,
        help="What the creditor still accepts in MLML on the invoice, as it declared it: the "
        "MLML part of the invoice (its acceptance) less what it already received in MLML on "
        "it. A run with liquidity pays the creditor no more MLML on this invoice.",
    )
    mlml_declared = fields.Boolean(
        string="MLML Part Declared",
        readonly=True,
        help="The creditor declared the MLML part it still accepts. Otherwise a run with "
        "liquidity may pay all that is open in MLML, within the creditor's ceiling.",
    )
    due_date = fields.Date(required=True, readonly=True, index=True)
    declared_by_creditor = fields.Boolean(readonly=True)
    confirmed_by_debtor = fields.Boolean(readonly=True)
    state = fields.Selection(
        selection=[
            ("declared", "Not confirmed"),
            ("confirmed", "Confirmed"),
            ("partly_cleared", "Partly cleared"),
            ("cleared", "Cleared"),
            ("withdrawn", "Withdrawn"),
        ],
        required=True,
        readonly=True,
        default="declared",
        index=True,
        tracking=True,
    )
    waiting_for = fields.Char(
        compute="_compute_waiting_for", help="Why the obligation does not count yet."
    )
    withdrawal_reason = fields.Text(help="Why the clearing house withdrew it.")
    dispute = fields.Selection(
        selection=[("figures", "Different figures"), ("debtor", "Debtor contested")],
        readonly=True,
        index=True,
        tracking=True,
        help="Different figures: the creditor and the debtor stand by different amounts or due "
        "dates. Debtor contested: another claim on the same invoice of the creditor names "
        "another debtor. Settled by a declaration that agrees, or by a withdrawal.",
    )
    feed_position = fields.Integer(readonly=True, copy=False, index=True)
    declaration_ids = fields.One2many(
        comodel_name="mlml.obligation.declaration", inverse_name="obligation_id", readonly=True
    )
    invoice_declaration_ids = fields.Many2many(
        comodel_name="mlml.obligation.declaration",
        compute="_compute_invoice_declaration_ids",
        string="Declarations of the Invoice",
        help="Every declaration of this invoice of the creditor, whichever debtor it names.",
    )
    line_ids = fields.One2many(
        comodel_name="mlml.compensation.line",
        inverse_name="obligation_id",
        string="Compensations",
        readonly=True,
    )

    _sql_constraints = [
        (
            "invoice_unique",
            "unique(company_id, creditor_id, name, debtor_id)",
            "An invoice is declared once per debtor; a new declaration updates it.",
        ),
        ("amount_positive", "CHECK (amount > 0)", "An obligation's amount is positive."),
        ("not_oneself", "CHECK (creditor_id != debtor_id)", "A member does not owe itself."),
    ]

    @api.depends("amount", "amount_cleared")
    def _compute_amount_open(self):
        for obligation in self:
            obligation.amount_open = obligation.amount - obligation.amount_cleared

    @api.depends("state", "declared_by_creditor", "confirmed_by_debtor", "dispute")
    def _compute_waiting_for(self):
        for obligation in self:
            obligation.waiting_for = obligation._why_not_counted() or False

    @api.depends("company_id", "creditor_id", "name", "declaration_ids")
    def _compute_invoice_declaration_ids(self):
        Declaration = self.env["mlml.obligation.declaration"]
        for obligation in self:
            obligation.invoice_declaration_ids = Declaration.search(
                [
                    ("company_id", "=", obligation.company_id.id),
                    ("obligation_id.creditor_id", "=", obligation.creditor_id.id),
                    ("obligation_id.name", "=", obligation.name),
                ]
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not is_booking(self.env):
            raise UserError(
                self.env._(
                    "An obligation is made by the declaration of its creditor or its debtor, "
                    "through the clearing house's API."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_booking(self.env):
            changed = data_fields(vals)
            if "withdrawal_reason" in changed:
                self._check_withdrawer()
            if changed - {"withdrawal_reason"}:
                raise UserError(
                    self.env._(
                        "The figures of invoice %(invoice)s come from the members' "
                        "declarations: they change when its creditor or its debtor declares it "
                        "again. An MLML manager may withdraw it, with a reason.",
                        invoice=", ".join(self.mapped("name")),
                    )
                )
        return super().write(vals)

    def _why_not_counted(self):
        """Why a run does not count this obligation, or "" when it does."""
        self.ensure_one()
        if self.state == "withdrawn":
            return self.env._(
                "Withdrawn by the clearing house: %(reason)s", reason=self.withdrawal_reason or ""
            )
        if self.state == "cleared":
            return self.env._("Cleared entirely.")
        if self.dispute == "debtor":
            return self._debtor_dispute_text()
        missing = ""
        if not self.confirmed_by_debtor:
            missing = self.env._(
                "Not confirmed by the debtor %(debtor)s: it has not declared this invoice as "
                "its bill with the same amount and due date.",
                debtor=self.debtor_id.display_name,
            )
        elif not self.declared_by_creditor:
            missing = self.env._(
                "Not declared by the creditor %(creditor)s with these figures: an invoice "
                "counts once its creditor declared it too.",
                creditor=self.creditor_id.display_name,
            )
        if missing:
            dispute = self._figures_dispute_text() if self.dispute == "figures" else ""
            return f"{missing} {dispute}" if dispute else missing
        for partner in self.creditor_id | self.debtor_id:
            if partner.mlml_member_state not in IN_NETWORK:
                return self.env._(
                    "%(member)s is no longer a member of the network.",
                    member=partner.display_name,
                )
        return ""

    def _counted_ids(self):
        """The ids of these obligations a run counts (``_why_not_counted`` is ""),
        in one query: for runs of many thousands of obligations."""
        if not self:
            return set()
        self.flush_recordset()
        self.env["res.partner"].flush_model(["mlml_member_state"])
        self.env.cr.execute(
            """
            SELECT o.id
              FROM mlml_obligation o
              JOIN res_partner creditor ON creditor.id = o.creditor_id
              JOIN res_partner debtor ON debtor.id = o.debtor_id
             WHERE o.id = ANY(%s)
               AND o.state NOT IN ('withdrawn', 'cleared')
               AND o.dispute IS DISTINCT FROM 'debtor'
               AND o.declared_by_creditor AND o.confirmed_by_debtor
               AND creditor.mlml_member_state = ANY(%s)
               AND debtor.mlml_member_state = ANY(%s)
            """,
            [self.ids, list(IN_NETWORK), list(IN_NETWORK)],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _rival_claims(self):
        """The other claims in force on the same invoice of the same creditor."""
        self.ensure_one()
        return self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("creditor_id", "=", self.creditor_id.id),
                ("name", "=", self.name),
                ("state", "!=", "withdrawn"),
                ("id", "!=", self.id),
            ]
        )

    def _debtor_dispute_text(self):
        """Why this claim is contested by another claim on the same invoice (staff only:
        it names the other claim's debtor)."""
        self.ensure_one()
        rivals = self._rival_claims()
        by_creditor = rivals._declared_by_their_creditor()
        if by_creditor:
            return self.env._(
                "In dispute: %(creditor)s declared invoice %(invoice)s with the debtor "
                "%(other)s, while %(debtor)s declared itself its debtor. An MLML manager "
                "withdraws the wrong claim; the creditor's claim counts once its debtor "
                "confirms it.",
                creditor=self.creditor_id.display_name,
                invoice=self.name,
                other=", ".join(by_creditor.debtor_id.mapped("display_name")),
                debtor=self.debtor_id.display_name,
            )
        return self.env._(
            "In dispute: %(debtors)s each declared themselves the debtor of invoice "
            "%(invoice)s of %(creditor)s, which has declared it with none of them yet. The "
            "claim its creditor declares counts; an MLML manager withdraws the others.",
            debtors=", ".join((self | rivals).debtor_id.mapped("display_name")),
            invoice=self.name,
            creditor=self.creditor_id.display_name,
        )

    def _figures_dispute_text(self):
        """Both sides' last figures, for a claim whose two sides disagree (staff only)."""
        self.ensure_one()
        last = {}
        for declaration in self.declaration_ids.sorted("id"):
            last[declaration.side] = declaration
        creditor, debtor = last.get(CREDITOR), last.get(DEBTOR)
        if not (creditor and debtor):
            return ""
        currency = self.currency_id
        return self.env._(
            "In dispute: %(creditor)s declared %(creditor_amount)s due %(creditor_due)s, "
            "%(debtor)s %(debtor_amount)s due %(debtor_due)s. It counts once one of them "
            "declares the other's figures; an MLML manager may withdraw it.",
            creditor=self.creditor_id.display_name,
            creditor_amount=formatLang(self.env, creditor.amount, currency_obj=currency),
            creditor_due=format_date(self.env, creditor.due_date),
            debtor=self.debtor_id.display_name,
            debtor_amount=formatLang(self.env, debtor.amount, currency_obj=currency),
            debtor_due=format_date(self.env, debtor.due_date),
        )

    def _declared_by_their_creditor(self):
        """Those of these claims their creditor itself declared (whatever figures it
        stands by now)."""
        return (
            self.env["mlml.obligation.declaration"]
            .sudo()
            .search([("obligation_id", "in", self.ids), ("side", "=", CREDITOR)])
            .obligation_id.with_env(self.env)
        )

    # ------------------------------------------------------------------
    # Declarations
    # ------------------------------------------------------------------

    @api.model
    def _declare(self, company, member, values, key=None, fingerprint=None, batch=None):
        """A declaration of ``member`` (creditor or debtor); return (obligation, created).

        ``values``: invoice, creditor and debtor (partners), amount (Decimal),
        due_date, currency (a code, or empty for the company's), mlml_open
        (Decimal, or None when not declared: read from the creditor's
        declaration only, see ``_write_mlml_open``). Refused with
        nothing written: a member that is not party to it, a creditor owing
        itself, a member out of the network, another currency, an invoice a
        run cleared entirely, an Idempotency-Key used for other figures.

        ``batch``: a list, for a declaration of a batch that locked every
        account it names beforehand; the obligation changed is added to it,
        and the batch moves them in the feed once at its end (``_bump_feed``).
        """
        self._check_declaration(company, member, values)
        creditor, debtor = values["creditor"], values["debtor"]
        # The two members' accounts are locked: declarations naming the same creditor
        # are read one after the other, so two first declarations of a claim make one
        # obligation, and the claims on one invoice are weighed in turn.
        if batch is None:
            self.env["mlml.ledger.account"]._lock(company, creditor | debtor)
        Declaration = self.env["mlml.obligation.declaration"].sudo()
        Obligation = booking(self)
        if key:
            done = Declaration.search(
                [
                    ("company_id", "=", company.id),
                    ("member_id", "=", member.id),
                    ("idempotency_key", "=", key),
                ],
                limit=1,
            )
            if done:
                if done.request_fingerprint != fingerprint:
                    raise MlmlRefusal(
                        self.env._(
                            "This Idempotency-Key was already used for another declaration "
                            "(invoice %(invoice)s): use a new key for a new declaration.",
                            invoice=done.obligation_id.name,
                        ),
                        "idempotency_conflict",
                        409,
                    )
                return done.obligation_id, False
        side = CREDITOR if member == creditor else DEBTOR
        claims = Obligation.search(
            [
                ("company_id", "=", company.id),
                ("creditor_id", "=", creditor.id),
                ("name", "=", values["invoice"]),
            ]
        )
        obligation = claims.filtered(lambda claim: claim.debtor_id == debtor)
        if side == CREDITOR:
            self._check_one_debtor(claims - obligation)
        amount_cents = cents(values["amount"])
        try:
            outcome = declaration_outcome(
                side,
                amount_cents,
                values["due_date"],
                obligation._as_declared() if obligation else None,
            )
        except RuleError as error:
            raise MlmlRefusal(
                self.env._(
                    "Invoice %(invoice)s was cleared entirely by a compensation: nothing is "
                    "open on it any more.",
                    invoice=obligation.name,
                ),
                "obligation_cleared",
                409,
            ) from error
        mine = "declared_by_creditor" if side == CREDITOR else "confirmed_by_debtor"
        other = "confirmed_by_debtor" if side == CREDITOR else "declared_by_creditor"
        rivals = claims - obligation
        if outcome == NEW:
            # Its declarations are its history: no message that it was created.
            obligation = Obligation.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True
            ).create(
                {
                    "name": values["invoice"],
                    "company_id": company.id,
                    "creditor_id": creditor.id,
                    "debtor_id": debtor.id,
                    "amount": float(values["amount"]),
                    "due_date": values["due_date"],
                    mine: True,
                }
            )
        elif outcome == CONFIRM:
            obligation.write({mine: True, "dispute": False})
            obligation.write({"state": obligation._counted_state()})
        elif outcome != REPLAY:
            if obligation.state != "withdrawn":
                obligation._withdraw_from_runs(
                    self.env._(
                        "%(member)s declared other figures for invoice %(invoice)s: "
                        "%(amount)s due %(due)s.",
                        member=member.display_name,
                        invoice=obligation.name,
                        amount=formatLang(
                            self.env, float(values["amount"]), currency_obj=company.currency_id
                        ),
                        due=format_date(self.env, values["due_date"]),
                    )
                )
            obligation.write(
                {
                    "amount": float(from_cents(cents(obligation.amount_cleared) + amount_cents)),
                    "due_date": values["due_date"],
                    mine: True,
                    other: False,
                    "state": "declared",
                    "withdrawal_reason": False,
                    "dispute": "figures" if outcome == DISPUTE else False,
                }
            )
        mlml_changed = side == CREDITOR and obligation._write_mlml_open(values.get("mlml_open"))
        if outcome != REPLAY or key:
            Declaration.create(
                {
                    "obligation_id": obligation.id,
                    "company_id": company.id,
                    "member_id": member.id,
                    "side": side,
                    "amount": float(values["amount"]),
                    "due_date": values["due_date"],
                    "outcome": outcome,
                    "idempotency_key": key or False,
                    "request_fingerprint": fingerprint or False,
                }
            )
        if outcome != REPLAY and rivals:
            # A claim alone on its invoice contests nothing and is contested by nothing.
            obligation._settle_debtor_disputes()
        if outcome != REPLAY or mlml_changed:
            if batch is None:
                obligation._bump_feed()
            else:
                batch.append(obligation.id)
        return obligation, outcome == NEW

    def _write_mlml_open(self, mlml_open):
        """The MLML part the creditor still accepts, from its declaration: its own
        figure, which the debtor need not confirm (``None``: not declared). Return
        whether it changed."""
        self.ensure_one()
        values = {
            "mlml_open": float(mlml_open or 0),
            "mlml_declared": mlml_open is not None,
        }
        changed = self.mlml_declared != values["mlml_declared"] or bool(
            self.currency_id.compare_amounts(self.mlml_open, values["mlml_open"])
        )
        if changed:
            booking(self).write(values)
        return changed

    def _mlml_accepted_cents(self):
        """What a run may pay the creditor in MLML on it, in cents, within what is
        open (all of it when the creditor declared no MLML part)."""
        self.ensure_one()
        return mlml_accepted_cents(self.amount_open, self.mlml_declared, self.mlml_open)

    def _run_figures(self):
        """(id, debtor id, creditor id, amount open, ``_mlml_accepted_cents``) of each
        of these obligations, in their order, read in one query: a run takes a whole
        network's."""
        self.flush_recordset(
            ["debtor_id", "creditor_id", "amount_open", "mlml_declared", "mlml_open"]
        )
        self.env.cr.execute(
            """
            SELECT id, debtor_id, creditor_id, coalesce(amount_open, 0), mlml_declared,
                   coalesce(mlml_open, 0)
              FROM mlml_obligation
             WHERE id = ANY(%s)
            """,
            [self.ids],
        )
        rows = {row[0]: row for row in self.env.cr.fetchall()}
        return [
            (id_, debtor, creditor, amount_open, mlml_accepted_cents(amount_open, declared, mlml))
            for id_, debtor, creditor, amount_open, declared, mlml in map(rows.get, self.ids)
        ]

    def _check_one_debtor(self, others):
        """Refuse a creditor's declaration of its invoice with a debtor when it declared
        that invoice with another debtor (``others``: the claims naming other debtors).
        Only the creditor's own claims refuse it: a debtor's claim never does."""
        declared = others.filtered(lambda claim: claim.state != "withdrawn")
        declared = declared._declared_by_their_creditor()
        if declared:
            raise MlmlRefusal(
                self.env._(
                    "You declared invoice %(invoice)s with the debtor %(debtor)s: an invoice has "
                    "one debtor. Check the invoice number; if the debtor was wrong, ask the "
                    "clearing house to withdraw that declaration, then declare it again.",
                    invoice=declared[0].name,
                    debtor=declared[0].debtor_id.display_name,
                ),
                "not_a_party",
                403,
                field="debtor",
            )

    def _settle_debtor_disputes(self):
        """Mark which claims on these obligations' invoices are contested by another
        (``contested_claims``): after a declaration or a withdrawal changed one of them."""
        Obligation = booking(self.env["mlml.obligation"])
        for company, creditor, name in {(o.company_id, o.creditor_id, o.name) for o in self}:
            claims = Obligation.search(
                [
                    ("company_id", "=", company.id),
                    ("creditor_id", "=", creditor.id),
                    ("name", "=", name),
                    ("state", "!=", "withdrawn"),
                ]
            )
            declared = claims._declared_by_their_creditor()
            contested = contested_claims({claim.id: claim in declared for claim in claims})
            for claim in claims:
                if claim.id in contested:
                    dispute = "debtor"
                else:
                    dispute = "figures" if claim.dispute == "figures" else False
                if claim.dispute != dispute:
                    claim.write({"dispute": dispute})

    @api.model
    def _check_declaration(self, company, member, values):
        """Refuse a declaration whose parties or currency cannot be set off."""
        creditor, debtor = values["creditor"], values["debtor"]
        if creditor == debtor:
            raise MlmlRefusal(
                self.env._(
                    "%(member)s cannot owe itself: the creditor and the debtor of an invoice "
                    "are two members.",
                    member=creditor.display_name,
                ),
                "obligation_to_oneself",
                400,
                field="debtor",
            )
        if member not in (creditor, debtor):
            raise MlmlRefusal(
                self.env._(
                    "You are neither the creditor nor the debtor of invoice %(invoice)s: only "
                    "they declare it.",
                    invoice=values["invoice"],
                ),
                "not_a_party",
                403,
            )
        mlml_open = values.get("mlml_open")
        if mlml_open is not None and mlml_open > values["amount"]:
            raise MlmlRefusal(
                self.env._(
                    "The MLML part still accepted on invoice %(invoice)s (%(mlml)s) is more "
                    "than what is open on it (%(amount)s): declare at most the amount open.",
                    invoice=values["invoice"],
                    mlml=formatLang(self.env, float(mlml_open), currency_obj=company.currency_id),
                    amount=formatLang(
                        self.env, float(values["amount"]), currency_obj=company.currency_id
                    ),
                ),
                "mlml_open_above_amount",
                400,
                field="mlml_open",
            )
        currency = (values.get("currency") or "").strip()
        if currency and currency.upper() != company.currency_id.name:
            raise MlmlRefusal(
                self.env._(
                    "The compensation sets off invoices in %(currency)s only, not in "
                    "%(other)s: declare the amount open in %(currency)s.",
                    currency=company.currency_id.name,
                    other=currency,
                ),
                "currency_not_accepted",
                400,
                field="currency",
            )
        for partner, role in ((creditor, "creditor"), (debtor, "debtor")):
            if partner.mlml_member_state not in IN_NETWORK:
                raise MlmlRefusal(
                    self.env._(
                        "%(member)s is not a member of the network (membership “%(state)s”): "
                        "only invoices between members are set off.",
                        member=partner.display_name,
                        state=dict(
                            partner._fields["mlml_member_state"]._description_selection(self.env)
                        ).get(partner.mlml_member_state),
                    ),
                    "member_not_in_network",
                    403,
                    field=role,
                )

    def _as_declared(self):
        self.ensure_one()
        return Declared(
            open_cents=cents(self.amount_open),
            due_date=self.due_date,
            by_creditor=self.declared_by_creditor,
            by_debtor=self.confirmed_by_debtor,
            withdrawn=self.state == "withdrawn",
            cleared=self.state == "cleared",
            disputed=self.dispute == "figures",
        )

    def _counted_state(self):
        """The state of an obligation both sides declared."""
        self.ensure_one()
        if not (self.declared_by_creditor and self.confirmed_by_debtor):
            return "declared"
        if self.currency_id.is_zero(self.amount_open):
            return "cleared"
        return "partly_cleared" if self.amount_cleared else "confirmed"

    def _bump_feed(self):
        """The next positions of the clearing house's feed of obligations: a member
        reading after its last position sees each change once."""
        positions = self._feed_positions()
        self.env.cr.execute(
            """
            UPDATE mlml_obligation o SET feed_position = p.position
              FROM unnest(%s::int[], %s::int[]) AS p(id, position)
             WHERE o.id = p.id
            """,
            [list(positions), list(positions.values())],
        )
        self.invalidate_recordset(["feed_position"])

    def _feed_positions(self):
        """{obligation id: its next position in its clearing house's feed}, in the
        order of ``self``, the numbers taken at once per company (a run moves
        thousands, whose companies are read in one query); the caller writes them."""
        Transfer = self.env["mlml.transfer"]
        self.flush_recordset(["company_id"])
        self.env.cr.execute(
            "SELECT id, company_id FROM mlml_obligation WHERE id = ANY(%s)", [self.ids]
        )
        company_of = dict(self.env.cr.fetchall())
        positions = {}
        for company in self.env["res.company"].browse(
            dict.fromkeys(company_of[id_] for id_ in self.ids)
        ):
            obligations = self.browse([id_ for id_ in self.ids if company_of[id_] == company.id])
            sequence = Transfer._sequence(
                company,
                "mlml.obligation.feed",
                self.env._("Obligations of %(company)s (feed)", company=company.name),
            )
            self.env.cr.execute(
                """
                UPDATE ir_sequence SET number_next = number_next + %s
                 WHERE id = %s
             RETURNING number_next - %s
                """,
                [len(obligations), sequence.id, len(obligations)],
            )
            first = self.env.cr.fetchone()[0]
            sequence.invalidate_recordset(["number_next"])
            positions.update((id_, n) for n, id_ in enumerate(obligations.ids, first))
        return positions

    def _withdraw_from_runs(self, reason):
        """Take these obligations out of the runs not confirmed yet, with ``reason``:
        those runs go back to draft and must be simulated again."""
        lines = booking(self.env["mlml.compensation.line"]).search(
            [
                ("obligation_id", "in", self.ids),
                ("status", "=", "in"),
                ("compensation_id.state", "!=", "confirmed"),
            ]
        )
        if not lines:
            return
        lines.write({"status": "withdrawn", "reason": reason})
        for run in lines.compensation_id:
            run.write({"state": "draft"})
            run.message_post(
                body=self.env._(
                    "Simulate again: an obligation was withdrawn from this run. %(reason)s",
                    reason=reason,
                )
            )

    # ------------------------------------------------------------------
    # Back office
    # ------------------------------------------------------------------

    def _creation_message(self):
        # Its own sentence, not mail's "%s created": the noun is feminine in French.
        self.ensure_one()
        return self.env._("Obligation created")

    def action_withdraw(self):
        """Withdraw the obligations from the compensation, with the reason typed."""
        self._check_withdrawer()
        for obligation in self:
            if obligation.state in ("cleared", "withdrawn"):
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s is already %(state)s: nothing to withdraw.",
                        invoice=obligation.name,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            obligation.state
                        ].lower(),
                    )
                )
            if not (obligation.withdrawal_reason or "").strip():
                raise UserError(
                    self.env._(
                        "Say why invoice %(invoice)s is withdrawn (field Withdrawal Reason): "
                        "both members read it.",
                        invoice=obligation.name,
                    )
                )
            obligation._withdraw_from_runs(
                self.env._(
                    "Invoice %(invoice)s withdrawn: %(reason)s",
                    invoice=obligation.name,
                    reason=obligation.withdrawal_reason,
                )
            )
            booking(obligation).write({"state": "withdrawn", "dispute": False})
        self._settle_debtor_disputes()
        self._bump_feed()
        return True

    def _check_withdrawer(self):
        check_ledger_manager(
            self.env, self.env._("Only the clearing house's MLML managers withdraw an obligation.")
        )

    def _json(self, member):
        self.ensure_one()
        return {
            "id": self.id,
            "invoice": self.name,
            "creditor": self.creditor_id.mlml_member_number or "",
            "debtor": self.debtor_id.mlml_member_number or "",
            "amount": wire.format_amount(self.amount),
            "amount_cleared": wire.format_amount(self.amount_cleared),
            "amount_open": wire.format_amount(self.amount_open),
            "currency": self.currency_id.name,
            "due_date": self.due_date.isoformat(),
            "mlml_open": wire.format_amount(self.mlml_open) if self.mlml_declared else None,
            "state": self.state,
            "role": "creditor" if self.creditor_id == member else "debtor",
            "declared_by_creditor": self.declared_by_creditor,
            "confirmed_by_debtor": self.confirmed_by_debtor,
            "withdrawal_reason": self.withdrawal_reason or None,
        }


class MlmlObligationDeclaration(models.Model):
    """One declaration of an obligation by one of its sides (its trace, and the
    Idempotency-Key it came with)."""

    _name = "mlml.obligation.declaration"
    _description = "Declaration of an Obligation"
    _order = "id desc"
    _check_company_auto = True

    obligation_id = fields.Many2one(
        comodel_name="mlml.obligation", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(comodel_name="res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    member_id = fields.Many2one(comodel_name="res.partner", required=True, readonly=True)
    debtor_id = fields.Many2one(
        related="obligation_id.debtor_id", string="Debtor Named", help="The debtor it declares."
    )
    side = fields.Selection(
        selection=[("creditor", "Creditor"), ("debtor", "Debtor")], required=True, readonly=True
    )
    amount = fields.Monetary(string="Amount Open", readonly=True)
    due_date = fields.Date(readonly=True)
    outcome = fields.Selection(
        selection=[
            ("new", "New"),
            ("replay", "Same again"),
            ("confirm", "Confirmation"),
            ("update", "New figures"),
            ("dispute", "Disputed figures"),
        ],
        required=True,
        readonly=True,
    )
    idempotency_key = fields.Char(readonly=True, copy=False)
    request_fingerprint = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "unique(company_id, member_id, idempotency_key)",
            "A member's Idempotency-Key names one declaration.",
        ),
    ]
