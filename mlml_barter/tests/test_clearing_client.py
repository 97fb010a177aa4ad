"""The clearing house's client against a real HTTP server on 127.0.0.1.

The server (``conftest.ScriptedServer``) answers each request with the next
step of the test's script (answers, slow answers, dropped connections, cut
bodies) and keeps every request it got, so that the tests assert what the
client *sent*: the same Idempotency-Key and body on every retry, the key
header, the amounts as strings.
"""

import datetime
import logging
import socket
from decimal import Decimal

import pytest
from hypothesis import (
    HealthCheck,
    given,
    settings,
    strategies as st,
)

from ..backend import Declaration, Refused, Unanswered
from ..clearing_client import ClearingHouseBackend
from ..connect import connect
from .conftest import Drop, Reply

KEY = "mlml-secret-7f3a"
BASE = "/mlml/api/v1"

TRANSFER = {
    "id": 41,
    "number": "VIR/0000041",
    "payer": "M-001",
    "payee": "M-002",
    "amount": "120.10",
    "reference": "FAC/2026/0042",
    "memo": "Nettoyage mars",
    "date": "2026-03-31",
    "created_at": "2026-03-31T10:00:00Z",
    "direction": "out",
    "channel": "api",
    "state": "posted",
    "reversal_of": None,
    "idempotency_key": "pay-0042",
}

REQUEST = {
    "id": 7,
    "payer": "M-002",
    "payee": "M-001",
    "amount": "80.05",
    "reference": "FAC/2026/0050",
    "due_date": "2026-04-30",
    "state": "open",
    "role": "payee",
    "refusal_reason": None,
    "transfer": None,
    "created_at": "2026-04-01T09:00:00Z",
}


def problem(status, code, detail, **figures):
    return Reply(
        status,
        {
            "type": f"urn:mlml:problem:{code.replace('_', '-')}",
            "title": "Refused",
            "status": status,
            "detail": detail,
            "code": code,
            **figures,
        },
        content_type="application/problem+json; charset=utf-8",
    )


def client(server, **options):
    """A client with fast retries (the backoff injected, as a caller may)."""
    options.setdefault("backoff", 0.001)
    options.setdefault("timeout", (1, 0.3))
    return ClearingHouseBackend(server.url, KEY, **options)


def pay(backend, key="pay-0042"):
    return backend.pay(key, "M-002", Decimal("120.1"), "FAC/2026/0042", "Nettoyage mars")


# ----------------------------------------------------------------------
# Each operation and what it reads
# ----------------------------------------------------------------------


def test_account_is_read_with_exact_amounts_and_the_member_s_headers(server):
    server.then(
        Reply(
            200,
            {
                "member_number": "M-001",
                "name": "Nettoyage Lillois",
                "state": "active",
                "currency": "MLM",
                "balance": "-182.50",
                "credit_limit": "1000.00",
                "balance_ceiling": None,
                "available": "817.50",
                "room": None,
            },
        )
    )
    account = client(server, lang="fr").account()
    assert account.balance == Decimal("-182.50")
    assert account.available == Decimal("817.50")
    assert account.credit_limit == Decimal("1000.00")
    assert account.balance_ceiling is None and account.room is None
    assert (account.member_number, account.state, account.currency) == ("M-001", "active", "MLM")
    (seen,) = server.log
    assert (seen.method, seen.path) == ("GET", f"{BASE}/account")
    assert seen.header("Authorization") == f"Bearer {KEY}"
    assert seen.header("Accept-Language") == "fr"
    assert seen.header("User-Agent").startswith("mlml_barter/")
    assert seen.header("Idempotency-Key") is None


def test_members_are_searched_and_read(server):
    server.then(
        Reply(
            200,
            {
                "items": [
                    {
                        "member_number": "M-002",
                        "name": "Imprimerie du Nord",
                        "city": "Roubaix",
                        "offers": ["impression", "reliure"],
                        "needs": ["nettoyage"],
                    }
                ]
            },
        )
    )
    (member,) = client(server).members("impri")
    assert member.member_number == "M-002" and member.city == "Roubaix"
    assert member.offers == ("impression", "reliure") and member.needs == ("nettoyage",)
    assert server.log[0].query == {"q": "impri"}


