import itertools
import sys
from decimal import Decimal

import networkx
import pytest
from hypothesis import (
    given,
    settings,
    strategies as st,
)

from ..amounts import RuleError
from ..compensation import (
    Liquidity,
    Obligation,
    SolverMissing,
    check_liquidity,
    compensate,
    greedy_cycle_cancelling,
    net_internal_debt,
    net_positions,
)

LOOP = [
    Obligation("INV/1", "A", "B", 10000),
    Obligation("INV/2", "B", "C", 8000),
    Obligation("INV/3", "C", "A", 12000),
]


def moves(obligations, result):
    """Each member's cleared receivables minus its cleared payables."""
    moved = {}
    for obligation in obligations:
        cents = result.cleared[obligation.id]
        moved[obligation.debtor] = moved.get(obligation.debtor, 0) - cents
        moved[obligation.creditor] = moved.get(obligation.creditor, 0) + cents
    return moved


def assert_valid(obligations, result, liquidity=None):
    """What the clearing house checks before it books a set-off."""
    assert set(result.cleared) == {obligation.id for obligation in obligations}
    for obligation in obligations:
        assert 0 <= result.cleared[obligation.id] <= obligation.cents
    assert result.total_cleared_cents == sum(result.cleared.values())
    moved = moves(obligations, result)
    if liquidity is None:
        assert result.transfers == {}
        assert all(cents == 0 for cents in moved.values())
        return
    bounds = {entry.member: entry for entry in liquidity}
    assert sum(result.transfers.values()) == 0
    for member, cents in moved.items():
        assert result.transfer(member) == cents
        entry = bounds.get(member)
        if entry is None:
            assert cents == 0
            continue
        assert -entry.can_pay_cents <= cents
        assert entry.can_receive_cents is None or cents <= entry.can_receive_cents
    # What a creditor receives in MLML, invoice by invoice: within what is
    # cleared on it and the MLML part it accepts; in all, its transfer.
    # Only the invoices that brought MLML are listed, each with more than 0.
    assert set(result.received) <= {obligation.id for obligation in obligations}
    assert all(cents > 0 for cents in result.received.values())
    received = {}
    for obligation in obligations:
        cents = result.received_on(obligation.id)
        accepts = obligation.cents if obligation.mlml_cents is None else obligation.mlml_cents
        assert 0 <= cents <= min(result.cleared[obligation.id], accepts)
        received[obligation.creditor] = received.get(obligation.creditor, 0) + cents
    for member, cents in moved.items():
        assert max(cents, 0) == received.get(member, 0)


def brute_force_optimum(obligations, liquidity=None):
    """The largest total over every integer choice of cleared amounts (tiny inputs only)."""
    bounds = {entry.member: entry for entry in liquidity or ()}
    best = 0
    for choice in itertools.product(*(range(o.cents + 1) for o in obligations)):
        moved = {}
        for obligation, cents in zip(obligations, choice, strict=True):
            moved[obligation.debtor] = moved.get(obligation.debtor, 0) - cents
            moved[obligation.creditor] = moved.get(obligation.creditor, 0) + cents
        feasible = sum(moved.values()) == 0
        for member, cents in moved.items():
            if liquidity is None:
                feasible = feasible and cents == 0
                continue
            entry = bounds.get(member, Liquidity(member, 0, 0))
            feasible = (
                feasible
                and cents >= -entry.can_pay_cents
                and (entry.can_receive_cents is None or cents <= entry.can_receive_cents)
            )
        if feasible:
            best = max(best, sum(choice))
    return best


def networkx_optimum(obligations, liquidity=None):
    """The optimum by networkx's network simplex on a graph of its own.

    Each invoice is a node between its debtor and its creditor (so parallel
    invoices need no multigraph); the clearing house is a node no member can
    be named after.
    """
    graph = networkx.DiGraph()
    house = ("house",)
    for obligation in obligations:
        middle = ("invoice", obligation.id)
        graph.add_edge(("member", obligation.debtor), middle, capacity=obligation.cents, weight=-1)
        graph.add_edge(middle, ("member", obligation.creditor), capacity=obligation.cents, weight=0)
        if liquidity is not None:
            # Only its MLML part may reach the creditor's MLML receipts.
            accepts = obligation.cents if obligation.mlml_cents is None else obligation.mlml_cents
            receipts = ("receipts", obligation.creditor)
            graph.add_edge(middle, receipts, capacity=accepts, weight=0)
    for entry in liquidity or ():
        member = ("member", entry.member)
        if member not in graph:
            continue
        graph.add_edge(house, member, capacity=entry.can_pay_cents, weight=0)
        receive = {} if entry.can_receive_cents is None else {"capacity": entry.can_receive_cents}
        if ("receipts", entry.member) in graph:
            graph.add_edge(("receipts", entry.member), house, weight=0, **receive)
    if not graph:
        return 0
    cost, _flows = networkx.network_simplex(graph)
    return -cost


