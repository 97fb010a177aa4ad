"""The backend of a network whose ledger is a Cyclos 4 server (API of Cyclos 4.16).

Many barter networks run Cyclos. ``CyclosBackend`` answers the questions of
:class:`~.backend.Backend` with Cyclos' REST API, through the same
:class:`~.transport.Transport` as the clearing house's client (session,
timeouts, retries, backoff). What Cyclos lacks, and what takes its place:

**No idempotency key.** A payment (and a payment request) carries its key at
the end of its description, as ``[mlml-key:<key>]``. Before paying, the
backend looks for a debit of the account with that key in the recent history
(``key_window_days``, by Cyclos' description search); before retrying a payment
whose attempt got no answer or a 5xx, it looks again, through every debit of
the last day (``RETRY_LOOK_BACK``: Cyclos' clock may differ from ours). What is
guaranteed: a key whose payment is visible in the
history is never paid again, whether the answer was lost inside one call or the
caller calls again with the same key. What is not: a first attempt Cyclos is
still processing when the look is made (longer than the read timeout plus the
backoff) is not seen, and the retry pays a second time; and a payment older
than ``key_window_days``, or whose description was edited in Cyclos, is not
found. Accepting, refusing and cancelling a payment request are retried only
after reading the request's state: a request already in the state asked is the
success of the earlier attempt.

**No cursor.** The history is read in date order (``orderBy=dateAsc``) from a
position the backend keeps in the opaque cursor it returns: the date of the
last transfer read and the ids of those read in the last ``overlap`` before it.
The next page asks from that date minus the overlap, without those ids
(``excludedIds``): a transfer made while paging comes later in date order and is
read once; one booked with a date a little earlier than the last one read (a
slow transaction in Cyclos) is still read, if it is within the overlap.

**Member numbers.** The network's member number is a user profile field
(``member_field``): ``accountNumber`` (default; Cyclos gives it everywhere),
``username``, or the internal name of a custom field. A payee is found by
``GET /users?profileFields=<field>:<number>``; counterparts of the history are
read from their account number or looked up by user id. The directory's city
is the address' city (or the custom field ``city_field``); offers and needs
are custom fields (``offers_field``, ``needs_field``) listing activities.

**Errors.** Cyclos answers a refused payment with a 500 and a ``PaymentError``:
it is a refusal, not retried. Codes of the clearing house's vocabulary where
one fits (``insufficientBalance`` → ``payer_below_credit_limit``,
``destinationUpperLimitReached`` → ``payee_cannot_receive``, a user not found →
``member_unknown``, 401 → ``unauthorized``…), ``payment_limit_exceeded`` for
Cyclos' daily/weekly/... limits, and Cyclos' own code in ``problem["cyclos_code"]``.
"""

import base64
import binascii
import dataclasses
import datetime
import json
import re

from . import wire
from .backend import (
    Account,
    Member,
    PaymentRequest,
    PaymentRequestPage,
    Refused,
    Transfer,
    TransferPage,
    Unanswered,
)
from .transport import RETRY_STATUSES, HttpBackend, Transport, parse_decimal

_MARKER = re.compile(r"\[mlml-key:(.+)\]$")
_LIST_SPLIT = re.compile(r"[|,;\n]")

#: Cyclos' states of a payment request, in the backend's words.
REQUEST_STATES = {
    "open": "open",
    "processed": "accepted",
    "scheduled": "accepted",
    "denied": "refused",
    "canceled": "cancelled",
    "expired": "cancelled",
}

#: Cyclos' payment errors and the clearing house's codes for them.
PAYMENT_ERRORS = {
    "insufficientBalance": "payer_below_credit_limit",
    "destinationUpperLimitReached": "payee_cannot_receive",
}