def test_transfers_are_read_by_page_with_their_key_when_the_server_gives_it(server):
    incoming = {**TRANSFER, "id": 42, "number": "VIR/0000042", "direction": "in"}
    del incoming["idempotency_key"]
    server.then(Reply(200, {"items": [TRANSFER, incoming], "next": "42", "has_more": True}))
    page = client(server).transfers(after="40", limit=2)
    assert server.log[0].query == {"after": "40", "limit": "2"}
    assert (page.cursor, page.has_more) == ("42", True)
    out, into = page.items
    assert out.amount == Decimal("120.10") and out.key == "pay-0042"
    assert (out.id, out.number, out.direction) == ("41", "VIR/0000041", "out")
    assert out.date == datetime.date(2026, 3, 31)
    assert into.key is None and into.direction == "in"


def test_pay_sends_the_key_and_the_amount_as_a_string(server):
    server.then(Reply(201, TRANSFER))
    transfer = pay(client(server))
    assert transfer.amount == Decimal("120.10") and transfer.number == "VIR/0000041"
    (seen,) = server.log
    assert (seen.method, seen.path) == ("POST", f"{BASE}/transfers")
    assert seen.header("Idempotency-Key") == "pay-0042"
    assert seen.body == {
        "payee": "M-002",
        "amount": "120.10",
        "reference": "FAC/2026/0042",
        "memo": "Nettoyage mars",
    }


def test_payment_requests_are_a_change_feed_read_in_order(server):
    accepted = {**REQUEST, "state": "accepted", "transfer": {**TRANSFER, "direction": "in"}}
    server.then(Reply(200, {"items": [REQUEST, accepted], "next": "9", "has_more": False}))
    page = client(server).payment_requests(after="3")
    first, latest = page.items
    assert first.id == latest.id == "7"
    assert (first.state, latest.state) == ("open", "accepted")
    assert latest.transfer.amount == Decimal("120.10")
    assert first.amount == Decimal("80.05") and first.due_date == datetime.date(2026, 4, 30)
    assert page.cursor == "9" and server.log[0].query == {"after": "3"}


def test_a_payment_request_is_made_once_with_its_key(server):
    server.then(Reply(201, REQUEST))
    made = client(server).request_payment(
        "ask-0050", "M-002", Decimal("80.05"), "FAC/2026/0050", datetime.date(2026, 4, 30)
    )
    assert made.state == "open" and made.role == "payee"
    (seen,) = server.log
    assert seen.header("Idempotency-Key") == "ask-0050"
    assert seen.body == {
        "payer": "M-002",
        "amount": "80.05",
        "reference": "FAC/2026/0050",
        "due_date": "2026-04-30",
    }


def test_accept_refuse_and_cancel_a_request(server):
    paid = {**REQUEST, "role": "payer", "state": "accepted", "transfer": TRANSFER}
    server.then(
        Reply(200, paid),
        Reply(200, {**REQUEST, "role": "payer", "state": "refused", "refusal_reason": "Doublon"}),
        Reply(200, {**REQUEST, "state": "cancelled"}),
    )
    backend = client(server)
    assert backend.accept_request("7", "accept-7").transfer.number == "VIR/0000041"
    assert backend.refuse_request(7, "Doublon").refusal_reason == "Doublon"
    assert backend.cancel_request("7").state == "cancelled"
    accept, refuse, cancel = server.log
    assert (accept.path, accept.header("Idempotency-Key")) == (
        f"{BASE}/payment-requests/7/accept",
        "accept-7",
    )
    assert (refuse.path, refuse.body) == (
        f"{BASE}/payment-requests/7/refuse",
        {"reason": "Doublon"},
    )
    assert cancel.path == f"{BASE}/payment-requests/7/cancel" and cancel.body is None


OBLIGATION = {
    "id": 12,
    "invoice": "FAC/2026/0007",
    "creditor": "M-002",
    "debtor": "M-001",
    "amount": "100.00",
    "amount_cleared": "80.00",
    "amount_open": "20.00",
    "currency": "EUR",
    "due_date": "2026-06-30",
    "state": "partly_cleared",
    "role": "debtor",
    "declared_by_creditor": True,
    "confirmed_by_debtor": True,
    "withdrawal_reason": None,
}

