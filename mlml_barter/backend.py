"""What a member's Odoo asks of the ledger that runs its network.

A ledger is reached through a *backend*: the clearing house run by this
add-on (``clearing_client.ClearingHouseBackend``), or another platform such as
Cyclos 4. Every backend answers the same questions with the same plain
values, so that the Odoo layer never knows which one it talks to:

- ``account()``: the member's account (balance and bounds);
- ``members(q)``: the network's directory;
- ``transfers(after)``: the member's transfers, in and out, after a position;
- ``pay(key, payee, amount, reference, memo)``: make a transfer, once per key;
- the payment requests, both ways;
- the multilateral compensation: ``declare_obligation`` (an open invoice or
  bill; ``declare_obligations`` several at once), ``obligations(after)`` and
  ``compensations(after)`` (the confirmed runs the member's books settle). A
  ledger without compensation refuses them (``Refused("compensation_not_offered")``).

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
    #: Why the ledger reversed that transfer (a reversal only, where the ledger says).
    reversal_reason: str | None = None
    #: The idempotency key it was made with, where the ledger tells it.
    key: str | None = None
    #: How it was made: api, back_office, compensation (the liquidity part of
    #: a compensation run), reversal, commission; "" when the ledger does not say.
    channel: str = ""


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


@dataclasses.dataclass(frozen=True)
class Obligation:
    """An open invoice between two members, as declared for the compensation."""

    id: str
    #: The creditor's invoice number.
    invoice: str
    creditor: str
    debtor: str
    #: The amount declared, what runs cleared included.
    amount: Decimal
    amount_cleared: Decimal
    amount_open: Decimal
    currency: str
    due_date: datetime.date
    #: declared, confirmed, partly_cleared, cleared, withdrawn
    state: str
    #: "creditor" or "debtor": the member's side.
    role: str
    declared_by_creditor: bool = False
    confirmed_by_debtor: bool = False
    withdrawal_reason: str | None = None
    #: What the creditor still accepts in MLML on it, as declared (None: not declared).
    mlml_open: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class Declaration:
    """An open invoice or bill to declare: the arguments of ``declare_obligation``."""

    #: The Idempotency-Key of this declaration, or None.
    key: str | None
    invoice: str
    creditor: str
    debtor: str
    amount: Decimal
    currency: str
    due_date: datetime.date
    #: The creditor's: what it still accepts in MLML on the invoice (None: not declared).
    mlml_open: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class ObligationPage:
    items: tuple
    cursor: str
    has_more: bool


@dataclasses.dataclass(frozen=True)
class CompensatedInvoice:
    """One of the member's invoices or bills in a confirmed run."""

    obligation: str | None
    invoice: str
    creditor: str
    debtor: str
    #: "creditor": the member's invoice; "debtor": its bill.
    role: str
    #: What was open on it in the run, and what the run set off.
    amount: Decimal
    amount_cleared: Decimal
    #: Of what the run cleared, what the member's MLML account received (its
    #: invoice) or paid (its bill) in a run with liquidity; the rest was set off.
    amount_mlml: Decimal = Decimal(0)


@dataclasses.dataclass(frozen=True)
class Compensation:
    """A confirmed compensation run, as the member's books settle it."""

    id: str
    number: str
    cutoff_date: datetime.date
    confirmed_at: str
    with_liquidity: bool
    currency: str
    #: The sum set off on the member's invoices and bills.
    amount_cleared: Decimal
    #: The member's MLML movement of the liquidity part (positive: received).
    mlml_amount: Decimal
    invoices: tuple
    #: The member's MLML transfers of the liquidity part (:class:`Transfer`).
    transfers: tuple


@dataclasses.dataclass(frozen=True)
class CompensationPage:
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

    @abc.abstractmethod
    def declare_obligation(
        self, key, invoice, creditor, debtor, amount, currency, due_date, mlml_open=None
    ):
        """Declare an open invoice (the creditor) or bill (the debtor) for the
        multilateral compensation: ``amount`` is what is still open on it in
        ``currency``; ``mlml_open`` (the creditor's, optional) what of it the
        creditor still accepts in MLML. Declaring the same figures again changes nothing; other
        figures (partly paid) replace the old ones. Return the :class:`Obligation`."""

    def declare_obligations(self, declarations):
        """Declare several open invoices and bills (:class:`Declaration`); return,
        in their order, each one's :class:`Obligation` or :class:`Refused` (a
        refusal of one leaves the others declared). :class:`Unanswered` when the
        ledger gave no usable answer: declaring them again is safe. Here one by
        one; a ledger with a batch call does it in fewer requests."""
        results = []
        for declaration in declarations:
            try:
                results.append(
                    self.declare_obligation(
                        declaration.key,
                        declaration.invoice,
                        declaration.creditor,
                        declaration.debtor,
                        declaration.amount,
                        declaration.currency,
                        declaration.due_date,
                        mlml_open=declaration.mlml_open,
                    )
                )
            except Refused as refusal:
                results.append(refusal)
        return results

    @abc.abstractmethod
    def obligations(self, after=None, limit=None):
        """Return the :class:`ObligationPage` of the member's obligations after
        ``after``: a change feed, each obligation again once it changes."""

    @abc.abstractmethod
    def compensations(self, after=None, limit=None):
        """Return the :class:`CompensationPage` of the confirmed compensation runs
        the member took part in, after ``after``, in the order they were confirmed."""

    def close(self):  # noqa: B027 - nothing to release unless a backend says so
        """Release the connection (sessions, sockets)."""