members = st.integers(min_value=0, max_value=5)


@st.composite
def obligation_lists(draw, max_size=12, max_cents=10**6):
    pairs = draw(
        st.lists(
            st.tuples(members, members, st.integers(min_value=1, max_value=max_cents)).filter(
                lambda triple: triple[0] != triple[1]
            ),
            max_size=max_size,
        )
    )
    return [
        Obligation(number, debtor, creditor, cents)
        for number, (debtor, creditor, cents) in enumerate(pairs)
    ]


@st.composite
def accepting_obligation_lists(draw, max_size=40, max_cents=10**6):
    """Obligations whose creditors accept a part in MLML (or all: ``None``)."""
    return [
        Obligation(
            o.id,
            o.debtor,
            o.creditor,
            o.cents,
            draw(st.one_of(st.none(), st.just(0), st.integers(0, o.cents))),
        )
        for o in draw(obligation_lists(max_size=max_size, max_cents=max_cents))
    ]


@st.composite
def liquidity_lists(draw, max_cents=10**6):
    chosen = draw(st.lists(members, unique=True, max_size=6))
    cents = st.integers(min_value=0, max_value=max_cents)
    return [Liquidity(member, draw(cents), draw(st.one_of(st.none(), cents))) for member in chosen]


# ---------------------------------------------------------------- examples


def test_a_loop_of_three_invoices_clears_its_smallest():
    result = compensate(LOOP)
    assert result.cleared == {"INV/1": 8000, "INV/2": 8000, "INV/3": 8000}
    assert result.total_cleared_cents == 24000
    residuals = [obligation.cents - result.cleared[obligation.id] for obligation in LOOP]
    assert residuals == [2000, 0, 4000]
    assert result.transfers == {}
    assert_valid(LOOP, result)


def test_the_figures_of_a_compensation():
    result = compensate(LOOP)
    assert net_positions(LOOP) == {"A": 2000, "B": 2000, "C": -4000}
    assert result.total_debt_cents == 30000
    assert result.net_internal_debt_cents == 4000 == net_internal_debt(LOOP)
    assert result.clearable_cents == 26000
    assert result.remaining_net_internal_debt_cents == 4000
    assert result.percent_removed == Decimal("80.00")


def test_a_chain_without_loop_clears_nothing():
    chain = [Obligation(1, "A", "B", 500), Obligation(2, "B", "C", 500)]
    result = compensate(chain)
    assert result.cleared == {1: 0, 2: 0}
    assert result.percent_removed == 0
    assert greedy_cycle_cancelling(chain).cleared == {1: 0, 2: 0}


def test_nothing_to_clear():
    result = compensate([])
    assert result.cleared == {}
    assert result.total_cleared_cents == 0
    assert result.percent_removed == 0
    assert compensate([], []).total_cleared_cents == 0


def test_parallel_invoices_clear_in_part_the_first_given_first():
    invoices = [
        Obligation(1, "A", "B", 300),
        Obligation(2, "A", "B", 300),
        Obligation(3, "B", "A", 450),
    ]
    result = compensate(invoices)
    # The first invoice given clears first.
    assert result.cleared == {1: 300, 2: 150, 3: 450}
    assert compensate(invoices[::-1]).cleared == {1: 150, 2: 300, 3: 450}
    assert_valid(invoices, result)


def test_members_are_any_hashable_even_the_house_name():
    invoices = [
        Obligation("x", "MLML", ("SIREN", 42), 100),
        Obligation("y", ("SIREN", 42), 7, 100),
        Obligation("z", 7, "MLML", 100),
    ]
    result = compensate(invoices, [Liquidity("MLML", 0, 0)])
    assert result.total_cleared_cents == 300
    assert result.transfer("MLML") == 0
    assert_valid(invoices, result, [Liquidity("MLML", 0, 0)])


