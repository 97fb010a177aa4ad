from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.amounts import (
    CENT,
    RuleError,
    check_percent,
    is_peg_rate,
    percent_of,
    round_amount,
    to_decimal,
)

amounts = st.decimals(
    min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False
)
positive_amounts = st.decimals(
    min_value=Decimal(0), max_value=Decimal("1e9"), places=2, allow_nan=False
)
percents = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2, allow_nan=False)
roundings = st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal(1), Decimal("0.001")])


def test_floats_keep_the_value_the_user_typed():
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(123.45) == Decimal("123.45")
    assert to_decimal(7) == Decimal(7)
    assert to_decimal("33.33") == Decimal("33.33")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.675", "2.68"),  # float would give 2.67
        ("1.005", "1.01"),
        ("-1.005", "-1.01"),  # halves go away from zero, as in Odoo
        ("10.994", "10.99"),
        ("0.004", "0.00"),
    ],
)
def test_round_amount_halves_go_away_from_zero(value, expected):
    assert round_amount(Decimal(value)) == Decimal(expected)


def test_round_amount_to_five_cents():
    assert round_amount(Decimal("1.025"), Decimal("0.05")) == Decimal("1.05")
    assert round_amount(Decimal("1.024"), Decimal("0.05")) == Decimal("1.00")


def test_round_amount_refuses_a_rounding_of_zero():
    with pytest.raises(RuleError) as err:
        round_amount(1, 0)
    assert err.value.code == "rounding_not_positive"


@given(amounts, roundings)
def test_round_amount_is_a_multiple_of_the_rounding_and_within_half_of_it(value, rounding):
    rounded = round_amount(value, rounding)
    assert rounded % rounding == 0
    assert abs(rounded - value) <= rounding / 2
    assert round_amount(rounded, rounding) == rounded


@pytest.mark.parametrize("value", ["-0.01", "100.01", "120", "-5"])
def test_check_percent_refuses_outside_0_100(value):
    with pytest.raises(RuleError) as err:
        check_percent(Decimal(value))
    assert err.value.code == "percent_out_of_range"
    assert err.value.params == {"percent": Decimal(value)}


@pytest.mark.parametrize("value", [0, 100, 50.5, "33.33"])
def test_check_percent_accepts_0_to_100(value):
    assert check_percent(value) == to_decimal(value)


def test_percent_of_examples():
    assert percent_of(Decimal(1000), 50) == Decimal("500.00")
    assert percent_of(Decimal("33.33"), 33) == Decimal("11.00")
    assert percent_of(Decimal("99.99"), Decimal("33.33")) == Decimal("33.33")
    assert percent_of(Decimal("0.01"), 50) == Decimal("0.01")


@given(positive_amounts, percents)
def test_percent_of_stays_between_zero_and_the_base_in_cents(base, percent):
    part = percent_of(base, percent)
    assert Decimal(0) <= part <= base
    assert part % CENT == 0


@given(positive_amounts, percents, percents)
def test_percent_of_grows_with_the_percent(base, low, high):
    low, high = sorted((low, high))
    assert percent_of(base, low) <= percent_of(base, high)


@given(positive_amounts)
def test_percent_of_bounds(base):
    assert percent_of(base, 0) == 0
    assert percent_of(base, 100) == base


def test_only_one_is_a_peg_rate():
    assert is_peg_rate(1.0)
    assert is_peg_rate(Decimal("1.000"))
    assert not is_peg_rate(1.5)
    assert not is_peg_rate(0.999999)
