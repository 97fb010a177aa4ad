from lxml import etree

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import format_datetime, formatLang

from ..mlml_barter import membership
from ..mlml_barter.amounts import RuleError, check_percent
from .mlml_connection import reading_ledger
from .mlml_inputs import check_numbers

# The views of the member directory: "New" there records a candidate member.
MLML_DIRECTORY_VIEWS = (
    "res_partner_view_kanban_mlml",
    "res_partner_view_list_mlml",
    "res_partner_view_form_mlml",
)

MEMBERSHIP_FIELDS = (
    "mlml_member_state",
    "mlml_member_number",
    "mlml_join_date",
    "mlml_charter_date",
    "mlml_suspension_reason",
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    mlml_member_state = fields.Selection(
        selection=[
            ("none", "Not a member"),
            ("candidate", "Candidate"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("resigned", "Resigned"),
        ],
        string="Membership",
        default="none",
        required=True,
        index=True,
        tracking=True,
        help="Membership of the barter network. Only active members trade in the "
        "network's currency.",
    )
    mlml_member_number = fields.Char(
        string="Member Number",
        index="btree_not_null",
        tracking=True,
        copy=False,
        help="The number the clearing house gave the member.",
    )
    mlml_join_date = fields.Date(string="Member Since", tracking=True, copy=False)
    mlml_suspension_reason = fields.Text(
        string="Reason for Suspension",
        readonly=True,
        copy=False,
        help="Why an MLML manager suspended the member; kept in its chatter too.",
    )
    mlml_charter_date = fields.Date(
        string="Charter Signed On",
        tracking=True,
        copy=False,
        help="Date the member signed the membership charter.",
    )
    mlml_acceptance_rate = fields.Float(
        string="Acceptance Rate (%)",
        digits=(5, 2),
        tracking=True,
        help="Percent of its untaxed price this member accepts in the barter "
        "currency when it sells.",
    )
    mlml_offer_ids = fields.Many2many(
        comodel_name="mlml.activity",
        relation="mlml_activity_partner_offer_rel",
        column1="partner_id",
        column2="activity_id",
        string="Offers",
    )
    mlml_need_ids = fields.Many2many(
        comodel_name="mlml.activity",
        relation="mlml_activity_partner_need_rel",
        column1="partner_id",
        column2="activity_id",
        string="Needs",
    )
    mlml_offer_note = fields.Text(string="What It Offers")
    mlml_need_note = fields.Text(string="What It Needs")
    mlml_credit_line_ids = fields.One2many(
        groups="mlml_barter.group_mlml_user",
        comodel_name="mlml.credit.line",
        inverse_name="partner_id",
        string="Credit Lines",
    )
    mlml_credit_line_count = fields.Integer(
        groups="mlml_barter.group_mlml_user",
        string="Number of Credit Lines",
        compute="_compute_mlml_credit_line_count",
    )
    mlml_currency_id = fields.Many2one(
        comodel_name="res.currency", compute="_compute_mlml_credit", string="Barter Currency"
    )
    mlml_credit_limit = fields.Monetary(
        groups="mlml_barter.group_mlml_user",
        string="MLML Credit Limit",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_credit",
        search="_search_mlml_credit_limit",
        help="How far below zero the member's balance may go, from its credit line "
        "approved and in force today in the current company; 0 without one.",
    )
    mlml_balance_ceiling = fields.Monetary(
        groups="mlml_barter.group_mlml_user",
        string="MLML Balance Ceiling",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_credit",
        search="_search_mlml_balance_ceiling",
        help="How far above zero the member's balance may go (0: no ceiling), from its "
        "credit line approved and in force today in the current company.",
    )

    mlml_ledger_balance = fields.Monetary(
        string="Clearing-House Balance",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_ledger_balance",
        help="The balance of the member's account at the clearing house, from its "
        "transfers (clearing-house companies only).",
    )
    mlml_api_key_count = fields.Integer(
        string="API Keys in Force",
        compute="_compute_mlml_api_key_count",
        groups="mlml_barter.group_mlml_clearing_staff",
        help="The member's keys of the clearing-house API that are not revoked, in the "
        "companies the user works in.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            *MEMBERSHIP_FIELDS,
            "mlml_acceptance_rate",
            "mlml_offer_ids",
            "mlml_need_ids",
            "mlml_offer_note",
            "mlml_need_note",
        ]

    def init(self):
        result = super().init()
        # The guarantee behind _check_mlml_member_number: one number, one member
        # (contacts carry their company's number, as a commercial field).
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS res_partner_mlml_member_number_uniq
                ON res_partner (mlml_member_number)
             WHERE mlml_member_number IS NOT NULL AND id = commercial_partner_id
            """
        )
        return result

    @api.depends("mlml_credit_line_ids")
    def _compute_mlml_credit_line_count(self):
        counts = dict(
            self.env["mlml.credit.line"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                groupby=["partner_id"],
                aggregates=["__count"],
            )
        )
        for partner in self:
            partner.mlml_credit_line_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_mlml_credit(self):
        lines = self._mlml_lines_in_force(self.commercial_partner_id.ids)
        currency = self.env.company.mlml_currency_id
        for partner in self:
            limit, ceiling = lines.get(partner.commercial_partner_id.id, (0.0, 0.0))
            partner.mlml_currency_id = currency
            partner.mlml_credit_limit = limit
            partner.mlml_balance_ceiling = ceiling

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_mlml_ledger_balance(self):
        company = self.env.company
        balances = {}
        if company.mlml_is_clearing_house:
            accounts = (
                self.env["mlml.ledger.account"]
                .sudo()
                .search(
                    [
                        ("company_id", "=", company.id),
                        ("partner_id", "in", self.commercial_partner_id.ids),
                    ]
                )
            )
            balances = {account.partner_id.id: account.balance for account in accounts}
        for partner in self:
            partner.mlml_ledger_balance = balances.get(partner.commercial_partner_id.id, 0.0)

    @api.depends_context("allowed_company_ids")
    @api.depends("commercial_partner_id")
    def _compute_mlml_api_key_count(self):
        counts = dict(
            self.env["mlml.api.key"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "active")],
                groupby=["partner_id"],
                aggregates=["__count"],
            )
        )
        for partner in self:
            partner.mlml_api_key_count = counts.get(partner.commercial_partner_id, 0)

    def mlml_generate_api_key(self):
        """A new key of the clearing house's API for this member; return it (shown once).

        The member's API user (a portal user, one contact of the member) is
        created when it has none, or reactivated (its keys were revoked when it
        was archived). Its keys have the scope ``mlml_api``: they open this API
        and nothing else. A new key leaves the member's other keys in force.
        """
        return self.env["mlml.api"]._generate_key(self)

    def action_mlml_generate_api_key(self):
        self.ensure_one()
        key = self.mlml_generate_api_key()
        # Shown once, never stored: the form of Odoo's own "show key" model.
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("API key of %(member)s", member=self.commercial_partner_id.name),
            "res_model": "res.users.apikeys.show",
            "views": [(self.env.ref("mlml_barter.mlml_api_key_view_form").id, "form")],
            "target": "new",
            "context": {
                "default_key": key,
                "default_mlml_clearing_house_url": self.get_base_url(),
            },
        }

    def action_mlml_revoke_api_keys(self):
        """Revoke all the member's keys of the clearing-house API (a membership
        suspended or ended), noted on its chatter."""
        self.ensure_one()
        return self.env["mlml.api.key"]._revoke_member(self)

    @api.model
    def _mlml_lines_in_force(self, partner_ids=None, company=None):
        """Map partner ids to (credit limit, ceiling) of their line in force today.

        One query for any number of partners: the member list shows these
        columns for thousands of members.
        """
        self.env.cr.execute(self._mlml_lines_in_force_query(partner_ids, company))
        return {
            partner_id: (float(limit or 0), float(ceiling or 0))
            for partner_id, limit, ceiling in self.env.cr.fetchall()
        }

    def _mlml_lines_in_force_query(self, partner_ids=None, company=None):
        """The credit lines in force today in ``company`` (the current one by
        default), as SQL: a row ``(partner_id, credit_limit, balance_ceiling)``
        per member that has one, the largest figures of its approved lines
        started by today. The ledger joins it to the accounts it locks."""
        Line = self.env["mlml.credit.line"]
        Line.flush_model(
            ["partner_id", "company_id", "state", "date_start", "credit_limit", "balance_ceiling"]
        )
        return SQL(
            """
            SELECT partner_id, max(credit_limit) AS credit_limit,
                   max(balance_ceiling) AS balance_ceiling
              FROM mlml_credit_line
             WHERE state = 'approved' AND company_id = %s AND date_start <= %s %s
             GROUP BY partner_id
            """,
            (company or self.env.company).id,
            fields.Date.context_today(self),
            SQL("AND partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL(),
        )

    def _search_mlml_credit(self, index, operator, value):
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise UserError(self.env._("Operation not supported"))
        compare = {
            "=": lambda a: a == value,
            "!=": lambda a: a != value,
            "<": lambda a: a < value,
            "<=": lambda a: a <= value,
            ">": lambda a: a > value,
            ">=": lambda a: a >= value,
        }[operator]
        lines = self._mlml_lines_in_force()
        matching = [pid for pid, figures in lines.items() if compare(figures[index])]
        domain = [("commercial_partner_id", "in", matching)]
        if compare(0.0):
            # Members without a line in force count as 0.
            domain = ["|", *domain, ("commercial_partner_id", "not in", list(lines))]
        return domain

    def _search_mlml_credit_limit(self, operator, value):
        return self._search_mlml_credit(0, operator, value)

    def _search_mlml_balance_ceiling(self, operator, value):
        return self._search_mlml_credit(1, operator, value)

    @api.constrains("mlml_acceptance_rate")
    def _check_mlml_acceptance_rate(self):
        for partner in self:
            try:
                check_percent(partner.mlml_acceptance_rate)
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "The acceptance rate of %(member)s must be between 0 and 100 %%, "
                        "not %(rate)s %%.",
                        member=partner.display_name,
                        rate=formatLang(self.env, partner.mlml_acceptance_rate),
                    )
                ) from error

    def _mlml_check_number_free(self, number):
        """Refuse a member number another member already has.

        Checked before writing, to name the other member; the unique index
        created in init() is the guarantee when two people type at once.
        """
        if not number:
            return
        other = self.search(
            [
                ("mlml_member_number", "=", number),
                ("commercial_partner_id", "not in", self.commercial_partner_id.ids),
            ],
            limit=1,
        ).commercial_partner_id
        if other:
            raise ValidationError(
                self.env._(
                    "The member number %(number)s is already %(other)s's: each member "
                    "has its own number. Check the number given by the clearing house.",
                    number=number,
                    other=other.display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        # A default given in the context is a value like any other: checked alike.
        defaults = {
            name: self.env.context[f"default_{name}"]
            for name in (*MEMBERSHIP_FIELDS, "mlml_acceptance_rate")
            if f"default_{name}" in self.env.context
        }
        if defaults:
            vals_list = [{**defaults, **vals} for vals in vals_list]
        check_numbers(self, vals_list, ["mlml_acceptance_rate"])
        if any(vals.get("mlml_acceptance_rate") for vals in vals_list):
            self._mlml_check_user()
        for vals in vals_list:
            if vals.get("mlml_member_state", "none") != "none" or any(
                vals.get(name) for name in MEMBERSHIP_FIELDS[1:]
            ):
                self._mlml_check_manager()
                if not vals.get("parent_id"):
                    self._mlml_check_number_free(vals.get("mlml_member_number"))
                    self._mlml_check_transition(
                        "none",
                        vals.get("mlml_member_state", "none"),
                        vals.get("mlml_member_number"),
                        vals.get("mlml_charter_date"),
                    )
        return super().create(vals_list)

    def write(self, vals):
        check_numbers(self, [vals], ["mlml_acceptance_rate"])
        if "mlml_acceptance_rate" in vals and any(
            # Contacts follow their company (commercial field): only its own rate counts.
            partner.commercial_partner_id == partner
            and partner.mlml_acceptance_rate != float(vals["mlml_acceptance_rate"] or 0.0)
            for partner in self
        ):
            self._mlml_check_user()
        if any(name in vals for name in MEMBERSHIP_FIELDS) and not reading_ledger(self.env):
            changing = self.filtered(
                lambda p: any(
                    name in vals and p._fields[name].convert_to_write(p[name], p) != vals[name]
                    for name in MEMBERSHIP_FIELDS
                )
            )
            if changing:
                self._mlml_check_manager()
                changing._mlml_check_not_from_ledger()
                # Contacts follow their company: the company's own record decides.
                changing.filtered(
                    lambda p: p.commercial_partner_id == p
                )._mlml_check_own_companies()
            # Contacts follow their company (commercial fields): only members are checked.
            members = changing.filtered(lambda p: p.is_company or not p.parent_id)
            if members and vals.get("mlml_member_number"):
                members._mlml_check_number_free(vals["mlml_member_number"])
            if "mlml_member_state" in vals:
                for partner in members:
                    partner._mlml_check_transition(
                        partner.mlml_member_state,
                        vals["mlml_member_state"],
                        vals.get("mlml_member_number", partner.mlml_member_number),
                        vals.get("mlml_charter_date", partner.mlml_charter_date),
                        partner=partner,
                    )
        return super().write(vals)

    def _mlml_check_not_from_ledger(self):
        """A connected company's own membership is the clearing house's: it is
        read from it, never typed in that company (the clearing house's own
        company, where it is kept, changes it)."""
        company = self.env.company
        if company.partner_id in self.commercial_partner_id and company._mlml_credit_from_ledger():
            raise UserError(
                self._mlml_text(
                    self.env._(
                        "The membership of %(company)s is the clearing house's: it is read "
                        "from it at every connection test and synchronisation (last read "
                        "on %(date)s). Ask the clearing house to change it.",
                        company=company.name,
                        date=format_datetime(self.env, company.mlml_ledger_read_date),
                    )
                )
            )

    def _mlml_check_manager(self):
        if not (self.env.su or self.env.user.has_group("mlml_barter.group_mlml_manager")):
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "Only MLML managers change the membership of a partner (state, member "
                        "number, dates). Ask one of them."
                    )
                )
            )

    def _mlml_check_user(self):
        if not (self.env.su or self.env.user.has_group("mlml_barter.group_mlml_user")):
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "Only MLML users change the acceptance rate of a partner: ask an "
                        "accountant or an MLML manager."
                    )
                )
            )

    def _mlml_check_own_companies(self):
        """The membership of a company's own partner is that company's: only a
        manager who works for every company concerned changes it."""
        if self.env.su:
            return
        companies = (
            self.env["res.company"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids)])
        )
        foreign = companies - self.env.user.company_ids
        if foreign:
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "%(partner)s is the company %(company)s itself: only an MLML manager "
                        "of %(company)s changes its membership.",
                        partner=foreign[0].partner_id.display_name,
                        company=foreign[0].name,
                    )
                )
            )

    @api.model
    def _mlml_quoted(self, text):
        """``text`` between the quotes of the user's language (« » in French), as
        the sentences it goes in quote."""
        return self.env._("“%(text)s”", text=text)

    @api.model
    def _mlml_check_transition(self, old, new, number, charter_date, partner=None):
        labels = dict(self._fields["mlml_member_state"]._description_selection(self.env))
        name = partner.display_name if partner else self.env._("This partner")
        if new not in labels:
            # A blank choice (a form's empty selection) or an unknown state.
            raise ValidationError(
                self.env._(
                    "Choose the membership of %(member)s: one of %(states)s.",
                    member=name,
                    states=", ".join(self._mlml_quoted(label) for label in labels.values()),
                )
            )
        try:
            membership.check_transition(old, new, number, charter_date)
        except RuleError as error:
            if error.code == "member_activation_incomplete":
                missing = {
                    "member_number": self.env._("the member number"),
                    "charter_date": self.env._("the date the charter was signed"),
                }
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "%(member)s cannot become an active member yet: fill in %(missing)s "
                            "on the MLML tab, then activate the membership.",
                            member=name,
                            missing=self.env._(" and ").join(
                                missing[item] for item in error.params["missing"]
                            ),
                        )
                    )
                ) from error
            raise ValidationError(
                self.env._(
                    "%(member)s cannot go from “%(old)s” to “%(new)s”; from “%(old)s” it "
                    "can become: %(allowed)s.",
                    member=name,
                    old=labels[old],
                    new=labels[new],
                    allowed=", ".join(
                        self._mlml_quoted(labels[state]) for state in error.params["allowed"]
                    ),
                )
            ) from error

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        """The member directory offers "New" to the MLML managers only.

        Its new partner is a candidate member, which only they may record: the
        others would fill in a form they could not save.
        """
        result = super().get_view(view_id, view_type, **options)
        directory = {
            self.env["ir.model.data"]._xmlid_to_res_id(f"mlml_barter.{name}", False)
            for name in MLML_DIRECTORY_VIEWS
        }
        if result.get("id") in directory and self.env.user.has_group(
            "mlml_barter.group_mlml_manager"
        ):
            arch = etree.fromstring(result["arch"])
            arch.set("create", "1")
            result = dict(result, arch=etree.tostring(arch, encoding="unicode"))
        return result

    def _mlml_may_trade(self):
        """May this partner trade in the barter currency today?

        True only for the contacts of an active member.
        """
        self.ensure_one()
        return membership.may_trade(self.commercial_partner_id.mlml_member_state)

    def _mlml_set_member_state(self, state):
        for partner in self:
            values = {"mlml_member_state": state}
            if state == "active" and not partner.mlml_join_date:
                values["mlml_join_date"] = fields.Date.context_today(self)
            partner.write(values)
        return True

    def action_mlml_refresh_directory(self):
        """Refresh the member directory from the company's clearing house, and say
        what changed. A button of the members' kanban, list and form: the records
        it is called on do not matter, the whole directory is refreshed."""
        self._mlml_check_manager()
        company = self.env.company
        if company.mlml_is_clearing_house and not company._mlml_connected():
            raise UserError(
                self.env._(
                    "%(company)s is the clearing house: its members are the directory, kept "
                    "here. The members' Odoo refresh their directory from it.",
                    company=company.name,
                )
            )
        result = company.mlml_refresh_directory()
        message = self.env._(
            "%(created)s member(s) added, %(updated)s updated, %(unchanged)s unchanged, "
            "%(gone)s no longer in the directory; each change is in the member's chatter.",
            created=len(result["created"]),
            updated=len(result["updated"]),
            unchanged=len(result["unchanged"]),
            gone=len(result["gone"]),
        )
        if result["gone"]:
            message += " " + self.env._(
                "Suspended here, as the clearing house no longer lists them: %(members)s.",
                members=", ".join(result["gone"].mapped("name")),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if result["gone"] else "success",
                "sticky": bool(result["gone"]),
                "title": self.env._("Member directory refreshed"),
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_mlml_candidate(self):
        return self._mlml_set_member_state("candidate")

    def action_mlml_activate(self):
        result = self._mlml_set_member_state("active")
        self.filtered("mlml_suspension_reason").mlml_suspension_reason = False
        return result

    def action_mlml_suspend(self, reason=None):
        """Suspend the member for ``reason``; without one, ask it (a suspension
        stops the member's payments in the whole network)."""
        if not (reason or "").strip():
            self._mlml_check_manager()
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Suspend %(member)s", member=self[:1].display_name),
                "res_model": "mlml.member.suspend",
                "view_mode": "form",
                "target": "new",
                "context": {"default_partner_ids": self.ids},
            }
        self._mlml_set_member_state("suspended")
        for partner in self:
            partner.mlml_suspension_reason = reason.strip()
            partner.message_post(
                body=self.env._(
                    "Suspended by %(user)s: %(reason)s. It neither pays nor is paid in the "
                    "network until an MLML manager activates it again.",
                    user=self.env.user.name,
                    reason=reason.strip(),
                )
            )
        return True

    def action_mlml_resign(self):
        return self._mlml_set_member_state("resigned")

    def action_mlml_matching_members(self):
        """The other active members whose offers match this member's needs."""
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.res_partner_mlml_member_action"
        )
        action.update(
            name=self.env._("Offers matching the needs of %(member)s", member=partner.name),
            domain=[
                ("mlml_member_state", "=", "active"),
                ("is_company", "=", True),
                ("id", "!=", partner.id),
                ("mlml_offer_ids", "in", partner.mlml_need_ids.ids),
            ],
            context={"search_default_mlml_active": 0},
        )
        return action

    def action_mlml_credit_lines(self):
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.mlml_credit_line_action"
        )
        action.update(
            domain=[("partner_id", "=", partner.id)],
            context={"default_partner_id": partner.id},
        )
        return action
