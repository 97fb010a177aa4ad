import datetime

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from ..amounts import RuleError
from ..compensation import Obligation, compensate
from ..compensation_run import (
    CONFIRM,
    CREDITOR,
    DEBTOR,
    DISPUTE,
    NEW,
    REPLAY,
    UPDATE,
    Declared,
    cents,
    contested_claims,
    declaration_outcome,
    from_cents,
    loops,
    member_figures,
    member_liquidity,
    settlement_transfers,
)

DUE = datetime.date(2026, 12, 31)


def test_cents_round_trip():
    assert cents("120.00") == 12000
    assert cents(0.1) == 10
    assert cents(80.005) == 8001
    assert str(from_cents(12345)) == "123.45"
    assert str(from_cents(-5)) == "-0.05"


def test_first_declaration_creates():
    assert declaration_outcome(CREDITOR, 12000, DUE) == NEW
    assert declaration_outcome(DEBTOR, 12000, DUE) == NEW


def test_the_other_side_confirms_the_same_figures():
    by_creditor = Declared(12000, DUE, by_creditor=True, by_debtor=False)
    assert declaration_outcome(DEBTOR, 12000, DUE, by_creditor) == CONFIRM
    assert declaration_outcome(CREDITOR, 12000, DUE, by_creditor) == REPLAY


def test_other_figures_update_and_need_the_other_side_again():
    both = Declared(12000, DUE, by_creditor=True, by_debtor=True)
    assert declaration_outcome(DEBTOR, 12000, DUE, both) == REPLAY
    assert declaration_outcome(CREDITOR, 10000, DUE, both) == UPDATE
    assert declaration_outcome(DEBTOR, 12000, DUE.replace(day=30), both) == UPDATE


def test_an_answer_with_other_figures_is_a_dispute_until_one_side_agrees():
    by_creditor = Declared(12000, DUE, by_creditor=True, by_debtor=False)
    # The debtor answers the creditor's figures with others: a dispute.
    assert declaration_outcome(DEBTOR, 9000, DUE, by_creditor) == DISPUTE
    assert declaration_outcome(DEBTOR, 12000, DUE.replace(day=30), by_creditor) == DISPUTE
    # The creditor corrects its own figures before the debtor spoke: an update.
    assert declaration_outcome(CREDITOR, 9000, DUE, by_creditor) == UPDATE
    # The debtor stands by 90.00, the creditor said 120.00: the dispute lasts
    # whatever other figures either declares, and ends when one agrees.
    disputed = Declared(9000, DUE, by_creditor=False, by_debtor=True, disputed=True)
    assert declaration_outcome(DEBTOR, 9500, DUE, disputed) == DISPUTE
    assert declaration_outcome(CREDITOR, 12000, DUE, disputed) == DISPUTE
    assert declaration_outcome(DEBTOR, 9000, DUE, disputed) == REPLAY
    assert declaration_outcome(CREDITOR, 9000, DUE, disputed) == CONFIRM
    # A withdrawal settles it: the next declaration starts again.
    withdrawn = Declared(
        9000, DUE, by_creditor=False, by_debtor=True, withdrawn=True, disputed=True
    )
    assert declaration_outcome(CREDITOR, 12000, DUE, withdrawn) == UPDATE


def test_a_debtor_alone_corrects_its_figures_without_dispute():
    by_debtor = Declared(12000, DUE, by_creditor=False, by_debtor=True)
    assert declaration_outcome(DEBTOR, 9000, DUE, by_debtor) == UPDATE
    assert declaration_outcome(CREDITOR, 9000, DUE, by_debtor) == DISPUTE


def test_the_invoice_number_is_the_creditors():
    # One debtor's claim alone waits for the creditor.
    assert contested_claims({"squatter": False}) == set()
    # The creditor declared its invoice with its debtor: the other claim is in dispute.
    assert contested_claims({"squatter": False, "debtor": True}) == {"squatter"}
    assert contested_claims({"debtor": True, "a": False, "b": False}) == {"a", "b"}
    assert contested_claims({"debtor": True}) == set()
    # Two debtors claim it and the creditor declared neither: both in dispute.
    assert contested_claims({"squatter": False, "debtor": False}) == {"squatter", "debtor"}
    assert contested_claims({}) == set()


