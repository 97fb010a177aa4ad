"""What a member's Odoo asks of the ledger that runs its network.

A ledger is reached through a *backend*: the clearing house run by this
add-on (``clearing_client.ClearingHouseBackend``), or another platform such as
Cyclos 4. Every backend answers the same questions with the same plain
values, so that the Odoo layer never knows which one it talks to:

- ``account()``: the member's account (balance and bounds);
- ``members(q)``: the network's directory;
- ``transfers(after)``: the member's transfers, in and out, after a position;
- ``pay(key, payee, amount, reference, memo)``: make a transfer, once per key;
- the payment requests, both ways.

Amounts are :class:`decimal.Decimal` with two decimals, never floats.

Two errors, because they call for opposite reactions:

- :class:`Refused`: the ledger answered and said no (a bound, an unknown
  member, a bad key...). Nothing was done there; retrying is pointless.
- :class:`Unanswered`: no usable answer (timeout, dropped connection, 5xx,
  429, a body that is not the ledger's). The ledger *may* have acted: the
  caller retries later with the same idempotency key, never with a new one.
"""

import abc
import dataclasses
import datetime
from decimal import Decimal


@dataclasses.dataclass(frozen=True)
class Account:
    member_number: str
    name: str
    state: str
    currency: str
    balance: Decimal
    credit_limit: Decimal
    #: None: no ceiling.
    balance_ceiling: Decimal | None
    #: What the member may still pay.
    available: Decimal
    #: What the member may still receive; None: no ceiling.
    room: Decimal | None


@dataclasses.dataclass(frozen=True)
class Member:
    member_number: str
    name: str
    city: str = ""
    offers: tuple = ()
    needs: tuple = ()


@dataclasses.dataclass(frozen=True)
class Transfer:
    #: The ledger's own identifier of the transfer (a string for every backend).
    id: str
    #: Its number in the ledger, as the member's statement shows it.
    number: str
    payer: str
    payee: str
    amount: Decimal
    reference: str
    memo: str
    date: datetime.date
    #: "out": the member paid; "in": the member was paid.
    direction: str
    currency: str = ""
    state: str = "posted"
    #: The number of the transfer this one reverses, if any.
    reversal_of: str | None = None
    #: The idempotency key it was made with, where the ledger tells it.
    key: str | None = None


@dataclasses.dataclass(frozen=True)
class TransferPage:
    items: tuple
    #: The position to read on from (``transfers(after=page.cursor)``), also
    #: when the page is empty.
    cursor: str
    has_more: bool


@dataclasses.dataclass(frozen=True)
class PaymentRequest:
    id: str
    payer: str
    payee: str
    amount: Decimal
    reference: str
    due_date: datetime.date | None
    #: open, accepted, refused, cancelled
    state: str
    #: "payer": the member is asked to pay; "payee": the member asks.
    role: str
    refusal_reason: str | None = None
    transfer: Transfer | None = None


@dataclasses.dataclass(frozen=True)
class PaymentRequestPage:
    items: tuple
    cursor: str
    has_more: bool


class BackendError(Exception):
    """The ledger did not do what was asked. ``code`` names the reason
    (the clearing house's problem codes; ``unreachable``, ``bad_answer``,
    ``server_error``, ``too_many_requests`` for the unanswered), ``status``
    the HTTP status if there was one, ``detail`` the ledger's own words,
    ``problem`` every figure it gave."""

    def __init__(self, code, detail="", *, status=None, problem=None):
        self.code = code
        self.detail = detail
        self.status = status
        self.problem = dict(problem or {})
        super().__init__(f"{code}: {detail}" if detail else code)


class Refused(BackendError):
    """The ledger answered no: nothing was done, do not retry."""


class Unanswered(BackendError):
    """No usable answer: the ledger may have acted; retry with the same key."""


class Backend(abc.ABC):
    """The questions a member's Odoo asks of its network's ledger."""

    @abc.abstractmethod
    def account(self):
        """Return the member's :class:`Account`."""

    @abc.abstractmethod
    def members(self, q=None):
        """Return the active members of the directory, a list of :class:`Member`."""

    @abc.abstractmethod
    def transfers(self, after=None, limit=None):
        """Return the :class:`TransferPage` after the position ``after`` (None:
        from the start), in ledger order: paging on with ``page.cursor`` while
        transfers are made never skips nor repeats one."""

    @abc.abstractmethod
    def pay(self, key, payee, amount, reference="", memo=""):
        """Make the transfer to ``payee`` once for ``key`` and return it: the
        same key again returns the same transfer, never a second one."""

    @abc.abstractmethod
    def payment_requests(self, after=None, limit=None):
        """Return the :class:`PaymentRequestPage` of the requests the member
        made or received, after the position ``after``."""

    @abc.abstractmethod
    def request_payment(self, key, payer, amount, reference="", due_date=None):
        """Ask ``payer`` to pay ``amount`` (once for ``key``); return the
        :class:`PaymentRequest`."""

    @abc.abstractmethod
    def accept_request(self, request_id, key):
        """Pay the request (once for ``key``); return the :class:`PaymentRequest`
        with its transfer."""

    @abc.abstractmethod
    def refuse_request(self, request_id, reason):
        """Refuse the request with a reason the asker reads."""

    @abc.abstractmethod
    def cancel_request(self, request_id):
        """Withdraw a request the member made."""

    def close(self):  # noqa: B027 - nothing to release unless a backend says so
        """Release the connection (sessions, sockets)."""
