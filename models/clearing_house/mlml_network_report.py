from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import format_date, formatLang

LARGEST = 5
# What the network page counts: the members' transfers that stand. A reversed
# transfer and its reversal cancel out, commissions follow their transfer: the
# header and the rows of the months leave them all out.
STANDING = [("state", "=", "posted"), ("channel", "not in", ("reversal", "commission"))]


class MlmlNetworkReport(models.TransientModel):
    """The network at a glance, as the cooperative's board reads it."""

    _name = "mlml.network.report"
    _description = "Clearing-House Network"

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    account_count = fields.Integer(string="Accounts", compute="_compute_figures")
    transfer_count = fields.Integer(
        string="Transfers",
        compute="_compute_figures",
        help="The members' transfers that stand: a reversed transfer and its reversal are "
        "left out, and so are the commissions. The months below count the same way.",
    )
    reversed_count = fields.Integer(
        string="Reversed (Left Out)",
        compute="_compute_figures",
        help="Transfers reversed since: neither they nor their reversals are counted.",
    )
    balance_sum = fields.Monetary(
        string="Sum of Balances",
        compute="_compute_figures",
        help="Always 0,00: each transfer debits one account and credits another.",
    )
    balance_alarm = fields.Boolean(compute="_compute_figures")
    volume_html = fields.Html(string="Volume per Month", compute="_compute_figures")
    near_bounds_html = fields.Html(string="Close to a Bound", compute="_compute_figures")
    largest_html = fields.Html(string="Largest Balances", compute="_compute_figures")

    def _compute_display_name(self):
        for report in self:
            report.display_name = self.env._("Network")

    @api.depends("company_id")
    def _compute_figures(self):
        for report in self:
            company = report.company_id
            accounts = self.env["mlml.ledger.account"].search([("company_id", "=", company.id)])
            report.account_count = len(accounts)
            Transfer = self.env["mlml.transfer"]
            report.transfer_count = Transfer.search_count(
                [("company_id", "=", company.id), *STANDING]
            )
            report.reversed_count = Transfer.search_count(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "reversed"),
                    ("channel", "!=", "commission"),
                ]
            )
            self.env.cr.execute(
                "SELECT COALESCE(SUM(balance), 0) FROM mlml_ledger_account WHERE company_id = %s",
                [company.id],
            )
            total = self.env.cr.fetchone()[0]
            report.balance_sum = total
            report.balance_alarm = bool(total)
            report.volume_html = report._volume_table(company)
            report.near_bounds_html = report._accounts_table(
                accounts.filtered("near_bound").sorted("balance")
            )
            by_balance = accounts.sorted("balance")
            debtors = by_balance.filtered(lambda a: a.balance < 0)[:LARGEST]
            creditors = by_balance.filtered(lambda a: a.balance > 0)[-LARGEST:][::-1]
            report.largest_html = report._accounts_table(creditors + debtors)

    def _money(self, amount):
        return formatLang(self.env, float(amount), currency_obj=self.currency_id)

    def _html_table(self, headers, rows, numeric=(), note=""):
        """A table of ``rows``; the columns whose index is in ``numeric`` aligned
        right, as figures are; ``note`` under it, saying what it counts."""
        if not rows:
            return Markup("<p class='text-muted'>%s</p>") % self.env._("Nothing to show.")

        def cell(tag, index, content):
            align = Markup(" class='text-end'") if index in numeric else Markup("")
            return Markup("<%s%s>%s</%s>") % (Markup(tag), align, content, Markup(tag))

        head = Markup("").join(cell("th", i, h) for i, h in enumerate(headers))
        body = Markup("").join(
            Markup("<tr>%s</tr>") % Markup("").join(cell("td", i, c) for i, c in enumerate(row))
            for row in rows
        )
        table = Markup(
            "<table class='table table-sm o_mlml_network'><thead><tr>%s</tr></thead>"
            "<tbody>%s</tbody></table>"
        ) % (head, body)
        if note:
            table += Markup("<p class='text-muted small'>%s</p>") % note
        return table

    def _volume_table(self, company):
        groups = self.env["mlml.transfer"]._read_group(
            [("company_id", "=", company.id), *STANDING],
            groupby=["date:month"],
            aggregates=["amount:sum", "__count"],
            order="date:month desc",
            limit=12,
        )
        rows = [
            (format_date(self.env, month, date_format="MMMM yyyy"), self._money(amount), count)
            for month, amount, count in groups
        ]
        return self._html_table(
            [self.env._("Month"), self.env._("Volume"), self.env._("Transfers")],
            rows,
            numeric=(1, 2),
            note=self.env._(
                "The members' transfers that stand: a reversed transfer and its reversal are "
                "left out, and so are the commissions."
            ),
        )

    def _accounts_table(self, accounts):
        labels = dict(accounts._fields["near_bound"]._description_selection(self.env))
        rows = [
            (
                account.member_number or "",
                account.partner_id.name,
                self._money(account.balance),
                *self._bounds(account),
                labels.get(account.near_bound, "") if account.near_bound else "",
            )
            for account in accounts
        ]
        return self._html_table(
            [
                self.env._("Number"),
                self.env._("Member"),
                self.env._("Balance"),
                self.env._("Credit limit"),
                self.env._("Ceiling"),
                "",
            ],
            rows,
            numeric=(2, 3, 4),
        )

    def _bounds(self, account):
        """The credit limit and ceiling of a member's account; none for the
        clearing house's own, where commissions go."""
        if account.holder_state == "house":
            return ("", "")
        return (
            self._money(account.credit_limit),
            self._money(account.balance_ceiling) if account.balance_ceiling else "∞",
        )

    @api.model
    def action_open(self):
        self.env["mlml.ledger.account"]._clearing_house()
        report = self.create({})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Network"),
            "res_model": self._name,
            "res_id": report.id,
            "view_mode": "form",
            "target": "current",
        }