_PAYMENT_ERROR_TEXT = {
    "insufficientBalance": "the payer's balance is not enough (credit limit reached)",
    "destinationUpperLimitReached": "the payee's balance would go above its ceiling",
    "dailyAmountExceeded": "the amount allowed per day is exceeded",
    "weeklyAmountExceeded": "the amount allowed per week is exceeded",
    "monthlyAmountExceeded": "the amount allowed per month is exceeded",
    "yearlyAmountExceeded": "the amount allowed per year is exceeded",
    "paymentAmountExceeded": "the amount allowed per payment is exceeded",
    "dailyPaymentsExceeded": "the number of payments allowed per day is reached",
    "weeklyPaymentsExceeded": "the number of payments allowed per week is reached",
    "monthlyPaymentsExceeded": "the number of payments allowed per month is reached",
    "timeBetweenPaymentsNotMet": "the time required between two payments has not passed",
}

#: How far back the look before a retry reads every debit: the first attempt was
#: made seconds ago, but Cyclos' clock may differ from ours.
RETRY_LOOK_BACK = datetime.timedelta(days=1)

#: How many pages one look or one read goes through at most.
MAX_PAGES = 20


def describe(reference, memo, key):
    """The description of a Cyclos payment: the reference, the memo, and the key last."""
    return "\n".join(part for part in (reference, memo, f"[mlml-key:{key}]" if key else "") if part)


def read_description(text):
    """(reference, memo, key) of a description written by ``describe`` (or by
    anyone: then the first line is the reference, the rest the memo, no key)."""
    lines = (text or "").strip().split("\n")
    key = None
    found = _MARKER.match(lines[-1].strip()) if lines else None
    if found:
        key = found.group(1)
        lines = lines[:-1]
    return (lines[0].strip() if lines else ""), "\n".join(lines[1:]).strip(), key


def _when(value):
    """A Cyclos date-time as an aware datetime (UTC when it has no offset)."""
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a date-time")
    moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")


@dataclasses.dataclass(frozen=True)
class _Position:
    """Where a reader of a Cyclos list stands: the date of the last item read, the
    ids read since ``overlap`` before it (with their dates), and, for payment
    requests, the open ones (whose state is read again)."""

    last: datetime.datetime | None = None
    seen: dict = dataclasses.field(default_factory=dict)
    open: dict = dataclasses.field(default_factory=dict)

    def encode(self):
        if self.last is None and not self.open:
            return ""
        state = {"t": _iso(self.last) if self.last else None, "ids": self.seen, "open": self.open}
        text = json.dumps(state, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor):
        if not cursor:
            return cls()
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            state = json.loads(text)
            return cls(
                last=_when(state["t"]) if state["t"] else None,
                seen={str(k): str(v) for k, v in state["ids"].items()},
                open={str(k): str(v) for k, v in state["open"].items()},
            )
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as error:
            raise Refused(
                "cursor_invalid",
                "This position in the Cyclos history is not one this backend gave: read "
                "from the start (no cursor) or from the last cursor it returned.",
            ) from error


