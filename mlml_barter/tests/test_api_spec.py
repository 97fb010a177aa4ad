import datetime
import json
import re

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from .. import api_spec
from ..amounts import RuleError
from ..wire import (
    AMOUNT_PATTERN,
    CURSOR_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    amount_field,
    check_idempotency_key,
    date_field,
    decode_cursor,
    parse_amount,
    read_body,
    text_field,
)


def refused(code, function, *args, **kwargs):
    with pytest.raises(RuleError) as caught:
        function(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def test_body_must_be_a_json_object():
    assert read_body(b'{"payee": "M-1"}') == {"payee": "M-1"}
    refused("body_not_json", read_body, b"{oops")
    refused("body_not_json", read_body, b"")
    refused("body_not_json", read_body, b"\xff\xfe")
    refused("body_not_object", read_body, b"[1]")
    refused("body_not_object", read_body, b'"text"')
    refused("body_not_json", read_body, b"[" * 100000)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists))
def test_any_json_that_is_not_an_object_is_refused_as_such(value):
    refused("body_not_object", read_body, json.dumps(value).encode())


def test_text_fields():
    body = {"memo": "  merci ", "payee": 42, "reference": "x" * 11, "empty": "  "}
    assert text_field(body, "memo") == "merci"
    assert text_field(body, "absent") == ""
    assert refused("field_missing", text_field, body, "absent", required=True).params == {
        "field": "absent"
    }
    refused("field_missing", text_field, body, "empty", required=True)
    refused("field_wrong_type", text_field, body, "payee")
    refused("field_too_long", text_field, body, "reference", max_length=10)
    refused("field_invalid_character", text_field, {"memo": "a\x00b"}, "memo")


def test_amount_and_date_fields():
    assert str(amount_field({"amount": "12.5"})) == "12.50"
    refused("field_missing", amount_field, {})
    refused("field_missing", amount_field, {"amount": None})
    refused("amount_not_a_string", amount_field, {"amount": 12.5})
    assert date_field({}, "due_date") is None
    assert date_field({"due_date": "2026-12-31"}, "due_date") == datetime.date(2026, 12, 31)
    refused("date_invalid", date_field, {"due_date": "2026-02-30"}, "due_date")
    refused("date_invalid", date_field, {"due_date": "31/12/2026"}, "due_date")
    refused("field_wrong_type", date_field, {"due_date": 20261231}, "due_date")


def test_every_operation_has_a_route_and_a_description():
    document = api_spec.openapi_document("https://ch.example")
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "https://ch.example/mlml/api/v1"}]
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert sorted(ids) == sorted(op["id"] for op in api_spec.OPERATIONS)
    for op in api_spec.OPERATIONS:
        route = api_spec.odoo_route(op["id"])
        assert route.startswith("/mlml/api/v1/")
        assert "{" not in route
        described = document["paths"][op["path"]][op["method"].lower()]
        assert str(op["status"]) in described["responses"]
        for status in op["problems"]:
            content = described["responses"][str(status)]["content"]
            assert "application/problem+json" in content


def test_every_reference_resolves():
    document = api_spec.openapi_document()
    text = json.dumps(document)
    for name in re.findall(r'"#/components/schemas/(\w+)"', text):
        assert name in document["components"]["schemas"], name


def test_problem_codes_have_the_statuses_of_the_issue():
    assert api_spec.PROBLEMS["payer_below_credit_limit"] == 422
    assert api_spec.PROBLEMS["idempotency_conflict"] == 409
    assert api_spec.PROBLEMS["unauthorized"] == 401
    assert api_spec.PROBLEMS["payee_cannot_receive"] == 422
    assert "payee_above_ceiling" not in api_spec.PROBLEMS
    assert set(api_spec.PROBLEMS.values()) == {400, 401, 403, 404, 409, 422}


def _accepted(function, value):
    try:
        function(value)
    except RuleError:
        return False
    return True


@given(
    st.one_of(
        st.from_regex(AMOUNT_PATTERN),
        st.text(alphabet="0123456789. -\t", max_size=14),
        st.text(max_size=12),
        st.sampled_from(["1000000000", "1000000000.00", "1000000000.01", "0000000001", "0.00"]),
    )
)
def test_the_described_amounts_are_exactly_the_accepted_ones(text):
    assert bool(re.match(AMOUNT_PATTERN, text)) == _accepted(parse_amount, text), text


@given(
    st.one_of(
        st.from_regex(IDEMPOTENCY_KEY_PATTERN),
        st.text(max_size=300),
        st.text(alphabet="ab \t", max_size=5),
    )
)
def test_the_described_keys_are_exactly_the_accepted_ones(key):
    # HTTP strips the spaces around a header's value before the server reads it.
    sent = key.strip(" \t")
    assert bool(re.match(IDEMPOTENCY_KEY_PATTERN, sent)) == _accepted(check_idempotency_key, sent)


@given(st.one_of(st.from_regex(CURSOR_PATTERN), st.text(max_size=20)))
def test_the_described_cursors_are_exactly_the_accepted_ones(cursor):
    assert (
        bool(re.match(CURSOR_PATTERN, cursor))
        or cursor == ""
        or not _accepted(decode_cursor, cursor)
    )
    if re.match(CURSOR_PATTERN, cursor):
        assert decode_cursor(cursor) == int(cursor.strip() or 0)