COMPENSATION = {
    "id": 3,
    "number": "CMP/0003",
    "cutoff_date": "2026-06-30",
    "confirmed_at": "2026-07-01T08:00:00Z",
    "with_liquidity": True,
    "currency": "EUR",
    "amount_cleared": "180.10",
    "mlml_amount": "-20.00",
    "invoices": [
        {
            "obligation": 12,
            "invoice": "FAC/2026/0007",
            "creditor": "M-002",
            "debtor": "M-001",
            "role": "debtor",
            "amount": "100.00",
            "amount_cleared": "100.00",
        },
        {
            "obligation": 13,
            "invoice": "F-0042",
            "creditor": "M-001",
            "debtor": "M-003",
            "role": "creditor",
            "amount": "120.00",
            "amount_cleared": "80.10",
        },
    ],
    "transfers": [
        {
            **TRANSFER,
            "id": 50,
            "number": "VIR/0000050",
            "channel": "compensation",
            "reference": "CMP/0003",
            "amount": "20.00",
            "idempotency_key": None,
        }
    ],
}


def test_an_obligation_is_declared_with_its_figures_as_strings(server):
    server.then(Reply(201, {**OBLIGATION, "amount_cleared": "0.00", "amount_open": "100.00"}))
    obligation = client(server).declare_obligation(
        "obl-7-10000",
        "FAC/2026/0007",
        "M-002",
        "M-001",
        Decimal(100),
        "EUR",
        datetime.date(2026, 6, 30),
    )
    assert (obligation.id, obligation.role, obligation.amount_open) == (
        "12",
        "debtor",
        Decimal("100.00"),
    )
    (seen,) = server.log
    assert (seen.method, seen.path) == ("POST", f"{BASE}/obligations")
    assert seen.header("Idempotency-Key") == "obl-7-10000"
    assert seen.body == {
        "invoice": "FAC/2026/0007",
        "creditor": "M-002",
        "debtor": "M-001",
        "amount": "100.00",
        "currency": "EUR",
        "due_date": "2026-06-30",
    }


def test_a_declaration_without_key_is_retried_unchanged(server):
    server.then(Drop(), Reply(200, OBLIGATION))
    declared = client(server).declare_obligation(
        None, "FAC/2026/0007", "M-002", "M-001", Decimal(20), "EUR", datetime.date(2026, 6, 30)
    )
    assert declared.amount_cleared == Decimal("80.00")
    first, second = server.log
    assert first.body == second.body and first.header("Idempotency-Key") is None


def test_declarations_go_by_batches_each_answered_on_its_own(server):
    refusal = problem(409, "obligation_cleared", "Invoice F-2 was cleared entirely.")
    server.then(
        Drop(),
        Reply(
            200,
            {
                "results": [
                    {"status": 201, "body": OBLIGATION},
                    {"status": 409, "body": refusal.body},
                ]
            },
        ),
    )
    due = datetime.date(2026, 6, 30)
    declarations = [
        Declaration("k-1", "FAC/2026/0007", "M-002", "M-001", Decimal(100), "EUR", due),
        Declaration(None, "F-2", "M-002", "M-001", Decimal("0.1"), "EUR", due),
    ]
    declared, refused = client(server).declare_obligations(declarations)
    assert (declared.id, declared.amount_open) == ("12", Decimal("20.00"))
    assert (refused.code, refused.status, refused.detail) == (
        "obligation_cleared",
        409,
        "Invoice F-2 was cleared entirely.",
    )
    first, second = server.log
    assert (second.method, second.path) == ("POST", f"{BASE}/obligations/batch")
    assert first.body == second.body
    assert second.body["declarations"][1] == {
        "invoice": "F-2",
        "creditor": "M-002",
        "debtor": "M-001",
        "amount": "0.10",
        "currency": "EUR",
        "due_date": "2026-06-30",
        "idempotency_key": None,
    }
    assert second.body["declarations"][0]["idempotency_key"] == "k-1"


def test_a_creditor_s_declaration_carries_its_mlml_part(server):
    server.then(Reply(200, {"results": [{"status": 201, "body": OBLIGATION}]}))
    due = datetime.date(2026, 6, 30)
    declaration = Declaration(
        "k-1", "F-1", "M-002", "M-001", Decimal(1200), "EUR", due, mlml_open=Decimal(0)
    )
    client(server).declare_obligations([declaration])
    (seen,) = server.log
    assert seen.body["declarations"][0]["mlml_open"] == "0.00"


def test_a_batch_answer_that_does_not_match_is_unanswered(server):
    server.then(Reply(200, {"results": []}))
    declaration = Declaration(
        None, "F-1", "M-002", "M-001", Decimal(1), "EUR", datetime.date(2026, 6, 30)
    )
    with pytest.raises(Unanswered):
        client(server).declare_obligations([declaration])


