from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ...mlml_barter.ledger import Account, lock_order
from ...mlml_barter.statement import Movement, build_statement


class MlmlLedgerAccount(models.Model):
    """A member's account at the clearing house, with its balance.

    One row per member and clearing-house company. Its balance is moved by
    SQL (``UPDATE … RETURNING``) in the transaction that books a transfer,
    after the rows of the accounts involved were locked in one fixed order:
    reading a balance never scans the ledger, two transfers touching the same
    account are checked one after the other, and A→B and B→A at the same
    instant never deadlock. ``_repair`` recomputes the rows from the ledger.
    """

    _name = "mlml.ledger.account"
    _description = "Clearing-House Account"
    _order = "member_number, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Member",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id", string="Currency")
    member_number = fields.Char(
        related="partner_id.mlml_member_number", string="Account Number", store=True
    )
    member_state = fields.Selection(related="partner_id.mlml_member_state", string="Membership")
    holder_state = fields.Selection(
        selection=lambda self: [
            *self.env["res.partner"]._fields["mlml_member_state"]._description_selection(self.env),
            ("house", self.env._("Clearing house")),
        ],
        string="Holder",
        compute="_compute_holder_state",
        help="The membership of the account's holder, or the clearing house for its own "
        "account (where commissions go: no credit line, no ceiling).",
    )
    balance = fields.Monetary(readonly=True, aggregator="sum")
    last_transfer_at = fields.Datetime(string="Last Transfer", readonly=True)
    credit_limit = fields.Monetary(compute="_compute_bounds")
    balance_ceiling = fields.Monetary(compute="_compute_bounds", help="0: no ceiling.")
    available = fields.Monetary(
        compute="_compute_bounds",
        help="What the member may still pay: its credit limit plus its balance.",
    )
    room = fields.Monetary(
        string="Room Under the Ceiling",
        compute="_compute_bounds",
        help="What the member may still receive before its balance reaches its ceiling "
        "(0 when it has no ceiling).",
    )
    near_bound = fields.Selection(
        selection=[("credit_limit", "Near its credit limit"), ("ceiling", "Near its ceiling")],
        compute="_compute_bounds",
        help="The balance has used 90 % or more of the credit line, or of the room under "
        "the ceiling.",
    )
    transfer_ids = fields.One2many(
        comodel_name="mlml.transfer", compute="_compute_transfer_ids", string="History"
    )

    _sql_constraints = [
        (
            "partner_company_unique",
            "unique(partner_id, company_id)",
            "A member has one account at the clearing house.",
        ),
    ]

    @api.depends("partner_id", "company_id", "balance")
    def _compute_bounds(self):
        partner_model = self.env["res.partner"]
        by_company = {}
        for company in self.company_id:
            accounts = self.filtered(lambda a, c=company: a.company_id == c)
            by_company[company] = partner_model._mlml_lines_in_force(
                accounts.partner_id.ids, company=company
            )
        for account in self:
            limit, ceiling = by_company.get(account.company_id, {}).get(
                account.partner_id.id, (0.0, 0.0)
            )
            account.credit_limit = limit
            account.balance_ceiling = ceiling
            account.available = max(limit + account.balance, 0.0)
            account.room = max(ceiling - account.balance, 0.0) if ceiling else 0.0
            near = False
            if limit and account.balance <= -0.9 * limit:
                near = "credit_limit"
            elif ceiling and account.balance >= 0.9 * ceiling:
                near = "ceiling"
            account.near_bound = near

    @api.depends("partner_id.mlml_member_state", "company_id.partner_id")
    def _compute_holder_state(self):
        for account in self:
            if account.partner_id == account.company_id.partner_id:
                account.holder_state = "house"
            else:
                account.holder_state = account.partner_id.mlml_member_state

    def _compute_transfer_ids(self):
        for account in self:
            account.transfer_ids = self.env["mlml.transfer"].search(
                [
                    ("company_id", "=", account.company_id.id),
                    "|",
                    ("payer_id", "=", account.partner_id.id),
                    ("payee_id", "=", account.partner_id.id),
                ],
                order="ledger_position desc",
                limit=200,
            )

    def web_read(self, specification):
        """The history read on one account's form: each transfer seen from that
        account (signed, with the running balance). The view cannot pass the
        account's partner itself: a field's context is evaluated before any
        record is read."""
        history = specification.get("transfer_ids")
        if history is not None and len(self) == 1:
            context = {**history.get("context", {}), "mlml_ledger_partner_id": self.partner_id.id}
            specification = {**specification, "transfer_ids": {**history, "context": context}}
        return super().web_read(specification)

    # ------------------------------------------------------------------
    # The clearing house
    # ------------------------------------------------------------------

    @api.model
    def _clearing_house(self, company=None):
        """The clearing-house company to work in, or a message saying there is none."""
        company = company or self.env.company
        if not company.mlml_is_clearing_house:
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "%(company)s does not run the clearing house: an MLML manager turns the "
                        "clearing-house mode on in the MLML settings of that company.",
                        company=company.name,
                    )
                )
            )
        return company

    @api.model
    def _setup_clearing_house(self, companies):
        """Open the ledger of each company that now runs the clearing house."""
        for company in companies:
            self.env["mlml.transfer"]._ledger_sequence(company)
            self._ensure(company, company.partner_id)
        self._sync_clearing_house_group()

    @api.model
    def _sync_clearing_house_group(self):
        """The MLML managers of a clearing-house company see its menus."""
        group = self.env.ref("mlml_barter.group_mlml_clearing_house", raise_if_not_found=False)
        if not group:
            return
        houses = self.env["res.company"].sudo().search([("mlml_is_clearing_house", "=", True)])
        managers = (
            self.env.ref("mlml_barter.group_mlml_manager")
            .sudo()
            .users.filtered(lambda user: not user.share and user.company_ids & houses)
        )
        group.sudo().users = managers

    @api.model
    def _ensure(self, company, partners):
        """The accounts of ``partners`` in ``company``, created where missing (balance 0:
        every transfer goes through an account, so a member without one has none)."""
        partners = partners.commercial_partner_id
        if partners:
            self.env.cr.execute(
                """
                INSERT INTO mlml_ledger_account (company_id, partner_id, balance, member_number,
                                                 create_uid, create_date, write_uid, write_date)
                SELECT %s, p.id, 0, p.mlml_member_number, %s, now() at time zone 'utc',
                       %s, now() at time zone 'utc'
                  FROM res_partner p WHERE p.id = ANY(%s)
                ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                [company.id, self.env.uid, self.env.uid, partners.ids],
            )
        return self.sudo().search(
            [("company_id", "=", company.id), ("partner_id", "in", partners.ids)]
        )

    @api.model
    def _lock(self, company, partners):
        """Lock the accounts of ``partners`` in one fixed order; return them as
        the pure rules see them (``ledger.Account`` by partner id: balance,
        membership, credit line in force).

        One query for all of them. The locks are held until the transaction
        ends. Two transactions that lock the same accounts take them in the
        same order (rows are sorted before they are locked), so neither waits
        for the other while holding what the other waits for. A member's first
        transfer opens its account: by then the transaction holds only the
        locks of accounts that exist, which no transaction opening an account
        waits for, so that cannot deadlock either.
        """
        ids = lock_order(*partners.ids)
        Partner = self.env["res.partner"]
        Partner.flush_model(["mlml_member_state"])
        lines = Partner._mlml_lines_in_force_query(ids, company)
        for _attempt in range(2):
            self.env.cr.execute(
                SQL(
                    """
                    SELECT a.partner_id, a.balance, p.mlml_member_state,
                           line.credit_limit, line.balance_ceiling
                      FROM mlml_ledger_account a
                      JOIN res_partner p ON p.id = a.partner_id
                      LEFT JOIN (%s) line ON line.partner_id = a.partner_id
                     WHERE a.company_id = %s AND a.partner_id = ANY(%s)
                     ORDER BY a.partner_id
                       FOR UPDATE OF a
                    """,
                    lines,
                    company.id,
                    ids,
                )
            )
            rows = self.env.cr.fetchall()
            if len(rows) == len(ids):
                break
            self._ensure(company, Partner.browse(ids))
        to_decimal = self.env["mlml.transfer"]._to_decimal
        return {
            partner_id: Account(
                key=partner_id,
                state=state or "none",
                balance=to_decimal(balance),
                credit_limit=limit or 0.0,
                balance_ceiling=ceiling or 0.0,
            )
            for partner_id, balance, state, limit, ceiling in rows
        }

    @api.model
    def _move(self, company, amounts):
        """Add to each locked account its amount (``{partner id: amount}``), in
        one query."""
        moves = [(partner_id, amount) for partner_id, amount in amounts.items() if amount]
        if not moves:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE mlml_ledger_account a
                   SET balance = a.balance + m.amount,
                       last_transfer_at = now() at time zone 'utc'
                  FROM (VALUES %s) AS m(partner_id, amount)
                 WHERE a.company_id = %s AND a.partner_id = m.partner_id
                """,
                SQL(", ").join(SQL("(%s, %s::numeric)", *move) for move in moves),
                company.id,
            )
        )
        self.invalidate_model(["balance", "last_transfer_at"])

    @api.model
    def _ledger_balances(self, company):
        """Each member's balance summed from the ledger itself (every transfer
        booked, reversed ones and their reversals alike)."""
        self.env.cr.execute(
            """
            SELECT partner_id, SUM(amount) FROM (
                SELECT payee_id AS partner_id, amount FROM mlml_transfer WHERE company_id = %s
                UNION ALL
                SELECT payer_id, -amount FROM mlml_transfer WHERE company_id = %s
            ) AS movements GROUP BY partner_id
            """,
            [company.id, company.id],
        )
        return {partner_id: total for partner_id, total in self.env.cr.fetchall()}

    @api.model
    def _repair(self, company=None):
        """Recompute every account's balance from the ledger.

        Returns the accounts that differed, as {partner id: (stored, ledger)}.
        """
        company = self._clearing_house(company)
        ledger = self._ledger_balances(company)
        partners = self.env["res.partner"].browse(list(ledger))
        self._ensure(company, partners)
        self.env.cr.execute(
            """
            SELECT partner_id, balance FROM mlml_ledger_account
             WHERE company_id = %s ORDER BY partner_id FOR UPDATE
            """,
            [company.id],
        )
        stored = dict(self.env.cr.fetchall())
        differed = {}
        for partner_id, balance in stored.items():
            expected = ledger.get(partner_id, 0)
            if balance != expected:
                differed[partner_id] = (balance, expected)
                self.env.cr.execute(
                    """
                    UPDATE mlml_ledger_account SET balance = %s
                     WHERE company_id = %s AND partner_id = %s
                    """,
                    [expected, company.id, partner_id],
                )
        self.invalidate_model(["balance"])
        return differed

    def action_repair(self):
        """Recompute the balances from the ledger and say whether anything differed."""
        if not self.env.user.has_group("mlml_barter.group_mlml_manager"):
            raise UserError(
                self._mlml_text(
                    self.env._("Only MLML managers repair the clearing-house balances.")
                )
            )
        company = self._clearing_house(self.company_id[:1] or None)
        differed = self.sudo()._repair(company)
        currency = company.mlml_currency_id
        if not differed:
            message = self.env._(
                "Every balance equals the sum of its transfers: nothing was changed."
            )
            kind = "success"
        else:
            partners = self.env["res.partner"].browse(list(differed))
            message = self.env._(
                "%(count)s balance(s) differed from the ledger and were corrected: %(details)s.",
                count=len(differed),
                details="; ".join(
                    self.env._(
                        "%(member)s %(stored)s → %(ledger)s",
                        member=partner.display_name,
                        stored=formatLang(
                            self.env, float(differed[partner.id][0]), currency_obj=currency
                        ),
                        ledger=formatLang(
                            self.env, float(differed[partner.id][1]), currency_obj=currency
                        ),
                    )
                    for partner in partners
                ),
            )
            kind = "warning"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Clearing-house balances"),
                "message": message,
                "type": kind,
                "sticky": bool(differed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _action_open_accounts(self):
        """The accounts of every member of the clearing house (opened where missing)."""
        company = self._clearing_house()
        members = self.env["res.partner"].search(
            [
                ("mlml_member_state", "!=", "none"),
                ("is_company", "=", True),
            ]
        )
        self._ensure(company, members | company.partner_id)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.mlml_ledger_account_action"
        )
        action["domain"] = [("company_id", "=", company.id)]
        return action

    def action_open_transfers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlml_barter.mlml_transfer_action")
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            "|",
            ("payer_id", "=", self.partner_id.id),
            ("payee_id", "=", self.partner_id.id),
        ]
        action["context"] = {}
        return action

    def _statement(self, date_from=None, date_to=None):
        """The account's statement: its transfers in ledger order, from zero, or over
        a period from the balance its earlier transfers left."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            "|",
            ("payer_id", "=", self.partner_id.id),
            ("payee_id", "=", self.partner_id.id),
        ]
        Transfer = self.env["mlml.transfer"].sudo()
        opening = 0.0
        if date_from:
            for transfer in Transfer.search([*domain, ("date", "<", date_from)]):
                paid = transfer.payer_id == self.partner_id
                opening += -transfer.amount if paid else transfer.amount
            domain.append(("date", ">=", date_from))
        if date_to:
            domain.append(("date", "<=", date_to))
        # Ledger order is date order: a transfer is dated the day it is booked.
        transfers = Transfer.search(domain, order="date, ledger_position")
        movements = []
        for transfer in transfers:
            paid = transfer.payer_id == self.partner_id
            other = transfer.payee_id if paid else transfer.payer_id
            movements.append(
                Movement(
                    date=transfer.date,
                    partner=other.display_name or "",
                    reference=transfer.name,
                    invoice=transfer.reference or "",
                    amount=-transfer.amount if paid else transfer.amount,
                )
            )
        return build_statement(
            opening,
            movements,
            date_from=date_from,
            date_to=date_to,
            rounding=self.currency_id.rounding,
        )

    def action_print_statement(self, date_from=None, date_to=None):
        """The account's statement as PDF, by default from January 1st to today."""
        today = fields.Date.context_today(self)
        data = {
            "date_from": fields.Date.to_string(date_from or today.replace(month=1, day=1)),
            "date_to": fields.Date.to_string(date_to or today),
        }
        return self.env.ref("mlml_barter.mlml_ledger_account_statement_report").report_action(
            self, data=data
        )

    def action_statement_wizard(self):
        """Choose the period of the statement (PDF or CSV)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statement of %(member)s", member=self.partner_id.name),
            "res_model": "mlml.ledger.statement.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    def action_export_statement_csv(self, date_from=None, date_to=None):
        """The account's statement as a CSV file: all its transfers, or those of a period."""
        self.ensure_one()
        statement = self._statement(date_from, date_to)
        today = fields.Date.context_today(self)
        # All its transfers: from the first one (or today, with none) to today.
        first = statement.rows[0].date if statement.rows else today
        name = self.env._(
            "Statement %(number)s %(member)s %(date_from)s to %(date_to)s",
            number=self.member_number or "",
            member=self.partner_id.name,
            date_from=(date_from or first).isoformat(),
            date_to=(date_to or today).isoformat(),
        )
        return self.env["mlml.statement"]._csv_download(
            statement, self.currency_id, name, self.sudo()
        )

    def action_generate_api_key(self):
        self.ensure_one()
        return self.partner_id.action_mlml_generate_api_key()
