import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_datetime, formatLang

from ..mlml_barter import credit_lines
from ..mlml_barter.amounts import RuleError
from .mlml_inputs import check_numbers

# Changing these on a decided line would bypass the decision: a new line is
# submitted instead.
DECIDED_FIELDS = ("partner_id", "company_id", "credit_limit", "balance_ceiling", "date_start")

# Written only by the action_* methods, which put this object in the context:
# a context sent over RPC holds JSON values only, so it cannot carry it.
DECISION_FIELDS = ("state", "decided_by_id", "decided_on")
_DECISION = object()


class MlmlCreditLine(models.Model):
    _name = "mlml.credit.line"
    _description = "Barter Credit Line"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Member",
        required=True,
        index=True,
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The member the clearing house grants this line to. The company's own "
        "partner holds the company's own line.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id", string="Currency")
    credit_limit = fields.Monetary(
        tracking=True,
        help="How far below zero the member's balance may go.",
    )
    balance_ceiling = fields.Monetary(
        tracking=True,
        help="How far above zero the member's balance may go; 0 means no ceiling.",
    )
    date_start = fields.Date(
        string="Start Date",
        required=True,
        default=fields.Date.context_today,
        tracking=True,
    )
    date_review = fields.Date(string="Review Date", tracking=True)
    state = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("approved", "Approved"),
            ("refused", "Refused"),
            ("closed", "Closed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    decision_note = fields.Text(tracking=True)
    decided_by_id = fields.Many2one(comodel_name="res.users", readonly=True, copy=False)
    decided_on = fields.Datetime(readonly=True, copy=False)
    member_state = fields.Selection(related="partner_id.mlml_member_state", string="Membership")

    _sql_constraints = [
        (
            "one_approved_line",
            "EXCLUDE (partner_id WITH =, company_id WITH =) WHERE (state = 'approved')",
            (
                "A member has at most one approved credit line per company: close the "
                "approved line first, or approve the new one in its place."
            ),
        ),
    ]

    @api.depends("partner_id", "credit_limit", "balance_ceiling", "currency_id")
    def _compute_display_name(self):
        for line in self:
            if not line.partner_id:
                # A line being drafted: no member yet, no figures to show.
                line.display_name = self.env._("New credit line")
                continue
            ceiling = (
                formatLang(self.env, line.balance_ceiling, currency_obj=line.currency_id)
                if line.balance_ceiling
                else "∞"
            )
            line.display_name = self.env._(
                "%(member)s: −%(limit)s / +%(ceiling)s",
                member=line.partner_id.display_name or "",
                limit=formatLang(self.env, line.credit_limit, currency_obj=line.currency_id),
                ceiling=ceiling,
            )

    @api.constrains("credit_limit", "balance_ceiling", "date_start", "date_review")
    def _check_values(self):
        for line in self:
            try:
                credit_lines.check_values(
                    line.credit_limit, line.balance_ceiling, line.date_start, line.date_review
                )
            except RuleError as error:
                raise ValidationError(line._rule_message(error)) from error

    def _check_one_approved(self, partner_ids, company_ids):
        """Refuse a second approved line for a member in a company.

        Checked before writing, to say which member; the exclusion constraint
        one_approved_line is the guarantee when two approvals race.
        """
        groups = self._read_group(
            [
                ("state", "=", "approved"),
                ("partner_id", "in", partner_ids),
                ("company_id", "in", company_ids),
                ("id", "not in", self.ids),
            ],
            groupby=["partner_id", "company_id"],
        )
        for partner, company in groups:
            raise ValidationError(
                self.env._(
                    "%(member)s already has an approved credit line in %(company)s: "
                    "close it first, or use “Approve” on the new line, which replaces it.",
                    member=partner.display_name,
                    company=company.name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_decided(self):
        for line in self:
            if line.state in credit_lines.DECIDED:
                raise UserError(
                    self.env._(
                        "The credit line “%(line)s” is %(state)s: decided lines stay in "
                        "the history and are never deleted. Close an approved line instead.",
                        line=line.display_name,
                        state=dict(line._fields["state"]._description_selection(self.env))[
                            line.state
                        ],
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list, ["credit_limit", "balance_ceiling"])
        for vals in vals_list:
            try:
                credit_lines.check_created_state(vals.get("state"))
            except RuleError as error:
                raise UserError(
                    self.env._(
                        "A credit line is created as a draft, then submitted and decided "
                        "with its buttons: create the line without a state."
                    )
                ) from error
            if vals.get("decided_by_id") or vals.get("decided_on"):
                raise UserError(
                    self.env._(
                        "Who decided a credit line, and when, is recorded by its Approve "
                        "and Refuse buttons: create the line without them."
                    )
                )
        lines = super().create(vals_list)
        lines._check_not_from_ledger()
        return lines

    def _check_not_from_ledger(self):
        """Nobody grants his own company a credit line: a connected company's
        is the clearing house's, read from it."""
        for line in self:
            company = line.company_id
            if line.partner_id.commercial_partner_id == company.partner_id and (
                company._mlml_credit_from_ledger()
            ):
                currency = company.mlml_currency_id
                raise UserError(
                    self.env._(
                        "The credit line of %(company)s is granted by the clearing house: "
                        "%(limit)s, read from it on %(date)s at the last connection test or "
                        "synchronisation. Ask the clearing house for another one; it is "
                        "read again at the next synchronisation.",
                        company=company.name,
                        limit=formatLang(
                            self.env,
                            company.sudo().mlml_ledger_credit_limit,
                            currency_obj=currency,
                        ),
                        date=format_datetime(self.env, company.sudo().mlml_ledger_read_date),
                    )
                )

    def write(self, vals):
        check_numbers(self, [vals], ["credit_limit", "balance_ceiling"])
        if DECISION_FIELDS & vals.keys() and self.env.context.get("mlml_decision") is not _DECISION:
            raise AccessError(
                self.env._(
                    "The state of a credit line, who decided it and when change only with "
                    "its buttons (Submit, Approve, Refuse, Close, Back to Draft)."
                )
            )
        if vals.get("state") == "approved":
            self._check_one_approved(
                [vals.get("partner_id", p.id) for p in self.partner_id],
                [vals.get("company_id", c.id) for c in self.company_id],
            )
        if any(name in vals for name in DECIDED_FIELDS):
            for line in self:
                if line.state in credit_lines.DECIDED and any(
                    line._fields[name].convert_to_write(line[name], line) != vals[name]
                    for name in DECIDED_FIELDS
                    if name in vals
                ):
                    raise UserError(
                        self.env._(
                            "The credit line “%(line)s” is decided: its member, company, "
                            "amounts and start date no longer change. Submit a new line "
                            "instead.",
                            line=line.display_name,
                        )
                    )
        return super().write(vals)

    def _creation_message(self):
        # Its own sentence, not mail's "%s created": the noun is feminine in French.
        self.ensure_one()
        return self.env._("Credit line created")

    def action_submit(self):
        self._set_state("submitted")
        activity_type = self.env.ref("mlml_barter.mail_activity_type_mlml_approval")
        for line in self:
            line._schedule_for_managers(activity_type)
        return True

    def action_approve(self):
        for line in self:
            line._check_decision("approved")
            previous = self.search(
                [
                    ("partner_id", "=", line.partner_id.id),
                    ("company_id", "=", line.company_id.id),
                    ("state", "=", "approved"),
                    ("id", "!=", line.id),
                ]
            )
            if previous:
                previous._set_state("closed")
                for old in previous:
                    old.message_post(
                        body=self.env._(
                            "Closed: replaced by the credit line %(line)s.",
                            line=line._get_html_link(),
                        )
                    )
            line._approve_now()
        self.activity_feedback(["mlml_barter.mail_activity_type_mlml_approval"])
        return True

    def action_refuse(self):
        for line in self:
            if not line.decision_note:
                raise UserError(
                    self.env._(
                        "Write the reason of the refusal in the decision note of "
                        "“%(line)s”, then refuse it.",
                        line=line.display_name,
                    )
                )
        self._set_state("refused")
        self.activity_feedback(["mlml_barter.mail_activity_type_mlml_approval"])
        return True

    def action_close(self):
        self._set_state("closed")
        return True

    def action_draft(self):
        self._set_state("draft")
        self.activity_unlink(["mlml_barter.mail_activity_type_mlml_approval"])
        return True

    def _check_decision(self, new_state):
        self.ensure_one()
        self._check_not_from_ledger()
        try:
            credit_lines.check_transition(
                self.state, new_state, self.partner_id.commercial_partner_id.mlml_member_state
            )
        except RuleError as error:
            raise UserError(self._rule_message(error)) from error

    def _set_state(self, new_state):
        for line in self:
            line._check_decision(new_state)
        values = {"state": new_state}
        if new_state in ("approved", "refused"):
            values.update(decided_by_id=self.env.uid, decided_on=fields.Datetime.now())
        return self.with_context(mlml_decision=_DECISION).write(values)

    def _approve_now(self):
        """Approve and write it at once, so that a concurrent approval is refused clearly.

        The database refuses a second approved line of the same member and
        company (an exclusion constraint), even when two approvals race.
        """
        try:
            with self.env.cr.savepoint():
                self._set_state("approved")
                self.env.flush_all()
        except psycopg2.errors.ExclusionViolation as error:
            self.env.invalidate_all()
            raise ValidationError(
                self.env._(
                    "%(member)s already has an approved credit line in %(company)s, "
                    "approved a moment ago by someone else. Reload the member and "
                    "decide again.",
                    member=self.partner_id.display_name,
                    company=self.company_id.name,
                )
            ) from error

    def _schedule_for_managers(self, activity_type, date_deadline=None):
        self.ensure_one()
        managers = self.env.ref("mlml_barter.group_mlml_manager").users.filtered(
            lambda user: self.company_id in user.company_ids and not user.share
        )
        for manager in managers:
            # Written in the manager's language, whoever submitted the line.
            line = self.with_context(lang=manager.lang)
            line.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=manager.id,
                date_deadline=date_deadline,
                summary=activity_type.with_context(lang=manager.lang).summary,
            )

    @api.model
    def _cron_schedule_reviews(self):
        """Remind the managers of every approved line whose review date has passed."""
        activity_type = self.env.ref("mlml_barter.mail_activity_type_mlml_review")
        due = self.search(
            [
                ("state", "=", "approved"),
                ("date_review", "<=", fields.Date.context_today(self)),
            ]
        ).filtered(lambda line: activity_type not in line.activity_ids.activity_type_id)
        for line in due:
            line._schedule_for_managers(activity_type, date_deadline=line.date_review)
        return True

    def _rule_message(self, error):
        """The user's message for a rule of ``credit_lines`` this line breaks."""
        params = error.params
        states = dict(self._fields["state"]._description_selection(self.env))
        member_states = dict(
            self.env["res.partner"]._fields["mlml_member_state"]._description_selection(self.env)
        )
        if error.code == "credit_limit_negative":
            return self.env._(
                "The credit limit of %(member)s cannot be negative (%(amount)s): it is how "
                "far below zero the balance may go, so enter 0 or more.",
                member=self.partner_id.display_name,
                amount=formatLang(
                    self.env, float(params["credit_limit"]), currency_obj=self.currency_id
                ),
            )
        if error.code == "balance_ceiling_negative":
            return self.env._(
                "The balance ceiling of %(member)s cannot be negative (%(amount)s): enter "
                "0 for no ceiling, or how far above zero the balance may go.",
                member=self.partner_id.display_name,
                amount=formatLang(
                    self.env, float(params["balance_ceiling"]), currency_obj=self.currency_id
                ),
            )
        if error.code in ("credit_limit_too_large", "balance_ceiling_too_large"):
            return self.env._(
                "The credit line of %(member)s asks for %(amount)s, beyond any sensible "
                "figure (at most %(maximum)s): check the amount typed.",
                member=self.partner_id.display_name,
                amount=formatLang(
                    self.env,
                    float(params.get("credit_limit", params.get("balance_ceiling"))),
                    currency_obj=self.currency_id,
                ),
                maximum=formatLang(
                    self.env, float(params["maximum"]), currency_obj=self.currency_id
                ),
            )
        if error.code == "not_a_number":
            return self.env._(
                "The credit line of %(member)s has a figure that is not a number "
                "(%(value)s): enter its amounts in figures.",
                member=self.partner_id.display_name,
                value=params["value"],
            )
        if error.code == "review_before_start":
            return self.env._(
                "The review date of the credit line of %(member)s (%(review)s) is before "
                "its start date (%(start)s): choose a review date on or after the start.",
                member=self.partner_id.display_name,
                review=params["date_review"],
                start=params["date_start"],
            )
        if error.code == "line_member_not_active":
            return self.env._(
                "%(member)s is not an active member (membership: %(state)s): only active "
                "members get a credit line approved. Activate the membership first.",
                member=self.partner_id.display_name,
                state=member_states.get(params["member_state"], params["member_state"]),
            )
        return self.env._(
            "The credit line “%(line)s” is %(old)s: it cannot become %(new)s.",
            line=self.display_name,
            old=states.get(params["old"]),
            new=states.get(params["new"]),
        )
