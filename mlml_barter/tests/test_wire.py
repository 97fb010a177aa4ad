from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from ..amounts import RuleError
from ..wire import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    check_idempotency_key,
    check_limit,
    decode_cursor,
    encode_cursor,
    fingerprint,
    format_amount,
    page,
    parse_amount,
    same_request,
)


def refused(code, function, *args):
    with pytest.raises(RuleError) as caught:
        function(*args)
    assert caught.value.code == code, caught.value


def test_amounts_are_decimal_strings():
    assert parse_amount("123.45") == Decimal("123.45")
    assert parse_amount("5") == Decimal("5.00")
    assert parse_amount(" 0.01 ") == Decimal("0.01")
    assert format_amount(Decimal(5)) == "5.00"
    assert format_amount(0.1 + 0.2) == "0.30"


def test_bad_amounts_are_refused_with_their_reason():
    refused("amount_not_a_string", parse_amount, 12.5)
    refused("amount_not_a_string", parse_amount, 12)
    refused("amount_not_a_string", parse_amount, None)
    refused("amount_not_positive", parse_amount, "0")
    refused("amount_not_positive", parse_amount, "0.00")
    refused("amount_not_positive", parse_amount, "-5.00")
    refused("amount_too_precise", parse_amount, "1.005")
    refused("amount_not_a_number", parse_amount, "abc")
    refused("amount_not_a_number", parse_amount, "NaN")
    refused("amount_not_a_number", parse_amount, "Infinity")
    refused("amount_not_a_number", parse_amount, "1e3")
    refused("amount_not_a_number", parse_amount, "1,50")
    refused("amount_not_a_number", parse_amount, "")
    refused("amount_too_large", parse_amount, "1000000000.01")
    refused("amount_not_a_number", parse_amount, "99999999999")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000000000), places=2))
def test_an_amount_reads_back_as_written(amount):
    assert parse_amount(format_amount(amount)) == amount


@given(st.text(max_size=20))
def test_any_text_is_an_amount_or_a_refusal(text):
    try:
        amount = parse_amount(text)
    except RuleError as error:
        assert error.code.startswith("amount_")
    else:
        assert Decimal("0.01") <= amount <= Decimal(1000000000)
        assert amount == amount.quantize(Decimal("0.01"))


def test_idempotency_keys():
    assert check_idempotency_key(" pay-42 ") == "pay-42"
    refused("idempotency_key_missing", check_idempotency_key, None)
    refused("idempotency_key_missing", check_idempotency_key, "  ")
    refused("idempotency_key_invalid", check_idempotency_key, "x" * 256)
    refused("idempotency_key_invalid", check_idempotency_key, "a\nb")


def test_the_same_body_is_the_same_request():
    first = {"payee": "MLML-0002", "amount": Decimal(5), "reference": "F1"}
    again = {"reference": "F1", "amount": Decimal("5.00"), "payee": "MLML-0002"}
    other = {"payee": "MLML-0002", "amount": Decimal(6), "reference": "F1"}
    assert same_request(fingerprint(first), again)
    assert not same_request(fingerprint(first), other)


@given(
    st.dictionaries(st.sampled_from(["payee", "amount", "memo"]), st.text(max_size=5)),
    st.dictionaries(st.sampled_from(["payee", "amount", "memo"]), st.text(max_size=5)),
)
def test_fingerprints_tell_bodies_apart(one, two):
    assert (fingerprint(one) == fingerprint(two)) == (one == two)


@given(st.integers(min_value=0, max_value=10**12))
def test_cursors_read_back(position):
    assert decode_cursor(encode_cursor(position)) == position


def test_bad_cursors_are_refused():
    assert decode_cursor(None) == 0
    assert decode_cursor("") == 0
    for bad in ("!!", "abc", encode_cursor(3) + "x", "djE6LTE", "x" * 65, "²", "-1", "1" * 19):
        refused("cursor_invalid", decode_cursor, bad)
    refused("cursor_invalid", encode_cursor, -1)


def test_limits():
    assert check_limit(None) == DEFAULT_LIMIT
    assert check_limit("10") == 10
    for bad in ("0", "-1", str(MAX_LIMIT + 1), "ten", 2.5, True):
        refused("limit_invalid", check_limit, bad)


@given(
    st.lists(st.integers(min_value=1, max_value=500), unique=True, max_size=60),
    st.lists(st.integers(min_value=501, max_value=900), unique=True, max_size=30),
    st.integers(min_value=1, max_value=15),
)
def test_paging_while_items_arrive_skips_and_repeats_nothing(before, arriving, limit):
    """Items arrive (with higher positions) while a client pages: it reads each once."""
    ledger = sorted(before)
    arriving = sorted(arriving)
    seen = []
    after = 0
    for _step in range(200):
        if arriving:
            ledger.append(arriving.pop(0))
        positions, following, has_more = page(ledger, after, limit)
        seen += positions
        after = decode_cursor(following)
        if not has_more and not arriving:
            positions, following, has_more = page(ledger, after, limit)
            seen += positions
            if not positions:
                break
    assert seen == sorted(before) + sorted(set(ledger) - set(before))
    assert len(seen) == len(set(seen))
