import logging
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import format_date, formatLang

from ..mlml_barter.amounts import RuleError, check_amount, check_percent
from ..mlml_barter.backend import BackendError, Refused
from ..mlml_barter.compensation_run import cents
from ..mlml_barter.connect import connect
from ..mlml_barter.network import DEFAULT_NETWORK, check_name
from .mlml_connection_secret import SECRET_FIELDS
from .mlml_inputs import check_numbers

# Where the barter account goes, by chart of accounts: a French company books
# its MLML account like a bank account at another financial body (517).
MLML_ACCOUNT_PREFIX_BY_CHART = {"fr": "517"}
MLML_NUMBER_FIELDS = ("mlml_default_share", "mlml_invoice_cap", "mlml_commission_percent")
# Transfers read from the ledger per page, each page booked in one savepoint.
MLML_SYNC_PAGE = 100

_logger = logging.getLogger(__name__)


class MlmlCompensationError(UserError):
    """A compensation run the synchronisation could not book (nothing of it written)."""


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

    # Member side: the company's connection to its network's ledger.
    mlml_backend = fields.Selection(
        selection=[("clearing_house", "Clearing house (MLML API)"), ("cyclos", "Cyclos 4")],
        string="Ledger Connection",
        default="clearing_house",
        required=True,
        groups="mlml_barter.group_mlml_manager",
        help="Which ledger the company's MLML account is kept in, and how Odoo reaches it.",
    )
    mlml_clearing_house_url = fields.Char(
        string="Clearing House URL",
        groups="mlml_barter.group_mlml_manager",
        help="The address of the clearing house's server, e.g. "
        "https://chambre.example.org, or of the network's Cyclos, e.g. "
        "https://cyclos.example.org/mlml. Empty: the MLML movements are booked by hand.",
    )
    # The secrets of the connection are written here and kept where no one reads
    # them (mlml.connection.secret): these fields always read empty.
    mlml_clearing_house_key = fields.Char(
        string="Clearing House API Key",
        compute="_compute_mlml_secrets",
        inverse="_inverse_mlml_clearing_house_key",
        search="_search_mlml_secrets",
        groups="mlml_barter.group_mlml_manager",
        copy=False,
        help="The API key the clearing house gave the company. Never shown again once saved.",
    )
    # A network run on Cyclos 4: what its administrators configured there.
    mlml_cyclos_auth = fields.Selection(
        selection=[("token", "Access client token"), ("password", "User and password")],
        string="Cyclos Authentication",
        default="token",
        required=True,
        groups="mlml_barter.group_mlml_manager",
        help="How Odoo signs in to Cyclos: with the token of an access client activated "
        "for the company's Cyclos user (recommended), or with that user's login name and "
        "password.",
    )
    mlml_cyclos_token = fields.Char(
        string="Cyclos Access Client Token",
        compute="_compute_mlml_secrets",
        inverse="_inverse_mlml_cyclos_token",
        search="_search_mlml_secrets",
        groups="mlml_barter.group_mlml_manager",
        copy=False,
        help="The token of the access client activated in Cyclos. Never shown again once saved.",
    )
    mlml_cyclos_user = fields.Char(
        string="Cyclos User",
        groups="mlml_barter.group_mlml_manager",
        help="The login name of the company's user in Cyclos.",
    )
    mlml_cyclos_password = fields.Char(
        string="Cyclos Password",
        compute="_compute_mlml_secrets",
        inverse="_inverse_mlml_cyclos_password",
        search="_search_mlml_secrets",
        groups="mlml_barter.group_mlml_manager",
        copy=False,
        help="The password of the company's user in Cyclos. Never shown again once saved.",
    )
    mlml_cyclos_account_type = fields.Char(
        string="Cyclos Account Type",
        groups="mlml_barter.group_mlml_manager",
        help="The internal name (or id) of the account type of the barter currency in Cyclos.",
    )
    mlml_cyclos_payment_type = fields.Char(
        string="Cyclos Payment Type",
        groups="mlml_barter.group_mlml_manager",
        help="The internal name (or id) of the payment type between members in Cyclos, "
        "e.g. mlml.paiement.",
    )
    mlml_cyclos_member_field = fields.Char(
        string="Cyclos Member Number Field",
        default="accountNumber",
        groups="mlml_barter.group_mlml_manager",
        help="Where Cyclos keeps the network's member numbers: accountNumber (the account "
        "number), username (the login name), or the internal name of a custom profile "
        "field. The numbers of the partners' MLML tabs must be these.",
    )
    mlml_cyclos_city_field = fields.Char(
        string="Cyclos City Field",
        groups="mlml_barter.group_mlml_manager",
        help="The internal name of the custom profile field holding the city; empty: the "
        "city of the user's address.",
    )
    mlml_cyclos_offers_field = fields.Char(
        string="Cyclos Offers Field",
        groups="mlml_barter.group_mlml_manager",
        help="The internal name of the custom profile field listing what a member offers.",
    )
    mlml_cyclos_needs_field = fields.Char(
        string="Cyclos Needs Field",
        groups="mlml_barter.group_mlml_manager",
        help="The internal name of the custom profile field listing what a member needs.",
    )
    mlml_sync_cursor = fields.Char(
        string="Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last transfer already booked.",
    )
    mlml_request_cursor = fields.Char(
        string="Requests Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last payment request already read.",
    )
    mlml_sync_date = fields.Datetime(
        string="Last Synchronisation",
        copy=False,
        groups="mlml_barter.group_mlml_user",
    )
    mlml_sync_message = fields.Char(
        string="Synchronisation Result",
        copy=False,
        groups="mlml_barter.group_mlml_user",
    )
    mlml_sync_failed = fields.Boolean(
        string="Last Synchronisation Failed", copy=False, groups="mlml_barter.group_mlml_user"
    )
    mlml_ledger_balance = fields.Monetary(
        string="Balance at the Clearing House",
        currency_field="mlml_currency_id",
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="The balance the clearing house gave at the last synchronisation.",
    )
    mlml_sync_difference = fields.Monetary(
        string="Difference with the Clearing House",
        currency_field="mlml_currency_id",
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="The balance in the books minus the clearing house's, at the last "
        "synchronisation: 0 when they agree.",
    )
    # Member side: the multilateral compensation of invoices between members.
    mlml_compensation_auto = fields.Boolean(
        string="Submit Invoices to the Compensation",
        help="The synchronisation submits the open invoices and bills with other members to "
        "the clearing house's multilateral compensation. Otherwise, they are submitted with "
        "the button Submit to the Compensation.",
    )
    mlml_compensation_account_id = fields.Many2one(
        comodel_name="account.account",
        string="Compensation Clearing Account",
        check_company=True,
        help="The account of the set-off entries: the receivables and payables a compensation "
        "clears are balanced on it, and the MLML transfers of its liquidity part land on it, "
        "so that it nets to zero for each run (467100 on the French chart).",
    )
    mlml_compensation_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="Compensation Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="The journal of the set-off entries of the compensation runs.",
    )
    mlml_compensation_cursor = fields.Char(
        string="Compensations Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last compensation run booked.",
    )
    mlml_obligation_cursor = fields.Char(
        string="Obligations Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last change of an obligation read.",
    )

    @api.model
    def _default_mlml_currency_id(self):
        return self.env["res.currency"].search([("mlml_is_barter", "=", True)], limit=1)

    @api.depends("partner_id.mlml_credit_line_ids.state")
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
            line = by_company.get(company, lines.browse())
            company.mlml_credit_line_id = line.sudo(False)
            company.mlml_credit_limit = line.credit_limit
            company.mlml_balance_ceiling = line.balance_ceiling

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

    def _compute_mlml_secrets(self):
        for company in self:
            for name in SECRET_FIELDS:
                company[name] = False

    def _inverse_mlml_clearing_house_key(self):
        self._mlml_store_secret("mlml_clearing_house_key")

    def _inverse_mlml_cyclos_token(self):
        self._mlml_store_secret("mlml_cyclos_token")

    def _inverse_mlml_cyclos_password(self):
        self._mlml_store_secret("mlml_cyclos_password")

    def _mlml_store_secret(self, name):
        """Keep what was written to ``name`` where no user reads it; the field
        reads empty again at once."""
        column = SECRET_FIELDS[name]
        for company in self:
            value = company[name] or False
            secret = company._mlml_secret()
            if secret:
                secret[column] = value
            elif value:
                secret.create({"company_id": company.id, column: value})
        self.invalidate_recordset([name])

    def _search_mlml_secrets(self, operator, value):
        raise UserError(
            self.env._(
                "The API key, token and password of the ledger connection are never read "
                "back, nor searched: the settings say whether one is saved."
            )
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
        return self.env["account.journal"].create(
            {
                "name": currency.symbol,
                "code": self._mlml_free_journal_code(currency.symbol),
                "type": "bank",
                "currency_id": currency.id,
                "default_account_id": account.id,
                "company_id": self.id,
            }
        )

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
    # Member side: the connection to the network's ledger
    # ------------------------------------------------------------------

    def _mlml_connected(self):
        """Is the company's MLML account kept at a ledger Odoo reaches?"""
        self.ensure_one()
        company = self.sudo()
        if company.mlml_backend == "cyclos":
            return bool(company._mlml_cyclos_settings())
        return bool(company.mlml_clearing_house_url and company._mlml_secret().clearing_house_key)

    def _mlml_secret(self):
        """The secrets the company signs in to its ledger with, in superuser
        mode (see mlml.connection.secret): for the code that builds its backend,
        and to tell whether one is saved; never handed to a user."""
        self.ensure_one()
        return (
            self.env["mlml.connection.secret"]
            .sudo()
            .search([("company_id", "=", self.id)], limit=1)
        )

    def _mlml_cyclos_settings(self):
        """The settings of ``connect("cyclos", ...)``, or None while one that
        Cyclos needs is missing."""
        self.ensure_one()
        company = self.sudo()

        def text(value):
            return (value or "").strip() or None

        settings = {
            "url": text(company.mlml_clearing_house_url),
            "account_type": text(company.mlml_cyclos_account_type),
            "payment_type": text(company.mlml_cyclos_payment_type),
            "member_field": text(company.mlml_cyclos_member_field) or "accountNumber",
            "city_field": text(company.mlml_cyclos_city_field),
            "offers_field": text(company.mlml_cyclos_offers_field),
            "needs_field": text(company.mlml_cyclos_needs_field),
        }
        secret = company._mlml_secret()
        if company.mlml_cyclos_auth == "token":
            settings["token"] = text(secret.cyclos_token)
            credentials = settings["token"]
        else:
            settings["user"] = text(company.mlml_cyclos_user)
            settings["password"] = secret.cyclos_password or None
            credentials = settings["user"] and settings["password"]
        if not (credentials and settings["url"] and settings["account_type"]):
            return None
        return settings if settings["payment_type"] else None

    def _mlml_backend(self, **options):
        """The :class:`~..mlml_barter.backend.Backend` of the company's ledger, or
        None when the company is not connected (its MLML movements are booked by
        hand). The single place a backend is built."""
        self.ensure_one()
        if not self._mlml_connected():
            return None
        company = self.sudo()
        if company.mlml_backend == "cyclos":
            settings = company._mlml_cyclos_settings()
        else:
            settings = {
                "url": company.mlml_clearing_house_url.strip(),
                "key": company._mlml_secret().clearing_house_key.strip(),
            }
        return connect(
            company.mlml_backend,
            **settings,
            lang=(self.env.lang or self.env.user.lang or "en_US").split("_")[0],
            **options,
        )

    def _mlml_error_text(self, error):
        """What an accountant reads of a ledger's error, and what to do."""
        self.ensure_one()
        url = self.sudo().mlml_clearing_house_url or ""
        detail = error.detail or error.code
        if self.sudo().mlml_backend == "cyclos":
            cyclos_text = self._mlml_cyclos_error_text(error, url)
            if cyclos_text:
                return cyclos_text
        if error.code in ("not_a_clearing_house", "bad_answer"):
            return self.env._(
                "%(url)s answered, but not as a clearing house does (a web page, or "
                "something else): check the address in the settings; it is the clearing "
                "house's server, e.g. https://chambre.example.org.",
                url=url,
            )
        if isinstance(error, Refused):
            if error.status == 401:
                return self.env._(
                    "The clearing house refused the API key: it is wrong or was revoked. "
                    "Ask the clearing house for a new key and paste it in the settings."
                )
            if error.status == 403:
                return self.env._(
                    "The clearing house refused the company's key: %(detail)s Check with "
                    "the clearing house that the company is an active member.",
                    detail=detail,
                )
            return self.env._("The clearing house refused: %(detail)s", detail=detail)
        if error.code == "unreachable":
            return self.env._(
                "The clearing house at %(url)s did not answer: check the address in the "
                "settings, or try again later if the clearing house is down.",
                url=url,
            )
        if error.code == "too_many_requests":
            return self.env._(
                "The clearing house is busy and asked to wait: try again in a few minutes."
            )
        return self.env._(
            "The clearing house could not answer (%(detail)s): try again later; if it "
            "lasts, tell the clearing house.",
            detail=detail,
        )

    def _mlml_refusal_detail(self, error):
        """Why the ledger refused, as the user reads it: the clearing house words
        its refusals in the user's language; Cyclos' are worded here."""
        self.ensure_one()
        if (
            error.status in (401, 403)
            or error.code in ("not_a_clearing_house", "not_a_cyclos_server")
            or not error.detail
        ):
            return self._mlml_error_text(error)
        problem = error.problem
        if (
            self.sudo().mlml_backend == "cyclos"
            and error.code == "payer_below_credit_limit"
            and "missing" in problem
        ):
            currency = self.mlml_currency_id

            def fmt(amount):
                return formatLang(self.env, float(amount), currency_obj=currency)

            return self.env._(
                "Cyclos says the balance is not enough: balance %(balance)s, credit limit "
                "%(limit)s, so %(available)s may still be paid and %(missing)s is missing. "
                "Pay a smaller amount, or in euros, or ask the network for a larger credit "
                "line.",
                balance=fmt(problem["balance"]),
                limit=fmt(problem["credit_limit"]),
                available=fmt(problem["available"]),
                missing=fmt(problem["missing"]),
            )
        return error.detail

    def _mlml_cyclos_error_text(self, error, url):
        """What an accountant reads of Cyclos' errors that are not the clearing
        house's (None: the clearing house's text fits)."""
        if error.code in ("not_a_cyclos_server", "bad_answer"):
            return self.env._(
                "%(url)s answered, but not as a Cyclos server does: check the address in "
                "the settings; it is the network's Cyclos address, e.g. "
                "https://cyclos.example.org/mlml.",
                url=url,
            )
        if isinstance(error, Refused) and error.status == 401:
            return self.env._(
                "Cyclos refused the company's credentials: the access client token expired "
                "or was revoked, or the user's password changed. Ask the network for a new "
                "access client token (or the new password) and enter it in the settings."
            )
        if isinstance(error, Refused) and error.status == 403:
            return self.env._(
                "Cyclos does not allow this to the company's user: ask the network to check "
                "its permissions, and the account type and payment type in the settings."
            )
        if isinstance(error, Refused) and error.code in ("not_found", "member_unknown"):
            return self.env._(
                "Cyclos knows no such item (%(detail)s): check the account type and the "
                "payment type in the settings, and the member numbers.",
                detail=error.detail or error.code,
            )
        if error.code == "unreachable":
            return self.env._(
                "The Cyclos server at %(url)s did not answer: check the address in the "
                "settings, or try again later if it is down.",
                url=url,
            )
        return None

    def _mlml_test_connection(self):
        """What the clearing house says of the company's account: (ok, message)."""
        self.ensure_one()
        backend = self._mlml_backend(retries=0)
        if backend is None:
            if self.sudo().mlml_backend == "cyclos":
                return False, self.env._(
                    "Enter the Cyclos URL, the credentials (access client token, or user "
                    "and password), the account type and the payment type first."
                )
            return False, self.env._(
                "Enter the clearing house's URL and the company's API key first."
            )
        try:
            account = backend.account()
        except BackendError as error:
            return False, self._mlml_error_text(error)
        finally:
            backend.close()
        currency = self.mlml_currency_id

        def fmt(amount):
            return formatLang(self.env, float(amount), currency_obj=currency)

        if self.sudo().mlml_backend == "cyclos":
            return True, self.env._(
                "Connected to Cyclos: account %(number)s (%(name)s), balance %(balance)s, "
                "credit limit %(limit)s, available %(available)s.",
                number=account.member_number,
                name=account.name,
                balance=fmt(account.balance),
                limit=fmt(account.credit_limit),
                available=fmt(account.available),
            )
        return True, self.env._(
            "Connected to the clearing house: account %(number)s (%(name)s), balance "
            "%(balance)s, credit line %(limit)s, available %(available)s.",
            number=account.member_number,
            name=account.name,
            balance=fmt(account.balance),
            limit=fmt(account.credit_limit),
            available=fmt(account.available),
        )

    @api.model
    def _cron_mlml_synchronize(self):
        """Synchronise every connected company (each page in its own savepoint:
        what fails in one company is rolled back alone and said on its card)."""
        companies = self.sudo().search([("mlml_clearing_house_url", "!=", False)])
        companies.filtered(lambda c: c._mlml_connected()).mlml_synchronize()

    def mlml_synchronize(self):
        """Book what the clearing house moved since the last synchronisation.

        Each page of transfers is booked in one savepoint with the cursor after
        it: a failure rolls the page back and keeps the cursor, and the next
        synchronisation reads the page again. Then the books' balance is
        compared with the clearing house's. Return True when all went well.
        """
        done = True
        for company in self:
            done = company._mlml_synchronize_one() and done
        return done

    def _mlml_synchronize_one(self):
        self.ensure_one()
        company = self.sudo()
        backend = company._mlml_backend()
        if backend is None:
            return False
        booked = 0
        StLine = self.env["account.bank.statement.line"].sudo()
        try:
            while True:
                with self.env.cr.savepoint():
                    page = backend.transfers(after=company.mlml_sync_cursor or None)
                    booked += StLine._mlml_book_transfers(company, page.items)
                    company.mlml_sync_cursor = page.cursor
                if not page.has_more:
                    break
            self.env["mlml.member.request"]._synchronize(company, backend)
            company._mlml_compensation_step(backend)
            account = backend.account()
        except BackendError as error:
            return company._mlml_sync_done(False, company._mlml_error_text(error))
        except MlmlCompensationError as error:
            return company._mlml_sync_done(False, error.args[0])
        except (UserError, ValidationError) as error:
            return company._mlml_sync_done(
                False,
                self.env._(
                    "A transfer of the clearing house could not be booked: %(error)s",
                    error=error.args[0],
                ),
            )
        finally:
            backend.close()
        return company._mlml_compare_balance(account, booked)

    def _mlml_sync_done(self, ok, message, difference=0.0, ledger_balance=None):
        values = {
            "mlml_sync_date": fields.Datetime.now(),
            "mlml_sync_message": message,
            "mlml_sync_failed": not ok,
        }
        if ledger_balance is not None:
            values["mlml_ledger_balance"] = ledger_balance
            values["mlml_sync_difference"] = difference
        if not ok:
            _logger.info("MLML synchronisation of company %s: %s", self.id, message)
        self.write(values)
        return ok

    def _mlml_compare_balance(self, account, booked):
        """The books' balance and the clearing house's must agree: say it when not."""
        currency = self.mlml_currency_id
        self.env["mlml.balance"]._invalidate_figures(self)
        books = self.env["mlml.balance"]._balances(self).get(self, 0.0)
        ledger = float(account.balance)
        difference = currency.round(books - ledger)
        if currency.is_zero(difference):
            return self._mlml_sync_done(
                True,
                self.env._(
                    "%(count)s transfer(s) booked; the balance agrees with the clearing "
                    "house: %(balance)s.",
                    count=booked,
                    balance=formatLang(self.env, ledger, currency_obj=currency),
                ),
                ledger_balance=ledger,
            )
        message = self.env._(
            "The balance in the books (%(books)s) differs from the clearing house's "
            "(%(ledger)s) by %(difference)s: look for a payment waiting to be sent, or an "
            "MLML entry typed by hand, in the barter journal.",
            books=formatLang(self.env, books, currency_obj=currency),
            ledger=formatLang(self.env, ledger, currency_obj=currency),
            difference=formatLang(self.env, difference, currency_obj=currency),
        )
        if not currency.is_zero(difference - self.mlml_sync_difference) and self.mlml_journal_id:
            self.mlml_journal_id.message_post(body=Markup("<p>%s</p>") % message)
        self._mlml_sync_done(False, message, difference, ledger)
        return False

    def mlml_refresh_directory(self):
        """Bring the member directory up to date with the clearing house's.

        Members are matched by member number; a missing one is created as an
        active member company; offers and needs follow the clearing house. A
        change to what was typed here is logged on the member with the old
        and new values. Return (created, updated) partners.
        """
        self.ensure_one()
        backend = self._mlml_backend()
        if backend is None:
            raise UserError(
                self.env._(
                    "%(company)s is not connected to a clearing house: enter its URL and API "
                    "key in the settings first.",
                    company=self.name,
                )
            )
        try:
            members = backend.members()
        except BackendError as error:
            raise UserError(self._mlml_error_text(error)) from error
        finally:
            backend.close()
        Partner = self.env["res.partner"]
        numbers = [member.member_number for member in members]
        known = {
            partner.mlml_member_number: partner
            for partner in Partner.search(
                [("mlml_member_number", "in", numbers), ("is_company", "=", True)]
            )
        }
        created = updated = Partner
        today = fields.Date.context_today(self)
        for member in members:
            offers = self._mlml_activities(member.offers)
            needs = self._mlml_activities(member.needs)
            partner = known.get(member.member_number)
            if not partner:
                partner = Partner.create(
                    {
                        "name": member.name,
                        "is_company": True,
                        "city": member.city or False,
                        "mlml_member_state": "candidate",
                        "mlml_member_number": member.member_number,
                        "mlml_charter_date": today,
                        "mlml_offer_ids": [fields.Command.set(offers.ids)],
                        "mlml_need_ids": [fields.Command.set(needs.ids)],
                    }
                )
                partner.action_mlml_activate()
                partner.message_post(
                    body=self.env._(
                        "Recorded from the directory of the clearing house as an active "
                        "member; the charter date is the date of this refresh."
                    )
                )
                created |= partner
                continue
            changes = []
            values = {}
            if offers != partner.mlml_offer_ids:
                changes.append((self.env._("Offers"), partner.mlml_offer_ids, offers))
                values["mlml_offer_ids"] = [fields.Command.set(offers.ids)]
            if needs != partner.mlml_need_ids:
                changes.append((self.env._("Needs"), partner.mlml_need_ids, needs))
                values["mlml_need_ids"] = [fields.Command.set(needs.ids)]
            if member.city and member.city != (partner.city or ""):
                changes.append((self.env._("City"), partner.city or "", member.city))
                values["city"] = member.city
            if partner.mlml_member_state in ("candidate", "suspended") and (
                partner.mlml_charter_date
            ):
                states = dict(Partner._fields["mlml_member_state"]._description_selection(self.env))
                changes.append(
                    (self.env._("Membership"), states[partner.mlml_member_state], states["active"])
                )
                partner.action_mlml_activate()
            if not changes:
                continue
            partner.write(values)
            lines = Markup("").join(
                Markup("<li>%s: %s → %s</li>")
                % (
                    label,
                    ", ".join(old.mapped("name")) if isinstance(old, models.BaseModel) else old,
                    ", ".join(new.mapped("name")) if isinstance(new, models.BaseModel) else new,
                )
                for label, old, new in changes
            )
            partner.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (self.env._("Updated from the directory of the clearing house:"), lines)
            )
            updated |= partner
        return created, updated

    def _mlml_activities(self, names):
        Activity = self.env["mlml.activity"]
        names = [name.strip() for name in names if name and name.strip()]
        found = Activity.with_context(active_test=False).search([("name", "in", names)])
        missing = [name for name in dict.fromkeys(names) if name not in found.mapped("name")]
        if missing:
            found |= Activity.create([{"name": name} for name in missing])
        return found

    # ------------------------------------------------------------------
    # Member side: the multilateral compensation
    # ------------------------------------------------------------------

    def _mlml_ensure_compensation(self):
        """The clearing account and the journal of the set-off entries, created
        where missing: (account, journal)."""
        self.ensure_one()
        if not self.chart_template:
            raise UserError(
                self.env._(
                    "%(company)s has no chart of accounts yet: choose its fiscal localization "
                    "in the Invoicing settings before booking compensations.",
                    company=self.name,
                )
            )
        if not self.mlml_compensation_account_id:
            self.mlml_compensation_account_id = self.env["account.account"].create(
                self._mlml_prepare_compensation_account_vals()
            )
            account = self.mlml_compensation_account_id
            for lang, _name in self.env["res.lang"].get_installed():
                account.with_context(lang=lang).name = self.with_context(lang=lang).env._(
                    "Multilateral Compensation"
                )
        if not self.mlml_compensation_journal_id:
            self.mlml_compensation_journal_id = self.env["account.journal"].create(
                {
                    "name": self.env._("Compensation"),
                    "code": self._mlml_free_journal_code("COMP"),
                    "type": "general",
                    "company_id": self.id,
                }
            )
        return self.mlml_compensation_account_id, self.mlml_compensation_journal_id

    def _mlml_prepare_compensation_account_vals(self):
        """467100 on the French chart (other debtors and creditors), else a current
        asset account next to the chart's own."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        charts = self.env["account.chart.template"]._get_parent_template(self.chart_template)
        prefix = "4671" if "fr" in charts else ""
        current = Account.search(
            [*Account._check_company_domain(self), ("account_type", "=", "asset_current")],
            order="code",
            limit=1,
        )
        sample = current or Account.search(Account._check_company_domain(self), limit=1)
        digits = len(sample.code) if sample else 6
        if not prefix:
            prefix = (current.code or "")[: max(digits - 2, 1)]
        return {
            "name": self.env._("Multilateral Compensation"),
            "code": Account._search_new_account_code(prefix.ljust(digits, "0")),
            "account_type": "asset_current",
            "company_ids": [fields.Command.link(self.id)],
        }

    def _mlml_compensation_documents(self):
        """The posted invoices and bills of the company with other members that are
        still open, and the ones submitted before that no longer are."""
        self.ensure_one()
        Move = self.env["account.move"].sudo()
        open_documents = Move.search(
            [
                ("company_id", "=", self.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "in_invoice")),
                ("payment_state", "in", ("not_paid", "partial")),
                ("commercial_partner_id.mlml_member_state", "in", ("active", "suspended")),
                ("commercial_partner_id.mlml_member_number", "!=", False),
                ("commercial_partner_id", "!=", self.partner_id.id),
            ],
            order="invoice_date_due, id",
        )
        closed = Move.search(
            [
                ("company_id", "=", self.id),
                ("mlml_declared_amount", ">", 0),
                ("id", "not in", open_documents.ids),
            ]
        )
        return open_documents, closed

    def action_mlml_submit_compensation(self):
        """Book the confirmed runs, submit the company's open invoices and bills with
        other members to the compensation, and say what was done."""
        self.ensure_one()
        declared, refused = self._mlml_submit_compensation()
        lines = [
            self.env._(
                "%(count)s invoice(s) or bill(s) submitted to the compensation.",
                count=len(declared),
            )
        ]
        lines += [
            self.env._("%(move)s not submitted: %(reason)s", move=move.name, reason=reason)
            for move, reason in refused.items()
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if refused else "success",
                "sticky": bool(refused),
                "title": self.env._("Multilateral compensation"),
                "message": "\n".join(lines),
            },
        }

    def _mlml_submit_compensation(self):
        """Submit the company's open invoices and bills with other members to the
        compensation: (declared moves, {move: reason not submitted})."""
        self.ensure_one()
        backend = self._mlml_backend()
        if backend is None:
            raise UserError(
                self.env._(
                    "%(company)s is not connected to a clearing house: enter its URL and API "
                    "key in the settings first.",
                    company=self.name,
                )
            )
        try:
            self._mlml_book_compensations(backend)
            declared, refused = self._mlml_declare_obligations(backend)
            self._mlml_read_obligations(backend)
        except BackendError as error:
            raise UserError(self._mlml_error_text(error)) from error
        finally:
            backend.close()
        return declared, refused

    def _mlml_declare_obligations(self, backend):
        """Declare each open invoice and bill whose figures the clearing house does
        not have yet; return (declared moves, {move: reason refused})."""
        self.ensure_one()
        number = self.partner_id.mlml_member_number
        if not number:
            raise UserError(
                self.env._(
                    "%(company)s has no member number: enter it in the settings (block "
                    "%(network)s) before submitting invoices to the compensation.",
                    company=self.name,
                    network=self.mlml_network_name,
                )
            )
        currency = self.currency_id
        open_documents, closed = self._mlml_compensation_documents()
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        declared = self.env["account.move"]
        refused = {}
        for move in open_documents:
            amount = currency.round(abs(move.amount_residual_signed))
            due = move.invoice_date_due or move.invoice_date or move.date
            if (
                not currency.compare_amounts(amount, move.mlml_declared_amount)
                and due == move.mlml_declared_due
            ):
                continue
            partner_number = move.commercial_partner_id.mlml_member_number
            selling = move.move_type == "out_invoice"
            invoice = move.name if selling else (move.ref or "").strip()
            if not invoice:
                refused[move] = self.env._(
                    "Bill %(bill)s of %(partner)s has no supplier's invoice number: enter it "
                    "in its field Bill Reference, then submit it again.",
                    bill=move.name,
                    partner=move.commercial_partner_id.display_name,
                )
                continue
            try:
                obligation = backend.declare_obligation(
                    f"{uuid}:obligation:{move.id}:{cents(amount)}:{due.isoformat()}",
                    invoice,
                    number if selling else partner_number,
                    partner_number if selling else number,
                    Decimal(str(amount)),
                    currency.name,
                    due,
                )
            except Refused as refusal:
                refused[move] = refusal.detail or refusal.code
                continue
            before = move.mlml_declared_amount
            move.write(
                {
                    "mlml_declared_amount": amount,
                    "mlml_declared_due": due,
                    "mlml_declared_date": fields.Datetime.now(),
                    "mlml_obligation_ref": obligation.id,
                    "mlml_obligation_state": obligation.state,
                }
            )
            if before:
                text = self.env._(
                    "Submitted again to the multilateral compensation with what is left to "
                    "pay, %(amount)s due %(due)s (was %(before)s): the clearing house takes it "
                    "out of the runs not confirmed yet, until %(partner)s declares the same "
                    "figures.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    due=format_date(self.env, due),
                    before=formatLang(self.env, before, currency_obj=currency),
                    partner=move.commercial_partner_id.display_name,
                )
            else:
                text = self.env._(
                    "Submitted to the multilateral compensation: %(amount)s due %(due)s.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    due=format_date(self.env, due),
                )
            move.message_post(body=text)
            declared |= move
        for move in closed:
            move.message_post(
                body=self.env._(
                    "%(move)s was submitted to the multilateral compensation (%(amount)s) and "
                    "is no longer open: ask the clearing house to withdraw it from the "
                    "compensation, or a run may still set it off.",
                    move=move.name,
                    amount=formatLang(self.env, move.mlml_declared_amount, currency_obj=currency),
                )
            )
            move.mlml_declared_amount = 0.0
        for move, reason in refused.items():
            move.message_post(
                body=self.env._(
                    "Not submitted to the multilateral compensation: %(reason)s", reason=reason
                )
            )
        return declared, refused

    def _mlml_read_obligations(self, backend):
        """Follow the clearing house's feed of the company's obligations: the
        state of each invoice submitted, and why one was withdrawn."""
        self.ensure_one()
        company = self.sudo()
        Move = self.env["account.move"].sudo()
        while True:
            page = backend.obligations(after=company.mlml_obligation_cursor or None)
            for obligation in page.items:
                moves = Move.search(
                    [("company_id", "=", self.id), ("mlml_obligation_ref", "=", obligation.id)]
                )
                changed = moves.filtered(lambda m, o=obligation: m.mlml_obligation_state != o.state)
                for move in changed:
                    move.mlml_obligation_state = obligation.state
                    if obligation.state == "withdrawn":
                        move.message_post(
                            body=self.env._(
                                "Withdrawn from the multilateral compensation by the clearing "
                                "house: %(reason)s",
                                reason=obligation.withdrawal_reason or "",
                            )
                        )
            company.mlml_obligation_cursor = page.cursor
            if not page.has_more:
                return

    def _mlml_compensation_step(self, backend):
        """What the synchronisation does of the compensation: book the confirmed
        runs, submit the invoices when the setting says so, follow the obligations.
        A ledger that runs no compensation (Cyclos) is left alone."""
        self.ensure_one()
        try:
            booked = self._mlml_book_compensations(backend)
            if self.mlml_compensation_auto:
                self._mlml_declare_obligations(backend)
            self._mlml_read_obligations(backend)
        except Refused as refusal:
            if refusal.code == "compensation_not_offered":
                return 0
            raise
        return booked

    def _mlml_book_compensations(self, backend):
        """Book each confirmed run the company took part in, once: one set-off
        entry per run, in its own savepoint; the cursor moves on after a page
        booked whole. Return how many runs were booked."""
        self.ensure_one()
        company = self.sudo()
        booked = 0
        while True:
            page = backend.compensations(after=company.mlml_compensation_cursor or None)
            for run in page.items:
                try:
                    with self.env.cr.savepoint():
                        booked += bool(company._mlml_book_compensation(run))
                except (UserError, ValidationError) as error:
                    raise MlmlCompensationError(
                        self.env._(
                            "Compensation %(run)s could not be booked: %(error)s",
                            run=run.number,
                            error=error.args[0],
                        )
                    ) from error
            company.mlml_compensation_cursor = page.cursor
            if not page.has_more:
                return booked

    def _mlml_compensation_document(self, item):
        """The company's invoice or bill of a run's line (backend CompensatedInvoice)."""
        Move = self.env["account.move"].sudo()
        if item.obligation:
            move = Move.search(
                [("company_id", "=", self.id), ("mlml_obligation_ref", "=", item.obligation)],
                limit=1,
            )
            if move:
                return move
        selling = item.role == "creditor"
        return Move.search(
            [
                ("company_id", "=", self.id),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice" if selling else "in_invoice"),
                ("name" if selling else "ref", "=", item.invoice),
                (
                    "commercial_partner_id.mlml_member_number",
                    "=",
                    item.debtor if selling else item.creditor,
                ),
            ],
            limit=1,
        )

    def _mlml_book_compensation(self, run):
        """The set-off entry of a confirmed run (backend Compensation), or nothing
        when it is booked already: per invoice and bill cleared, a line on its
        receivable or payable reconciled with it (in part where the run cleared
        part of it), the balance on the clearing account."""
        self.ensure_one()
        Move = self.env["account.move"].sudo()
        if Move.search_count(
            [("company_id", "=", self.id), ("mlml_compensation_ref", "=", run.id)], limit=1
        ):
            return Move
        currency = self.currency_id
        if run.currency != currency.name:
            raise UserError(
                self.env._(
                    "The run sets off invoices in %(currency)s and the books of %(company)s are "
                    "kept in %(own)s: tell the clearing house.",
                    currency=run.currency,
                    company=self.name,
                    own=currency.name,
                )
            )
        clearing, journal = self._mlml_ensure_compensation()
        label = self.env._("Settled by multilateral compensation %(run)s", run=run.number)
        lines, documents = [], []
        for item in run.invoices:
            amount = float(item.amount_cleared)
            if currency.is_zero(amount):
                continue
            move = self._mlml_compensation_document(item)
            if not move:
                raise UserError(
                    self.env._(
                        "No posted %(kind)s %(invoice)s of member %(member)s is in the books: "
                        "it was set off for %(amount)s. Post it (the same number), then "
                        "synchronise again.",
                        kind=self.env._("invoice")
                        if item.role == "creditor"
                        else self.env._("bill"),
                        invoice=item.invoice,
                        member=item.debtor if item.role == "creditor" else item.creditor,
                        amount=formatLang(self.env, amount, currency_obj=currency),
                    )
                )
            terms = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            selling = item.role == "creditor"
            lines.append(
                fields.Command.create(
                    {
                        "name": f"{label} — {move.name}",
                        "account_id": terms[:1].account_id.id,
                        "partner_id": move.commercial_partner_id.id,
                        "debit": 0.0 if selling else amount,
                        "credit": amount if selling else 0.0,
                    }
                )
            )
            documents.append((move, amount))
        if not lines:
            return Move
        balance = currency.round(sum(cmd[2]["debit"] - cmd[2]["credit"] for cmd in lines))
        if not currency.is_zero(balance):
            lines.append(
                fields.Command.create(
                    {
                        "name": label,
                        "account_id": clearing.id,
                        "debit": -balance if balance < 0 else 0.0,
                        "credit": balance if balance > 0 else 0.0,
                    }
                )
            )
        confirmed = fields.Date.to_date((run.confirmed_at or "")[:10]) or run.cutoff_date
        entry = Move.create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "company_id": self.id,
                "date": max(confirmed, run.cutoff_date),
                "ref": label,
                "narration": label,
                "mlml_compensation_ref": run.id,
                "mlml_compensation_number": run.number,
                "line_ids": lines,
            }
        )
        entry.action_post()
        for index, (move, amount) in enumerate(documents):
            line = entry.line_ids.filtered(lambda aml, i=index: aml.name == lines[i][2]["name"])
            terms = move.line_ids.filtered(
                lambda aml: aml.display_type == "payment_term" and not aml.reconciled
            )
            open_before = abs(move.amount_residual_signed)
            if terms:
                (line | terms).reconcile()
            move.mlml_declared_amount = max(0.0, currency.round(move.mlml_declared_amount - amount))
            text = self.env._(
                "Settled by multilateral compensation %(run)s: %(amount)s set off (entry "
                "%(entry)s).",
                run=run.number,
                amount=formatLang(self.env, amount, currency_obj=currency),
                entry=entry.name,
            )
            if currency.compare_amounts(amount, open_before) > 0:
                text += " " + self.env._(
                    "Only %(open)s was still open: the rest, %(rest)s, is left with %(partner)s "
                    "on its account, to be refunded or used.",
                    open=formatLang(self.env, open_before, currency_obj=currency),
                    rest=formatLang(self.env, amount - open_before, currency_obj=currency),
                    partner=move.commercial_partner_id.display_name,
                )
            move.message_post(body=text)
        return entry
