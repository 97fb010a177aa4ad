"""The Cyclos backend against a Cyclos mock that validates every request with
Cyclos' own OpenAPI description (``cyclos_mock.py``).

Skipped, with one line saying where the description was looked for, when it
is not there (it is Cyclos' file and is not part of the project).
"""

import datetime
from decimal import Decimal

import pytest
import requests
from hypothesis import (
    HealthCheck,
    given,
    settings,
    strategies as st,
)

from ..backend import Refused, Unanswered
from ..connect import connect
from ..cyclos import CyclosBackend
from .cyclos_mock import DESCRIPTION, ME, MY_ACCOUNT, CyclosMock, load_description

if not DESCRIPTION.exists():
    pytest.skip(
        f"SKIPPED: Cyclos 4.16 OpenAPI description not found at {DESCRIPTION}",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def description():
    """Cyclos' description, read once for the module (3 MB of YAML)."""
    return load_description()


@pytest.fixture
def cyclos(description, httpserver):
    """The Cyclos mock of one test; any request it found invalid fails the test."""
    mock = CyclosMock(description, httpserver)
    yield mock
    assert not mock.errors, mock.errors


def backend(cyclos, **options):
    settings = {
        "url": cyclos.base,
        "token": "token-ok",
        "account_type": "mlml",
        "payment_type": "mlml.paiement",
        "backoff": 0.001,
        "timeout": (1, 2),
        **options,
    }
    return connect("cyclos", **settings)


def posts(cyclos, path_end):
    return [entry for entry in cyclos.log if entry[0] == "POST" and entry[1].endswith(path_end)]


# ----------------------------------------------------------------------
# Account, directory
# ----------------------------------------------------------------------


def test_connect_reads_the_account_status(cyclos):
    client = backend(cyclos)
    assert isinstance(client, CyclosBackend)
    account = client.account()
    assert account.member_number == MY_ACCOUNT and account.name == ME["display"]
    assert account.balance == Decimal("-182.50")
    assert account.credit_limit == Decimal("1000.00")
    assert account.balance_ceiling == Decimal("2000.00")
    assert account.available == Decimal("817.50")
    assert account.room == Decimal("2182.50")
    assert account.currency == "mlml"
    method, path, _args, request = cyclos.log[0]
    assert (method, path) == ("GET", "/self/accounts/mlml")
    assert request.headers["Access-Client-Token"] == "token-ok"
    assert "token-ok" not in repr(client)


def test_basic_authentication(cyclos):
    client = backend(cyclos, token=None, user="nettoyage", password="secret")
    assert client.account().balance == Decimal("-182.50")
    assert cyclos.log[0][3].authorization.username == "nettoyage"


def test_an_expired_token_is_refused_with_what_to_do(cyclos):
    cyclos.tokens.clear()
    with pytest.raises(Refused) as caught:
        backend(cyclos).account()
    refusal = caught.value
    assert (refusal.code, refusal.status) == ("unauthorized", 401)
    assert refusal.problem["cyclos_code"] == "invalidAccessClient"
    assert "Activate a new access client" in refusal.detail
    assert len(cyclos.log) == 1


def test_the_directory_with_member_numbers_in_a_custom_field(cyclos):
    client = backend(cyclos, member_field="numero", offers_field="offres", needs_field="besoins")
    (member,) = client.members("imprim")
    assert (member.member_number, member.name, member.city) == (
        "M-002",
        "Imprimerie du Nord",
        "Roubaix",
    )
    assert member.offers == ("impression", "reliure") and member.needs == ("nettoyage",)
    assert cyclos.log[0][2]["keywords"] == ["imprim"]


# ----------------------------------------------------------------------
# Payments
# ----------------------------------------------------------------------


def test_pay_an_mlml_part(cyclos):
    client = backend(cyclos)
    transfer = client.pay("pay-0042", "200-002", Decimal("120.1"), "FAC/2026/0042", "Nettoyage")
    assert transfer.amount == Decimal("120.10") and transfer.direction == "out"
    assert (transfer.payer, transfer.payee, transfer.key) == (MY_ACCOUNT, "200-002", "pay-0042")
    assert transfer.reference == "FAC/2026/0042" and transfer.memo == "Nettoyage"
    ((_method, _path, _args, request),) = posts(cyclos, "/payments")
    assert request.get_json() == {
        "amount": "120.10",
        "subject": "200",
        "type": "mlml.paiement",
        "description": "FAC/2026/0042\nNettoyage\n[mlml-key:pay-0042]",
    }
    assert cyclos.balance == Decimal("-302.60")
    # It looked for the key before paying.
    first = cyclos.log[0]
    assert first[1].endswith("/history") and first[2]["description"] == ["pay-0042"]


def test_pay_again_with_the_same_key_pays_once(cyclos):
    client = backend(cyclos)
    first = client.pay("pay-0042", "200-002", Decimal("120.10"), "FAC/2026/0042")
    again = client.pay("pay-0042", "200-002", Decimal("120.10"), "FAC/2026/0042")
    assert again.id == first.id and again.key == "pay-0042"
    assert len(posts(cyclos, "/payments")) == 1
    assert cyclos.balance == Decimal("-302.60")


def test_a_payment_whose_answer_is_lost_is_not_made_twice(cyclos):
    cyclos.slow_payment = 1.0  # booked, then answered after the read timeout
    client = backend(cyclos, timeout=(1, 0.3))
    transfer = client.pay("pay-0043", "200-002", Decimal("50.00"), "FAC/2026/0043")
    assert transfer.key == "pay-0043" and transfer.amount == Decimal("50.00")
    assert len(posts(cyclos, "/payments")) == 1
    assert cyclos.balance == Decimal("-232.50")


def test_a_refused_payment_insufficient_balance(cyclos):
    with pytest.raises(Refused) as caught:
        backend(cyclos).pay("pay-0044", "200-002", Decimal("900.00"), "FAC/2026/0044")
    refusal = caught.value
    assert (refusal.code, refusal.status) == ("payer_below_credit_limit", 500)
    assert refusal.problem["cyclos_code"] == "insufficientBalance"
    assert "balance is not enough" in refusal.detail and "smaller amount" in refusal.detail
    # With the figures the accountant needs, read from the account.
    assert refusal.problem["available"] == Decimal("817.50")
    assert refusal.problem["missing"] == Decimal("82.50")
    assert refusal.problem["credit_limit"] == Decimal("1000.00")
    assert "82.50 is missing for 900.00" in refusal.detail
    assert len(posts(cyclos, "/payments")) == 1  # not retried
    assert cyclos.balance == Decimal("-182.50") and not cyclos.history


def test_a_payment_above_cyclos_limit_carries_the_maximum(cyclos):
    cyclos.max_amount = Decimal("500.00")
    with pytest.raises(Refused) as caught:
        backend(cyclos).pay("pay-0045", "200-002", Decimal("600.00"))
    assert caught.value.code == "payment_limit_exceeded"
    assert caught.value.problem["max_amount"] == Decimal("500.00")
    assert "500.00" in caught.value.detail


def test_an_unknown_payee_is_refused_before_paying(cyclos):
    with pytest.raises(Refused) as caught:
        backend(cyclos).pay("pay-0046", "999-999", Decimal("10.00"))
    assert caught.value.code == "member_unknown" and "999-999" in caught.value.detail
    assert not posts(cyclos, "/payments")


def test_a_5xx_storm_then_success_pays_once(cyclos):
    client = backend(cyclos, retries=5)
    client.account()
    cyclos.faults = [503, 502, 500]
    transfer = client.pay("pay-0047", "200-002", Decimal("10.00"))
    assert transfer.key == "pay-0047"
    assert cyclos.balance == Decimal("-192.50") and len(cyclos.history) == 1


def test_a_5xx_storm_past_the_retries_is_unanswered(cyclos):
    cyclos.faults = [503] * 3
    with pytest.raises(Unanswered) as caught:
        backend(cyclos, retries=2).account()
    assert (caught.value.code, caught.value.status) == ("server_error", 503)
    assert len(cyclos.log) == 3


# ----------------------------------------------------------------------
# History
# ----------------------------------------------------------------------


def test_receive_a_payment(cyclos):
    received = cyclos.transfer("300", "75.25", "Facture TDF-12\nBuffet")
    page = backend(cyclos).transfers()
    (transfer,) = page.items
    assert transfer.direction == "in" and transfer.amount == Decimal("75.25")
    assert (transfer.payer, transfer.payee) == ("300-003", MY_ACCOUNT)
    assert (transfer.reference, transfer.memo, transfer.key) == ("Facture TDF-12", "Buffet", None)
    assert transfer.date == received.date.date() and transfer.id == received.id
    assert not page.has_more and page.cursor


def test_counterparts_by_custom_member_number(cyclos):
    cyclos.transfer("300", "75.25", "Facture TDF-12")
    (transfer,) = backend(cyclos, member_field="numero").transfers().items
    assert (transfer.payer, transfer.payee) == ("M-003", "M-001")


def test_page_through_a_long_history_while_transfers_arrive(cyclos):
    for number in range(23):
        cyclos.transfer("200" if number % 2 else "300", f"{number + 1}.00")
    client = backend(cyclos)
    read, cursor, rounds = [], None, 0
    while True:
        page = client.transfers(after=cursor, limit=5)
        read += [transfer.id for transfer in page.items]
        cursor = page.cursor
        rounds += 1
        if rounds == 2:
            # New transfers while paging: one at the very date of the last one
            # read, one booked a little earlier (a slow transaction), later ones.
            last = cyclos.history[len(read) - 1].date
            cyclos.transfer("200", "1.11", date=last)
            cyclos.transfer("300", "2.22", date=last - datetime.timedelta(seconds=30))
            cyclos.transfer("200", "3.33")
        if rounds == 4:
            cyclos.transfer("300", "4.44")
        if not page.has_more and rounds > 4:
            break
    assert sorted(read, key=int) == sorted((entry.id for entry in cyclos.history), key=int)
    assert len(read) == len(set(read)) == 27
    # Nothing new: the same cursor, an empty page.
    page = client.transfers(after=cursor, limit=5)
    assert page.items == () and page.cursor == cursor


STEPS = st.lists(
    st.one_of(
        # A transfer booked up to 4 minutes before the latest one (within the
        # 5 minutes' overlap), or later.
        st.tuples(st.just("book"), st.integers(min_value=-240, max_value=120)),
        st.tuples(st.just("read"), st.integers(min_value=1, max_value=4)),
    ),
    max_size=20,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_no_transfer_is_skipped_nor_repeated_whatever_arrives(cyclos, steps):
    cyclos.history.clear()
    client = backend(cyclos)
    read, cursor = [], None

    def read_page(limit):
        nonlocal cursor
        page = client.transfers(after=cursor, limit=limit)
        read.extend(transfer.id for transfer in page.items)
        cursor = page.cursor
        return page

    for action, value in steps:
        if action == "book":
            latest = max((entry.date for entry in cyclos.history), default=cyclos.clock)
            cyclos.transfer("200", "1.00", date=latest + datetime.timedelta(seconds=value))
        else:
            read_page(value)
    while read_page(3).has_more:
        pass
    assert read_page(3).items == ()
    assert sorted(read, key=int) == sorted((entry.id for entry in cyclos.history), key=int)
    assert len(read) == len(set(read))


def test_a_cursor_this_backend_did_not_give_is_refused(cyclos):
    with pytest.raises(Refused) as caught:
        backend(cyclos).transfers(after="not-a-cursor")
    assert caught.value.code == "cursor_invalid"


# ----------------------------------------------------------------------
# Payment requests
# ----------------------------------------------------------------------


def test_payment_requests_both_ways(cyclos):
    client = backend(cyclos)
    asked = client.request_payment(
        "ask-0050", "200-002", Decimal("80.05"), "FAC/2026/0050", datetime.date(2026, 4, 30)
    )
    assert (asked.state, asked.role, asked.payer, asked.payee) == (
        "open",
        "payee",
        "200-002",
        MY_ACCOUNT,
    )
    ((_m, _p, _a, request),) = posts(cyclos, "/payment-requests")
    assert request.get_json()["description"] == "FAC/2026/0050\n[mlml-key:ask-0050]"
    assert request.get_json()["expirationDate"] == "2026-04-30T23:59:59.000Z"
    # The same key again: the same request, none made.
    assert client.request_payment("ask-0050", "200-002", Decimal("80.05")).id == asked.id
    assert len(posts(cyclos, "/payment-requests")) == 1

    incoming = cyclos.request("100", "300", "42.00", "Facture TDF-13")
    page = client.payment_requests()
    by_id = {item.id: item for item in page.items}
    assert by_id[asked.id].role == "payee" and by_id[asked.id].amount == Decimal("80.05")
    assert by_id[incoming.id].role == "payer" and by_id[incoming.id].payee == "300-003"

    accepted = client.accept_request(incoming.id, "accept-13")
    assert accepted.state == "accepted" and accepted.transfer.amount == Decimal("42.00")
    assert cyclos.balance == Decimal("-224.50")
    # Accepting again pays nothing more.
    assert client.accept_request(incoming.id, "accept-13").state == "accepted"
    assert len(posts(cyclos, "/accept")) == 1 and cyclos.balance == Decimal("-224.50")

    # The other side refuses ours: the feed gives it again with its new state.
    cyclos.requests[asked.id].status = "denied"
    later = client.payment_requests(after=page.cursor)
    states = {item.id: item.state for item in later.items}
    assert states == {incoming.id: "accepted", asked.id: "refused"}
    # Nothing changed since: nothing more.
    assert client.payment_requests(after=later.cursor).items == ()


def test_refuse_and_cancel_requests(cyclos):
    client = backend(cyclos)
    incoming = cyclos.request("100", "200", "15.00", "Facture IDN-7")
    ours = cyclos.request("300", "100", "25.00", "FAC/2026/0051")
    refused = client.refuse_request(incoming.id, "Déjà payée par virement")
    assert refused.state == "refused" and refused.refusal_reason == "Déjà payée par virement"
    ((_m, _p, _a, request),) = posts(cyclos, "/reject")
    assert request.get_data(as_text=True) == "Déjà payée par virement"
    assert client.cancel_request(ours.id).state == "cancelled"
    with pytest.raises(Refused) as caught:
        client.cancel_request(ours.id)
    assert caught.value.code == "not_allowed"


def test_a_refuse_whose_answer_was_lost_is_done_once(cyclos):
    incoming = cyclos.request("100", "200", "15.00")
    client = backend(cyclos)
    real = cyclos._act
    calls = []

    def act_then_fail(action, key, request):
        calls.append(action)
        answer = real(action, key, request)
        return (503, {"exceptionType": "Gateway", "kind": "general"}) if len(calls) == 1 else answer

    cyclos._act = act_then_fail
    assert client.refuse_request(incoming.id, "Doublon").state == "refused"
    assert calls == ["reject"]  # the state was read before retrying: no second reject


def test_an_unknown_request_is_request_unknown(cyclos):
    with pytest.raises(Refused) as caught:
        backend(cyclos).accept_request("4242", "accept-4242")
    assert caught.value.code == "request_unknown"


# ----------------------------------------------------------------------
# The mock itself
# ----------------------------------------------------------------------


def test_the_mock_catches_a_request_cyclos_would_not_understand(cyclos):
    url = f"{cyclos.base}/self/accounts/mlml/history"
    requests.get(url, params={"orderBy": "newest"}, headers={"Access-Client-Token": "x"}, timeout=5)
    requests.get(url, params={"cursor": "1"}, headers={"Access-Client-Token": "x"}, timeout=5)
    assert len(cyclos.errors) == 2
    assert "orderBy" in cyclos.errors[0] and "cursor" in cyclos.errors[1]
    cyclos.errors.clear()


def test_cyclos_runs_no_multilateral_compensation_and_says_so(cyclos):
    client = backend(cyclos)
    for ask in (
        lambda: client.declare_obligation(
            None, "FAC/1", MY_ACCOUNT, "M-2", Decimal(10), "EUR", datetime.date(2026, 5, 1)
        ),
        lambda: client.obligations(),
        lambda: client.compensations(after="3"),
    ):
        with pytest.raises(Refused) as caught:
            ask()
        assert caught.value.code == "compensation_not_offered"
        assert "does not run multilateral compensation" in caught.value.detail
    assert cyclos.log == []