class CyclosBackend(HttpBackend):
    """The ledger of a network run on Cyclos 4 (see the module's documentation).

    ``url``: the address of the network's API (``https://cyclos.example.org/mlml``,
    ``/api`` is added); ``token``: an access client token (header
    ``Access-Client-Token``), or ``user`` and ``password`` (basic
    authentication); ``account_type`` and ``payment_type``: the internal names
    (or ids) of the barter account type and of the payment type between members;
    ``owner``: ``self`` (the authenticated user) or another user's identifier;
    ``member_number``: the member's own number, when Cyclos cannot tell it.
    """

    service = "Cyclos server"

    def __init__(
        self,
        url,
        *,
        account_type,
        payment_type,
        token=None,
        user=None,
        password=None,
        owner="self",
        member_field="accountNumber",
        member_number=None,
        city_field=None,
        offers_field=None,
        needs_field=None,
        currency="",
        lang="fr",
        key_window_days=30,
        overlap=datetime.timedelta(minutes=5),
        timeout=(3.05, 30),
        retries=4,
        backoff=0.5,
        max_retry_after=30.0,
        session=None,
        sleep=None,
    ):
        if not token and not (user and password):
            raise ValueError(
                "Cyclos: an access client token, or a user and a password, is required"
            )
        base = url.rstrip("/")
        if not base.endswith("/api"):
            base += "/api"
        self.account_type = account_type
        self.payment_type = payment_type
        self.owner = owner
        self.member_field = member_field
        self.city_field = city_field
        self.offers_field = offers_field
        self.needs_field = needs_field
        self.currency = currency
        self.key_window = datetime.timedelta(days=key_window_days)
        self.overlap = overlap
        #: Member numbers by Cyclos user id, and user ids by member number.
        self._numbers = {}
        self._users = {}
        self._me = {"number": member_number} if member_number else {}
        self._transport = Transport(
            base,
            service=self.service,
            refusal=self._refusal,
            retryable=self._retryable,
            headers={"Accept-Language": lang, **({"Access-Client-Token": token} if token else {})},
            auth=None if token else (user, password),
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            session=session,
            **({"sleep": sleep} if sleep else {}),
        )

    def __repr__(self):
        return f"<{type(self).__name__} {self._transport.base_url} {self.owner}>"

    # ------------------------------------------------------------------
    # Account and directory
    # ------------------------------------------------------------------

    def account(self):
        body = self._get(self._account_path())
        return self._read(self._account, body)

    def members(self, q=None):
        members = []
        for user in self._pages("users", {"keywords": q or None}):
            member = self._read(self._member, user)
            if member.member_number:
                members.append(member)
        return members

    # ------------------------------------------------------------------
    # Transfers
    # ------------------------------------------------------------------

    def transfers(self, after=None, limit=None):
        limit = wire.check_limit(limit)
        position = _Position.decode(after)
        items, has_more, position = self._scan(
            f"{self._account_path()}/history", {}, position, limit
        )
        self._learn_numbers(item.get("relatedAccount") for item in items)
        transfers = tuple(self._read(self._history_transfer, item) for item in items)
        return TransferPage(items=transfers, cursor=position.encode(), has_more=has_more)

    def pay(self, key, payee, amount, reference="", memo=""):
        key = wire.check_idempotency_key(key)
        found = self._find_payment(key)
        if found:
            return found
        started = datetime.datetime.now(datetime.timezone.utc)
        body = {
            "amount": wire.format_amount(amount),
            "subject": self._user_id(payee),
            "type": self.payment_type,
            "description": describe(reference, memo, key),
        }
        try:
            result = self._transport.send(
                "POST",
                f"{self.owner}/payments",
                json_body=body,
                before_retry=lambda: self._find_payment(key, since=started - RETRY_LOOK_BACK),
            )
        except Refused as refusal:
            if refusal.code == "payer_below_credit_limit":
                raise self._with_figures(refusal, amount) from refusal
            raise
        if isinstance(result, Transfer):
            return result
        return self._read(lambda b: self._made_transfer(b, payee, key), result.body)

    def _with_figures(self, refusal, amount):
        """Cyclos says "insufficient balance" without figures: the account tells
        them (balance, credit limit, what is missing), as the clearing house does."""
        try:
            account = self.account()
        except (Refused, Unanswered):
            return refusal
        amount = parse_decimal(wire.format_amount(amount))
        missing = max(amount - account.available, parse_decimal("0.01"))
        figures = {
            "balance": account.balance,
            "credit_limit": account.credit_limit,
            "amount": amount,
            "available": account.available,
            "missing": missing,
        }
        return Refused(
            refusal.code,
            f"{refusal.detail} Balance {account.balance}, credit limit {account.credit_limit}: "
            f"{account.available} may still be paid, {missing} is missing for {amount}.",
            status=refusal.status,
            problem={**refusal.problem, **figures},
        )

    def _find_payment(self, key, since=None):
        """The debit of the account made with ``key``, or None.

        Without ``since`` (before a first attempt): through Cyclos' description
        search in the last ``key_window_days``. With it (before a retry): every
        debit since then (a day before the first attempt, whatever the clocks
        say), so that no quirk of the search can hide the first attempt.
        """
        params = {"direction": "debit"}
        if since is None:
            params["description"] = key
            since = datetime.datetime.now(datetime.timezone.utc) - self.key_window
        params["datePeriod"] = _iso(since)
        for item in self._pages(f"{self._account_path()}/history", params):
            if read_description(item.get("description"))[2] == key:
                self._learn_numbers([item.get("relatedAccount")])
                return self._read(self._history_transfer, item)
        return None

    # ------------------------------------------------------------------
    # Payment requests
    # ------------------------------------------------------------------

    def payment_requests(self, after=None, limit=None):
        """The payment requests made or received after ``after``.

        A change feed, as the clearing house's: the cursor remembers the
        requests read while open; each call reads their state again and gives
        those that changed (accepted, refused, cancelled) before the new ones.
        The latest one read wins.
        """
        limit = wire.check_limit(limit)
        position = _Position.decode(after)
        changed = []
        still_open = {}
        for request_id, date in position.open.items():
            request = self._view_request(request_id, missing_ok=True)
            if request is not None and request.state == "open":
                still_open[request_id] = date
            elif request is not None:
                changed.append(request)
        items, has_more, position = self._scan(
            f"{self.owner}/transactions", {"kinds": "paymentRequest"}, position, limit
        )
        self._learn_numbers(item.get("related") for item in items)
        new = [self._read(self._listed_request, item) for item in items]
        for item, request in zip(items, new, strict=True):
            if request.state == "open":
                still_open[request.id] = item["date"]
        position = dataclasses.replace(position, open=still_open)
        return PaymentRequestPage(
            items=tuple(changed + new), cursor=position.encode(), has_more=has_more
        )

    def request_payment(self, key, payer, amount, reference="", due_date=None):
        key = wire.check_idempotency_key(key)
        found = self._find_request(key)
        if found:
            return found
        started = datetime.datetime.now(datetime.timezone.utc)
        body = {
            "amount": wire.format_amount(amount),
            "subject": self._user_id(payer),
            "type": self.payment_type,
            "description": describe(reference, "", key),
        }
        if due_date:
            body["expirationDate"] = f"{due_date.isoformat()}T23:59:59.000Z"
        result = self._transport.send(
            "POST",
            f"{self.owner}/payment-requests",
            json_body=body,
            before_retry=lambda: self._find_request(key, since=started - RETRY_LOOK_BACK),
        )
        if isinstance(result, PaymentRequest):
            return result

        def made(body):
            return PaymentRequest(
                id=self._text(body["id"]),
                payer=payer,
                payee=self._own_number(),
                amount=parse_decimal(body["amount"]).copy_abs(),
                reference=reference or "",
                due_date=due_date,
                state="open",
                role="payee",
            )

        return self._read(made, result.body)

    def _find_request(self, key, since=None):
        """The payment request the member made with ``key``, or None (Cyclos'
        transaction search has no description filter: the recent requests are
        read)."""
        since = since or datetime.datetime.now(datetime.timezone.utc) - self.key_window
        params = {"kinds": "paymentRequest", "direction": "credit", "datePeriod": _iso(since)}
        for item in self._pages(f"{self.owner}/transactions", params):
            if read_description(item.get("description"))[2] == key:
                self._learn_numbers([item.get("related")])
                return self._read(self._listed_request, item)
        return None

    def accept_request(self, request_id, key):
        """Pay the request. Cyclos knows no key: a request already accepted is
        answered as it is (accepting again pays nothing more), and a retry
        after a lost answer first reads the request's state."""
        wire.check_idempotency_key(key)
        request = self._view_request(request_id)
        if request.state == "accepted":
            return request
        result = self._transport.send(
            "POST",
            f"payment-requests/{self._id(request_id)}/accept",
            json_body={"comments": describe("", "", key)},
            before_retry=lambda: self._in_state(request_id, "accepted"),
        )
        if isinstance(result, PaymentRequest):
            return result
        transfer = None
        if result.body:
            transfer = self._read(lambda b: self._made_transfer(b, request.payee, key), result.body)
        return dataclasses.replace(request, state="accepted", transfer=transfer)

    def refuse_request(self, request_id, reason):
        return self._close_request(request_id, "reject", "refused", reason)

    def cancel_request(self, request_id):
        return self._close_request(request_id, "cancel", "cancelled", None)

    # ------------------------------------------------------------------
    # Multilateral compensation: Cyclos runs none
    # ------------------------------------------------------------------

    def _no_compensation(self):
        return Refused(
            "compensation_not_offered",
            "This network does not run multilateral compensation: its ledger is Cyclos, "
            "which has none. Pay the invoices and bills between members as usual.",
        )

    def declare_obligation(
        self, key, invoice, creditor, debtor, amount, currency, due_date, mlml_open=None
    ):
        raise self._no_compensation()

    def obligations(self, after=None, limit=None):
        raise self._no_compensation()

    def compensations(self, after=None, limit=None):
        raise self._no_compensation()

    def _close_request(self, request_id, action, state, comment):
        """Reject or cancel (204, nothing returned): retried after reading the
        state (a request already so is the earlier attempt's success); the
        request is read again to answer it."""
        result = self._transport.send(
            "POST",
            f"payment-requests/{self._id(request_id)}/{action}",
            data=comment.encode() if comment else None,
            headers={"Content-Type": "text/plain; charset=utf-8"} if comment else None,
            before_retry=lambda: self._in_state(request_id, state),
        )
        if isinstance(result, PaymentRequest):
            return result
        return self._view_request(request_id)

    def _in_state(self, request_id, state):
        request = self._view_request(request_id, missing_ok=True)
        return request if request is not None and request.state == state else None

    def _view_request(self, request_id, missing_ok=False):
        try:
            body = self._get(f"transactions/{self._id(request_id)}")
        except Refused as refusal:
            if missing_ok and refusal.status == 404:
                return None
            raise
        self._learn_numbers([body.get("from"), body.get("to")] if isinstance(body, dict) else [])
        return self._read(lambda b: self._viewed_request(b, request_id), body)

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------

    def _account_path(self):
        return f"{self.owner}/accounts/{self.account_type}"

    def _pages(self, path, params, page_size=100):
        """Every item of a Cyclos search, page by page (at most MAX_PAGES)."""
        for page in range(MAX_PAGES):
            query = {**params, "page": page, "pageSize": page_size, "skipTotalCount": "true"}
            answer = self._transport.send(
                "GET", path, params={k: v for k, v in query.items() if v is not None}
            )
            items = answer.body or []
            if not isinstance(items, list):
                raise self._transport.bad_answer(answer)
            yield from items
            if not self._has_next(answer, items, page_size):
                return

    @staticmethod
    def _has_next(answer, items, page_size):
        flag = {k.lower(): v for k, v in answer.headers.items()}.get("x-has-next-page")
        if flag is not None:
            return flag.strip().lower() == "true"
        return len(items) >= page_size

    def _scan(self, path, params, position, limit):
        """The next ``limit`` items of a Cyclos list in date order after ``position``.

        Cyclos pages by offset; the backend asks from the last date read
        (minus the overlap) without the ids already read, and goes through the
        pages of that one question, so that the offsets it uses never move
        under it: items made meanwhile come after, in date order.
        """
        since = position.last - self.overlap if position.last else None
        query = {**params, "orderBy": "dateAsc"}
        if since is not None:
            query["datePeriod"] = _iso(since)
            query["excludedIds"] = sorted(position.seen) or None
        taken = []
        has_more = False
        for item in self._pages(path, query, page_size=limit + 1):
            moment = self._read(lambda i: _when(i["date"]), item)
            if str(item.get("id")) in position.seen or (since is not None and moment < since):
                continue  # Cyclos ignored a filter: this one was read already
            if len(taken) == limit:
                has_more = True
                break
            taken.append((moment, item))
        if not taken:
            return [], has_more, position
        last = max(position.last, taken[-1][0]) if position.last else taken[-1][0]
        seen = {**position.seen, **{str(item["id"]): _iso(moment) for moment, item in taken}}
        keep_from = last - self.overlap
        seen = {key: date for key, date in seen.items() if _when(date) >= keep_from}
        return (
            [item for _moment, item in taken],
            has_more,
            dataclasses.replace(position, last=last, seen=seen),
        )

    @staticmethod
    def _id(value):
        text = str(value)
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
            raise ValueError(f"{value!r} is not a Cyclos identifier")
        return text

    # ------------------------------------------------------------------
    # Errors
    # ------------------------------------------------------------------

    @staticmethod
    def _retryable(answer):
        """Cyclos answers a refused payment with a 500: that one is final."""
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 500 and body.get("kind") == "payment":
            return body.get("code") in (None, "unexpected")
        return answer.status in RETRY_STATUSES

    def _refusal(self, answer):
        """The Refused (or Unanswered) of a Cyclos error, in the clearing house's
        vocabulary where one fits, with Cyclos' own code in the problem."""
        body = answer.body
        status = answer.status
        if not isinstance(body, dict):
            return Refused(
                "not_a_cyclos_server",
                f"{self._transport.base_url} answered HTTP {status} without a Cyclos error: "
                "check the address of the Cyclos API in the settings.",
                status=status,
            )
        cyclos_code = body.get("code") or body.get("entityType") or body.get("exceptionType")
        problem = {"cyclos_code": cyclos_code, **{k: v for k, v in body.items() if k != "code"}}
        if status == 401:
            return Refused(
                "unauthorized",
                f"Cyclos refused the credentials ({cyclos_code or 'no code'}): the access client "
                "token may have expired or been revoked, or the user and password changed. "
                "Activate a new access client in Cyclos and enter its token in the settings.",
                status=status,
                problem=problem,
            )
        if status == 403:
            return Refused(
                "not_allowed",
                f"Cyclos does not allow this to the configured user ({cyclos_code or 'no code'}): "
                "check its permissions and the account and payment types in Cyclos.",
                status=status,
                problem=problem,
            )
        if status == 404:
            entity = str(body.get("entityType") or "")
            code = "member_unknown" if "user" in entity.lower() else "not_found"
            if re.search(r"transaction|request|transfer", entity, re.IGNORECASE):
                code = "request_unknown"
            what = " ".join(filter(None, [entity or "such item", str(body.get("key") or "")]))
            return Refused(
                code,
                f"Cyclos knows no {what}: check the number, and the account and payment "
                "types in the settings.",
                status=status,
                problem=problem,
            )
        if status == 422:
            return Refused(
                "parameter_invalid",
                "Cyclos refused the data: " + self._input_errors(body),
                status=status,
                problem={**problem, "field": next(iter(body.get("propertyErrors") or {}), "")},
            )
        if body.get("kind") == "payment" and body.get("code"):
            return self._payment_refusal(body, status, problem)
        if status == 409:
            return Refused(
                "conflict",
                "The item changed in Cyclos meanwhile: read it again and retry.",
                status=status,
                problem=problem,
            )
        if status >= 405:
            return Unanswered(
                "server_error",
                f"Cyclos could not do it (HTTP {status}, {cyclos_code or 'no code'}"
                f"{': ' + body['exceptionMessage'] if body.get('exceptionMessage') else ''}): "
                "try again later.",
                status=status,
                problem=problem,
            )
        return Refused(
            "parameter_invalid",
            f"Cyclos refused the request (HTTP {status}, {cyclos_code or 'no code'}).",
            status=status,
            problem=problem,
        )

    @staticmethod
    def _payment_refusal(body, status, problem):
        cyclos_code = body["code"]
        code = PAYMENT_ERRORS.get(cyclos_code, "payment_limit_exceeded")
        text = _PAYMENT_ERROR_TEXT.get(cyclos_code, f"Cyclos refused it ({cyclos_code})")
        detail = f"Payment refused by Cyclos: {text}."
        if body.get("maxAmount"):
            try:
                problem["max_amount"] = parse_decimal(body["maxAmount"], "maxAmount")
            except ValueError:
                problem["max_amount"] = body["maxAmount"]
            detail += f" The most allowed is {body['maxAmount']}."
        if code == "payer_below_credit_limit":
            detail += " Pay a smaller amount, or in euros, or ask the network for a larger line."
        return Refused(code, detail, status=status, problem=problem)

    @staticmethod
    def _input_errors(body):
        errors = list(body.get("generalErrors") or [])
        for field, messages in (body.get("propertyErrors") or {}).items():
            errors.extend(f"{field}: {message}" for message in messages)
        for field, messages in (body.get("customFieldErrors") or {}).items():
            errors.extend(f"{field}: {message}" for message in messages)
        return "; ".join(errors) or str(body.get("code") or "invalid input")

    # ------------------------------------------------------------------
    # Member numbers
    # ------------------------------------------------------------------

    def _number_of_user(self, user):
        """The member number in a user of the directory (UserResult)."""
        if self.member_field in ("accountNumber", "username"):
            return user.get(self.member_field) or ""
        return (user.get("customValues") or {}).get(self.member_field) or ""

    def _number_of_account(self, account):
        """The member number of the owner of an account (AccountWithOwner)."""
        if not account:
            return ""
        if account.get("kind") == "system":
            return "system"
        if self.member_field == "accountNumber":
            return account.get("number") or ""
        user = account.get("user") or {}
        return self._numbers.get(user.get("id"), user.get("display") or "")

    def _learn_numbers(self, accounts):
        """Look up at once the member numbers of the users of ``accounts`` that
        are not known yet (when the number is not the account number)."""
        if self.member_field == "accountNumber":
            return
        wanted = sorted(
            {
                (account.get("user") or {}).get("id")
                for account in accounts
                if account and account.get("kind") != "system"
            }
            - set(self._numbers)
            - {None}
        )
        if not wanted:
            return
        for user in self._pages("users", {"usersToInclude": wanted}):
            self._remember(user)

    def _remember(self, user):
        number = self._number_of_user(user)
        if number and user.get("id"):
            self._numbers[user["id"]] = number
            self._users[number] = user["id"]
        return number

    def _user_id(self, number):
        """The Cyclos user id of a member number, or Refused(member_unknown)."""
        if number not in self._users:
            found = list(
                self._pages(
                    "users", {"profileFields": f"{self.member_field}:{number}"}, page_size=2
                )
            )
            matching = [user for user in found if self._number_of_user(user) == number]
            if len(matching) != 1:
                raise Refused(
                    "member_unknown",
                    f"No member of the Cyclos network has the number {number}"
                    f"{' (several have it)' if matching else ''}: check it in the directory.",
                    status=404,
                    problem={"field": "payee", "number": number},
                )
            self._remember(matching[0])
        return self._users[number]

    def _own_number(self):
        if "number" not in self._me:
            body = self._get(self._account_path())
            self._read(self._account, body)
        return self._me["number"]

    # ------------------------------------------------------------------
    # Reading Cyclos' JSON
    # ------------------------------------------------------------------

    def _account(self, body):
        status = body["status"]
        balance = parse_decimal(status["balance"], "balance")
        credit_limit = parse_decimal(status.get("creditLimit") or "0", "creditLimit").copy_abs()
        upper = status.get("upperCreditLimit")
        ceiling = parse_decimal(upper, "upperCreditLimit").copy_abs() if upper else None
        available = status.get("availableBalance")
        user = body.get("user") or {}
        if "number" not in self._me:
            if self.member_field == "accountNumber":
                self._me["number"] = self._text(body["number"])
            else:
                self._learn_numbers([{"user": user}])
                self._me["number"] = self._numbers.get(user.get("id"), "")
        currency = body.get("currency") or {}
        return Account(
            member_number=self._me["number"],
            name=user.get("display") or "",
            state="active",
            currency=self.currency or currency.get("internalName") or currency.get("symbol") or "",
            balance=balance,
            credit_limit=credit_limit,
            balance_ceiling=ceiling,
            available=parse_decimal(available) if available else balance + credit_limit,
            room=ceiling - balance if ceiling is not None else None,
        )

    def _member(self, user):
        number = self._remember(user)
        custom = user.get("customValues") or {}
        city = custom.get(self.city_field) if self.city_field else None
        return Member(
            member_number=number,
            name=user.get("name") or user.get("display") or "",
            city=city or (user.get("address") or {}).get("city") or "",
            offers=self._activities(custom.get(self.offers_field) if self.offers_field else ""),
            needs=self._activities(custom.get(self.needs_field) if self.needs_field else ""),
        )

    @staticmethod
    def _activities(text):
        return tuple(part.strip() for part in _LIST_SPLIT.split(text or "") if part.strip())

    def _history_transfer(self, item):
        """A transfer of the history (AccountHistoryResult): debits are negative."""
        signed = parse_decimal(item["amount"])
        reference, memo, key = read_description(item.get("description"))
        me, other = self._own_number(), self._number_of_account(item.get("relatedAccount"))
        out = signed < 0
        # The history lists transfers; a payment is answered with its transaction:
        # the transaction's id is the one both give.
        transaction = item.get("transaction") or {}
        return Transfer(
            id=self._text(transaction.get("id") or item["id"]),
            number=item.get("transactionNumber") or self._text(item["id"]),
            payer=me if out else other,
            payee=other if out else me,
            amount=signed.copy_abs(),
            reference=reference,
            memo=memo,
            date=_when(item["date"]).date(),
            direction="out" if out else "in",
            currency=self.currency,
            key=key if out else None,
        )

    def _made_transfer(self, body, payee, key):
        """The transfer of a payment just made (Transaction)."""
        reference, memo, _key = read_description(body.get("description"))
        return Transfer(
            id=self._text(body["id"]),
            number=body.get("transactionNumber") or self._text(body["id"]),
            payer=self._own_number(),
            payee=payee,
            amount=parse_decimal(body["amount"]).copy_abs(),
            reference=reference,
            memo=memo,
            date=_when(body["date"]).date() if body.get("date") else datetime.date.today(),
            direction="out",
            currency=self.currency,
            key=key,
        )

    def _listed_request(self, item):
        """A payment request of the transactions' search (TransactionResult):
        negative when the member is asked to pay."""
        signed = parse_decimal(item["amount"])
        reference, _memo, _key = read_description(item.get("description"))
        me, other = self._own_number(), self._number_of_account(item.get("related"))
        asked = signed < 0
        expires = item.get("expirationDate")
        return PaymentRequest(
            id=self._text(item["id"]),
            payer=me if asked else other,
            payee=other if asked else me,
            amount=signed.copy_abs(),
            reference=reference,
            due_date=_when(expires).date() if expires else None,
            state=REQUEST_STATES[item.get("paymentRequestStatus") or "open"],
            role="payer" if asked else "payee",
        )

    def _viewed_request(self, body, request_id):
        """One payment request (TransactionView): from the payer to the payee."""
        reference, _memo, _key = read_description(body.get("description"))
        payer = self._number_of_account(body.get("from"))
        payee = self._number_of_account(body.get("to"))
        expires = body.get("expirationDate")
        state = REQUEST_STATES[body.get("paymentRequestStatus") or "open"]
        return PaymentRequest(
            id=str(request_id),
            payer=payer,
            payee=payee,
            amount=parse_decimal(body["amount"]).copy_abs(),
            reference=reference,
            due_date=_when(expires).date() if expires else None,
            state=state,
            role="payer" if payer == self._own_number() else "payee",
            refusal_reason=(body.get("comments") or None) if state == "refused" else None,
        )