def test_a_refused_declaration_carries_the_clearing_house_s_reason(server):
    server.then(problem(409, "obligation_cleared", "Invoice FAC/2026/0007 was cleared entirely."))
    with pytest.raises(Refused) as caught:
        client(server).declare_obligation(
            None, "FAC/2026/0007", "M-002", "M-001", Decimal(5), "EUR", datetime.date(2026, 6, 30)
        )
    assert (caught.value.code, caught.value.status) == ("obligation_cleared", 409)
    assert "cleared entirely" in caught.value.detail
    assert len(server.log) == 1


def test_obligations_are_a_change_feed_with_the_withdrawal_reason(server):
    withdrawn = {**OBLIGATION, "state": "withdrawn", "withdrawal_reason": "Payée en euros"}
    server.then(Reply(200, {"items": [OBLIGATION, withdrawn], "next": "8", "has_more": False}))
    page = client(server).obligations(after="5", limit=10)
    first, latest = page.items
    assert first.amount_open == Decimal("20.00") and first.withdrawal_reason is None
    assert (latest.state, latest.withdrawal_reason) == ("withdrawn", "Payée en euros")
    assert first.due_date == datetime.date(2026, 6, 30)
    assert (page.cursor, page.has_more) == ("8", False)
    assert server.log[0].query == {"after": "5", "limit": "10"}
    assert server.log[0].path == f"{BASE}/obligations"


def test_compensations_give_each_invoice_cleared_and_the_liquidity_transfers(server):
    server.then(Reply(200, {"items": [COMPENSATION], "next": "3", "has_more": False}))
    page = client(server).compensations(after="2")
    (run,) = page.items
    assert (run.id, run.number, run.with_liquidity) == ("3", "CMP/0003", True)
    assert run.amount_cleared == Decimal("180.10") and run.mlml_amount == Decimal("-20.00")
    bill, invoice = run.invoices
    assert (bill.obligation, bill.role, bill.amount_cleared) == ("12", "debtor", Decimal("100.00"))
    assert (invoice.invoice, invoice.amount, invoice.amount_cleared) == (
        "F-0042",
        Decimal("120.00"),
        Decimal("80.10"),
    )
    (transfer,) = run.transfers
    assert (transfer.channel, transfer.amount, transfer.reference) == (
        "compensation",
        Decimal("20.00"),
        "CMP/0003",
    )
    assert run.cutoff_date == datetime.date(2026, 6, 30)
    assert server.log[0].path == f"{BASE}/compensations" and server.log[0].query == {"after": "2"}


def test_a_compensation_with_a_float_amount_is_a_bad_answer(server):
    bad = {**COMPENSATION, "mlml_amount": -20.0}
    server.then(Reply(200, {"items": [bad], "next": "3", "has_more": False}))
    with pytest.raises(Unanswered) as caught:
        client(server).compensations()
    assert caught.value.code == "bad_answer"


# ----------------------------------------------------------------------
# Retries: the same request, the same key, made once
# ----------------------------------------------------------------------


def assert_same_request_every_time(log, count):
    assert len(log) == count
    assert {seen.header("Idempotency-Key") for seen in log} == {log[0].header("Idempotency-Key")}
    assert all(seen.body == log[0].body for seen in log)
    assert log[0].header("Idempotency-Key")


def test_a_dropped_connection_is_retried_and_the_replay_is_the_same_transfer(server):
    # The first attempt was booked but its answer lost: the retry gets 200, the same one.
    server.then(Drop(), Reply(200, TRANSFER))
    assert pay(client(server)).number == "VIR/0000041"
    assert_same_request_every_time(server.log, 2)


def test_a_slow_answer_is_retried_after_the_read_timeout(server):
    server.then(Reply(201, TRANSFER, delay=0.8), Reply(200, TRANSFER))
    assert pay(client(server, timeout=(1, 0.2))).id == "41"
    assert_same_request_every_time(server.log, 2)


def test_a_truncated_body_is_retried(server):
    server.then(Reply(201, TRANSFER, missing=40), Reply(200, TRANSFER))
    assert pay(client(server)).amount == Decimal("120.10")
    assert_same_request_every_time(server.log, 2)


def test_a_503_storm_then_success(server):
    server.then(
        Reply(503, "busy"), Reply(502, "<html>bad gateway</html>"), Reply(503), Reply(201, TRANSFER)
    )
    assert pay(client(server, retries=4)).number == "VIR/0000041"
    assert_same_request_every_time(server.log, 4)


