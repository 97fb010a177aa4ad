import hashlib
import re
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

from ...mlml_barter import wire
from ...mlml_barter.amounts import RuleError
from ...mlml_barter.api_spec import MAX_BATCH, MAX_TEXT, PROBLEMS
from .mlml_guards import booking, check_ledger_manager
from .mlml_obligation import IN_NETWORK
from .mlml_transfer import MlmlRefusal

API_SCOPE = "mlml_api"
MAX_POSITION = 2**31 - 1


#: The keys this process verified: SHA-256 of the key -> the stored hash it matched.
_VERIFIED = {}
_VERIFIED_MAX = 10000
#: When this process last wrote a key's last use: mlml.api.key id -> time.monotonic().
_USED = {}
#: A key's last use is written at most this often, per process.
LAST_USED_EVERY = timedelta(minutes=5)


# What a request of the API reads of the clearing house's company and of members.
CALLER_COMPANY_FIELDS = [
    "name",
    "partner_id",
    "mlml_is_clearing_house",
    "mlml_currency_id",
    "mlml_limit_mode",
    "mlml_commission_percent",
    "mlml_repay_suspended",
]
MEMBER_FIELDS = ["name", "mlml_member_number", "mlml_member_state", "commercial_partner_id"]


class MlmlApi(models.AbstractModel):
    """What the clearing house's HTTP API does, for one member.

    The controllers read the request and call these methods; every refusal
    is an MlmlRefusal carrying its code, HTTP status and figures.
    """

    _name = "mlml.api"
    _description = "Clearing-House API"

    # ------------------------------------------------------------------
    # Keys
    # ------------------------------------------------------------------

    @api.model
    def _api_user_login(self, member):
        return f"mlml-api-{member.id}"

    @api.model
    def _portal_member(self, user):
        """The clearing house and the member a portal user works for, or two
        empty records: the user's company runs the clearing house and the
        user's company (its commercial partner) is a member with a number."""
        company = user.sudo().company_id
        member = user.sudo().partner_id.commercial_partner_id
        if (
            user._is_public()
            or not company.mlml_is_clearing_house
            or member.mlml_member_state == "none"
            or not member.mlml_member_number
            or user.login == self._api_user_login(member)
        ):
            return self.env["res.company"], self.env["res.partner"]
        return company, member

    @api.model
    def _portal_generate_key(self, user):
        """A new key of the API for the member of a portal user, noted on the
        member's chatter (who made it and its name, not the key)."""
        company, member = self._portal_member(user)
        if not member:
            raise AccessError(
                self.env._(
                    "Your account is not a contact of a member of this clearing house: ask the "
                    "clearing house for a key of the API."
                )
            )
        return self.sudo().with_company(company)._generate_key(member, portal=True)

    @api.model
    def _generate_key(self, partner, portal=False):
        """A new key of scope ``mlml_api`` for the member's API user (created or
        reactivated as needed), recorded (``mlml.api.key``) and noted on the
        member's chatter. The member's other keys stay as they are. MLML
        managers of the clearing house only (or a member's portal user, through
        ``_portal_generate_key``)."""
        partner.ensure_one()
        check_ledger_manager(
            self.env,
            self._mlml_text(
                self.env._(
                    "Only the clearing house's MLML managers give a member a key of the "
                    "clearing-house API."
                )
            ),
        )
        company = self.env["mlml.ledger.account"]._clearing_house()
        member = partner.commercial_partner_id
        if member.mlml_member_state == "none" or not member.mlml_member_number:
            raise UserError(
                self.env._(
                    "%(member)s is not a member of the network (no membership or no member "
                    "number): it gets a key of the API once it is a member.",
                    member=member.display_name,
                )
            )
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        login = self._api_user_login(member)
        user = Users.search([("login", "=", login)], limit=1)
        if not user:
            contact = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": self.env._("%(member)s (API)", member=member.name),
                        "parent_id": member.id,
                        "type": "other",
                    }
                )
            )
            user = Users.with_context(no_reset_password=True).create(
                {
                    "login": login,
                    "partner_id": contact.id,
                    "company_id": company.id,
                    "company_ids": [fields.Command.set(company.ids)],
                    "groups_id": [fields.Command.set(self.env.ref("base.group_portal").ids)],
                }
            )
        elif not user.active:
            # Its keys were revoked when it was archived: only the new one opens the API.
            user.active = True
        account = self.env["mlml.ledger.account"]._ensure(company, member)
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(
                API_SCOPE,
                self._mlml_text(
                    self.env._("MLML clearing house API (%(member)s)", member=member.name)
                ),
                None,
            )
        )
        self.env.cr.execute(
            "SELECT max(id) FROM res_users_apikeys WHERE user_id = %s AND index = %s",
            [user.id, key[:INDEX_SIZE]],
        )
        record = self.env["mlml.api.key"]._record(account, user, self.env.cr.fetchone()[0])
        if portal:
            note = self.env._(
                "%(user)s made a new key of the clearing-house API from the portal. Name of "
                "the key: %(key)s.",
                user=self.env.user.name,
                key=record.name,
            )
        else:
            note = self.env._(
                "%(user)s made a new key of the clearing-house API. Name of the key: %(key)s.",
                user=self.env.user.name,
                key=record.name,
            )
        member.sudo().message_post(body=note)
        return key

    @api.model
    def _authenticate(self, key):
        """The user of an API key of scope ``mlml_api`` (not a global key: a key
        opens one thing), with its company, the member it acts for (its
        partner's company) and its time zone; empty recordsets for no such key.

        A key opens the API only while its ``mlml.api.key`` is active: a key
        made otherwise, or revoked, is refused whatever its user's state."""
        none = (self.env["res.users"], self.env["res.company"], self.env["res.partner"], "UTC")
        if not key:
            return none
        self.env["mlml.api.key"].flush_model(["apikey_id", "state", "last_used"])
        self.env.cr.execute(
            """
            SELECT k.user_id, k.key, u.company_id, p.commercial_partner_id, p.tz, m.id, m.last_used
              FROM res_users_apikeys k
              JOIN mlml_api_key m ON m.apikey_id = k.id AND m.state = 'active'
              JOIN res_users u ON u.id = k.user_id
              JOIN res_partner p ON p.id = u.partner_id
             WHERE u.active AND k.index = %s AND k.scope = %s
               AND (k.expiration_date IS NULL OR k.expiration_date >= now() at time zone 'utc')
            """,
            [key[:INDEX_SIZE], API_SCOPE],
        )
        digest = hashlib.sha256(key.encode()).hexdigest()
        for user_id, hashed, company_id, member_id, tz, key_id, used in self.env.cr.fetchall():
            # A key verified before against this very hash is not hashed again
            # (PBKDF2 costs milliseconds a request): the row was read above, so a
            # revoked, expired or replaced key is refused all the same.
            if _VERIFIED.get(digest) == hashed or KEY_CRYPT_CONTEXT.verify(key, hashed):
                if len(_VERIFIED) >= _VERIFIED_MAX:
                    _VERIFIED.clear()
                _VERIFIED[digest] = hashed
                if not used or used < fields.Datetime.now() - LAST_USED_EVERY:
                    self._note_use(key_id)
                return (
                    self.env["res.users"].browse(user_id),
                    self.env["res.company"].browse(company_id),
                    self.env["res.partner"].browse(member_id),
                    tz or "UTC",
                )
        return none

    @api.model
    def _note_use(self, key_id):
        """Write when a key was last used: at most once every ``LAST_USED_EVERY``
        per key and process, in a transaction of its own that waits for
        nobody (a key's row another request is writing is skipped), so that a
        call neither writes nor waits for it most of the time."""
        now = time.monotonic()
        every = LAST_USED_EVERY.total_seconds()
        if now - _USED.get(key_id, -every) < every:
            return
        if len(_USED) >= _VERIFIED_MAX:
            _USED.clear()
        _USED[key_id] = now
        registry = self.env.registry
        with registry.cursor() as cr:
            if not registry.in_test_mode():
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cr.execute(
                """
                UPDATE mlml_api_key SET last_used = %s
                 WHERE id IN (SELECT id FROM mlml_api_key WHERE id = %s AND state = 'active'
                              FOR UPDATE SKIP LOCKED)
                """,
                [fields.Datetime.now(), key_id],
            )

    @api.model
    def _caller(self, company, member):
        """Check that a key's user acts for a member of a clearing house.

        Reads only what the API works with, not the whole of both records."""
        company.fetch(CALLER_COMPANY_FIELDS)
        member.fetch(MEMBER_FIELDS)
        if (
            not company.mlml_is_clearing_house
            or member.mlml_member_state == "none"
            or not member.mlml_member_number
        ):
            raise MlmlRefusal(
                self.env._("This key is not a member's key of this clearing house."),
                "not_a_member",
                403,
            )

    # ------------------------------------------------------------------
    # JSON
    # ------------------------------------------------------------------

    @api.model
    def _amount(self, value):
        return wire.format_amount(value or 0.0)

    @api.model
    def _account_json(self, company, member):
        account = self.env["mlml.ledger.account"]._ensure(company, member).with_company(company)
        ceiling = account.balance_ceiling
        return {
            "member_number": member.mlml_member_number,
            "name": member.name,
            "state": member.mlml_member_state,
            "currency": company.mlml_currency_id.name,
            "balance": self._amount(account.balance),
            "credit_limit": self._amount(account.credit_limit),
            "balance_ceiling": self._amount(ceiling) if ceiling else None,
            "available": self._amount(account.available),
            "room": self._amount(account.room) if ceiling else None,
        }

    @api.model
    def _members_json(self, company, q=None, offer=None, need=None):
        q, offer, need = wire.query_text(q), wire.query_text(offer), wire.query_text(need)
        domain = [
            ("mlml_member_state", "=", "active"),
            ("is_company", "=", True),
            ("mlml_member_number", "!=", False),
        ]
        if q:
            domain += ["|", ("name", "ilike", q), ("mlml_member_number", "=", q)]
        if offer:
            domain += [("mlml_offer_ids.name", "ilike", offer)]
        if need:
            domain += [("mlml_need_ids.name", "ilike", need)]
        members = self.env["res.partner"].sudo().search(domain, order="name, id", limit=2000)
        return {
            "items": [
                {
                    "member_number": member.mlml_member_number,
                    "name": member.name,
                    "city": member.city or "",
                    "offers": member.mlml_offer_ids.mapped("name"),
                    "needs": member.mlml_need_ids.mapped("name"),
                }
                for member in members
            ]
        }

    @api.model
    def _transfer_json(self, transfer, member):
        return {
            "id": transfer.id,
            "number": transfer.name,
            "payer": transfer.payer_id.mlml_member_number or "",
            "payee": transfer.payee_id.mlml_member_number or "",
            "amount": self._amount(transfer.amount),
            "reference": transfer.reference or "",
            "memo": transfer.memo or "",
            "date": transfer.date.isoformat(),
            "created_at": transfer.create_date.isoformat(timespec="seconds") + "Z",
            "direction": "out" if transfer.payer_id == member else "in",
            "channel": transfer.channel,
            "state": transfer.state,
            "reversal_of": transfer.reversal_of_id.name or None,
            "reversal_reason": (transfer.reversal_of_id and transfer.reversal_reason) or None,
            "idempotency_key": (transfer.payer_id == member and transfer.idempotency_key) or None,
        }

    @api.model
    def _request_json(self, request, member):
        return {
            "id": request.id,
            "payer": request.payer_id.mlml_member_number or "",
            "payee": request.payee_id.mlml_member_number or "",
            "amount": self._amount(request.amount),
            "reference": request.reference or "",
            "due_date": request.due_date.isoformat() if request.due_date else None,
            "state": request.state,
            "role": "payer" if request.payer_id == member else "payee",
            "refusal_reason": request.refusal_reason or None,
            "transfer": self._transfer_json(request.transfer_id, member)
            if request.transfer_id
            else None,
            "created_at": request.create_date.isoformat(timespec="seconds") + "Z",
        }

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    @api.model
    def _find_members(self, numbers):
        """The members of these numbers, by number, in one query (the first one per
        number, as ``_find_member`` finds it)."""
        found = {}
        partners = (
            self.env["res.partner"]
            .sudo()
            .search_fetch(
                [("mlml_member_number", "in", list(numbers)), ("is_company", "=", True)],
                MEMBER_FIELDS,
            )
        )
        for partner in partners:
            found.setdefault(partner.mlml_member_number, partner)
        return found

    @api.model
    def _find_member(self, number, field, known=None):
        """The member of ``number`` (looked up in ``known``, from ``_find_members``,
        when given), or a refusal naming ``field``."""
        if known is not None and number:
            member = known.get(number)
        else:
            member = (
                self.env["res.partner"]
                .sudo()
                .search_fetch(
                    [
                        ("mlml_member_number", "=", number),
                        ("is_company", "=", True),
                    ],
                    MEMBER_FIELDS,
                    limit=1,
                )
                if number
                else None
            )
        if not member or member.mlml_member_state == "none":
            raise MlmlRefusal(
                self.env._(
                    "No member has the number %(number)s: check the number in the members' "
                    "directory.",
                    number=number,
                ),
                "member_unknown",
                404,
                field=field,
            )
        return member

    @api.model
    def _create_transfer(self, company, member, body, key):
        """Book a transfer from the caller; return (transfer json, created)."""
        payee_number = wire.text_field(body, "payee", required=True, max_length=64)
        amount = wire.amount_field(body)
        reference = wire.text_field(body, "reference", max_length=MAX_TEXT["reference"])
        memo = wire.text_field(body, "memo", max_length=MAX_TEXT["memo"])
        fingerprint = wire.fingerprint(
            {"payee": payee_number, "amount": amount, "reference": reference, "memo": memo}
        )
        Transfer = self.env["mlml.transfer"].sudo()
        try:
            payee = self._find_member(payee_number, "payee")
        except MlmlRefusal:
            # A transfer made with this key before is answered again, even to a
            # member that has left since; the ledger looks the key up itself
            # (after locking the accounts) for the others.
            done = Transfer._find_by_key(company, member, key)
            if done:
                return self._replay(done, fingerprint, member), False
            raise
        transfer, booked = Transfer._book_once(
            member,
            payee,
            amount,
            reference=reference,
            memo=memo,
            channel="api",
            idempotency_key=key,
            fingerprint=fingerprint,
            company=company,
        )
        if not booked:
            # Made with this key before, or by a concurrent request meanwhile.
            return self._replay(transfer, fingerprint, member), False
        return self._transfer_json(transfer, member), True

    @api.model
    def _replay(self, transfer, fingerprint, member):
        if transfer.request_fingerprint != fingerprint:
            raise MlmlRefusal(
                self.env._(
                    "This Idempotency-Key was already used for another request (transfer "
                    "%(number)s): use a new key for a new transfer.",
                    number=transfer.name,
                ),
                "idempotency_conflict",
                409,
            )
        return self._transfer_json(transfer, member)

    @api.model
    def _list_transfers(self, company, member, after, limit):
        return self._page(
            "mlml.transfer",
            [
                ("company_id", "=", company.id),
                "|",
                ("payer_id", "=", member.id),
                ("payee_id", "=", member.id),
            ],
            "ledger_position",
            after,
            limit,
            lambda transfer: self._transfer_json(transfer, member),
        )

    @api.model
    def _page(self, model, domain, position_field, after, limit, to_json):
        """One page of the records of ``domain`` after the cursor ``after``, in the
        order of their ``position_field``: ``items`` (each ``to_json(record)``),
        the cursor ``next`` to go on from, and ``has_more``."""
        # Past the largest position the database holds, nothing is left to read.
        position = min(wire.decode_cursor(after), MAX_POSITION)
        limit = wire.check_limit(limit)
        records = (
            self.env[model]
            .sudo()
            .search(
                [(position_field, ">", position), *domain],
                order=position_field,
                limit=limit + 1,
            )
        )
        by_position = {record[position_field]: record for record in records}
        chosen, following, has_more = wire.page(list(by_position), position, limit)
        return {
            "items": [to_json(by_position[p]) for p in chosen],
            "next": following,
            "has_more": has_more,
        }

    @api.model
    def _create_request(self, company, member, body, key=None):
        """Ask the payer to pay the caller; return (request json, created).

        With an Idempotency-Key, the caller's account is locked first so that
        two requests with the same key are read one after the other, and the
        request made with that key before is answered again."""
        payer_number = wire.text_field(body, "payer", required=True, max_length=64)
        amount = wire.amount_field(body)
        reference = wire.text_field(body, "reference", max_length=MAX_TEXT["reference"])
        due_date = wire.date_field(body, "due_date")
        Request = booking(self.env["mlml.payment.request"])
        fingerprint = key and wire.fingerprint(
            {
                "payer": payer_number,
                "amount": amount,
                "reference": reference,
                "due": due_date.isoformat() if due_date else None,
            }
        )
        if key:
            self.env["mlml.ledger.account"]._lock(company, member)
            done = Request.search(
                [
                    ("company_id", "=", company.id),
                    ("payee_id", "=", member.id),
                    ("idempotency_key", "=", key),
                ],
                limit=1,
            )
            if done:
                if done.request_fingerprint != fingerprint:
                    raise MlmlRefusal(
                        self.env._(
                            "This Idempotency-Key was already used for another payment "
                            "request (%(request)s): use a new key for a new request.",
                            request=done.name,
                        ),
                        "idempotency_conflict",
                        409,
                    )
                return self._request_json(done, member), False
        payer = self._find_member(payer_number, "payer")
        request = Request.create(
            {
                "company_id": company.id,
                "payer_id": payer.id,
                "payee_id": member.id,
                "amount": float(amount),
                "reference": reference,
                "due_date": due_date,
                "idempotency_key": key or False,
                "request_fingerprint": fingerprint or False,
            }
        )
        return self._request_json(request, member), True

    @api.model
    def _list_requests(self, company, member, after, limit):
        return self._page(
            "mlml.payment.request",
            [
                ("company_id", "=", company.id),
                "|",
                ("payer_id", "=", member.id),
                ("payee_id", "=", member.id),
            ],
            "feed_position",
            after,
            limit,
            lambda request: self._request_json(request, member),
        )

    @api.model
    def _get_request(self, company, member, request_id, role):
        number = int(request_id) if re.fullmatch(r"[0-9]{1,10}", str(request_id)) else 0
        request = (
            self.env["mlml.payment.request"]
            .sudo()
            .search([("id", "=", number), ("company_id", "=", company.id)])
            if 0 < number <= 2147483647
            else self.env["mlml.payment.request"]
        )
        if not request or member not in (request.payer_id, request.payee_id):
            raise MlmlRefusal(
                self.env._(
                    "No payment request %(id)s among yours: check its number.", id=request_id
                ),
                "request_unknown",
                404,
            )
        if request[role] != member:
            raise MlmlRefusal(
                self.env._(
                    "Only the %(role)s of payment request %(id)s may do this.",
                    role=self.env._("payer") if role == "payer_id" else self.env._("payee"),
                    id=request_id,
                ),
                "not_allowed",
                403,
            )
        return request

    @api.model
    def _accept_request(self, company, member, request_id, key):
        request = self._get_request(company, member, request_id, "payer_id")
        fingerprint = wire.fingerprint({"accept": request.id})
        done = self.env["mlml.transfer"].sudo()._find_by_key(company, member, key)
        if done and done.request_fingerprint != fingerprint:
            self._replay(done, fingerprint, member)
        request.action_accept(channel="api", idempotency_key=key, fingerprint=fingerprint)
        return self._request_json(request, member)

    @api.model
    def _refuse_request(self, company, member, request_id, body):
        request = self._get_request(company, member, request_id, "payer_id")
        reason = wire.text_field(body, "reason", required=True, max_length=MAX_TEXT["reason"])
        request.action_refuse(reason)
        return self._request_json(request, member)

    @api.model
    def _cancel_request(self, company, member, request_id):
        request = self._get_request(company, member, request_id, "payee_id")
        request.action_cancel()
        return self._request_json(request, member)

    # ------------------------------------------------------------------
    # Compensation
    # ------------------------------------------------------------------

    @api.model
    def _declare_obligation(self, company, member, body, key=None, known=None, batch=None):
        """Declare an open invoice, as its creditor or its debtor; return (json, created).
        ``known``: the members by number, and ``batch`` (see ``mlml.obligation._declare``)
        for a declaration of a batch."""
        invoice = wire.text_field(body, "invoice", required=True, max_length=MAX_TEXT["invoice"])
        creditor_number = wire.text_field(body, "creditor", required=True, max_length=64)
        debtor_number = wire.text_field(body, "debtor", required=True, max_length=64)
        amount = wire.amount_field(body)
        currency = wire.text_field(body, "currency", max_length=3)
        due_date = wire.date_field(body, "due_date")
        if due_date is None:
            raise RuleError("field_missing", field="due_date")
        mlml_open = wire.part_field(body, "mlml_open")
        figures = {
            "invoice": invoice,
            "creditor": creditor_number,
            "debtor": debtor_number,
            "amount": amount,
            "currency": currency.upper(),
            "due": due_date.isoformat(),
        }
        if mlml_open is not None:
            figures["mlml_open"] = mlml_open
        fingerprint = key and wire.fingerprint(figures)
        obligation, created = (
            self.env["mlml.obligation"]
            .sudo()
            ._declare(
                company,
                member,
                {
                    "invoice": invoice,
                    "creditor": self._find_member(creditor_number, "creditor", known),
                    "debtor": self._find_member(debtor_number, "debtor", known),
                    "amount": amount,
                    "currency": currency,
                    "due_date": due_date,
                    "mlml_open": mlml_open,
                },
                key=key,
                fingerprint=fingerprint,
                batch=batch,
            )
        )
        return obligation._json(member), created

    @api.model
    def _declare_obligations(self, company, member, body):
        """Declare up to ``MAX_BATCH`` open invoices at once; return the results, one
        ``{"status", "body"}`` per declaration in the order sent, each what
        ``POST obligations`` answers for it. Each declaration is done or refused in
        a savepoint of its own; its ``idempotency_key`` (optional) is the single
        call's Idempotency-Key. The members named are read in one query and every
        account the batch touches is locked at once, in the ledger's order, so that
        two batches never wait for each other's accounts."""
        declarations = body.get("declarations")
        if not isinstance(declarations, list):
            raise MlmlRefusal(
                self.env._(
                    "The field “declarations” must be a list of at most %(max)s declarations "
                    "(JSON objects, each the body of POST obligations).",
                    max=MAX_BATCH,
                ),
                "batch_invalid",
                400,
                field="declarations",
            )
        if len(declarations) > MAX_BATCH:
            raise MlmlRefusal(
                self.env._(
                    "%(count)s declarations in one batch: send at most %(max)s per call, "
                    "the others in further calls.",
                    count=len(declarations),
                    max=MAX_BATCH,
                ),
                "batch_too_large",
                400,
                field="declarations",
            )
        numbers = {
            item.get(role)
            for item in declarations
            if isinstance(item, dict)
            for role in ("creditor", "debtor")
        }
        known = self._find_members(
            number.strip() for number in numbers if isinstance(number, str) and number.strip()
        )
        parties = self.env["res.partner"].union(member, *known.values())
        parties = parties.filtered(lambda partner: partner.mlml_member_state in IN_NETWORK)
        if parties:
            self.env["mlml.ledger.account"]._lock(company, parties)
        changed = []
        results = []
        for item in declarations:
            done = len(changed)
            try:
                with self.env.cr.savepoint():
                    if not isinstance(item, dict):
                        raise RuleError("body_not_object")
                    key = item.get("idempotency_key")
                    if key is not None and not isinstance(key, str):
                        raise RuleError("idempotency_key_invalid", max_length=wire.MAX_KEY_LENGTH)
                    key = wire.check_idempotency_key(key) if key is not None else None
                    data, created = self._declare_obligation(
                        company, member, item, key, known, changed
                    )
                results.append({"status": 201 if created else 200, "body": data})
            except (MlmlRefusal, RuleError, UserError, ValidationError, AccessError) as error:
                del changed[done:]
                refusal = self._as_refusal(error)
                results.append({"status": refusal.status, "body": self._problem(refusal)})
        # Each obligation changed comes once in the feed, in the order of its last change.
        last = list(dict.fromkeys(reversed(changed)))[::-1]
        self.env["mlml.obligation"].browse(last)._bump_feed()
        return {"results": results}

    @api.model
    def _list_obligations(self, company, member, after, limit):
        return self._page(
            "mlml.obligation",
            [
                ("company_id", "=", company.id),
                "|",
                ("creditor_id", "=", member.id),
                ("debtor_id", "=", member.id),
            ],
            "feed_position",
            after,
            limit,
            lambda obligation: obligation._json(member),
        )

    @api.model
    def _list_compensations(self, company, member, after, limit):
        return self._page(
            "mlml.compensation",
            [
                ("company_id", "=", company.id),
                ("state", "=", "confirmed"),
                ("member_ids.partner_id", "=", member.id),
            ],
            "feed_position",
            after,
            limit,
            lambda run: run._json(member),
        )

    # ------------------------------------------------------------------
    # Problems
    # ------------------------------------------------------------------

    @api.model
    def _problem_from_rule(self, error):
        """A refusal of the wire rules (malformed input), as the client reads it."""
        params = error.params
        field = wire.field_name(params.get("field", ""))
        parameter = params.get("parameter")
        messages = {
            "body_not_json": self.env._("The body is not JSON: send a JSON object."),
            "body_not_object": self.env._("The body must be a JSON object ({…})."),
            "body_too_large": self.env._(
                "The body is larger than %(max)s bytes: send less.",
                max=params.get("maximum", wire.MAX_BODY_BYTES),
            ),
            "body_duplicate_key": self.env._(
                "The body holds the key “%(field)s” twice in one object: send each key once.",
                field=field,
            ),
            "field_missing": self.env._("The field “%(field)s” is missing.", field=field),
            "field_wrong_type": self.env._("The field “%(field)s” must be a string.", field=field),
            "field_too_long": self.env._(
                "The parameter “%(field)s” is longer than %(max)s characters.",
                field=field,
                max=params.get("max_length"),
            )
            if parameter
            else self.env._(
                "The field “%(field)s” is longer than %(max)s characters.",
                field=field,
                max=params.get("max_length"),
            ),
            "field_invalid_character": self.env._(
                "The parameter “%(field)s” holds a control character: only tab and newline "
                "are allowed, remove the others.",
                field=field,
            )
            if parameter
            else self.env._(
                "The field “%(field)s” holds a control character: only tab and newline are "
                "allowed, remove the others.",
                field=field,
            ),
            # Only a body's text can be (a query's or a header's is read as Unicode).
            "field_not_unicode": self.env._(
                "The field “%(field)s” is not valid Unicode text (a lone surrogate such as "
                "\\ud800): send text that is.",
                field=field,
            ),
            "date_invalid": self.env._(
                "The field “%(field)s” must be a date written YYYY-MM-DD.", field=field
            ),
            "amount_not_a_string": self.env._(
                'The field “%(field)s” must be a decimal string such as "123.45", not a number.',
                field=field,
            ),
            "amount_not_positive": self.env._(
                "The field “%(field)s” must be more than zero.", field=field
            ),
            "amount_too_precise": self.env._(
                "The field “%(field)s” has more than two decimals: amounts are in cents.",
                field=field,
            ),
            "amount_not_a_number": self.env._(
                'The field “%(field)s” is not a decimal number such as "123.45".',
                field=field,
            ),
            "amount_too_large": self.env._(
                "The field “%(field)s” is above the largest amount one request may move "
                "(%(maximum)s).",
                field=field,
                maximum=wire.format_amount(params.get("maximum", wire.MAX_AMOUNT)),
            ),
            "idempotency_key_missing": self.env._(
                "This request needs an Idempotency-Key header: a unique value you send "
                "again if you retry it."
            ),
            "idempotency_key_invalid": self.env._(
                "The Idempotency-Key must be printable and at most %(max)s characters long.",
                max=params.get("max_length", wire.MAX_KEY_LENGTH),
            ),
            "cursor_invalid": self.env._(
                "The parameter “after” is not a cursor this API gave: pass the “next” of "
                "the previous page, or nothing to start."
            ),
            "limit_invalid": self.env._(
                "The parameter “limit” must be a whole number from 1 to %(max)s.",
                max=params.get("maximum", wire.MAX_LIMIT),
            ),
        }
        code = error.code if error.code in PROBLEMS else "parameter_invalid"
        detail = messages.get(error.code) or self.env._("The request is malformed.")
        figures = {"field": field} if field else {}
        if error.code.startswith("cursor") or error.code.startswith("limit"):
            figures = {"field": "after" if error.code.startswith("cursor") else "limit"}
        if error.code.startswith("idempotency"):
            figures = {"field": "Idempotency-Key"}
        return MlmlRefusal(detail, code, PROBLEMS.get(code, 400), **figures)

    @api.model
    def _problem_title(self, code):
        titles = {
            400: self.env._("Malformed request"),
            401: self.env._("Not authenticated"),
            403: self.env._("Not allowed"),
            404: self.env._("Not found"),
            409: self.env._("Conflict"),
            413: self.env._("Body too large"),
            422: self.env._("Bound breached"),
        }
        specific = {
            "payer_below_credit_limit": self.env._("Credit limit reached"),
            "payee_cannot_receive": self.env._("Payee cannot receive this amount"),
            "idempotency_conflict": self.env._("Idempotency-Key already used"),
            "payer_not_active": self.env._("Payer not active"),
            "payee_not_active": self.env._("Payee not active"),
            "member_unknown": self.env._("Unknown member"),
            "request_unknown": self.env._("Unknown payment request"),
            "request_not_open": self.env._("Payment request no longer open"),
            "not_a_party": self.env._("Not a party to this invoice"),
            "member_not_in_network": self.env._("Not a member of the network"),
            "currency_not_accepted": self.env._("Currency not accepted"),
            "obligation_to_oneself": self.env._("A member does not owe itself"),
            "obligation_cleared": self.env._("Invoice already cleared"),
            "batch_invalid": self.env._("Not a list of declarations"),
            "batch_too_large": self.env._("Too many declarations"),
        }
        return specific.get(code) or titles.get(PROBLEMS.get(code, 400))

    @api.model
    def _problem(self, refusal):
        """The RFC 9457 problem of a refusal, with its figures as amounts.

        Only the caller's own figures ever come out: a refusal because of another
        member (``payee_cannot_receive``) carries none of that member's."""
        code = refusal.code if refusal.code in PROBLEMS else "parameter_invalid"
        status = refusal.status
        problem = {
            "type": f"urn:mlml:problem:{code.replace('_', '-')}",
            "title": self._problem_title(code),
            "status": status,
            "detail": str(refusal.args[0]) if refusal.args else "",
            "code": code,
        }
        for name, value in refusal.figures.items():
            if name in ("balance", "amount", "commission", "credit_limit", "missing"):
                problem[name] = wire.format_amount(value)
            elif name == "field" and value:
                problem[name] = wire.field_name(value)
        return problem

    @api.model
    def _as_refusal(self, error):
        """Any refusal (a rule of the wire, of the ledger, of Odoo) as an MlmlRefusal."""
        if isinstance(error, MlmlRefusal):
            return error
        if isinstance(error, RuleError):
            return self._problem_from_rule(error)
        if isinstance(error, AccessError):
            return MlmlRefusal(str(error.args[0]), "not_allowed", 403)
        return MlmlRefusal(str(error.args[0]), "parameter_invalid", 400)
