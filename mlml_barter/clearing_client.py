"""The client of the clearing house's API v1 (``api_spec.py``), for a member's Odoo.

``ClearingHouseBackend`` is the :class:`~.backend.Backend` of a network whose
ledger is run by this add-on in the cooperative's database. It speaks JSON
under ``<url>/mlml/api/v1/`` with the member's API key, through the shared
:class:`~.transport.Transport` (timeouts, retries with the same
Idempotency-Key, backoff). What each outcome means for the caller:

- a value: done (for ``pay``, ``request_payment``, ``accept_request``: done
  once, whatever the number of attempts, thanks to the key);
- :class:`~.backend.Refused`: the clearing house answered no, with its
  RFC 9457 problem: ``code`` (``payer_below_credit_limit``, ``member_unknown``…),
  ``detail`` in the language asked (``lang``), ``status`` and every figure
  (``problem["missing"]`` as a Decimal). Nothing was done; retrying is pointless.
  A 4xx that is not a problem (a web page: a wrong address) is
  ``Refused("not_a_clearing_house")``;
- :class:`~.backend.Unanswered`: no usable answer after the retries; the
  clearing house may have acted: retry later with the same key.

Refusing and cancelling a payment request carry no key: they are retried
anyway, because the clearing house can only do them once (an open request
becomes refused or cancelled, never twice). When a retry of one of them, whose
earlier attempt got no answer, is told ``request_not_open`` (409), the earlier
attempt may be what closed it: the ``Refused`` then says so in its detail and
carries ``problem["earlier_attempt_unanswered"] = True``; the caller reads the
request's state in ``payment_requests`` before telling the user anything.
"""

import contextlib
import dataclasses
import datetime

from . import api_spec, wire
from .backend import (
    Account,
    CompensatedInvoice,
    Compensation,
    CompensationPage,
    Member,
    Obligation,
    ObligationPage,
    PaymentRequest,
    PaymentRequestPage,
    Refused,
    Transfer,
    TransferPage,
)
from .transport import HttpBackend, Transport, parse_decimal

API_PATH = "/mlml/api/v1"


@dataclasses.dataclass(frozen=True)
class _ItemAnswer:
    """One declaration's answer in a batch, read as an answer of its own."""

    status: int
    body: object
    earlier_unanswered: bool = False


#: The figures of a problem that are amounts: read as Decimal.
_PROBLEM_AMOUNTS = ("balance", "amount", "commission", "credit_limit", "balance_ceiling", "missing")


