import ast

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round
from odoo.tools.misc import NON_BREAKING_SPACE, formatLang, get_lang

from odoo.addons.base.models.res_lang import intersperse

from ...mlml_barter import wire
from ...mlml_barter.compensation import (
    Liquidity,
    Obligation,
    SolverMissing,
    compensate,
    percent,
)
from ...mlml_barter.compensation_run import (
    accepted_parts,
    cents,
    from_cents,
    loops,
    member_figures,
    member_liquidity,
    paid_in_mlml,
    receive_cap,
    settlement_transfers,
)
from .mlml_guards import (
    booking,
    check_ledger_manager,
    check_staff,
    data_fields,
    is_booking,
    unnest_rows,
)
from .mlml_transfer import MlmlRefusal

#: What the staff write on a run: the rest comes from its simulation and confirmation.
STAFF_FIELDS = {"cutoff_date"}
#: The columns of a run's lines that ``_insert_rows`` writes.
LINE_COLUMNS = (
    "obligation_id",
    "amount",
    "cleared_without",
    "cleared_with",
    "mlml_accepted",
    "received_with",
    "paid_with",
    "status",
    "reason",
)
#: The columns of a run's members that ``_insert_rows`` writes.
MEMBER_COLUMNS = (
    "partner_id",
    "member_number",
    "owes",
    "owed",
    "set_off_without",
    "still_pays_without",
    "paid_off_with",
    "collected_with",
    "still_pays_with",
    "mlml_transfer",
    "mlml_pays",
    "mlml_receives",
    "can_pay",
    "can_receive",
    "no_ceiling",
    "mlml_accepted",
    "receive_cap",
    "receive_cap_by",
)


def money_formatter(env, currency):
    """``formatLang(env, amount, currency_obj=currency)`` for many amounts: the same
    text, with the language's figures read once (a run writes an amount per
    invoice and member, hundreds of thousands; ``formatLang`` reads them anew
    each time)."""
    lang = env["res.lang"].browse(get_lang(env).id)
    data = lang._get_data(id=lang.id)
    grouping = ast.literal_eval(data.grouping)
    digits = currency.decimal_places
    formatted = {}

    def money(amount):
        if amount not in formatted:
            rounded = float_round(amount, precision_digits=digits, rounding_method="HALF-EVEN")
            parts = (f"%.{digits}f" % rounded).split(".")
            parts[0] = intersperse(parts[0], grouping, data.thousands_sep or "")[0]
            text = data.decimal_point.join(parts)
            if currency.symbol:
                pieces = (text, NON_BREAKING_SPACE, currency.symbol)
                text = "".join(pieces if currency.position == "after" else pieces[::-1])
            formatted[amount] = text
        return formatted[amount]

    return money


def note_html(texts):
    """The HTML that Odoo's sanitizer makes of the message body
    ``Markup("<br/>").join(texts)`` (sentences of plain text, one a line), written
    without parsing it: each text escaped, the lines joined by ``<br>`` in one
    paragraph, a no-break space written ``&nbsp;``. None when the texts hold what
    the sanitizer would read otherwise (a character that is not printable, a first
    line that does not start with a letter or a digit, as a signature's ``--``
    does): such a body goes through the sanitizer."""
    joined = "".join(texts)
    if not (
        texts[0][:1].isalnum() and joined.replace("\xa0", " ").replace("\u202f", " ").isprintable()
    ):
        return None
    lines = "<br>".join(
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\xa0", "&nbsp;")
        for text in texts
    )
    return f"<p>{lines}</p>"