@given(st.dictionaries(st.integers(0, 6), st.booleans(), max_size=7))
def test_a_claim_the_creditor_declared_is_never_contested(claims):
    contested = contested_claims(claims)
    assert contested <= set(claims)
    assert not contested & {claim for claim, declared in claims.items() if declared}
    # Without the creditor's word, one claim is never contested, two or more all are.
    if not any(claims.values()):
        assert contested == (set(claims) if len(claims) > 1 else set())


def test_withdrawn_is_declared_again_and_cleared_is_closed():
    withdrawn = Declared(12000, DUE, by_creditor=True, by_debtor=True, withdrawn=True)
    assert declaration_outcome(CREDITOR, 12000, DUE, withdrawn) == UPDATE
    cleared = Declared(0, DUE, by_creditor=True, by_debtor=True, cleared=True)
    with pytest.raises(RuleError) as caught:
        declaration_outcome(CREDITOR, 12000, DUE, cleared)
    assert caught.value.code == "obligation_cleared"


def test_bad_declarations_are_refused():
    with pytest.raises(RuleError) as caught:
        declaration_outcome("buyer", 100, DUE)
    assert caught.value.code == "obligation_side"
    for amount in (0, -100):
        with pytest.raises(RuleError) as caught:
            declaration_outcome(CREDITOR, amount, DUE)
        assert caught.value.code == "obligation_amount_not_positive"


def test_member_liquidity():
    assert member_liquidity(-182.5, 1000, 2000) == (81750, 218250)
    assert member_liquidity(0, 0, 0) == (0, None)
    assert member_liquidity(-1200, 1000, 500) == (0, 170000)
    assert member_liquidity(700, 0, 500) == (70000, 0)


def test_settlement_transfers_match_the_movements():
    assert settlement_transfers({"A": -100, "B": 60, "C": 40}) == [("A", "B", 60), ("A", "C", 40)]
    assert settlement_transfers({}) == []
    assert settlement_transfers({"A": 0}) == []
    with pytest.raises(RuleError) as caught:
        settlement_transfers({"A": -100, "B": 50})
    assert caught.value.code == "movements_not_balanced"


@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=12))
def test_settlement_transfers_give_each_member_its_movement(values):
    movements = {f"M{n}": value for n, value in enumerate(values)}
    movements["LAST"] = -sum(values)
    transfers = settlement_transfers(movements)
    moved = dict.fromkeys(movements, 0)
    for payer, payee, amount in transfers:
        assert amount > 0
        assert movements[payer] < 0 < movements[payee]
        moved[payer] -= amount
        moved[payee] += amount
    assert moved == movements
    assert len(transfers) < max(1, len([v for v in movements.values() if v]))


def test_member_figures():
    loop = [Obligation(1, "A", "B", 10000), Obligation(2, "B", "C", 8000)]
    figures = member_figures(loop, {1: 8000, 2: 8000})
    assert figures == {
        "A": (10000, 0, 8000, 0),
        "B": (8000, 10000, 8000, 8000),
        "C": (0, 8000, 0, 8000),
    }


def test_loops_of_the_set_off():
    loop = [
        Obligation(1, "A", "B", 10000),
        Obligation(2, "B", "C", 8000),
        Obligation(3, "C", "A", 12000),
        Obligation(4, "D", "E", 500),
        Obligation(5, "E", "D", 700),
    ]
    cleared = {1: 8000, 2: 8000, 3: 8000, 4: 500, 5: 500}
    found = loops(loop, cleared)
    assert [sorted(members) for members, _amount in found] == [["A", "B", "C"], ["D", "E"]]
    assert [amount for _members, amount in found] == [8000, 500]
    members = found[0][0]
    assert [members[(members.index("A") + k) % 3] for k in range(3)] == ["A", "B", "C"]
    assert loops(loop, cleared, limit=1) == found[:1]
    assert loops(loop, {}) == []
    with pytest.raises(RuleError) as caught:
        loops(loop, {1: 100})
    assert caught.value.code == "not_a_circulation"


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 10_000)),
        min_size=1,
        max_size=15,
    )
)
def test_loops_add_up_to_what_clearing_alone_clears(arcs):
    pytest.importorskip("ortools.graph.python.min_cost_flow")
    obligations = [
        Obligation(n, f"M{d}", f"M{c}", cents) for n, (d, c, cents) in enumerate(arcs) if d != c
    ]
    if not obligations:
        return
    result = compensate(obligations)
    found = loops(obligations, result.cleared, limit=len(obligations) * 2)
    assert sum(amount * len(members) for members, amount in found) == result.total_cleared_cents
