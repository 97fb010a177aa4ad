from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.bounds import (
    ABOVE_CEILING,
    BELOW_CREDIT_LIMIT,
    BLOCK,
    WARN,
    check_movement,
    find_breach,
)

money = st.decimals(min_value=Decimal(-5000), max_value=Decimal(5000), places=2)
limits = st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=2)


def test_the_examples_of_the_network():
    # Line -1,000 / +2,000: pay 800, then 300 is refused, 100 short.
    verdict = check_movement(0, -800, 1000, 2000)
    assert verdict.accepted and verdict.new_balance == Decimal(-800)
    verdict = check_movement(-800, -300, 1000, 2000)
    assert not verdict.accepted
    assert verdict.new_balance == Decimal(-800)
    assert verdict.breach.reason == BELOW_CREDIT_LIMIT
    assert verdict.breach.excess == Decimal(100)
    assert verdict.breach.bound == Decimal(1000)
    # Receive 2,500: +1,700; then 500 more is above the ceiling by 200.
    verdict = check_movement(-800, 2500, 1000, 2000)
    assert verdict.accepted and verdict.new_balance == Decimal(1700)
    verdict = check_movement(1700, 500, 1000, 2000)
    assert not verdict.accepted
    assert verdict.breach.reason == ABOVE_CEILING
    assert verdict.breach.excess == Decimal(200)


def test_a_ceiling_of_zero_means_no_ceiling():
    assert check_movement(0, 10**6, 0, 0).accepted


def test_without_a_line_the_balance_does_not_go_below_zero():
    assert check_movement(100, -100, 0, 0).accepted
    verdict = check_movement(100, Decimal("-100.01"), 0, 0)
    assert not verdict.accepted
    assert verdict.breach.excess == Decimal("0.01")


def test_paying_back_in_is_welcome_even_below_a_lowered_line():
    # The line went from 1,000 to 500 while the balance was -800.
    assert check_movement(-800, 100, 500, 0).accepted
    assert not check_movement(-800, -1, 500, 0).accepted


def test_warn_mode_accepts_and_says_why():
    verdict = check_movement(-800, -300, 1000, 2000, mode=WARN)
    assert verdict.accepted and verdict.warning
    assert verdict.new_balance == Decimal(-1100)
    assert verdict.breach.excess == Decimal(100)


def test_a_managers_override_accepts_one_breach():
    verdict = check_movement(-800, -300, 1000, 2000, forced=True)
    assert verdict.accepted and verdict.warning


@pytest.mark.parametrize("amount", [0, Decimal("0.00")])
def test_nothing_moves_nothing_breaks(amount):
    assert find_breach(-5000, amount, 0, 1) is None


@given(st.lists(money, max_size=40), limits, limits)
def test_accepted_movements_never_leave_the_bounds(amounts, credit_limit, ceiling):
    balance = Decimal(0)
    for amount in amounts:
        verdict = check_movement(balance, amount, credit_limit, ceiling, mode=BLOCK)
        if verdict.accepted:
            balance = verdict.new_balance
        else:
            assert verdict.new_balance == balance  # a refused movement changes nothing
        assert balance >= -credit_limit
        if ceiling:
            assert balance <= ceiling


@given(money, money, limits, limits)
def test_refusal_figures_add_up(balance, amount, credit_limit, ceiling):
    breach = find_breach(balance, amount, credit_limit, ceiling)
    if breach is None:
        return
    assert breach.excess > 0
    if breach.reason == BELOW_CREDIT_LIMIT:
        assert balance + amount + breach.excess == -credit_limit
    else:
        assert balance + amount - breach.excess == ceiling