def test_the_greedy_way_leaves_clearable_debt():
    # Two loops share A→B: A→B→A (20.00 cleared) and A→B→C→A (30.00). The
    # greedy search meets the short one first and clears it; A→B is then
    # paid and the longer loop is lost.
    invoices = [
        Obligation(1, "A", "B", 1000),
        Obligation(2, "B", "A", 1000),
        Obligation(3, "B", "C", 1000),
        Obligation(4, "C", "A", 1000),
    ]
    result = compensate(invoices)
    assert result.cleared == {1: 1000, 2: 0, 3: 1000, 4: 1000}
    greedy = greedy_cycle_cancelling(invoices)
    assert greedy.cleared == {1: 1000, 2: 1000, 3: 0, 4: 0}
    assert_valid(invoices, greedy)


# ---------------------------------------------------------------- liquidity


def test_liquidity_pays_what_a_loop_cannot_clear():
    liquidity = [Liquidity("A", 0, None), Liquidity("B", 0, None), Liquidity("C", 3000, 0)]
    result = compensate(LOOP, liquidity)
    assert result.cleared == {"INV/1": 10000, "INV/2": 8000, "INV/3": 11000}
    assert result.transfers == {"A": 1000, "B": 2000, "C": -3000}
    assert result.total_cleared_cents == 29000
    # C still owes A 1,000.00: A's position on what remains.
    assert result.remaining_net_internal_debt_cents == 1000
    assert result.percent_removed == Decimal("96.67")
    assert_valid(LOOP, result, liquidity)


def test_a_ceiling_stops_the_liquidity():
    liquidity = [Liquidity("A", 0, 0), Liquidity("B", 0, 500), Liquidity("C", 100000, None)]
    result = compensate(LOOP, liquidity)
    # Only B may receive (5.00), A may not move: C pays 5.00, and its
    # invoice to A and A's to B each clear 5.00 beyond the loop's 80.00.
    assert result.transfers == {"A": 0, "B": 500, "C": -500}
    assert result.total_cleared_cents == 24000 + 2 * 500
    assert_valid(LOOP, result, liquidity)


def test_members_without_liquidity_entry_do_not_move():
    chain = [Obligation(1, "A", "B", 500), Obligation(2, "B", "C", 500)]
    result = compensate(chain, [Liquidity("A", 10000, None)])
    assert result.total_cleared_cents == 0
    assert result.transfers == {"A": 0, "B": 0, "C": 0}
    both = [Liquidity("A", 10000, None), Liquidity("C", 0, None)]
    assert compensate(chain, both).cleared == {1: 500, 2: 500}


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("obligations", "code"),
    [
        ([Obligation(1, "A", "A", 100)], "obligation_self"),
        ([Obligation(1, "A", "B", 0)], "obligation_cents_not_positive"),
        ([Obligation(1, "A", "B", -5)], "obligation_cents_not_positive"),
        ([Obligation(1, "A", "B", 1.5)], "obligation_cents_not_integer"),
        ([Obligation(1, "A", "B", "100")], "obligation_cents_not_integer"),
        ([Obligation(1, "A", "B", True)], "obligation_cents_not_integer"),
        ([Obligation(1, "A", "B", Decimal("100.00"))], "obligation_cents_not_integer"),
        ([Obligation(1, "A", "B", 1), Obligation(1, "B", "A", 1)], "obligation_duplicate_id"),
    ],
)
@pytest.mark.parametrize("solve", [compensate, greedy_cycle_cancelling])
def test_bad_obligations_refused(solve, obligations, code):
    with pytest.raises(RuleError) as err:
        solve(obligations)
    assert err.value.code == code
    assert err.value.params["obligation"] == 1


@pytest.mark.parametrize(
    ("liquidity", "code"),
    [
        ([Liquidity("A", -1, None)], "liquidity_negative"),
        ([Liquidity("A", 0, -1)], "liquidity_negative"),
        ([Liquidity("A", 0.5, None)], "liquidity_cents_not_integer"),
        ([Liquidity("A", 0, 2.0)], "liquidity_cents_not_integer"),
        ([Liquidity("A", 1, None), Liquidity("A", 2, None)], "liquidity_duplicate_member"),
    ],
)
def test_bad_liquidity_refused(liquidity, code):
    with pytest.raises(RuleError) as err:
        compensate(LOOP, liquidity)
    assert err.value.code == code
    assert err.value.params["member"] == "A"


