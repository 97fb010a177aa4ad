"""The member side's connection to its network's ledger.

``mlml.connection`` owns, for a member company: the backend that reaches its
ledger (the clearing house's API or Cyclos), the connection test, the
synchronisation (transfers, payment requests, the compensation's step, the
balance comparison), the directory refresh, and the words an accountant reads
of a ledger's errors. ``res.company`` keeps the connection's settings (below)
and thin public methods that hand over to it.
"""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import formatLang

from ..mlml_barter.backend import BackendError, Refused
from ..mlml_barter.connect import connect
from .mlml_connection_secret import SECRET_FIELDS
from .mlml_set_off import MlmlCompensationError

_logger = logging.getLogger(__name__)

#: The mark of the add-on's own code writing what the ledger said of the
#: company's account (:meth:`MlmlConnection._store_account`): a Python object,
#: compared with ``is``, which no JSON-RPC context can carry.
_LEDGER_READ = object()

#: What only the ledger's answers write on a company: its account as the
#: clearing house keeps it, and the synchronisation's result.
LEDGER_ACCOUNT_FIELDS = frozenset(
    {
        "mlml_ledger_member_state",
        "mlml_ledger_member_number",
        "mlml_ledger_credit_limit",
        "mlml_ledger_balance_ceiling",
        "mlml_ledger_read_date",
        "mlml_ledger_balance",
        "mlml_sync_difference",
        "mlml_sync_differences",
        "mlml_sync_date",
        "mlml_sync_message",
        "mlml_sync_failed",
        "mlml_connection_message",
        "mlml_connection_ok",
        "mlml_connection_date",
    }
)


#: The ledger's refusals that are about the other member of a payment or a
#: request (suspended, unknown, above its ceiling), not about the company.
OTHER_MEMBER_REFUSALS = frozenset(
    {"payee_not_active", "payee_cannot_receive", "member_unknown", "not_a_party"}
)


def reading_ledger(env):
    """Is this the add-on's own code writing what the ledger said?"""
    return env.context.get("mlml_ledger_read") is _LEDGER_READ


def ledger_read(records):
    """``records`` in superuser mode, marked as writing what the ledger said."""
    return records.sudo().with_context(mlml_ledger_read=_LEDGER_READ)


