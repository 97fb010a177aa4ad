from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ..amounts import RuleError
from ..bounds import WARN
from ..ledger import Account, commission_for, decide_transfer, lock_order


def account(key, balance=0, limit=1000, ceiling=1000, state="active"):
    return Account(key, state, Decimal(balance), Decimal(limit), Decimal(ceiling))


def refused(code, *args, **kwargs):
    with pytest.raises(RuleError) as caught:
        decide_transfer(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value.params


def test_a_transfer_moves_both_accounts_by_the_same_amount():
    decision = decide_transfer(account("A"), account("B"), "123.45")
    assert decision.payer_after == Decimal("-123.45")
    assert decision.payee_after == Decimal("123.45")
    assert decision.commission == 0


def test_the_payer_may_not_go_below_its_credit_line():
    params = refused("payer_below_credit_limit", account("A", -900), account("B"), 150)
    assert params["missing"] == Decimal("50.00")
    assert params["credit_limit"] == Decimal(1000)
    decide_transfer(account("A", -900), account("B"), 100)


def test_the_payee_may_not_go_above_its_ceiling():
    params = refused("payee_above_ceiling", account("A"), account("B", 950), 100)
    assert params["excess"] == Decimal("50.00")
    # No ceiling: 0.
    decide_transfer(account("A"), account("B", 950, ceiling=0), 100)


def test_warn_and_force_let_a_breach_through_with_its_warning():
    decision = decide_transfer(account("A", -900), account("B"), 150, mode=WARN)
    assert decision.payer_after == Decimal("-1050.00")
    assert decision.warnings[0].excess == Decimal("50.00")
    decision = decide_transfer(account("A", -900), account("B"), 150, forced=True)
    assert decision.warnings


def test_who_may_pay_and_be_paid():
    refused("transfer_to_oneself", account("A"), account("A"), 10)
    refused("transfer_amount_not_positive", account("A"), account("B"), 0)
    refused("payer_not_active", account("A", state="suspended"), account("B"), 10)
    refused("payee_not_active", account("A"), account("B", state="candidate"), 10)
    refused("payee_not_active", account("A"), account("B", -50, state="suspended"), 10)
    # A suspended member may be paid back into the green, when allowed, not beyond.
    suspended = account("B", -50, state="suspended")
    decide_transfer(account("A"), suspended, 50, repay_suspended=True)
    refused("payee_not_active", account("A"), suspended, 51, repay_suspended=True)


def test_the_commission_is_paid_by_the_payer_and_must_fit_its_room():
    house = account("H", limit=0, ceiling=0)
    assert commission_for(Decimal(1000), 2) == Decimal("20.00")
    assert commission_for(Decimal("0.40"), Decimal("2.5")) == Decimal("0.01")
    decision = decide_transfer(account("A"), account("B"), 500, commission_percent=2, house=house)
    assert decision.commission == Decimal("10.00")
    assert decision.payer_after == Decimal("-510.00")
    params = refused(
        "payer_below_credit_limit",
        account("A", -500),
        account("B"),
        495,
        commission_percent=2,
        house=house,
    )
    assert params["commission"] == Decimal("9.90")
    assert params["missing"] == Decimal("4.90")
    refused("commission_without_house", account("A"), account("B"), 10, commission_percent=2)


@pytest.mark.parametrize(
    ("amount", "commission"),
    [("0.01", "0.01"), ("0.49", "0.01"), ("0.50", "0.01"), ("100.00", "1.00"), ("150.50", "1.51")],
)
def test_attack_10_a_transfer_owing_a_commission_pays_at_least_one_cent(amount, commission):
    # At 1 %, 0.01 to 0.49 paid nothing: a payment split in such transfers went free.
    assert commission_for(Decimal(amount), 1) == Decimal(commission)
    assert commission_for(Decimal(amount), 1.0) == Decimal(commission)
    house = account("H", limit=0, ceiling=0)
    decision = decide_transfer(
        account("A"), account("B"), amount, commission_percent=1, house=house
    )
    assert decision.commission == Decimal(commission)
    assert decision.payer_after == -(Decimal(amount) + Decimal(commission))
    assert commission_for(Decimal(amount), 0) == 0


AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(1000000000), places=2)
PERCENTS = st.one_of(
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3),
    st.sampled_from([1, 1.0, 2.5, 0.1, 5]),
)


@given(AMOUNTS, PERCENTS)
def test_the_commission_is_the_exact_share_rounded_up_to_the_cent(amount, percent):
    commission = commission_for(amount, percent)
    exact = amount * Decimal(repr(percent) if isinstance(percent, float) else percent) / 100
    assert commission == commission.quantize(Decimal("0.01"))
    assert commission >= Decimal("0.01")
    assert exact <= commission < exact + Decimal("0.01")


@given(st.lists(AMOUNTS, min_size=2, max_size=20), PERCENTS)
def test_attack_10_splitting_a_payment_never_lowers_its_commission(parts, percent):
    whole = commission_for(sum(parts), percent)
    assert sum(commission_for(part, percent) for part in parts) >= whole


def test_accounts_are_locked_in_one_order():
    assert lock_order(7, 3) == lock_order(3, 7) == [3, 7]


class LedgerMachine(RuleBasedStateMachine):
    """Random histories of transfers, refusals and reversals on a small network."""

    def __init__(self):
        super().__init__()
        self.limits = {key: Decimal(100 * (i + 1)) for i, key in enumerate("ABCD")}
        self.ceilings = {key: Decimal(150 * (i + 1)) for i, key in enumerate("ABCD")}
        self.balances = dict.fromkeys([*"ABCD", "H"], Decimal(0))
        self.transfers = []

    def account(self, key):
        if key == "H":
            return account("H", self.balances["H"], 0, 0)
        return account(key, self.balances[key], self.limits[key], self.ceilings[key])

    def apply(self, payer, payee, decision):
        self.balances[payer] = decision.payer_after
        self.balances[payee] = decision.payee_after
        self.balances["H"] += decision.commission
        self.transfers.append((payer, payee, decision.amount, decision.commission))

    @rule(
        payer=st.sampled_from("ABCD"),
        payee=st.sampled_from("ABCD"),
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(400), places=2),
        percent=st.sampled_from([0, 1, Decimal("2.5")]),
    )
    def transfer(self, payer, payee, amount, percent):
        try:
            decision = decide_transfer(
                self.account(payer),
                self.account(payee),
                amount,
                commission_percent=percent,
                house=self.account("H"),
            )
        except RuleError:
            return
        self.apply(payer, payee, decision)

    @rule(index=st.integers(min_value=0, max_value=50))
    def reverse(self, index):
        """A reversal is a transfer the other way, checked like any other."""
        if index >= len(self.transfers):
            return
        payer, payee, amount, _commission = self.transfers[index]
        try:
            decision = decide_transfer(self.account(payee), self.account(payer), amount)
        except RuleError:
            return
        self.apply(payee, payer, decision)

    @invariant()
    def sum_is_zero(self):
        assert sum(self.balances.values()) == 0

    @invariant()
    def bounds_hold(self):
        for key in "ABCD":
            assert -self.limits[key] <= self.balances[key] <= self.ceilings[key]


TestLedgerHistories = LedgerMachine.TestCase