def test_a_503_storm_past_the_retries_is_unanswered(server):
    server.then(*[Reply(503, "busy")] * 3)
    with pytest.raises(Unanswered) as caught:
        pay(client(server, retries=2))
    assert caught.value.code == "server_error" and caught.value.status == 503
    assert "try again later" in caught.value.detail
    assert_same_request_every_time(server.log, 3)


def test_gets_are_retried_too(server):
    server.then(Drop(), Reply(500), Reply(200, {"items": [], "next": "0", "has_more": False}))
    page = client(server).transfers()
    assert page.items == () and page.cursor == "0"
    assert len(server.log) == 3 and all(seen.method == "GET" for seen in server.log)


def test_429_honours_retry_after_capped(server):
    pauses = []
    server.then(
        Reply(429, headers={"Retry-After": "2"}),
        Reply(429, headers={"Retry-After": "3600"}),
        Reply(201, TRANSFER),
    )
    backend = client(server, max_retry_after=5, sleep=pauses.append)
    assert pay(backend).id == "41"
    assert pauses == [2.0, 5.0]
    assert_same_request_every_time(server.log, 3)


def test_429_past_the_retries_is_unanswered_too_many_requests(server):
    server.then(*[Reply(429, headers={"Retry-After": "0"})] * 2)
    with pytest.raises(Unanswered) as caught:
        client(server, retries=1).account()
    assert caught.value.code == "too_many_requests" and caught.value.status == 429


def test_the_backoff_doubles_with_jitter(server):
    pauses = []
    server.then(*[Reply(503)] * 5)
    with pytest.raises(Unanswered):
        client(server, backoff=1, retries=4, sleep=pauses.append).account()
    assert len(pauses) == 4
    for attempt, pause in enumerate(pauses, start=1):
        assert 2 ** (attempt - 1) / 2 <= pause <= 2 ** (attempt - 1)


def test_no_server_at_all_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = ClearingHouseBackend(f"http://127.0.0.1:{port}", KEY, retries=2, backoff=0.001)
    with pytest.raises(Unanswered) as caught:
        backend.account()
    assert caught.value.code == "unreachable"
    assert "3 attempt(s)" in caught.value.detail and "check the address" in caught.value.detail


@pytest.mark.parametrize("url", ["ftp://ch.example.org", "ch.example.org", "http://"])
def test_an_address_that_is_not_a_url_says_so_at_once(url):
    with pytest.raises(Unanswered) as caught:
        ClearingHouseBackend(url, KEY, backoff=0.001).account()
    assert caught.value.code == "unreachable"
    assert "is not a valid URL: check it in the settings" in caught.value.detail


def test_a_refuse_whose_answer_was_lost_says_it_may_be_done(server):
    server.then(
        Drop(),
        problem(409, "request_not_open", "La demande 7 n'est plus ouverte."),
    )
    with pytest.raises(Refused) as caught:
        client(server).refuse_request("7", "Doublon")
    refusal = caught.value
    assert refusal.code == "request_not_open"
    assert refusal.problem["earlier_attempt_unanswered"] is True
    assert "may be what closed it" in refusal.detail
    assert [seen.body for seen in server.log] == [{"reason": "Doublon"}] * 2


# ----------------------------------------------------------------------
# Refusals: answered, not retried, with the problem's figures
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "code", "figures"),
    [
        (
            problem(400, "amount_too_precise", "Deux décimales au plus.", field="amount"),
            "amount_too_precise",
            {"field": "amount"},
        ),
        (problem(401, "unauthorized", "Clé d'API absente ou non valide."), "unauthorized", {}),
        (problem(403, "payer_not_active", "Le membre M-001 est suspendu."), "payer_not_active", {}),
        (
            problem(404, "member_unknown", "Aucun membre n'a le numéro M-999.", field="payee"),
            "member_unknown",
            {"field": "payee"},
        ),
        (
            problem(409, "idempotency_conflict", "Clé déjà utilisée (VIR/0000041)."),
            "idempotency_conflict",
            {},
        ),
        (
            problem(
                422,
                "payer_below_credit_limit",
                "Il manque 12,34 MLML.",
                balance="-987.66",
                amount="120.10",
                credit_limit="1000.00",
                missing="12.34",
            ),
            "payer_below_credit_limit",
            {
                "balance": Decimal("-987.66"),
                "amount": Decimal("120.10"),
                "credit_limit": Decimal("1000.00"),
                "missing": Decimal("12.34"),
            },
        ),
        (
            problem(
                422,
                "payee_cannot_receive",
                "M-002 ne peut pas recevoir 120,10 MLML pour l'instant.",
            ),
            "payee_cannot_receive",
            {},
        ),
    ],
)
def test_a_refusal_carries_the_problem_and_is_not_retried(server, reply, code, figures):
    server.then(reply)
    with pytest.raises(Refused) as caught:
        pay(client(server))
    refusal = caught.value
    assert (refusal.code, refusal.status) == (code, reply.status)
    assert refusal.detail == reply.body["detail"]
    for name, value in figures.items():
        assert refusal.problem[name] == value
        assert type(refusal.problem[name]) is type(value)
    assert "earlier_attempt_unanswered" not in refusal.problem
    assert len(server.log) == 1