class MlmlCompensation(models.Model):
    """A multilateral compensation run of the clearing house.

    *Simulate* takes the obligations both sides confirmed, due up to the
    cut-off date, and finds the largest set-off without and with the members'
    MLML liquidity (``mlml_barter.compensation``). *Confirm* (MLML managers)
    records per obligation what was cleared and books the MLML transfers of
    the liquidity part, all in one transaction. A confirmed run never changes.
    """

    _name = "mlml.compensation"
    _description = "Compensation Run"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Number", readonly=True, copy=False)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    mlml_currency_id = fields.Many2one(
        related="company_id.mlml_currency_id", string="Barter Currency"
    )
    cutoff_date = fields.Date(
        string="Cut-off Date",
        required=True,
        default=fields.Date.context_today,
        help="The obligations due up to this date take part.",
    )
    state = fields.Selection(
        selection=[("draft", "Draft"), ("simulated", "Simulated"), ("confirmed", "Confirmed")],
        required=True,
        readonly=True,
        default="draft",
        index=True,
        tracking=True,
    )
    with_liquidity = fields.Boolean(
        readonly=True, help="Confirmed with the members' MLML accounts as liquidity."
    )
    simulated_at = fields.Datetime(readonly=True)
    confirmed_at = fields.Datetime(readonly=True)
    confirmed_by_id = fields.Many2one(comodel_name="res.users", readonly=True)
    feed_position = fields.Integer(readonly=True, copy=False, index=True)
    obligation_count = fields.Integer(string="Obligations In", readonly=True)
    excluded_count = fields.Integer(string="Obligations Not Counted", readonly=True)
    total_debt = fields.Monetary(
        string="Total Amount", readonly=True, help="The sum of the obligations taken in."
    )
    net_internal_debt = fields.Monetary(
        readonly=True,
        help="The sum of the members' positive net positions: the least money that settles "
        "every obligation. Clearing alone never lowers it.",
    )
    cleared_without = fields.Monetary(string="Cleared Without Liquidity", readonly=True)
    percent_without = fields.Float(
        string="Debt Cleared Without Liquidity (%)",
        digits=(16, 2),
        readonly=True,
        help="The share of the total amount set off by clearing alone.",
    )
    cleared_with = fields.Monetary(string="Cleared With Liquidity", readonly=True)
    percent_with = fields.Float(
        string="Debt Cleared With Liquidity (%)",
        digits=(16, 2),
        readonly=True,
        help="The share of the total amount set off with the MLML accounts as liquidity.",
    )
    net_internal_debt_after = fields.Monetary(
        string="Net Internal Debt Left With Liquidity",
        readonly=True,
        help="The net internal debt of what is left to pay once the run with liquidity is "
        "confirmed: only the MLML transfers lower it.",
    )
    nid_percent_removed = fields.Float(
        string="Net Internal Debt Removed With Liquidity (%)", digits=(16, 2), readonly=True
    )
    mlml_moved = fields.Monetary(
        string="MLML Moved",
        currency_field="mlml_currency_id",
        readonly=True,
        help="The sum of the MLML transfers of the liquidity part.",
    )
    loops_html = fields.Html(
        string="Largest Loops",
        readonly=True,
        help="The largest loops clearing alone sets off: each member owes the next one, the "
        "last owes the first.",
    )
    member_ids = fields.One2many(
        comodel_name="mlml.compensation.member", inverse_name="compensation_id", readonly=True
    )
    line_ids = fields.One2many(
        comodel_name="mlml.compensation.line",
        inverse_name="compensation_id",
        domain=[("status", "=", "in")],
        string="Obligations",
        readonly=True,
    )
    excluded_line_ids = fields.One2many(
        comodel_name="mlml.compensation.line",
        inverse_name="compensation_id",
        domain=[("status", "!=", "in")],
        string="Not Counted",
        readonly=True,
    )
    transfer_ids = fields.Many2many(
        comodel_name="mlml.transfer", string="MLML Transfers", readonly=True, copy=False
    )

    # ------------------------------------------------------------------
    # CRUD: a confirmed run never changes
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Transfer = self.env["mlml.transfer"]
        if not is_booking(self.env):
            self._check_staff()
            for vals in vals_list:
                self._check_staff_fields(data_fields(vals) - {"company_id", "name"})
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            company = self.env["mlml.ledger.account"]._clearing_house(company)
            sequence = Transfer._sequence(
                company,
                "mlml.compensation",
                self.env._("Compensation runs of %(company)s", company=company.name),
                prefix="CMP/",
            )
            vals["name"] = sequence.get_next_char(Transfer._take_number(sequence))
        return super().create(vals_list)

    def write(self, vals):
        if not is_booking(self.env):
            changed = data_fields(vals)
            if changed:
                self._check_staff()
            confirmed = self.filtered(lambda run: run.state == "confirmed")
            if changed and confirmed:
                raise UserError(confirmed[0]._confirmed_message())
            self._check_staff_fields(changed)
            if "cutoff_date" in vals:
                vals = {**vals, "state": "draft"}
        return super().write(vals)

    def _check_staff_fields(self, changed):
        if changed - STAFF_FIELDS:
            raise UserError(
                self.env._(
                    "The figures of compensation %(run)s come from its simulation and its "
                    "confirmation (%(fields)s cannot be written): change its cut-off date and "
                    "simulate it again.",
                    run=", ".join(self.mapped("name")) or self.env._("a new run"),
                    fields=", ".join(sorted(changed - STAFF_FIELDS)),
                )
            )

    def _check_staff(self):
        check_staff(
            self.env,
            self.env._("Only the clearing house's staff make and simulate compensation runs."),
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_never_confirmed(self):
        for run in self.filtered(lambda r: r.state == "confirmed"):
            raise UserError(run._confirmed_message())
        self._check_staff()

    def _confirmed_message(self):
        return self.env._(
            "Compensation %(run)s is confirmed: a confirmed run is never changed nor deleted. "
            "Make a new run for the obligations still open.",
            run=self.name,
        )

    # ------------------------------------------------------------------
    # Simulation
    # ------------------------------------------------------------------

    def _candidates(self):
        """The obligations due up to the cut-off that are still open, and which count."""
        self.ensure_one()
        obligations = (
            self.env["mlml.obligation"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("due_date", "<=", self.cutoff_date),
                    ("state", "in", ("declared", "confirmed", "partly_cleared")),
                    ("amount_open", ">", 0),
                ],
                order="due_date, id",
            )
        )
        counted_ids = obligations._counted_ids()
        counted = obligations.filtered(lambda o: o.id in counted_ids)
        return counted, obligations - counted

    def _liquidity(self, partners):
        """The MLML liquidity of the active members, from their accounts' bounds:
        {partner id: (can pay, can receive or None)} in cents."""
        Account = self.env["mlml.ledger.account"].sudo()
        active = partners.filtered(lambda p: p.mlml_member_state == "active")
        accounts = Account._ensure(self.company_id, active)
        lines = self.env["res.partner"]._mlml_lines_in_force(active.ids, company=self.company_id)
        liquidity = {}
        for account in accounts:
            limit, ceiling = lines.get(account.partner_id.id, (0.0, 0.0))
            liquidity[account.partner_id.id] = member_liquidity(account.balance, limit, ceiling)
        return liquidity

    def _creation_message(self):
        # Its own sentence, not mail's "%s created": the noun is feminine in French.
        self.ensure_one()
        return self.env._("Compensation run created")

    def action_simulate(self):
        """Find the largest set-off, without and with liquidity, and show it."""
        self._check_staff()
        for run in self:
            if run.state == "confirmed":
                raise UserError(run._confirmed_message())
            run._simulate()
        return True

    def _simulate(self):
        self.ensure_one()
        self.env["mlml.ledger.account"]._clearing_house(self.company_id)
        counted, excluded = self._candidates()
        figures = counted._run_figures()
        items = [
            Obligation(id_, debtor, creditor, cents(amount_open), accepted)
            for id_, debtor, creditor, amount_open, accepted in figures
        ]
        # counted.creditor_id | counted.debtor_id, without reading them again.
        members = self.env["res.partner"].browse(
            list(dict.fromkeys([row[2] for row in figures] + [row[1] for row in figures]))
        )
        liquidity = self._liquidity(members)
        # What each member may receive: its ceiling's room and the MLML parts it
        # accepts on its invoices in the run, the lower of the two.
        accepted = accepted_parts(items)
        caps = {
            member: receive_cap(receive, accepted.get(member, 0))
            for member, (_pay, receive) in liquidity.items()
        }
        try:
            without = compensate(items)
            with_liquidity = compensate(
                items,
                [
                    Liquidity(member, pay, caps[member][0])
                    for member, (pay, _receive) in liquidity.items()
                ],
            )
        except SolverMissing as error:
            raise UserError(str(error)) from error
        paid = paid_in_mlml(items, with_liquidity.cleared, with_liquidity.transfers)
        run = booking(self)
        (run.line_ids | run.excluded_line_ids).unlink()
        run.member_ids.unlink()
        self._insert_rows(
            "mlml.compensation.line",
            LINE_COLUMNS,
            [
                {
                    "obligation_id": id_,
                    "amount": amount_open,
                    "cleared_without": from_cents(without.cleared[id_]),
                    "cleared_with": from_cents(with_liquidity.cleared[id_]),
                    "mlml_accepted": from_cents(accepted),
                    "received_with": from_cents(with_liquidity.received_on(id_)),
                    "paid_with": from_cents(paid[id_]),
                    "status": "in",
                }
                for id_, _debtor, _creditor, amount_open, accepted in figures
            ]
            + [
                {
                    "obligation_id": obligation.id,
                    "amount": obligation.amount_open,
                    "status": "excluded",
                    "reason": obligation._why_not_counted(),
                }
                for obligation in excluded
            ],
        )
        figures_without = member_figures(items, without.cleared)
        figures_with = member_figures(items, with_liquidity.cleared)
        member_values = []
        for partner in members.sorted(lambda p: (p.mlml_member_number or "", p.id)):
            owes, owed, debtor_without, _creditor = figures_without[partner.id]
            _owes, _owed, debtor_with, creditor_with = figures_with[partner.id]
            can_pay, can_receive = liquidity.get(partner.id, (0, 0))
            cap, bound = caps.get(partner.id, (0, False))
            transfer = with_liquidity.transfer(partner.id)
            member_values.append(
                {
                    "partner_id": partner.id,
                    "member_number": partner.mlml_member_number or None,
                    "owes": from_cents(owes),
                    "owed": from_cents(owed),
                    "set_off_without": from_cents(debtor_without),
                    "still_pays_without": from_cents(owes - debtor_without),
                    "paid_off_with": from_cents(debtor_with),
                    "collected_with": from_cents(creditor_with),
                    "still_pays_with": from_cents(owes - debtor_with),
                    "mlml_transfer": from_cents(transfer),
                    "mlml_pays": from_cents(max(-transfer, 0)),
                    "mlml_receives": from_cents(max(transfer, 0)),
                    "can_pay": from_cents(can_pay),
                    "can_receive": from_cents(can_receive or 0),
                    "no_ceiling": can_receive is None,
                    "mlml_accepted": from_cents(accepted.get(partner.id, 0)),
                    "receive_cap": from_cents(cap),
                    "receive_cap_by": bound or None,
                }
            )
        self._insert_rows("mlml.compensation.member", MEMBER_COLUMNS, member_values)
        names = {partner.id: partner.display_name for partner in members}
        largest = [
            self.env._(
                "%(members)s: %(amount)s each",
                members=" → ".join(names[member] for member in (*loop, loop[0])),
                amount=formatLang(
                    self.env, float(from_cents(amount)), currency_obj=self.currency_id
                ),
            )
            for loop, amount in loops(items, without.cleared)
        ]
        nid = with_liquidity.net_internal_debt_cents
        remaining = with_liquidity.remaining_net_internal_debt_cents
        run.write(
            {
                "state": "simulated",
                "simulated_at": fields.Datetime.now(),
                "loops_html": Markup("<br/>").join(largest) if largest else False,
                "obligation_count": len(counted),
                "excluded_count": len(excluded),
                "total_debt": float(from_cents(without.total_debt_cents)),
                "net_internal_debt": float(from_cents(nid)),
                "cleared_without": float(from_cents(without.total_cleared_cents)),
                "percent_without": float(without.percent_removed),
                "cleared_with": float(from_cents(with_liquidity.total_cleared_cents)),
                "percent_with": float(with_liquidity.percent_removed),
                "net_internal_debt_after": float(from_cents(remaining)),
                "nid_percent_removed": float(percent(nid - remaining, nid)),
                "mlml_moved": float(
                    from_cents(sum(v for v in with_liquidity.transfers.values() if v > 0))
                ),
            }
        )

    def _insert_rows(self, model_name, columns, values_list):
        """Write the run's lines or members (``model_name``: ``columns``, a value not
        given is empty) in one query, in the order of ``values_list``: a run holds a
        whole network's obligations and members, and neither has a rule of its own
        to check when it is made (the run's simulation is their rule)."""
        self.ensure_one()
        if not values_list:
            return
        Model = self.env[model_name]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (
                    compensation_id, %(columns)s, create_uid, create_date, write_uid, write_date)
                SELECT %(run)s, %(columns)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM %(rows)s
                 ORDER BY rank
                """,
                table=SQL.identifier(Model._table),
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                run=self.id,
                uid=self.env.uid,
                now=self.env.cr.now(),
                rows=unnest_rows(Model, columns, values_list, ordinality=True),
            )
        )
        Model.invalidate_model()
        self.invalidate_recordset(["line_ids", "excluded_line_ids", "member_ids"])

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------

    def action_confirm_without(self):
        self.ensure_one()
        return self._confirm(with_liquidity=False)

    def action_confirm_with(self):
        self.ensure_one()
        return self._confirm(with_liquidity=True)

    def _confirm(self, with_liquidity):
        """Record what the run clears and book its MLML transfers, all or nothing."""
        self.ensure_one()
        check_ledger_manager(
            self.env,
            self.env._("Only the clearing house's MLML managers confirm a compensation run."),
        )
        with self.env.cr.savepoint():
            self.env.cr.execute(
                "SELECT state FROM mlml_compensation WHERE id = %s FOR UPDATE", [self.id]
            )
            self.invalidate_recordset(["state"])
            if self.state == "confirmed":
                raise UserError(
                    self.env._(
                        "Compensation %(run)s is already confirmed: a run is confirmed once.",
                        run=self.name,
                    )
                )
            if self.state != "simulated":
                raise UserError(
                    self.env._(
                        "Simulate compensation %(run)s first: it is confirmed as last simulated.",
                        run=self.name,
                    )
                )
            run = booking(self)
            lines, obligation_ids = run._counted_lines()
            self._check_unchanged(lines, obligation_ids)
            booked = self.env["mlml.transfer"]
            if with_liquidity:
                # Each member's MLML movement as simulated: its obligations were
                # just checked unchanged.
                movements = {
                    member.partner_id.id: cents(member.mlml_transfer) for member in run.member_ids
                }
                booked = self._book_transfers(settlement_transfers(movements))
            self._record_cleared(lines, obligation_ids, with_liquidity)
            run._link_member_transfers(booked)
            sequence = self.env["mlml.transfer"]._sequence(
                self.company_id,
                "mlml.compensation.feed",
                self.env._("Compensation runs of %(company)s (feed)", company=self.company_id.name),
            )
            run.write(
                {
                    "state": "confirmed",
                    "with_liquidity": with_liquidity,
                    "confirmed_at": fields.Datetime.now(),
                    "confirmed_by_id": self.env.user.id,
                    "transfer_ids": [(6, 0, booked.ids)],
                    "feed_position": self.env["mlml.transfer"]._take_number(sequence),
                }
            )
            run._notify_members()
        return True

    def _counted_lines(self):
        """The run's counted lines and their obligations' ids, in the lines' order,
        read in one query: a run counts many thousands, which the records would
        read a thousand at a time."""
        Line = self.env["mlml.compensation.line"]
        Line.flush_model(["compensation_id", "status", "obligation_id"])
        self.env.cr.execute(
            """
            SELECT id, obligation_id FROM mlml_compensation_line
             WHERE compensation_id = %s AND status = 'in'
             ORDER BY id
            """,
            [self.id],
        )
        rows = self.env.cr.fetchall()
        return Line.browse([id_ for id_, _obligation in rows]), [o for _id, o in rows]

    def _record_cleared(self, lines, obligation_ids, with_liquidity):
        """What the run clears on each line's obligation (``obligation_ids``, in the
        lines' order), written in two queries (a run sets off many thousands): the
        line's amount cleared, the obligation's amount cleared and open, its state
        (``_counted_state``: both sides declared it, which ``_check_unchanged`` made
        sure of) and its next position in the feed (``_feed_positions``: each
        obligation of the run changed)."""
        positions = self.env["mlml.obligation"].browse(obligation_ids)._feed_positions()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE mlml_compensation_line
                   SET amount_cleared = %s, write_uid = %s, write_date = %s
                 WHERE id = ANY(%s)
                """,
                SQL.identifier("cleared_with" if with_liquidity else "cleared_without"),
                self.env.uid,
                fields.Datetime.now(),
                lines.ids,
            )
        )
        self.env.cr.execute(
            """
            UPDATE mlml_obligation o
               SET amount_cleared = c.cleared,
                   amount_open = o.amount - c.cleared,
                   state = CASE
                       WHEN o.amount = c.cleared THEN 'cleared'
                       WHEN c.cleared <> 0 THEN 'partly_cleared'
                       ELSE 'confirmed'
                   END,
                   mlml_open = CASE
                       WHEN c.received IS NULL OR NOT o.mlml_declared THEN o.mlml_open
                       ELSE greatest(0, o.mlml_open - c.received)
                   END,
                   feed_position = c.position,
                   write_uid = %s, write_date = %s
              FROM (
                    SELECT l.obligation_id,
                           coalesce(before.amount_cleared, 0)
                           + coalesce(l.amount_cleared, 0) AS cleared,
                           -- What the creditor received in MLML on it is no longer
                           -- to receive (a run with liquidity only).
                           CASE WHEN %s THEN l.received_with END AS received,
                           p.position
                      FROM mlml_compensation_line l
                      JOIN mlml_obligation before ON before.id = l.obligation_id
                      JOIN unnest(%s::int[], %s::int[]) AS p(id, position)
                        ON p.id = l.obligation_id
                     WHERE l.id = ANY(%s)
                   ) c
             WHERE o.id = c.obligation_id
            """,
            [
                self.env.uid,
                fields.Datetime.now(),
                bool(with_liquidity),
                list(positions),
                list(positions.values()),
                lines.ids,
            ],
        )
        if self.env.cr.rowcount != len(lines):
            raise UserError(
                self.env._(
                    "Compensation %(run)s: %(count)s obligations were to be cleared, %(done)s "
                    "were. Nothing was confirmed: simulate again.",
                    run=self.name,
                    count=len(lines),
                    done=self.env.cr.rowcount,
                )
            )
        self.env.invalidate_all(flush=False)

    def _lines_changed(self, lines):
        """The ids of ``lines`` whose obligation's open amount or accepted MLML part
        may differ from the simulation's, in one query: the others are unchanged
        (``_check_unchanged`` checks these ones as it checks any)."""
        lines.flush_recordset()
        self.env.cr.execute(
            """
            SELECT l.id
              FROM mlml_compensation_line l
              JOIN mlml_obligation o ON o.id = l.obligation_id
             WHERE l.id = ANY(%s)
               AND (coalesce(o.amount_open, 0) <> coalesce(l.amount, 0)
                    OR coalesce(l.mlml_accepted, 0) <> CASE
                        WHEN o.mlml_declared
                        THEN least(coalesce(o.amount_open, 0), coalesce(o.mlml_open, 0))
                        ELSE coalesce(o.amount_open, 0)
                    END)
            """,
            [lines.ids],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _check_unchanged(self, lines, obligation_ids):
        """Refuse the confirmation when an obligation changed since the simulation
        (``obligation_ids``: the lines', in their order). The obligations are locked,
        and the lines whose obligation changed or is no longer counted are found in
        two queries; only those are read to say what changed."""
        obligations = self.env["mlml.obligation"].browse(obligation_ids)
        if obligations:
            self.env.cr.execute(
                "SELECT id FROM mlml_obligation WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                [obligations.ids],
            )
            obligations.invalidate_recordset()
        counted_ids = obligations._counted_ids()
        suspects = self._lines_changed(lines) | {
            line_id
            for line_id, obligation_id in zip(lines.ids, obligation_ids, strict=True)
            if obligation_id not in counted_ids
        }
        for line in lines.browse([id_ for id_ in lines.ids if id_ in suspects]):
            obligation = line.obligation_id
            if obligation.id in counted_ids and (
                obligation._mlml_accepted_cents() != cents(line.mlml_accepted)
            ):
                raise UserError(
                    self.env._(
                        "The MLML part %(creditor)s accepts on invoice %(invoice)s changed since "
                        "compensation %(run)s was simulated (now: %(now)s, in the simulation: "
                        "%(then)s). Nothing was confirmed: simulate again.",
                        creditor=obligation.creditor_id.display_name,
                        invoice=obligation.name,
                        run=self.name,
                        now=formatLang(
                            self.env,
                            float(from_cents(obligation._mlml_accepted_cents())),
                            currency_obj=obligation.currency_id,
                        ),
                        then=formatLang(
                            self.env, line.mlml_accepted, currency_obj=obligation.currency_id
                        ),
                    )
                )
            # The run's currency is its obligations' (their company's).
            if obligation.id not in counted_ids or self.currency_id.compare_amounts(
                obligation.amount_open, line.amount
            ):
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s changed since compensation %(run)s was simulated "
                        "(open now: %(open)s, in the simulation: %(amount)s; %(why)s). Nothing "
                        "was confirmed: simulate again.",
                        invoice=obligation.name,
                        run=self.name,
                        open=formatLang(
                            self.env, obligation.amount_open, currency_obj=obligation.currency_id
                        ),
                        amount=formatLang(
                            self.env, line.amount, currency_obj=obligation.currency_id
                        ),
                        why=obligation._why_not_counted() or obligation.state,
                    )
                )

    def _book_transfers(self, transfers):
        """Book the run's MLML transfers (``[(payer id, payee id, cents)]``), all or
        none: the first one refused stops the confirmation."""
        # Read together: thousands of members, which one by one took a query each.
        partners = {
            partner.id: partner
            for partner in self.env["res.partner"].browse(
                {partner_id for transfer in transfers for partner_id in transfer[:2]}
            )
        }
        try:
            return self.env["mlml.transfer"]._book_many(
                [
                    (partners[payer_id], partners[payee_id], from_cents(amount_cents))
                    for payer_id, payee_id, amount_cents in transfers
                ],
                reference=self.name,
                memo=self.env._("Compensation %(run)s: liquidity part", run=self.name),
                channel="compensation",
                company=self.company_id,
            )
        except MlmlRefusal as error:
            payer, payee = error.transfer[:2]
            raise UserError(
                self.env._(
                    "The MLML transfer of %(amount)s from %(payer)s to %(payee)s is refused "
                    "now: %(reason)s Nothing was confirmed: simulate compensation %(run)s "
                    "again (the balances moved since the simulation).",
                    amount=formatLang(
                        self.env,
                        float(error.transfer[2]),
                        currency_obj=self.company_id.mlml_currency_id,
                    ),
                    payer=payer.display_name,
                    payee=payee.display_name,
                    reason=error.args[0],
                    run=self.name,
                )
            ) from error

    def _link_member_transfers(self, transfers):
        """Each member's transfers of the run (its payer's and its payee's), written
        in one query: a run books thousands."""
        if not transfers:
            return
        member_of = {member.partner_id.id: member.id for member in self.member_ids}
        pairs = [
            (member_of[partner_id], transfer.id)
            for transfer in transfers
            for partner_id in (transfer.payer_id.id, transfer.payee_id.id)
        ]
        field = self.member_ids._fields["transfer_ids"]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (%(member)s, %(transfer)s)
                SELECT member, transfer FROM unnest(%(members)s::int[], %(transfers)s::int[])
                    AS t(member, transfer)
                ON CONFLICT DO NOTHING
                """,
                table=SQL.identifier(field.relation),
                member=SQL.identifier(field.column1),
                transfer=SQL.identifier(field.column2),
                members=[member for member, _transfer in pairs],
                transfers=[transfer for _member, transfer in pairs],
            )
        )
        self.member_ids.invalidate_recordset(["transfer_ids"])

    def _notify_members(self):
        """A message on each member's card: what the run set off and its MLML transfer,
        and per invoice and bill, what was set off and what was paid in MLML; the
        messages are written together (a run reaches thousands of members)."""
        money = money_formatter(self.env, self.currency_id)
        mlml_money = money_formatter(self.env, self.mlml_currency_id)
        settled = self._settlement_texts(money, mlml_money)
        bodies = {}
        for member in self.member_ids:
            cleared = member.paid_off_with if self.with_liquidity else member.set_off_without
            collected = member.collected_with if self.with_liquidity else member.set_off_without
            lines = [
                self.env._(
                    "Compensation %(run)s confirmed: %(paid)s of your bills and %(collected)s "
                    "of your invoices set off.",
                    run=self.name,
                    paid=money(cleared),
                    collected=money(collected),
                )
            ]
            if self.with_liquidity and member.transfer_ids:
                lines.append(
                    self.env._(
                        "MLML transfers of the liquidity part: %(transfers)s (%(amount)s).",
                        transfers=", ".join(member.transfer_ids.mapped("name")),
                        amount=mlml_money(member.mlml_transfer),
                    )
                )
            lines += settled.get(member.partner_id.id, [])
            bodies[member.partner_id.id] = lines
        self._log_notes(self.member_ids.partner_id, bodies)

    def _log_notes(self, partners, bodies):
        """A note on each partner's card, ``bodies``: {partner id: its lines of text},
        logged together. The sanitizer of the messages' bodies would parse each
        body twice, the longest part of a confirmation after the texts: the bodies
        ``note_html`` can write as the sanitizer does are written so, the others
        go through it."""
        html = {partner_id: note_html(lines) for partner_id, lines in bodies.items()}
        messages = partners.sudo()._message_log_batch(
            {
                partner_id: Markup("<br/>").join(lines)
                for partner_id, lines in bodies.items()
                if html[partner_id] is None
            }
        )
        written = [
            (message.id, html[message.res_id])
            for message in messages
            if html.get(message.res_id) is not None
        ]
        if written:
            self.env.cr.execute(
                """
                UPDATE mail_message m SET body = t.body
                  FROM unnest(%s::int[], %s::text[]) AS t(id, body)
                 WHERE m.id = t.id
                """,
                [[id_ for id_, _body in written], [body for _id, body in written]],
            )
            messages.invalidate_recordset(["body"])

    def _settlement_texts(self, money, mlml_money):
        """{member id: its texts}: per invoice and bill of each member the confirmed
        run cleared, in the order of the run's lines, what was set off and what was
        paid in MLML (``money``, ``mlml_money``: ``money_formatter``). Read in one
        query, each sentence translated once: a run clears a whole network's
        invoices, and a translation looked up per invoice cost more than the rest
        of the confirmation."""
        if self.with_liquidity:
            invoice_text = self.env._(
                "Your invoice %(invoice)s to %(partner)s: %(set_off)s set off, %(mlml)s "
                "received on your MLML account."
            )
            bill_text = self.env._(
                "Your bill %(invoice)s of %(partner)s: %(set_off)s set off, %(mlml)s "
                "paid from your MLML account."
            )
        else:
            invoice_text = self.env._(
                "Your invoice %(invoice)s to %(partner)s: %(set_off)s set off."
            )
            bill_text = self.env._("Your bill %(invoice)s of %(partner)s: %(set_off)s set off.")
        self.env["mlml.obligation"].flush_model(["name", "creditor_id", "debtor_id"])
        self.env["mlml.compensation.line"].flush_model(
            [
                "compensation_id",
                "obligation_id",
                "status",
                "amount_cleared",
                "received_with",
                "paid_with",
            ]
        )
        self.env.cr.execute(
            """
            SELECT o.name, o.creditor_id, o.debtor_id, l.amount_cleared, l.received_with,
                   l.paid_with
              FROM mlml_compensation_line l
              JOIN mlml_obligation o ON o.id = l.obligation_id
             WHERE l.compensation_id = %s AND l.status = 'in' AND l.amount_cleared <> 0
             ORDER BY l.id
            """,
            [self.id],
        )
        rows = self.env.cr.fetchall()
        names = {
            partner.id: partner.display_name
            for partner in self.env["res.partner"].browse(
                {partner_id for row in rows for partner_id in row[1:3]}
            )
        }
        texts = {}
        for invoice, creditor, debtor, cleared, received, paid in rows:
            for member in dict.fromkeys((creditor, debtor)):
                # Without liquidity, all that is cleared is set off.
                if member == creditor:
                    mlml = (received or 0.0) if self.with_liquidity else 0.0
                    text, partner = invoice_text, debtor
                else:
                    mlml = (paid or 0.0) if self.with_liquidity else 0.0
                    text, partner = bill_text, creditor
                values = {
                    "invoice": invoice,
                    "partner": names[partner],
                    "set_off": money(cleared - mlml),
                    "mlml": mlml_money(mlml),
                }
                texts.setdefault(member, []).append(text % values)
        return texts

    # ------------------------------------------------------------------
    # API
    # ------------------------------------------------------------------

    def _json(self, member):
        self.ensure_one()
        # Its own row only: reading the run's thousands to keep one made each
        # member's reading grow with the network.
        share = self.env["mlml.compensation.member"].search(
            [("compensation_id", "=", self.id), ("partner_id", "=", member.id)], limit=1
        )
        # The member's lines only: a run holds the whole network's.
        lines = self.env["mlml.compensation.line"].search(
            [
                ("compensation_id", "=", self.id),
                ("amount_cleared", "!=", 0),
                "|",
                ("obligation_id.creditor_id", "=", member.id),
                ("obligation_id.debtor_id", "=", member.id),
            ],
            order="id",
        )
        api = self.env["mlml.api"]
        return {
            "id": self.id,
            "number": self.name,
            "cutoff_date": self.cutoff_date.isoformat(),
            "confirmed_at": self.confirmed_at.isoformat(timespec="seconds") + "Z",
            "with_liquidity": self.with_liquidity,
            "currency": self.currency_id.name,
            "amount_cleared": wire.format_amount(sum(lines.mapped("amount_cleared"))),
            "mlml_amount": wire.format_amount(share.mlml_transfer if self.with_liquidity else 0),
            "invoices": [
                {
                    "obligation": line.obligation_id.id,
                    "invoice": line.invoice,
                    "creditor": line.creditor_id.mlml_member_number or "",
                    "debtor": line.debtor_id.mlml_member_number or "",
                    "role": "creditor" if line.creditor_id == member else "debtor",
                    "amount": wire.format_amount(line.amount),
                    "amount_cleared": wire.format_amount(line.amount_cleared),
                    "amount_mlml": wire.format_amount(line._amount_mlml(member)),
                }
                for line in lines
            ],
            "transfers": [api._transfer_json(t, member) for t in share.transfer_ids],
        }


class MlmlCompensationMember(models.Model):
    """A member in a compensation run: what it owes, what is set off, what moves."""

    _name = "mlml.compensation.member"
    _description = "Member in a Compensation Run"
    _order = "compensation_id, member_number, id"

    compensation_id = fields.Many2one(
        comodel_name="mlml.compensation",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Member", required=True, readonly=True, index=True
    )
    member_number = fields.Char(related="partner_id.mlml_member_number", store=True)
    currency_id = fields.Many2one(related="compensation_id.currency_id")
    mlml_currency_id = fields.Many2one(related="compensation_id.mlml_currency_id")
    owes = fields.Monetary(readonly=True, help="Its bills in the run.")
    owed = fields.Monetary(string="Is Owed", readonly=True, help="Its invoices in the run.")
    set_off_without = fields.Monetary(
        readonly=True, help="Set off without liquidity, as much on its bills as on its invoices."
    )
    still_pays_without = fields.Monetary(
        string="Still Pays Without Liquidity",
        readonly=True,
        help="Its bills left to pay, in euros.",
    )
    paid_off_with = fields.Monetary(string="Bills Set Off With Liquidity", readonly=True)
    collected_with = fields.Monetary(string="Invoices Set Off With Liquidity", readonly=True)
    still_pays_with = fields.Monetary(
        string="Still Pays With Liquidity", readonly=True, help="Its bills left to pay, in euros."
    )
    mlml_transfer = fields.Monetary(
        string="MLML Transfer",
        currency_field="mlml_currency_id",
        readonly=True,
        help="With liquidity: positive, the member receives MLML; negative, it pays.",
    )
    mlml_pays = fields.Monetary(
        string="MLML Paid",
        currency_field="mlml_currency_id",
        readonly=True,
        help="With liquidity: what its MLML account pays, on its bills.",
    )
    mlml_receives = fields.Monetary(
        string="MLML Received",
        currency_field="mlml_currency_id",
        readonly=True,
        help="With liquidity: what its MLML account receives, on the MLML parts of its invoices.",
    )
    mlml_accepted = fields.Monetary(
        string="MLML Parts Accepted",
        currency_field="mlml_currency_id",
        readonly=True,
        help="The MLML parts it accepts on its invoices in the run, less what it already "
        "received on them (all that is open on an invoice whose MLML part was not declared).",
    )
    receive_cap = fields.Monetary(
        string="Receives At Most",
        currency_field="mlml_currency_id",
        readonly=True,
        help="What it may receive in MLML from the run: the lower of the MLML parts it accepts "
        "and the room below its ceiling. 0 for a member out of the liquidity (not active).",
    )
    receive_cap_by = fields.Selection(
        selection=[("acceptance", "MLML parts accepted"), ("ceiling", "Ceiling")],
        string="Bounded By",
        readonly=True,
        help="Which of the two bounds what it may receive.",
    )
    can_pay = fields.Monetary(
        currency_field="mlml_currency_id",
        readonly=True,
        help="What its account could still pay at the simulation (balance plus credit limit).",
    )
    can_receive = fields.Monetary(
        currency_field="mlml_currency_id",
        readonly=True,
        help="What its account could still receive at the simulation (see No Ceiling).",
    )
    no_ceiling = fields.Boolean(readonly=True)
    transfer_ids = fields.Many2many(
        comodel_name="mlml.transfer", string="MLML Transfers", readonly=True
    )

    def write(self, vals):
        if not is_booking(self.env) and self.filtered(
            lambda m: m.compensation_id.state == "confirmed"
        ):
            raise UserError(self.compensation_id[:1]._confirmed_message())
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never_confirmed(self):
        for member in self.filtered(lambda m: m.compensation_id.state == "confirmed"):
            raise UserError(member.compensation_id._confirmed_message())


class MlmlCompensationLine(models.Model):
    """An obligation in a compensation run: what is open, what each option clears."""

    _name = "mlml.compensation.line"
    _description = "Obligation in a Compensation Run"
    _order = "compensation_id, status, id"

    compensation_id = fields.Many2one(
        comodel_name="mlml.compensation",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    obligation_id = fields.Many2one(
        comodel_name="mlml.obligation", required=True, readonly=True, index=True
    )
    invoice = fields.Char(related="obligation_id.name", string="Invoice")
    creditor_id = fields.Many2one(related="obligation_id.creditor_id")
    debtor_id = fields.Many2one(related="obligation_id.debtor_id")
    due_date = fields.Date(related="obligation_id.due_date")
    currency_id = fields.Many2one(related="compensation_id.currency_id")
    amount = fields.Monetary(string="Open", readonly=True, help="Open at the simulation.")
    cleared_without = fields.Monetary(string="Cleared Without Liquidity", readonly=True)
    cleared_with = fields.Monetary(string="Cleared With Liquidity", readonly=True)
    mlml_accepted = fields.Monetary(
        string="MLML Part Accepted",
        readonly=True,
        help="What the creditor accepted in MLML on it at the simulation (all that is open "
        "when it declared no MLML part).",
    )
    received_with = fields.Monetary(
        string="Received in MLML With Liquidity",
        readonly=True,
        help="Of what is cleared with liquidity, what the creditor receives in MLML on it; the "
        "rest is set off.",
    )
    paid_with = fields.Monetary(
        string="Paid in MLML With Liquidity",
        readonly=True,
        help="Of what is cleared with liquidity, what the debtor pays on it out of its MLML "
        "account; the rest is set off.",
    )
    amount_cleared = fields.Monetary(string="Cleared", readonly=True)
    status = fields.Selection(
        selection=[("in", "In"), ("excluded", "Not counted"), ("withdrawn", "Withdrawn")],
        required=True,
        readonly=True,
        default="in",
    )
    reason = fields.Char(readonly=True, help="Why the obligation is not counted.")

    def _amount_mlml(self, member):
        """Of what the confirmed run cleared on it, what ``member``'s MLML account
        received (its invoice) or paid (its bill); 0 without liquidity."""
        self.ensure_one()
        if not self.compensation_id.with_liquidity:
            return 0.0
        return self.received_with if self.obligation_id.creditor_id == member else self.paid_with

    def write(self, vals):
        if not is_booking(self.env) and self.filtered(
            lambda line: line.compensation_id.state == "confirmed"
        ):
            raise UserError(self.compensation_id[:1]._confirmed_message())
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never_confirmed(self):
        for line in self.filtered(lambda line: line.compensation_id.state == "confirmed"):
            raise UserError(line.compensation_id._confirmed_message())
