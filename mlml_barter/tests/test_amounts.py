import math
from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.amounts import (
    CENT,
    RuleError,
    check_amount,
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


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        "nan",
        "NaN",
        "Infinity",
        "-inf",
        "sNaN",
        "abc",
        "",
        "1,5",
        None,
        True,
        [],
        {},
        Decimal("NaN"),
        Decimal("Infinity"),
    ],
)
def test_not_a_number_is_refused(value):
    with pytest.raises(RuleError) as err:
        to_decimal(value)
    assert err.value.code == "not_a_number"
    assert err.value.params == {"value": value}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "nan", "abc"])
def test_a_percent_must_be_a_number(value):
    with pytest.raises(RuleError) as err:
        check_percent(value)
    assert err.value.code == "not_a_number"


def test_strings_of_numbers_are_numbers():
    assert to_decimal(" 12.50 ") == Decimal("12.50")
    assert to_decimal("1e3") == Decimal(1000)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_a_finite_decimal_or_refused(value):
    try:
        number = to_decimal(value)
    except RuleError as error:
        assert error.code == "not_a_number"
        assert math.isnan(value) or math.isinf(value)
    else:
        assert number.is_finite()
        assert float(number) == value


def test_check_amount_bounds():
    assert check_amount("10.5", minimum=0) == Decimal("10.5")
    assert check_amount(0, minimum=0, maximum=0) == 0
    with pytest.raises(RuleError) as err:
        check_amount(-0.01, minimum=0)
    assert err.value.code == "amount_below_minimum"
    assert err.value.params == {"amount": Decimal("-0.01"), "minimum": Decimal(0)}
    with pytest.raises(RuleError) as err:
        check_amount(Decimal("1e9") + 1, maximum=Decimal("1e9"))
    assert err.value.code == "amount_above_maximum"
    with pytest.raises(RuleError) as err:
        check_amount(float("nan"), minimum=0)
    assert err.value.code == "not_a_number"


@given(amounts, amounts, amounts)
def test_check_amount_accepts_exactly_the_range(value, low, high):
    low, high = sorted((low, high))
    if low <= value <= high:
        assert check_amount(value, minimum=low, maximum=high) == value
    else:
        with pytest.raises(RuleError):
            check_amount(value, minimum=low, maximum=high)
