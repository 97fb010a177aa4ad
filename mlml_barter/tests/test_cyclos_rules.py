"""What the Cyclos backend reads and writes without a server: the key a payment
carries in its description, and Cyclos' errors in the clearing house's words."""

import json

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from ..backend import Refused, Unanswered
from ..cyclos import CyclosBackend, describe, read_description
from ..transport import Answer


def test_a_description_reads_back():
    text = describe("FAC/2026/0042", "Nettoyage mars", "pay-0042")
    assert text == "FAC/2026/0042\nNettoyage mars\n[mlml-key:pay-0042]"
    assert read_description(text) == ("FAC/2026/0042", "Nettoyage mars", "pay-0042")
    assert read_description("Facture 12\nBuffet") == ("Facture 12", "Buffet", None)
    assert read_description("") == ("", "", None)


@given(
    reference=st.text(alphabet=st.characters(exclude_characters="\n\r"), max_size=30),
    memo=st.text(alphabet=st.characters(exclude_characters="\r"), max_size=30),
    key=st.from_regex(r"\A[\x21-\x7e]{1,40}\Z"),
)
def test_the_key_comes_back_from_the_description(reference, memo, key):
    got_reference, got_memo, got_key = read_description(describe(reference, memo, key))
    assert got_key == key
    if reference.strip():
        assert got_reference == reference.strip()
        assert got_memo == memo.strip()


# ----------------------------------------------------------------------
# Cyclos' errors in the clearing house's words (no server needed)
# ----------------------------------------------------------------------


def refusal_of(status, body, content_type="application/json"):
    client = CyclosBackend(
        "http://127.0.0.1:9/mlml", token="t", account_type="mlml", payment_type="p"
    )
    text = body if isinstance(body, str) else json.dumps(body)
    answer = Answer(
        status=status,
        headers={"Content-Type": content_type},
        body=None if isinstance(body, str) else body,
        text=text,
    )
    return client._retryable(answer), client._refusal(answer)


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "words"),
    [
        (401, {"code": "loggedOut"}, Refused, "unauthorized", "new access client"),
        (403, {"code": "permissionDenied"}, Refused, "not_allowed", "permissions"),
        (404, {"entityType": "user", "key": "999"}, Refused, "member_unknown", "user 999"),
        (404, {"entityType": "accountType", "key": "x"}, Refused, "not_found", "accountType x"),
        (404, {"entityType": "transaction", "key": "7"}, Refused, "request_unknown", "7"),
        (
            422,
            {"code": "validation", "propertyErrors": {"amount": ["Montant invalide"]}},
            Refused,
            "parameter_invalid",
            "amount: Montant invalide",
        ),
        (409, {"code": "staleEntity"}, Refused, "conflict", "read it again"),
        (
            500,
            {"exceptionType": "X", "kind": "payment", "code": "insufficientBalance"},
            Refused,
            "payer_below_credit_limit",
            "smaller amount",
        ),
        (
            500,
            {"exceptionType": "X", "kind": "payment", "code": "destinationUpperLimitReached"},
            Refused,
            "payee_cannot_receive",
            "ceiling",
        ),
        (
            500,
            {"exceptionType": "X", "kind": "payment", "code": "dailyAmountExceeded"},
            Refused,
            "payment_limit_exceeded",
            "per day",
        ),
        (405, {"code": "smsSending"}, Unanswered, "server_error", "try again later"),
        (404, "<html>Not Found</html>", Refused, "not_a_cyclos_server", "check the address"),
    ],
)
def test_cyclos_errors_become_the_clearing_house_s_codes(status, body, kind, code, words):
    retryable, error = refusal_of(status, body)
    assert not retryable
    assert type(error) is kind and (error.code, error.status) == (code, status)
    assert words in error.detail


def test_a_cyclos_payment_error_is_final_but_a_crash_is_retried():
    assert not refusal_of(500, {"exceptionType": "X", "kind": "payment", "code": "pos"})[0]
    assert refusal_of(500, {"exceptionType": "NullPointerException", "kind": "general"})[0]
    assert refusal_of(500, {"exceptionType": "X", "kind": "payment", "code": "unexpected"})[0]
    assert refusal_of(503, "<html>busy</html>", "text/html")[0]