def test_a_web_page_on_200_is_a_bad_answer_not_retried(server):
    server.then(Reply(200, "<html><body>Odoo</body></html>", content_type="text/html"))
    with pytest.raises(Unanswered) as caught:
        pay(client(server))
    assert caught.value.code == "bad_answer"
    assert "check its address" in caught.value.detail
    assert len(server.log) == 1


def test_json_that_is_not_the_api_s_is_a_bad_answer(server):
    server.then(Reply(200, {"balance": 12.5}))
    with pytest.raises(Unanswered) as caught:
        client(server).account()
    assert caught.value.code == "bad_answer" and "check its address" in caught.value.detail


def test_a_float_amount_is_a_bad_answer(server):
    server.then(Reply(201, {**TRANSFER, "amount": 120.1}))
    with pytest.raises(Unanswered) as caught:
        pay(client(server))
    assert caught.value.code == "bad_answer"


def test_a_web_page_404_is_not_a_clearing_house(server):
    server.then(Reply(404, "<html>Not Found</html>", content_type="text/html"))
    with pytest.raises(Refused) as caught:
        client(server).account()
    assert caught.value.code == "not_a_clearing_house" and caught.value.status == 404
    assert "check its address" in caught.value.detail
    assert len(server.log) == 1


def test_the_key_is_never_shown(server, caplog):
    caplog.set_level(logging.DEBUG)
    server.then(Drop(), Reply(503), problem(401, "unauthorized", "Clé non valide."))
    backend = client(server)
    with pytest.raises(Refused) as caught:
        backend.account()
    for text in (repr(backend), repr(backend._transport), str(caught.value), caplog.text):
        assert KEY not in text
    assert server.url in repr(backend)


def test_connect_returns_the_backend_of_a_kind(server):
    backend = connect("clearing_house", url=server.url + "/", key=KEY, backoff=0.001)
    assert isinstance(backend, ClearingHouseBackend)
    server.then(Reply(200, {"items": []}))
    assert backend.members() == []
    assert server.log[0].path == f"{BASE}/members"
    with pytest.raises(ValueError, match="not a kind of ledger"):
        connect("bitcoin", url=server.url, key=KEY)


# ----------------------------------------------------------------------
# Invariants
# ----------------------------------------------------------------------

AMOUNTS = st.decimals(
    min_value=Decimal(-1000000000), max_value=Decimal(1000000000), places=2
).filter(lambda amount: amount.is_finite())

FAULTS = st.sampled_from(
    [
        Drop(),
        Reply(201, TRANSFER, missing=25),
        Reply(503, "busy"),
        Reply(500),
        Reply(429, headers={"Retry-After": "0"}),
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(balance=AMOUNTS, available=AMOUNTS)
def test_amounts_are_read_exactly(server, balance, available):
    server.log.clear()
    server.then(
        Reply(
            200,
            {
                "member_number": "M-001",
                "name": "N",
                "state": "active",
                "currency": "MLM",
                "balance": str(balance),
                "credit_limit": "0.00",
                "balance_ceiling": "5.00",
                "available": str(available),
                "room": "0.10",
            },
        )
    )
    account = client(server).account()
    assert account.balance == balance and account.available == available
    assert account.room == Decimal("0.10")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(faults=st.lists(FAULTS, max_size=5))
def test_any_faults_within_the_retries_make_one_transfer_with_one_key(server, faults):
    server.log.clear()
    server.then(*faults, Reply(200, TRANSFER))
    retries = 3
    backend = client(server, retries=retries)
    if len(faults) <= retries:
        assert pay(backend).number == "VIR/0000041"
        assert_same_request_every_time(server.log, len(faults) + 1)
    else:
        with pytest.raises(Unanswered):
            pay(backend)
        assert_same_request_every_time(server.log, retries + 1)
        server.script.clear()
