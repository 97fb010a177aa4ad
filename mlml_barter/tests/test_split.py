from decimal import Decimal

import pytest
from hypothesis import (
    assume,
    given,
    strategies as st,
)

from mlml_barter.amounts import RuleError
from mlml_barter.split import (
    barter_moved,
    barter_part,
    check_barter_payment,
    check_barter_settlement,
    fits,
    is_capped,
    mlml_open,
    residuals,
    share_for,
    split_invoice,
)

cents = st.decimals(min_value=Decimal(0), max_value=Decimal("1e7"), places=2)
shares = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=4)
vat_rates = st.sampled_from([Decimal(0), Decimal("5.5"), Decimal(10), Decimal(20)])


def test_the_example_of_the_network():
    # 1,000 € HT + 20 % VAT at 50 %: 500 MLML and 700 €.
    split = split_invoice(Decimal(1200), Decimal(1000), 50)
    assert split.barter == Decimal("500.00")
    assert split.cash == Decimal("700.00")


def test_three_lines_of_33_33_at_33_percent_to_the_cent():
    eligible = Decimal("33.33") * 3
    split = split_invoice(eligible * Decimal("1.2"), eligible, 33)
    assert split.barter == Decimal("33.00")  # 32.9967 rounded
    assert split.barter + split.cash == eligible * Decimal("1.2")


def test_the_cap_limits_the_barter_part():
    assert barter_part(Decimal(10000), 50, cap=Decimal(2000)) == Decimal(2000)
    assert barter_part(Decimal(1000), 50, cap=Decimal(2000)) == Decimal(500)
    assert barter_part(Decimal(1000), 50, cap=0) == Decimal(500)


def test_an_absolute_amount_gives_its_share():
    share = share_for(Decimal(1000), Decimal(300))
    assert share == Decimal(30)
    assert barter_part(Decimal(1000), share) == Decimal(300)
    assert barter_part(Decimal("99.99"), share_for(Decimal("99.99"), Decimal("12.34"))) == Decimal(
        "12.34"
    )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Decimal("-0.01"), "barter_part_negative"),
        (Decimal("1000.01"), "barter_part_above_eligible"),
        (Decimal(600), "barter_part_above_cap"),
    ],
)
def test_impossible_amounts_are_refused(amount, code):
    with pytest.raises(RuleError) as err:
        share_for(Decimal(1000), amount, cap=Decimal(500))
    assert err.value.code == code


def test_a_share_outside_0_100_is_refused():
    with pytest.raises(RuleError):
        barter_part(Decimal(100), Decimal("100.01"))


def test_residuals():
    # 500 MLML part, nothing paid, 1,200 due: 500 in MLML, 700 in cash.
    assert residuals(500, 0, 1200) == (Decimal(500), Decimal(700))
    # MLML part paid: only cash remains.
    assert residuals(500, 500, 700) == (Decimal(0), Decimal(700))
    # Cash paid first: the MLML residual is what remains of the invoice.
    assert residuals(500, 0, 300) == (Decimal(300), Decimal(0))


def test_mlml_open():
    # 1,200 with a 400 MLML part, nothing paid: 400 accepted in MLML.
    assert mlml_open(400, 0, 0, 1200) == Decimal(400)
    # 100 paid in MLML: 300 (1,100 left to pay).
    assert mlml_open(400, 100, 0, 1100) == Decimal(300)
    # A run set off 1,000 of it, 240 of which paid in MLML: 160 of the 200 left.
    assert mlml_open(400, 0, 240, 200) == Decimal(160)
    # No MLML part, or more moved than the part: nothing.
    assert mlml_open(0, 0, 0, 1200) == Decimal(0)
    assert mlml_open(400, 300, 240, 900) == Decimal(0)


@given(cents, cents, cents, cents)
def test_mlml_open_stays_within_the_part_and_what_remains(barter, paid, compensated, residual):
    accepted = mlml_open(barter, paid, compensated, residual)
    assert Decimal(0) <= accepted <= min(barter, residual)


@given(cents, shares, vat_rates, cents)
def test_parts_add_up_and_stay_within_bounds(eligible, share, vat, cap):
    total = eligible + (eligible * vat / 100).quantize(Decimal("0.01"))
    split = split_invoice(total, eligible, share, cap)
    assert split.barter + split.cash == total
    assert Decimal(0) <= split.barter <= eligible
    if cap:
        assert split.barter <= cap
    assert split.barter == split.barter.quantize(Decimal("0.01"))
    if vat and eligible >= 1:
        assert split.cash > 0  # VAT is always paid in euros


@given(cents, cents)
def test_an_amount_round_trips_through_its_share(eligible, amount):
    assume(amount <= eligible)
    assert barter_part(eligible, share_for(eligible, amount)) == amount


@given(cents, cents, cents)
def test_residuals_add_up(barter, paid, residual):
    barter_residual, cash_residual = residuals(barter, paid, residual)
    assert barter_residual + cash_residual == residual
    assert Decimal(0) <= barter_residual <= residual


def test_a_barter_payment_pays_the_barter_part_and_no_more():
    check_barter_payment(Decimal(500), Decimal(500))
    check_barter_payment(Decimal(200), Decimal(500))
    with pytest.raises(RuleError) as err:
        check_barter_payment(Decimal("500.01"), Decimal(500))
    assert err.value.code == "barter_payment_above_residual"
    with pytest.raises(RuleError) as err:
        check_barter_payment(Decimal(10), Decimal(0))
    assert err.value.code == "no_barter_part_left"


def test_the_cap_is_told_when_it_sets_the_part():
    assert is_capped(Decimal(2000), 50, cap=Decimal(500))
    assert not is_capped(Decimal(2000), 20, cap=Decimal(500))
    assert not is_capped(Decimal(2000), 50, cap=0)


def test_a_typed_part_fits_within_the_eligible_amount_and_the_cap():
    assert fits(Decimal(1500), Decimal(400))
    assert not fits(Decimal(300), Decimal(400))
    assert not fits(Decimal(1500), Decimal(600), cap=Decimal(500))
    assert not fits(Decimal(1500), Decimal(-1))


def test_a_write_off_does_not_count_as_moved():
    # 1,000 MLML paid and 9,000 written off on a 10,000 MLML part.
    assert barter_moved(Decimal(10000), Decimal(1000), Decimal(10000)) == Decimal(1000)
    assert barter_moved(Decimal(500), Decimal(700), Decimal(700)) == Decimal(500)
    assert barter_moved(Decimal(500), Decimal(0), Decimal(0)) == Decimal(500)


@given(cents, cents, cents)
def test_what_moved_never_exceeds_what_was_reconciled(reconciled, moved, counterpart):
    assert Decimal(0) <= barter_moved(reconciled, moved, counterpart) <= reconciled


def test_barter_payments_settle_the_barter_part_and_no_more():
    check_barter_settlement(Decimal(500), Decimal(500))
    with pytest.raises(RuleError) as caught:
        check_barter_settlement(Decimal(1200), Decimal(500))
    assert caught.value.code == "barter_settled_above_part"
    assert caught.value.params == {"settled": Decimal(1200), "barter": Decimal(500)}
