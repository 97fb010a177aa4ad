import datetime
import json
import re

import pytest
from hypothesis import (
    example,
    given,
    strategies as st,
)

from .. import api_spec
from ..amounts import RuleError
from ..wire import (
    AMOUNT_PATTERN,
    CURSOR_PATTERN,
    FILLED_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_BODY_BYTES,
    PART_PATTERN,
    TEXT_PATTERN,
    amount_field,
    check_idempotency_key,
    check_limit,
    date_field,
    decode_cursor,
    parse_amount,
    parse_part,
    query_text,
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
    assert api_spec.PROBLEMS["body_too_large"] == 413
    assert "payee_above_ceiling" not in api_spec.PROBLEMS
    assert set(api_spec.PROBLEMS.values()) == {400, 401, 403, 404, 409, 413, 422}


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
        st.from_regex(PART_PATTERN),
        st.text(alphabet="0123456789. -\t", max_size=14),
        st.text(max_size=12),
        st.sampled_from(["0", "0.00", " 00.0 ", "-0", "1000000000", "1000000000.01", "."]),
    )
)
def test_the_described_parts_are_exactly_the_accepted_ones(text):
    """A part of an amount (the MLML part of an obligation): an amount, or zero."""
    assert bool(re.match(PART_PATTERN, text)) == _accepted(
        lambda value: parse_part(value, "mlml_open"), text
    ), text


@given(
    st.one_of(
        st.from_regex(IDEMPOTENCY_KEY_PATTERN),
        st.text(max_size=300),
        st.text(alphabet="ab \t", max_size=5),
    )
)
# Python's strip() takes \x1f for a blank, HTTP does not: the key keeps it, and is refused.
@example("0\x1f")
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


# ----------------------------------------------------------------------
# Input hygiene: what a client sends is read strictly, and the refusal names it.
# ----------------------------------------------------------------------


def test_attack_9_a_lone_surrogate_anywhere_in_a_body_is_refused_naming_its_field():
    for raw, field in (
        (b'{"memo": "\\ud800"}', "memo"),
        (b'{"payee": "CH-\\udfff"}', "payee"),
        (b'{"x": {"y": ["ok", "\\udbff"]}}', "x.y[1]"),
        (b'{"\\ud800": 1}', "\\ud800"),
    ):
        assert refused("field_not_unicode", read_body, raw).params == {"field": field}
    # A pair of surrogates is one character, and welcome.
    assert read_body(b'{"memo": "\\ud83d\\ude00"}') == {"memo": "\U0001f600"}


def test_attack_9_control_characters_are_refused_but_tab_and_newline():
    assert text_field({"memo": "line 1\n\tline 2"}, "memo") == "line 1\n\tline 2"
    for character in ("\x00", "\x07", "\x1b", "\r", "\x7f", "\x85", "\x9f"):
        error = refused("field_invalid_character", text_field, {"memo": f"a{character}b"}, "memo")
        assert error.params == {"field": "memo"}
    error = refused("field_invalid_character", query_text, "a\x00", "q", 100)
    assert error.params == {"field": "q", "parameter": True}
    assert query_text("  plomberie ", "q", 100) == "plomberie"
    assert query_text(None, "q", 100) == ""


def test_attack_9_texts_longer_than_their_limit_are_refused():
    limit = api_spec.MAX_TEXT["memo"]
    assert text_field({"memo": "é" * limit}, "memo") == "é" * limit
    error = refused(
        "field_too_long", text_field, {"memo": "é" * (limit + 1)}, "memo", max_length=limit
    )
    assert error.params == {"field": "memo", "max_length": limit}
    refused("field_too_long", query_text, "x" * 101, "q", 100)


def test_attack_9_a_body_over_the_limit_is_refused_before_it_is_parsed():
    refused("body_too_large", read_body, b" " * (MAX_BODY_BYTES + 1))
    assert read_body(b'{"memo": "x"}' + b" " * (MAX_BODY_BYTES - 13)) == {"memo": "x"}


def test_attack_9_a_key_twice_in_one_object_is_refused_at_any_depth():
    error = refused("body_duplicate_key", read_body, b'{"amount": "1.00", "amount": "900.00"}')
    assert error.params == {"field": "amount"}
    refused("body_duplicate_key", read_body, b'{"a": {"b": 1, "b": 1}}')
    refused("body_duplicate_key", read_body, b'{"a": [{"b": 1, "\\u0062": 2}]}')
    # The same key in two objects is two keys.
    assert read_body(b'{"a": {"b": 1}, "c": {"b": 2}}') == {"a": {"b": 1}, "c": {"b": 2}}


def test_nan_and_infinity_are_not_json():
    for raw in (b'{"amount": NaN}', b'{"amount": Infinity}', b'{"amount": -Infinity}'):
        refused("body_not_json", read_body, raw)


def test_a_limit_is_ascii_digits():
    assert check_limit("050") == 50
    for bad in (" 5", "5\n", "1_0", "\u0665", "+5"):
        refused("limit_invalid", check_limit, bad)


@given(st.text(max_size=30))
def test_the_described_texts_are_exactly_the_accepted_ones(text):
    described = bool(re.match(TEXT_PATTERN, text))
    assert described == _accepted(lambda value: text_field({"t": value}, "t"), text), text
    filled = bool(re.match(FILLED_PATTERN, text))
    required = _accepted(lambda value: text_field({"t": value}, "t", required=True), text)
    assert filled == required, text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    )
)
def test_any_unicode_json_object_is_read_back(value):
    body = {"v": value}
    assert read_body(json.dumps(body).encode()) == body


def test_the_description_states_the_limits():
    document = api_spec.openapi_document()
    schemas = document["components"]["schemas"]
    assert schemas["TransferIn"]["properties"]["memo"]["maxLength"] == 1000
    assert schemas["TransferIn"]["properties"]["reference"]["maxLength"] == 200
    assert schemas["Refusal"]["properties"]["reason"]["maxLength"] == 1000
    for name in ("TransferIn", "PaymentRequestIn", "Refusal", "ObligationIn"):
        for field, schema in schemas[name]["properties"].items():
            if schema.get("pattern") in (TEXT_PATTERN, FILLED_PATTERN):
                assert schema.get("maxLength"), (name, field)
            elif schema.get("type") == "string":
                assert schema.get("format") == "date" or schema["pattern"] in (
                    AMOUNT_PATTERN,
                    PART_PATTERN,
                )
    members = document["paths"]["/members"]["get"]
    for parameter in members["parameters"][:3]:
        assert parameter["schema"]["maxLength"] == 100
    for op in api_spec.OPERATIONS:
        described = document["paths"][op["path"]][op["method"].lower()]
        if op["body"]:
            assert "413" in described["responses"], op["id"]
            assert str(MAX_BODY_BYTES) in described["requestBody"]["description"]
    assert "payee_cannot_receive" in schemas["Problem"]["properties"]["code"]["enum"]
    assert "balance_ceiling" not in schemas["Problem"]["properties"]