class ClearingHouseBackend(HttpBackend):
    """The ledger of a network run by an MLML clearing house.

    ``url``: the clearing house's address (``https://ch.example.org``; the API
    path is added); ``key``: the member's API key (kept in the session's
    headers only: never logged nor shown by ``repr``); ``lang``: the language
    of the problems' detail; ``timeout``: (connect, read) seconds;
    ``retries``/``backoff``/``max_retry_after``: see ``transport.py``.
    """

    service = "clearing house"

    def __init__(
        self,
        url,
        key,
        *,
        lang="fr",
        timeout=(3.05, 30),
        retries=4,
        backoff=0.5,
        max_retry_after=30.0,
        session=None,
        sleep=None,
    ):
        if not key:
            raise ValueError("key: the member's API key of the clearing house is required")
        base = url.rstrip("/")
        if not base.endswith(API_PATH):
            base += API_PATH
        options = {"sleep": sleep} if sleep else {}
        self._transport = Transport(
            base,
            service=self.service,
            refusal=self._refusal,
            headers={"Authorization": f"Bearer {key}", "Accept-Language": lang},
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            session=session,
            **options,
        )

    # ------------------------------------------------------------------
    # Operations
    # ------------------------------------------------------------------

    def account(self):
        body = self._get("account")
        return self._read(self._account, body)

    def members(self, q=None, offer=None, need=None):
        params = {name: value for name, value in (("q", q), ("offer", offer), ("need", need))}
        body = self._get("members", params)
        return self._read(lambda b: [self._member(item) for item in b["items"]], body)

    def transfers(self, after=None, limit=None):
        body = self._get("transfers", {"after": after, "limit": limit})
        return self._read(
            lambda b: TransferPage(
                items=tuple(self._transfer(item) for item in b["items"]),
                cursor=self._text(b["next"]),
                has_more=self._bool(b["has_more"]),
            ),
            body,
        )

    def pay(self, key, payee, amount, reference="", memo=""):
        body = {
            "payee": payee,
            "amount": wire.format_amount(amount),
            "reference": reference or "",
            "memo": memo or "",
        }
        answer = self._post("transfers", body, key=key)
        return self._read(self._transfer, answer.body)

    def payment_requests(self, after=None, limit=None):
        """The page of payment requests after ``after``.

        The list is a change feed: a request comes again in a later page when
        its state changes (accepted, refused, cancelled). The latest one read
        wins: the caller keeps requests by ``id`` and overwrites the one it
        had.
        """
        body = self._get("payment-requests", {"after": after, "limit": limit})
        return self._read(
            lambda b: PaymentRequestPage(
                items=tuple(self._request(item) for item in b["items"]),
                cursor=self._text(b["next"]),
                has_more=self._bool(b["has_more"]),
            ),
            body,
        )

    def request_payment(self, key, payer, amount, reference="", due_date=None):
        body = {
            "payer": payer,
            "amount": wire.format_amount(amount),
            "reference": reference or "",
            "due_date": due_date.isoformat() if due_date else None,
        }
        answer = self._post("payment-requests", body, key=key)
        return self._read(self._request, answer.body)

    def accept_request(self, request_id, key):
        answer = self._post(f"payment-requests/{self._id(request_id)}/accept", None, key=key)
        return self._read(self._request, answer.body)

    def refuse_request(self, request_id, reason):
        answer = self._post(
            f"payment-requests/{self._id(request_id)}/refuse", {"reason": reason}, key=None
        )
        return self._read(self._request, answer.body)

    def cancel_request(self, request_id):
        answer = self._post(f"payment-requests/{self._id(request_id)}/cancel", None, key=None)
        return self._read(self._request, answer.body)

    def declare_obligation(
        self, key, invoice, creditor, debtor, amount, currency, due_date, mlml_open=None
    ):
        """Declare an open invoice or bill. The clearing house recognises the same
        figures declared again, so the declaration is retried; ``key`` (optional)
        makes a retry answer the same obligation."""
        body = self._declaration_body(
            invoice, creditor, debtor, amount, currency, due_date, mlml_open
        )
        answer = self._post("obligations", body, key=key)
        return self._read(self._obligation, answer.body)

    @staticmethod
    def _declaration_body(invoice, creditor, debtor, amount, currency, due_date, mlml_open):
        """A declaration's JSON: ``mlml_open`` only where the creditor declares it."""
        body = {
            "invoice": invoice,
            "creditor": creditor,
            "debtor": debtor,
            "amount": wire.format_amount(amount),
            "currency": currency or None,
            "due_date": due_date.isoformat(),
        }
        if mlml_open is not None:
            body["mlml_open"] = wire.format_amount(mlml_open)
        return body

    def declare_obligations(self, declarations):
        """Declare open invoices and bills through ``POST obligations/batch``, by
        batches of ``api_spec.MAX_BATCH``: each one's :class:`Obligation` or
        :class:`Refused`, in order. A batch sent again (a retry) declares nothing
        twice: the same figures are recognised, and each key answers its own
        declaration."""
        declarations = list(declarations)
        results = []
        for start in range(0, len(declarations), api_spec.MAX_BATCH):
            chunk = declarations[start : start + api_spec.MAX_BATCH]
            body = {
                "declarations": [
                    {
                        **self._declaration_body(
                            declaration.invoice,
                            declaration.creditor,
                            declaration.debtor,
                            declaration.amount,
                            declaration.currency,
                            declaration.due_date,
                            declaration.mlml_open,
                        ),
                        "idempotency_key": (
                            wire.check_idempotency_key(declaration.key)
                            if declaration.key is not None
                            else None
                        ),
                    }
                    for declaration in chunk
                ]
            }
            answer = self._post("obligations/batch", body, key=None)
            count = len(chunk)
            items = self._read(lambda b, n=count: self._batch_items(b, n), answer.body)
            results.extend(
                self._read(self._obligation, item["body"])
                if item["status"] in (200, 201)
                else self._refusal(_ItemAnswer(item["status"], item["body"]))
                for item in items
            )
        return results

    @staticmethod
    def _batch_items(body, count):
        items = body["results"]
        if not isinstance(items, list) or len(items) != count:
            raise ValueError(f"results: {count} expected")
        for item in items:
            if not isinstance(item["status"], int) or isinstance(item["status"], bool):
                raise TypeError(f"status: {item['status']!r} is not an integer")
        return items

    def obligations(self, after=None, limit=None):
        body = self._get("obligations", {"after": after, "limit": limit})
        return self._read(
            lambda b: ObligationPage(
                items=tuple(self._obligation(item) for item in b["items"]),
                cursor=self._text(b["next"]),
                has_more=self._bool(b["has_more"]),
            ),
            body,
        )

    def compensations(self, after=None, limit=None):
        body = self._get("compensations", {"after": after, "limit": limit})
        return self._read(
            lambda b: CompensationPage(
                items=tuple(self._compensation(item) for item in b["items"]),
                cursor=self._text(b["next"]),
                has_more=self._bool(b["has_more"]),
            ),
            body,
        )

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------

    def _post(self, path, body, *, key):
        headers = {"Idempotency-Key": wire.check_idempotency_key(key)} if key is not None else None
        return self._transport.send("POST", path, json_body=body, headers=headers)

    @staticmethod
    def _id(request_id):
        text = str(request_id)
        if not text.isdigit():
            raise ValueError(f"request_id: {request_id!r} is not a payment request's id")
        return text

    def _refusal(self, answer):
        """The :class:`Refused` of a 4xx: the problem's code, detail and figures."""
        problem = answer.body
        if not (isinstance(problem, dict) and isinstance(problem.get("code"), str)):
            return Refused(
                "not_a_clearing_house",
                f"{self._transport.base_url} answered HTTP {answer.status} without a "
                f"problem of the {self.service}'s API: check its address in the settings.",
                status=answer.status,
            )
        figures = dict(problem)
        for name in _PROBLEM_AMOUNTS:
            # A figure that is not an amount stays as it came: the detail is what
            # the user reads, the figures only help a program.
            if name in figures and isinstance(figures[name], str):
                with contextlib.suppress(ValueError):
                    figures[name] = parse_decimal(figures[name], name)
        detail = str(problem.get("detail") or problem.get("title") or "")
        if answer.earlier_unanswered:
            figures["earlier_attempt_unanswered"] = True
            if problem["code"] == "request_not_open":
                detail += (
                    " An earlier attempt got no answer and may be what closed it: read the "
                    "request's state in the payment requests before acting again."
                )
        return Refused(
            problem["code"],
            detail,
            status=answer.status,
            problem=figures,
        )

    # ------------------------------------------------------------------
    # Reading the JSON
    # ------------------------------------------------------------------

    @staticmethod
    def _identifier(value):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"id: {value!r} is not an integer")
        return str(value)

    @staticmethod
    def _bool(value):
        if not isinstance(value, bool):
            raise TypeError(f"{value!r} is not a boolean")
        return value

    @staticmethod
    def _amount(value, field="amount", nullable=False):
        if value is None and nullable:
            return None
        return parse_decimal(value, field)

    def _account(self, body):
        return Account(
            member_number=self._text(body["member_number"]),
            name=self._text(body["name"]),
            state=self._text(body["state"]),
            currency=self._text(body["currency"]),
            balance=self._amount(body["balance"], "balance"),
            credit_limit=self._amount(body["credit_limit"], "credit_limit"),
            balance_ceiling=self._amount(body["balance_ceiling"], "balance_ceiling", True),
            available=self._amount(body["available"], "available"),
            room=self._amount(body["room"], "room", True),
        )

    def _member(self, item):
        return Member(
            member_number=self._text(item["member_number"]),
            name=self._text(item["name"]),
            city=self._text(item.get("city") or ""),
            offers=tuple(self._text(offer) for offer in item.get("offers") or ()),
            needs=tuple(self._text(need) for need in item.get("needs") or ()),
        )

    def _transfer(self, item):
        key = item.get("idempotency_key")
        return Transfer(
            id=self._identifier(item["id"]),
            number=self._text(item["number"]),
            payer=self._text(item["payer"]),
            payee=self._text(item["payee"]),
            amount=self._amount(item["amount"]),
            reference=self._text(item.get("reference") or ""),
            memo=self._text(item.get("memo") or ""),
            date=datetime.date.fromisoformat(item["date"]),
            direction=self._direction(item["direction"]),
            state=self._text(item.get("state") or "posted"),
            reversal_of=item.get("reversal_of") or None,
            reversal_reason=self._text(item.get("reversal_reason") or "") or None,
            key=self._text(key) if key is not None else None,
            channel=self._text(item.get("channel") or ""),
        )

    @staticmethod
    def _direction(value):
        if value not in ("in", "out"):
            raise ValueError(f"direction: {value!r} is neither 'in' nor 'out'")
        return value

    def _request(self, item):
        due = item.get("due_date")
        transfer = item.get("transfer")
        return PaymentRequest(
            id=self._identifier(item["id"]),
            payer=self._text(item["payer"]),
            payee=self._text(item["payee"]),
            amount=self._amount(item["amount"]),
            reference=self._text(item.get("reference") or ""),
            due_date=datetime.date.fromisoformat(due) if due else None,
            state=self._text(item["state"]),
            role=self._text(item["role"]),
            refusal_reason=item.get("refusal_reason") or None,
            transfer=self._transfer(transfer) if transfer else None,
        )

    def _obligation(self, item):
        reason = item.get("withdrawal_reason")
        return Obligation(
            id=self._identifier(item["id"]),
            invoice=self._text(item["invoice"]),
            creditor=self._text(item["creditor"]),
            debtor=self._text(item["debtor"]),
            amount=self._amount(item["amount"]),
            amount_cleared=self._amount(item["amount_cleared"], "amount_cleared"),
            amount_open=self._amount(item["amount_open"], "amount_open"),
            currency=self._text(item["currency"]),
            due_date=datetime.date.fromisoformat(item["due_date"]),
            state=self._text(item["state"]),
            role=self._role(item["role"]),
            declared_by_creditor=self._bool(item["declared_by_creditor"]),
            confirmed_by_debtor=self._bool(item["confirmed_by_debtor"]),
            withdrawal_reason=self._text(reason) if reason is not None else None,
            mlml_open=self._amount(item.get("mlml_open"), "mlml_open", nullable=True),
        )

    @staticmethod
    def _role(value):
        if value not in ("creditor", "debtor"):
            raise ValueError(f"role: {value!r} is neither 'creditor' nor 'debtor'")
        return value

    def _compensation(self, item):
        return Compensation(
            id=self._identifier(item["id"]),
            number=self._text(item["number"]),
            cutoff_date=datetime.date.fromisoformat(item["cutoff_date"]),
            confirmed_at=self._text(item["confirmed_at"]),
            with_liquidity=self._bool(item["with_liquidity"]),
            currency=self._text(item["currency"]),
            amount_cleared=self._amount(item["amount_cleared"], "amount_cleared"),
            mlml_amount=self._amount(item["mlml_amount"], "mlml_amount"),
            invoices=tuple(
                CompensatedInvoice(
                    obligation=(
                        self._identifier(line["obligation"])
                        if line.get("obligation") is not None
                        else None
                    ),
                    invoice=self._text(line["invoice"]),
                    creditor=self._text(line["creditor"]),
                    debtor=self._text(line["debtor"]),
                    role=self._role(line["role"]),
                    amount=self._amount(line["amount"]),
                    amount_cleared=self._amount(line["amount_cleared"], "amount_cleared"),
                    amount_mlml=self._amount(line.get("amount_mlml", "0"), "amount_mlml"),
                )
                for line in item["invoices"]
            ),
            transfers=tuple(self._transfer(transfer) for transfer in item["transfers"]),
        )