class ResCompany(models.Model):
    _inherit = "res.company"

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
    # The company's account as the clearing house keeps it, read at every
    # connection test and synchronisation: the clearing house decides them.
    mlml_ledger_member_state = fields.Selection(
        selection=[
            ("candidate", "Candidate"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("resigned", "Resigned"),
        ],
        string="Membership at the Clearing House",
        readonly=True,
        copy=False,
        groups="mlml_barter.group_mlml_user",
    )
    mlml_ledger_member_number = fields.Char(
        string="Member Number at the Clearing House",
        readonly=True,
        copy=False,
        groups="mlml_barter.group_mlml_user",
    )
    mlml_ledger_credit_limit = fields.Monetary(
        string="Credit Limit at the Clearing House",
        currency_field="mlml_currency_id",
        readonly=True,
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="How far below zero the clearing house lets the company's balance go.",
    )
    mlml_ledger_balance_ceiling = fields.Monetary(
        string="Balance Ceiling at the Clearing House",
        currency_field="mlml_currency_id",
        readonly=True,
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="How far above zero the clearing house lets the company's balance go (0: no ceiling).",
    )
    mlml_ledger_read_date = fields.Datetime(
        string="Account Read On",
        readonly=True,
        copy=False,
        help="When the company's membership, credit line and balance were last read from "
        "the clearing house.",
    )
    mlml_connection_message = fields.Char(
        string="Connection Test Result", readonly=True, copy=False
    )
    mlml_connection_ok = fields.Boolean(string="Connection Test Passed", readonly=True, copy=False)
    mlml_connection_date = fields.Datetime(string="Connection Tested On", readonly=True, copy=False)
    mlml_sync_difference = fields.Monetary(
        string="Difference with the Clearing House",
        currency_field="mlml_currency_id",
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="The balance in the books minus the clearing house's, at the last "
        "synchronisation: 0 when they agree.",
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


class MlmlConnection(models.AbstractModel):
    """What a member company's Odoo does with its ledger (see the module)."""

    _name = "mlml.connection"
    _description = "Connection to the Network's Ledger"

    @api.model
    def _connected(self, company):
        """Is the company's MLML account kept at a ledger Odoo reaches?"""
        company.ensure_one()
        company = company.sudo()
        if company.mlml_backend == "cyclos":
            return bool(self._cyclos_settings(company))
        return bool(company.mlml_clearing_house_url and self._secret(company).clearing_house_key)

    @api.model
    def _secret(self, company):
        """The secrets the company signs in to its ledger with, in superuser
        mode (see mlml.connection.secret): for the code that builds its backend,
        and to tell whether one is saved; never handed to a user."""
        company.ensure_one()
        return (
            self.env["mlml.connection.secret"]
            .sudo()
            .search([("company_id", "=", company.id)], limit=1)
        )

    @api.model
    def _cyclos_settings(self, company):
        """The settings of ``connect("cyclos", ...)``, or None while one that
        Cyclos needs is missing."""
        company.ensure_one()
        company = company.sudo()

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
        secret = self._secret(company)
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

    @api.model
    def _backend(self, company, **options):
        """The :class:`~..mlml_barter.backend.Backend` of the company's ledger, or
        None when the company is not connected (its MLML movements are booked by
        hand). The single place a backend is built."""
        company.ensure_one()
        if not self._connected(company):
            return None
        company = company.sudo()
        if company.mlml_backend == "cyclos":
            settings = self._cyclos_settings(company)
        else:
            settings = {
                "url": company.mlml_clearing_house_url.strip(),
                "key": self._secret(company).clearing_house_key.strip(),
            }
        return connect(
            company.mlml_backend,
            **settings,
            lang=(self.env.lang or self.env.user.lang or "en_US").split("_")[0],
            **options,
        )

    @api.model
    def _required_backend(self, company):
        """The backend of the company's ledger; refused when the company is not connected."""
        backend = self._backend(company)
        if backend is None:
            raise UserError(
                self.env._(
                    "%(company)s is not connected to a clearing house: enter its URL and API "
                    "key in the settings first.",
                    company=company.name,
                )
            )
        return backend

    @api.model
    def _error_text(self, company, error):
        """What an accountant reads of a ledger's error, and what to do."""
        company.ensure_one()
        url = company.sudo().mlml_clearing_house_url or ""
        detail = error.detail or error.code
        if company.sudo().mlml_backend == "cyclos":
            cyclos_text = self._cyclos_error_text(company, error, url)
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
            if error.status == 403 and self._about_another_member(error):
                return self.env._("The clearing house refused: %(detail)s", detail=detail)
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

    @api.model
    def _refusal_detail(self, company, error):
        """Why the ledger refused, as the user reads it: the clearing house words
        its refusals in the user's language; Cyclos' are worded here."""
        company.ensure_one()
        if (
            (error.status in (401, 403) and not self._about_another_member(error))
            or error.code in ("not_a_clearing_house", "not_a_cyclos_server")
            or not error.detail
        ):
            return self._error_text(company, error)
        problem = error.problem
        if (
            company.sudo().mlml_backend == "cyclos"
            and error.code == "payer_below_credit_limit"
            and "missing" in problem
        ):
            currency = company.mlml_currency_id

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

    @api.model
    def _about_another_member(self, error):
        """Is the refusal about the other member (the payee, a member asked),
        not about the company or its key? Then the company's key is fine and
        its credit line has nothing to do with it."""
        return error.code in OTHER_MEMBER_REFUSALS

    @api.model
    def _cyclos_error_text(self, company, error, url):
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

    @api.model
    def _test_connection(self, company):
        """What the clearing house says of the company's account: (ok, message),
        kept on the company until the next test."""
        ok, message = self._test_account(company)
        ledger_read(company).write(
            {
                "mlml_connection_ok": ok,
                "mlml_connection_message": message,
                "mlml_connection_date": fields.Datetime.now(),
            }
        )
        return ok, message

    @api.model
    def _test_account(self, company):
        company.ensure_one()
        backend = self._backend(company, retries=0)
        if backend is None:
            if company.sudo().mlml_backend == "cyclos":
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
            return False, self._error_text(company, error)
        finally:
            backend.close()
        self._store_account(company, account)
        currency = company.mlml_currency_id

        def fmt(amount):
            return formatLang(self.env, float(amount), currency_obj=currency)

        if company.sudo().mlml_backend == "cyclos":
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
    def _synchronize(self, company):
        company.ensure_one()
        company = company.sudo()
        backend = self._backend(company)
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
            self.env["mlml.set.off"]._compensation_step(company, backend)
            account = backend.account()
            self._store_account(company, account)
        except BackendError as error:
            return self._sync_done(company, False, self._error_text(company, error))
        except MlmlCompensationError as error:
            return self._sync_done(company, False, error.args[0])
        except (UserError, ValidationError) as error:
            return self._sync_done(
                company,
                False,
                self.env._(
                    "A transfer of the clearing house could not be booked: %(error)s",
                    error=error.args[0],
                ),
            )
        finally:
            backend.close()
        return self._compare_balance(company, account, booked)

    @api.model
    def _sync_done(self, company, ok, message, difference=0.0, ledger_balance=None):
        values = {
            "mlml_sync_date": fields.Datetime.now(),
            "mlml_sync_message": message,
            "mlml_sync_failed": not ok,
        }
        if ledger_balance is not None:
            values["mlml_ledger_balance"] = ledger_balance
            values["mlml_sync_difference"] = difference
        if not ok:
            _logger.info("MLML synchronisation of company %s: %s", company.id, message)
        ledger_read(company).write(values)
        return ok

    @api.model
    def _store_account(self, company, account):
        """Keep what the ledger says of the company's account (read with ``GET
        account``): its membership and number, credit limit, ceiling and balance.

        The clearing house decides them: the company's credit line and bounds
        follow them from now on, and the company's own partner takes the
        membership state and number the clearing house gives, noted on it."""
        company.ensure_one()
        states = dict(company._fields["mlml_ledger_member_state"].selection)
        state = account.state if account.state in states else False
        ledger_read(company).write(
            {
                "mlml_ledger_member_state": state,
                "mlml_ledger_member_number": account.member_number or False,
                "mlml_ledger_credit_limit": float(account.credit_limit),
                "mlml_ledger_balance_ceiling": float(account.balance_ceiling or 0),
                "mlml_ledger_balance": float(account.balance),
                "mlml_ledger_read_date": fields.Datetime.now(),
            }
        )
        partner = ledger_read(company.partner_id)
        values = {}
        if (
            account.member_number
            and partner.mlml_member_number != account.member_number
            and not partner.search_count(
                [
                    ("mlml_member_number", "=", account.member_number),
                    ("commercial_partner_id", "!=", partner.id),
                ],
                limit=1,
            )
        ):
            # (A number another partner has here stays the other's: the directory
            # refresh shows which.)
            values["mlml_member_number"] = account.member_number
        if state and partner.mlml_member_state != state:
            values["mlml_member_state"] = state
            if not partner.mlml_join_date and state == "active":
                values["mlml_join_date"] = fields.Date.context_today(partner)
        if not values:
            return
        labels = dict(partner._fields["mlml_member_state"]._description_selection(self.env))
        partner.write(values)
        partner.message_post(
            body=Markup("<p>%s</p>")
            % self.env._(
                "Membership read from the clearing house: %(state)s, member number %(number)s.",
                state=labels.get(partner.mlml_member_state, partner.mlml_member_state),
                number=partner.mlml_member_number or "-",
            )
        )

    @api.model
    def _compare_balance(self, company, account, booked):
        """The books' balance and the clearing house's must agree: say it when not."""
        currency = company.mlml_currency_id
        self.env["mlml.balance"]._invalidate_figures(company)
        books = self.env["mlml.balance"]._balances(company).get(company, 0.0)
        ledger = float(account.balance)
        difference = currency.round(books - ledger)
        if currency.is_zero(difference):
            return self._sync_done(
                company,
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
        if (
            not currency.is_zero(difference - company.mlml_sync_difference)
            and company.mlml_journal_id
        ):
            company.mlml_journal_id.message_post(body=Markup("<p>%s</p>") % message)
        self._sync_done(company, False, message, difference, ledger)
        return False

    @api.model
    def _refresh_directory(self, company):
        """Bring the member directory up to date with the clearing house's.

        Members are matched by member number; a missing one is created as an
        active member company; offers and needs follow the clearing house. A
        change to what was typed here is logged on the member with the old
        and new values. An active member here with a number the directory no
        longer lists (suspended or gone at the clearing house, which would
        refuse its payments) is suspended here, said in its chatter; the
        company's own partner is left to its connection. Return the partners
        by what happened to them: ``created``, ``updated``, ``unchanged``,
        ``gone``.
        """
        company.ensure_one()
        backend = self._required_backend(company)
        try:
            members = backend.members()
        except BackendError as error:
            raise UserError(self._error_text(company, error)) from error
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
        created = updated = unchanged = Partner
        today = fields.Date.context_today(company)
        own_number = company.partner_id.mlml_member_number
        for member in members:
            if own_number and member.member_number == own_number:
                continue  # the company itself: its membership is read with its account
            offers = self._activities(company, member.offers)
            needs = self._activities(company, member.needs)
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
                unchanged |= partner
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
        gone = Partner.search(
            [
                ("mlml_member_number", "!=", False),
                ("mlml_member_number", "not in", numbers),
                ("is_company", "=", True),
                ("mlml_member_state", "=", "active"),
                ("id", "!=", company.partner_id.id),
            ]
        )
        gone._mlml_set_member_state("suspended")
        for partner in gone:
            partner.message_post(
                body=self.env._(
                    "No longer in the directory of the clearing house (suspended or gone "
                    "there, it refuses this member's payments): suspended here. A later "
                    "refresh makes it active again if the clearing house lists it."
                )
            )
        return {"created": created, "updated": updated, "unchanged": unchanged, "gone": gone}

    @api.model
    def _activities(self, company, names):
        Activity = self.env["mlml.activity"]
        names = [name.strip() for name in names if name and name.strip()]
        found = Activity.with_context(active_test=False).search([("name", "in", names)])
        missing = [name for name in dict.fromkeys(names) if name not in found.mapped("name")]
        if missing:
            found |= Activity.create([{"name": name} for name in missing])
        return found
