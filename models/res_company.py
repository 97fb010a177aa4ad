import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import formatLang

from ..mlml_barter.amounts import RuleError, check_amount, check_percent
from ..mlml_barter.network import DEFAULT_NETWORK, check_name
from .mlml_connection import LEDGER_ACCOUNT_FIELDS, reading_ledger
from .mlml_inputs import check_numbers

# Where the barter account goes, by chart of accounts: a French company books
# its MLML account like a bank account at another financial body (517).
MLML_ACCOUNT_PREFIX_BY_CHART = {"fr": "517"}
MLML_NUMBER_FIELDS = ("mlml_default_share", "mlml_invoice_cap", "mlml_commission_percent")

_logger = logging.getLogger(__name__)


class ResCompany(models.Model):
    _inherit = "res.company"

    mlml_network_name = fields.Char(
        string="Network Name",
        default=DEFAULT_NETWORK,
        required=True,
        help="The name of the barter network the company belongs to (MLML, WIR, "
        "Sardex…): menus, labels, messages and printed documents name the network so.",
    )
    mlml_currency_id = fields.Many2one(
        comodel_name="res.currency",
        string="Barter Currency",
        domain=[("mlml_is_barter", "=", True)],
        default=lambda self: self._default_mlml_currency_id(),
        help="The currency of the inter-company barter network the company belongs to.",
    )
    mlml_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="Barter Journal",
        domain="[('type', '=', 'bank'), ('currency_id', '=', mlml_currency_id)]",
        help="The company's account at the clearing house, kept like a bank account.",
    )
    mlml_default_share = fields.Float(
        string="Default Barter Share (%)",
        digits=(5, 2),
        default=0.0,
        help="Percent of an invoice's untaxed amount the company accepts in the "
        "barter currency when it sells. VAT is always paid in the company's currency.",
    )

    mlml_invoice_cap = fields.Monetary(
        string="MLML Cap per Invoice",
        currency_field="currency_id",
        help="The most a customer invoice may ask in the barter currency, whatever its "
        "share; 0 means no cap.",
    )
    mlml_limit_mode = fields.Selection(
        selection=[("block", "Block"), ("warn", "Warn")],
        string="Credit Line Bounds",
        default="block",
        required=True,
        help="Block: an entry that would take the barter balance past the credit line "
        "is refused. Warn: it is posted, and the MLML managers are warned.",
    )
    mlml_credit_line_id = fields.Many2one(
        comodel_name="mlml.credit.line",
        string="Own Credit Line",
        compute="_compute_mlml_credit_line",
        groups="mlml_barter.group_mlml_user",
        help="The company's own credit line at the clearing house, approved and in "
        "force today: the line of its partner in this company.",
    )
    mlml_credit_limit = fields.Monetary(
        string="Own Credit Limit",
        groups="mlml_barter.group_mlml_user",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_credit_line",
    )
    mlml_balance_ceiling = fields.Monetary(
        string="Own Balance Ceiling",
        groups="mlml_barter.group_mlml_user",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_credit_line",
    )

    mlml_credit_from_ledger = fields.Boolean(
        string="Credit Line From the Clearing House",
        compute="_compute_mlml_credit_line",
        help="The company is connected and its membership and credit line were read from "
        "the clearing house: they are the clearing house's, not typed here.",
    )
    mlml_balance = fields.Monetary(
        string="Barter Balance",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_balance",
        groups="mlml_barter.group_mlml_user",
        help="The posted balance of the company's barter account: negative when it has "
        "bought more than it sold in the barter currency.",
    )
    mlml_available_credit = fields.Monetary(
        string="Available Credit",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_balance",
        groups="mlml_barter.group_mlml_user",
        help="How much the company may still pay in the barter currency: its credit "
        "limit plus its balance.",
    )
    mlml_ceiling_room = fields.Monetary(
        string="Room Under the Ceiling",
        currency_field="mlml_currency_id",
        compute="_compute_mlml_balance",
        groups="mlml_barter.group_mlml_user",
        help="How much the company may still receive in the barter currency before its "
        "balance reaches its ceiling (0 when it has no ceiling).",
    )

    # Clearing-house mode: the company runs the network's ledger.
    mlml_is_clearing_house = fields.Boolean(
        string="Runs the Clearing House",
        help="The company is the network's clearing house: it keeps every member's "
        "account, the transfers between them, and serves the members' API.",
    )
    mlml_commission_percent = fields.Float(
        string="Transfer Commission (%)",
        digits=(5, 2),
        default=0.0,
        help="Percent of each transfer the payer pays to the clearing house's account, "
        "booked as a transfer of its own. 0: no commission.",
    )
    mlml_repay_suspended = fields.Boolean(
        string="Suspended Members May Be Repaid",
        help="A suspended member may still be paid, up to a zero balance, so that its "
        "debt to the network can be repaid. It never pays.",
    )

    @api.model
    def _default_mlml_currency_id(self):
        return self.env["res.currency"].search([("mlml_is_barter", "=", True)], limit=1)

    @api.depends(
        "partner_id.mlml_credit_line_ids.state",
        "mlml_ledger_read_date",
        "mlml_ledger_credit_limit",
        "mlml_ledger_balance_ceiling",
        "mlml_backend",
        "mlml_clearing_house_url",
    )
    def _compute_mlml_credit_line(self):
        today = fields.Date.context_today(self)
        lines = (
            self.env["mlml.credit.line"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.ids),
                    ("state", "=", "approved"),
                    ("date_start", "<=", today),
                ]
            )
        )
        by_company = {
            line.company_id: line for line in lines if line.partner_id == line.company_id.partner_id
        }
        for company in self:
            if company._mlml_credit_from_ledger():
                # Connected: the clearing house grants the line; it is read from it.
                ledger = company.sudo()
                company.mlml_credit_from_ledger = True
                company.mlml_credit_line_id = False
                company.mlml_credit_limit = ledger.mlml_ledger_credit_limit
                company.mlml_balance_ceiling = ledger.mlml_ledger_balance_ceiling
                continue
            line = by_company.get(company, lines.browse())
            company.mlml_credit_from_ledger = False
            company.mlml_credit_line_id = line.sudo(False)
            company.mlml_credit_limit = line.credit_limit
            company.mlml_balance_ceiling = line.balance_ceiling

    def _mlml_credit_from_ledger(self):
        """Does the company's credit line come from its ledger? Yes once a
        connected company has read its account there."""
        self.ensure_one()
        return bool(self.sudo().mlml_ledger_read_date) and self._mlml_connected()

    # The balance itself moves by SQL: mlml.balance invalidates these fields.
    @api.depends("mlml_credit_limit", "mlml_balance_ceiling")
    def _compute_mlml_balance(self):
        balances = self.env["mlml.balance"]._balances(self)
        for company in self:
            balance = balances.get(company, 0.0)
            company.mlml_balance = balance
            company.mlml_available_credit = company.mlml_credit_limit + balance
            company.mlml_ceiling_room = (
                company.mlml_balance_ceiling - balance if company.mlml_balance_ceiling else 0.0
            )

    @api.constrains("mlml_default_share")
    def _check_mlml_default_share(self):
        for company in self:
            try:
                check_percent(company.mlml_default_share)
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "The default barter share of %(company)s must be between 0 and "
                        "100 %%, not %(share)s %%.",
                        company=company.name,
                        share=formatLang(self.env, float(error.params["percent"])),
                    )
                ) from error

    @api.constrains("mlml_invoice_cap")
    def _check_mlml_invoice_cap(self):
        for company in self:
            try:
                check_amount(company.mlml_invoice_cap, minimum=0)
            except RuleError as error:
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "The MLML cap per invoice of %(company)s cannot be negative "
                            "(%(cap)s): enter the most an invoice may ask in the barter "
                            "currency, or 0 for no cap.",
                            company=company.name,
                            cap=formatLang(
                                self.env, company.mlml_invoice_cap, currency_obj=company.currency_id
                            ),
                        )
                    )
                ) from error

    @api.model_create_multi
    def create(self, vals_list):
        check_numbers(self, vals_list, MLML_NUMBER_FIELDS)
        return super().create(vals_list)

    @api.constrains("mlml_network_name")
    def _check_mlml_network_name(self):
        for company in self:
            try:
                check_name(company.mlml_network_name)
            except RuleError as error:
                raise ValidationError(
                    self._mlml_text(
                        self.env._(
                            "The network's name of %(company)s must be 1 to %(max_length)s "
                            "characters long: enter the name its members use (MLML, WIR…).",
                            company=company.name,
                            max_length=30,
                        )
                    )
                ) from error

    @api.constrains("mlml_commission_percent")
    def _check_mlml_commission_percent(self):
        for company in self:
            try:
                check_percent(company.mlml_commission_percent)
            except RuleError as error:
                raise ValidationError(
                    self.env._(
                        "The transfer commission of %(company)s must be between 0 and "
                        "100 %%, not %(percent)s %%.",
                        company=company.name,
                        percent=formatLang(self.env, float(error.params["percent"])),
                    )
                ) from error

    def write(self, vals):
        check_numbers(self, [vals], MLML_NUMBER_FIELDS)
        if LEDGER_ACCOUNT_FIELDS & vals.keys() and not reading_ledger(self.env):
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "The company's membership, credit line, balance and synchronisation "
                        "result are what the clearing house said: they are read from it at "
                        "every connection test and synchronisation, and never typed."
                    )
                )
            )
        house_fields = ("mlml_is_clearing_house", "mlml_commission_percent", "mlml_repay_suspended")
        changing = any(
            name in vals and company[name] != vals[name]
            for company in self
            for name in house_fields
        )
        if changing and not (
            self.env.su or self.env.user.has_group("mlml_barter.group_mlml_manager")
        ):
            raise AccessError(
                self._mlml_text(
                    self.env._(
                        "Only MLML managers change the clearing-house settings (mode, "
                        "commission, repaying suspended members). Ask one of them."
                    )
                )
            )
        result = super().write(vals)
        if "mlml_is_clearing_house" in vals:
            self.env["mlml.ledger.account"]._setup_clearing_house(
                self.filtered("mlml_is_clearing_house")
            )
        return result

    @api.constrains("mlml_journal_id", "mlml_currency_id")
    def _check_mlml_journal(self):
        for company in self.filtered("mlml_journal_id"):
            journal = company.mlml_journal_id
            if journal.company_id != company:
                raise ValidationError(
                    self.env._(
                        "The barter journal %(journal)s belongs to %(other)s; choose a "
                        "journal of %(company)s.",
                        journal=journal.display_name,
                        other=journal.company_id.name,
                        company=company.name,
                    )
                )
            if journal.type != "bank" or journal.currency_id != company.mlml_currency_id:
                raise ValidationError(
                    self.env._(
                        "The barter journal of %(company)s must be a bank journal in "
                        "%(currency)s; %(journal)s is not.",
                        company=company.name,
                        currency=company.mlml_currency_id.name,
                        journal=journal.display_name,
                    )
                )

    def _mlml_setup(self):
        """Give each company that keeps books its barter currency and journal."""
        for company in self.filtered("chart_template"):
            company._mlml_ensure_journal()

    def _mlml_ensure_journal(self):
        """Return the company's barter journal, creating it where missing."""
        self.ensure_one()
        if not self.chart_template:
            raise UserError(
                self.env._(
                    "%(company)s has no chart of accounts yet: choose its fiscal "
                    "localization in the Invoicing settings, then create the barter "
                    "journal.",
                    company=self.name,
                )
            )
        if not self.mlml_currency_id:
            self.mlml_currency_id = self._default_mlml_currency_id()
        if not self.mlml_currency_id:
            raise UserError(
                self.env._(
                    "No barter currency is defined: open Invoicing › Configuration › "
                    "Currencies and tick “Barter Currency” on the network's currency."
                )
            )
        if not self.mlml_journal_id:
            journal = self.env["account.journal"].search(
                [
                    ("company_id", "=", self.id),
                    ("type", "=", "bank"),
                    ("currency_id", "=", self.mlml_currency_id.id),
                ],
                limit=1,
            )
            self.mlml_journal_id = journal or self._mlml_create_journal()
        return self.mlml_journal_id

    def _mlml_create_journal(self):
        self.ensure_one()
        currency = self.mlml_currency_id
        account = self.env["account.account"].create(self._mlml_prepare_account_vals())
        self._mlml_translate_account(account)
        journal = self.env["account.journal"].create(
            {
                "name": currency.symbol,
                "code": self._mlml_free_journal_code(currency.symbol),
                "type": "bank",
                "currency_id": currency.id,
                "default_account_id": account.id,
                "company_id": self.id,
            }
        )
        self._mlml_translate_records(journal)
        return journal

    def _mlml_prepare_account_vals(self):
        """The barter account: class 517 on a French chart, a bank account otherwise."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        charts = self.env["account.chart.template"]._get_parent_template(self.chart_template)
        prefix = next(
            (MLML_ACCOUNT_PREFIX_BY_CHART[c] for c in charts if c in MLML_ACCOUNT_PREFIX_BY_CHART),
            self.bank_account_code_prefix or "",
        )
        sample = Account.search(Account._check_company_domain(self), limit=1)
        digits = len(sample.code) if sample else 6
        return {
            "name": self._mlml_account_name(),
            "code": Account._search_new_account_code(prefix.ljust(digits, "0")),
            "account_type": "asset_cash",
            "currency_id": self.mlml_currency_id.id,
            "company_ids": [fields.Command.link(self.id)],
        }

    def _mlml_account_name(self):
        return self.env._("%(currency)s Account", currency=self.mlml_currency_id.symbol)

    def _mlml_translate_records(self, journal=None):
        """Name what the add-on made for the company in every active language:
        the barter account, the payment methods of the barter journal. Done when
        the journal is made and again whenever translations are loaded (a
        language activated later, or the install itself, whose translations
        come after the journal)."""
        for company in self:
            barter_journal = journal or company.mlml_journal_id
            if not barter_journal:
                continue
            if barter_journal.default_account_id:
                company._mlml_translate_account(barter_journal.default_account_id)
            (
                barter_journal.inbound_payment_method_line_ids
                | barter_journal.outbound_payment_method_line_ids
            )._mlml_name_in_company_language()

    def _mlml_translate_account(self, account):
        """Name the barter account in every active language, as charts do."""
        for lang, _name in self.env["res.lang"].get_installed():
            account.with_context(lang=lang).name = self.with_context(lang=lang)._mlml_account_name()

    def _mlml_free_journal_code(self, wanted):
        self.ensure_one()
        base = "".join(ch for ch in wanted.upper() if ch.isalnum())[:4] or "BART"
        used = set(
            self.env["account.journal"]
            .with_context(active_test=False)
            .search([("company_id", "=", self.id)])
            .mapped("code")
        )
        candidates = [base] + [f"{base}{n}" for n in range(2, 10)]
        return next((code for code in candidates if code not in used), base)

    # ------------------------------------------------------------------
    # The link to the ledger: mlml.connection and mlml.set.off do the work
    # ------------------------------------------------------------------

    def _mlml_connected(self):
        """Is the company's MLML account kept at a ledger Odoo reaches?"""
        return self.env["mlml.connection"]._connected(self)

    def _mlml_secret(self):
        return self.env["mlml.connection"]._secret(self)

    def _mlml_backend(self, **options):
        """The backend of the company's ledger, or None when not connected."""
        return self.env["mlml.connection"]._backend(self, **options)

    def _mlml_error_text(self, error):
        return self.env["mlml.connection"]._error_text(self, error)

    def _mlml_refusal_detail(self, error):
        return self.env["mlml.connection"]._refusal_detail(self, error)

    def _mlml_test_connection(self):
        """What the clearing house says of the company's account: (ok, message)."""
        return self.env["mlml.connection"]._test_connection(self)

    @api.model
    def _cron_mlml_synchronize(self):
        """Synchronise every connected company (each page in its own savepoint:
        what fails in one company is rolled back alone and said on its card)."""
        companies = self.sudo().search([("mlml_clearing_house_url", "!=", False)])
        companies.filtered(lambda c: c._mlml_connected()).mlml_synchronize()

    def mlml_synchronize(self):
        """Book what the clearing house moved since the last synchronisation and
        compare the balances (``mlml.connection._synchronize``). Return True
        when all went well."""
        done = True
        for company in self:
            done = self.env["mlml.connection"]._synchronize(company) and done
        return done

    def mlml_refresh_directory(self):
        """Bring the member directory up to date with the clearing house's: the
        partners ``created``, ``updated``, ``unchanged`` and ``gone`` (a dict)."""
        return self.env["mlml.connection"]._refresh_directory(self)

    def _mlml_ensure_compensation(self):
        """The clearing account and the journal of the set-off entries: (account, journal)."""
        return self.env["mlml.set.off"]._ensure_compensation(self)

    def action_mlml_submit_compensation(self):
        """Book the confirmed runs, submit the open invoices and bills with other
        members to the compensation, and say what was done."""
        return self.env["mlml.set.off"]._submit_and_tell(self)

    def _mlml_submit_compensation(self):
        return self.env["mlml.set.off"]._submit_compensation(self)