def test_integers_of_another_type_are_cents_too():
    numpy = pytest.importorskip("numpy")
    invoices = [
        Obligation(1, "A", "B", numpy.int64(500)),
        Obligation(2, "B", "A", numpy.int32(300)),
    ]
    liquidity = [Liquidity("A", numpy.int64(200), None), Liquidity("B", 0, numpy.int32(900))]
    result = compensate(invoices, liquidity)
    assert result.cleared == {1: 500, 2: 300}
    assert type(result.cleared[1]) is int
    assert result.transfers == {"A": -200, "B": 200}


def test_liquidity_is_read_as_integer_cents():
    assert check_liquidity([Liquidity("A", 10, None), Liquidity("B", 0, 7)]) == {
        "A": (10, None),
        "B": (0, 7),
    }


def test_missing_ortools_says_what_to_install(monkeypatch):
    # None in sys.modules makes the import fail, as if OR-Tools were absent.
    for name in [name for name in sys.modules if name.split(".")[0] == "ortools"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ortools", None)
    with pytest.raises(SolverMissing) as err:
        compensate(LOOP)
    message = str(err.value)
    assert "needs Google OR-Tools" in message
    assert message.endswith("pip install ortools")
    assert isinstance(err.value, ImportError)
    # The refusals and the greedy baseline need no solver.
    with pytest.raises(RuleError):
        compensate([Obligation(1, "A", "A", 100)])
    assert greedy_cycle_cancelling(LOOP).total_cleared_cents == 24000


# ---------------------------------------------------------------- invariants


@settings(max_examples=150, deadline=None)
@given(obligation_lists(max_size=5, max_cents=3))
def test_the_optimum_of_tiny_networks_is_the_brute_force_one(obligations):
    result = compensate(obligations)
    assert_valid(obligations, result)
    assert result.total_cleared_cents == brute_force_optimum(obligations)


@settings(max_examples=150, deadline=None)
@given(obligation_lists(max_size=4, max_cents=3), liquidity_lists(max_cents=3))
def test_the_optimum_with_liquidity_is_the_brute_force_one(obligations, liquidity):
    result = compensate(obligations, liquidity)
    assert_valid(obligations, result, liquidity)
    assert result.total_cleared_cents == brute_force_optimum(obligations, liquidity)


@settings(max_examples=200, deadline=None)
@given(obligation_lists(max_size=40))
def test_clearing_is_optimal_and_keeps_every_position(obligations):
    result = compensate(obligations)
    assert_valid(obligations, result)
    assert result.total_cleared_cents == networkx_optimum(obligations)
    assert result.total_cleared_cents <= result.clearable_cents
    greedy = greedy_cycle_cancelling(obligations)
    assert_valid(obligations, greedy)
    assert greedy.total_cleared_cents <= result.total_cleared_cents
    assert result.remaining_net_internal_debt_cents == result.net_internal_debt_cents
    # Between the same two members, an invoice clears only once those given
    # before it are cleared in full.
    unpaid_pairs = set()
    for o in obligations:
        if (o.debtor, o.creditor) in unpaid_pairs:
            assert result.cleared[o.id] == 0
        if result.cleared[o.id] < o.cents:
            unpaid_pairs.add((o.debtor, o.creditor))


@settings(max_examples=200, deadline=None)
@given(obligation_lists(max_size=40), liquidity_lists())
def test_liquidity_moves_positions_within_bounds_only(obligations, liquidity):
    result = compensate(obligations, liquidity)
    assert_valid(obligations, result, liquidity)
    assert result.total_cleared_cents == networkx_optimum(obligations, liquidity)
    assert result.total_cleared_cents >= compensate(obligations).total_cleared_cents
    remaining = [
        Obligation(o.id, o.debtor, o.creditor, o.cents - result.cleared[o.id])
        for o in obligations
        if o.cents > result.cleared[o.id]
    ]
    assert result.remaining_net_internal_debt_cents == net_internal_debt(remaining)


@settings(max_examples=200, deadline=None)
@given(obligation_lists(max_size=40))
def test_greedy_stops_only_when_no_loop_is_left(obligations):
    greedy = greedy_cycle_cancelling(obligations)
    assert_valid(obligations, greedy)
    left = networkx.DiGraph()
    left.add_nodes_from(member for o in obligations for member in (o.debtor, o.creditor))
    left.add_edges_from(
        (o.debtor, o.creditor) for o in obligations if greedy.cleared[o.id] < o.cents
    )
    assert networkx.is_directed_acyclic_graph(left)


# ---------------------------------------------------------------- what a member accepts


def test_a_member_receives_mlml_only_within_its_invoices_mlml_parts():
    """B sells 1,200.00 with 400.00 in MLML already paid: 800.00 is open, none of it
    payable in MLML any more. A's MLML cannot pay it; only the loop sets it off."""
    obligations = [
        Obligation("B/1", "A", "B", 80000, mlml_cents=0),
        Obligation("C/1", "B", "C", 56000),
    ]
    rich = [Liquidity("A", 10**7, None), Liquidity("B", 10**7, None), Liquidity("C", 0, None)]
    result = compensate(obligations, rich)
    assert result.cleared == {"B/1": 56000, "C/1": 56000}
    assert result.transfers == {"A": -56000, "B": 0, "C": 56000}
    assert result.received == {"C/1": 56000}
    assert result.received_on("B/1") == 0
    assert_valid(obligations, result, rich)
    # 240.00 of its MLML part still to receive: the run pays B no more than that.
    obligations[0] = Obligation("B/1", "A", "B", 80000, mlml_cents=24000)
    result = compensate(obligations, rich)
    assert result.cleared == {"B/1": 80000, "C/1": 56000}
    assert result.received == {"B/1": 24000, "C/1": 56000}
    assert result.transfer("B") == 24000
    assert_valid(obligations, result, rich)


def test_a_member_that_accepts_nothing_receives_nothing():
    liquidity = [Liquidity("A", 0, None), Liquidity("B", 0, None), Liquidity("C", 3000, 0)]
    loop = [Obligation(o.id, o.debtor, o.creditor, o.cents, 0) for o in LOOP]
    result = compensate(loop, liquidity)
    assert result.total_cleared_cents == compensate(loop).total_cleared_cents == 24000
    assert result.transfers == {"A": 0, "B": 0, "C": 0}
    assert result.received == {}


def test_the_mlml_part_of_an_invoice_is_not_the_part_of_another():
    """Member B accepts 100.00 in MLML on its invoice from D1, nothing on the one from
    D2: what D2 pays in MLML cannot reach B through the second invoice."""
    obligations = [
        Obligation("X", "D1", "B", 10000, mlml_cents=10000),
        Obligation("Y", "D2", "B", 50000, mlml_cents=0),
    ]
    liquidity = [Liquidity("D1", 0, None), Liquidity("D2", 50000, None), Liquidity("B", 0, None)]
    result = compensate(obligations, liquidity)
    assert result.total_cleared_cents == 0
    assert_valid(obligations, result, liquidity)


@pytest.mark.parametrize(
    ("mlml", "code"),
    [(-1, "obligation_mlml_negative"), (1.5, "obligation_mlml_not_integer")],
)
def test_bad_mlml_parts_refused(mlml, code):
    with pytest.raises(RuleError) as refusal:
        compensate([Obligation(1, "A", "B", 100, mlml)], [])
    assert refusal.value.code == code


@settings(max_examples=200, deadline=None)
@given(accepting_obligation_lists(), liquidity_lists())
def test_liquidity_pays_no_creditor_beyond_what_it_accepts(obligations, liquidity):
    result = compensate(obligations, liquidity)
    assert_valid(obligations, result, liquidity)
    assert result.total_cleared_cents == networkx_optimum(obligations, liquidity)
    assert result.total_cleared_cents >= compensate(obligations).total_cleared_cents
    # The cap: no member receives more than the MLML parts of its invoices.
    accepts = {}
    for o in obligations:
        part = o.cents if o.mlml_cents is None else o.mlml_cents
        accepts[o.creditor] = accepts.get(o.creditor, 0) + part
    for member, cents in result.transfers.items():
        assert cents <= accepts.get(member, 0)
    # Nobody accepting anything: the liquidity adds nothing to clearing alone.
    refusing = [Obligation(o.id, o.debtor, o.creditor, o.cents, 0) for o in obligations]
    alone = compensate(refusing, liquidity)
    assert alone.total_cleared_cents == compensate(refusing).total_cleared_cents
    assert not any(alone.transfers.values())
