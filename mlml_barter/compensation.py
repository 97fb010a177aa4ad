"""Multilateral compensation of the members' open invoices (obligation clearing).

A owes B, B owes C, C owes A: the clearing house can set the three invoices
off against each other, and the loop is settled without any payment. Over the
whole network, a set-off is a choice of an amount cleared on each open invoice
(0 up to its amount: an invoice may clear in part) such that no member's net
position changes: for each member, what is cleared of what it owes equals what
is cleared of what it is owed. Those amounts form a *circulation* in the graph
whose arcs are the invoices (debtor → creditor), and the largest set-off is a
maximum-value circulation, i.e. a min-cost flow with cost -1 per cent on every
invoice arc and capacity its amount. It is solved exactly, in integer cents.

With liquidity, the members' MLML accounts take part: a member may pay out of
its account what its bounds still allow (balance + credit limit) and receive
what they allow (room below its ceiling; ``None``: no ceiling). In the flow,
the clearing house's account is one more node, "MLML", with an arc MLML →
member (the member pays, capacity ``can_pay_cents``) and an arc from the
member's receipts to MLML (the member receives, capacity
``can_receive_cents``), both of cost 0. Each member's net position then
changes by exactly its MLML transfer, and the transfers add up to zero, as the
balances of a mutual-credit network must.

A creditor receives MLML only on the MLML part it accepts on each invoice
(``Obligation.mlml_cents``: its acceptance, less what it already received on
it; ``None``: the whole amount). Each invoice is two arcs of cost -1 from its
debtor: its euro part straight to the creditor (it can only be set off), and
its MLML part to the creditor's receipts node, from which it is either set
off (on to the creditor) or received in MLML (on to the house). So no invoice
is paid in MLML beyond its MLML part, and a member that accepts nothing
receives nothing (``Compensation.received`` says what each invoice brought in
MLML).

Why min-cost flow rather than "find a cycle, clear its minimum, repeat": the
order in which cycles are cleared matters, and the greedy way leaves debt that
an exact solver clears (Fleischman, Dini, Littera 2020, and the benchmark
``bench/compensation.py``). :func:`greedy_cycle_cancelling` is kept as that
baseline.

Figures (integer cents), as in the obligation-clearing literature
(Fleischman, Dini, Littera, "Liquidity-Saving through Obligation-Clearing and
Mutual Credit", J. Risk Financial Manag. 2020, 13(12), 295; Fleischman &
Dini 2021, JRFM 14, 452; Informal Systems' MTCS):

- total debt: the sum of the open invoices;
- a member's net position: what it is owed minus what it owes;
- net internal debt (NID): the sum of the positive net positions (equal to the
  sum of the negative ones, negated). It is the least money that would settle
  every invoice, and clearing alone cannot touch it, since it keeps every net
  position: at most ``total debt - NID`` can be cleared without liquidity;
- percent removed: the share of the total debt that the compensation clears
  (the invoices settled without a payment in euros).

The engine is OR-Tools' ``SimpleMinCostFlow``, imported only when a
compensation runs, so that a member company that never runs one does not need
it installed (:class:`SolverMissing` says what to install).
"""

import itertools
import numbers
import operator
from dataclasses import dataclass, field
from decimal import Decimal

from .amounts import RuleError, round_amount

#: What to install for :func:`compensate` (tools/requirements-test.txt pins it).
ORTOOLS_REQUIREMENT = "ortools"


class SolverMissing(ImportError):
    """The min-cost-flow solver a compensation needs is not installed."""

    def __init__(self, error=None):
        super().__init__(
            "The multilateral compensation needs Google OR-Tools, which is not installed "
            f"({error}). Install it in Odoo's Python environment: "
            f"pip install {ORTOOLS_REQUIREMENT}"
        )


@dataclass(frozen=True, slots=True)
class Obligation:
    """An open invoice: ``debtor`` owes ``creditor`` ``cents`` (a positive integer)."""

    id: object
    debtor: object
    creditor: object
    cents: int
    #: What the creditor still accepts in MLML on it (its MLML part less what it
    #: received in MLML on it), in cents; ``None``: the whole amount.
    mlml_cents: int | None = None


@dataclass(frozen=True, slots=True)
class Liquidity:
    """How far a member's MLML account may move in a compensation, in cents.

    ``can_pay_cents``: what it may still pay out (balance + credit limit);
    ``can_receive_cents``: what it may still receive (ceiling - balance), or
    ``None`` when its account has no ceiling.
    """

    member: object
    can_pay_cents: int
    can_receive_cents: int | None = None


@dataclass(frozen=True)
class Compensation:
    """The set-off found: what is cleared on each invoice, and the MLML transfers.

    ``cleared`` maps every obligation's id to the cents cleared on it (0 up to
    its amount). ``transfers`` maps each member to its MLML transfer (positive:
    it receives, negative: it pays out), empty without liquidity; for every
    member, (cleared as creditor) - (cleared as debtor) == its transfer.
    ``received`` maps the id of each obligation on which its creditor
    received MLML to what it received (more than 0, at most its
    ``mlml_cents`` and what is cleared on it; the rest of what is cleared is
    set off); an obligation that brought no MLML is not in it (``received_on``
    reads 0 for it). Empty without liquidity.
    """

    cleared: dict
    transfers: dict
    total_debt_cents: int
    net_internal_debt_cents: int
    #: The NID of what is left to pay. A member's net position on the
    #: remaining invoices is its position before minus its MLML transfer, so
    #: only transfers change it (without liquidity: the NID before).
    remaining_net_internal_debt_cents: int | None = None
    received: dict = field(default_factory=dict)
    total_cleared_cents: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "total_cleared_cents", sum(self.cleared.values()))
        if self.remaining_net_internal_debt_cents is None:
            object.__setattr__(
                self, "remaining_net_internal_debt_cents", self.net_internal_debt_cents
            )

    @property
    def clearable_cents(self):
        """What clearing alone could reach at best: total debt minus NID."""
        return self.total_debt_cents - self.net_internal_debt_cents

    @property
    def percent_removed(self):
        """The share of the total debt cleared, in percent, to 0.01 (0 with no debt)."""
        return percent(self.total_cleared_cents, self.total_debt_cents)

    def received_on(self, obligation_id):
        """What the obligation's creditor received on it in MLML, in cents (0: none)."""
        return self.received.get(obligation_id, 0)

    def transfer(self, member):
        """The member's MLML transfer (0 for a member without one)."""
        return self.transfers.get(member, 0)


def percent(part, whole):
    """``part`` as a percentage of ``whole``, rounded to 0.01 (0 when ``whole`` is 0)."""
    if not whole:
        return Decimal(0)
    return round_amount(Decimal(part) * 100 / Decimal(whole))


def _check_cents(value, code, **params):
    """``value`` as an int, or a RuleError: cents are integers, never floats or bools."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RuleError(code, cents=value, **params)
    return int(value)


def check_obligations(obligations):
    """Return the obligations as a list, or refuse the first that breaks a rule.

    Refused, with the obligation's id: a member owing itself
    (``obligation_self``, it would clear against itself and mean nothing), an
    amount that is not a positive integer number of cents
    (``obligation_cents_not_integer``, ``obligation_cents_not_positive``), an
    MLML part that is not ``None`` nor integer cents of 0 or more
    (``obligation_mlml_not_integer``, ``obligation_mlml_negative``) and an id
    given twice (``obligation_duplicate_id``: the result is keyed by id).
    """
    obligations = list(obligations)
    seen = set()
    for obligation in obligations:
        cents = _check_cents(
            obligation.cents, "obligation_cents_not_integer", obligation=obligation.id
        )
        if cents <= 0:
            raise RuleError("obligation_cents_not_positive", obligation=obligation.id, cents=cents)
        if obligation.mlml_cents is not None:
            mlml = _check_cents(
                obligation.mlml_cents, "obligation_mlml_not_integer", obligation=obligation.id
            )
            if mlml < 0:
                raise RuleError("obligation_mlml_negative", obligation=obligation.id, cents=mlml)
        if obligation.debtor == obligation.creditor:
            raise RuleError("obligation_self", obligation=obligation.id, member=obligation.debtor)
        if obligation.id in seen:
            raise RuleError("obligation_duplicate_id", obligation=obligation.id)
        seen.add(obligation.id)
    return obligations


def check_liquidity(liquidity):
    """Return ``{member: (can_pay, can_receive or None)}``, or refuse a bad entry.

    Refused: a member given twice (``liquidity_duplicate_member``), bounds that
    are not integer cents (``liquidity_cents_not_integer``) or are negative
    (``liquidity_negative``: an account already beyond its bounds may not move
    further that way; give 0).
    """
    bounds = {}
    for entry in liquidity:
        if entry.member in bounds:
            raise RuleError("liquidity_duplicate_member", member=entry.member)
        can_pay = _check_cents(
            entry.can_pay_cents, "liquidity_cents_not_integer", member=entry.member
        )
        can_receive = entry.can_receive_cents
        if can_receive is not None:
            can_receive = _check_cents(
                can_receive, "liquidity_cents_not_integer", member=entry.member
            )
        if can_pay < 0 or (can_receive is not None and can_receive < 0):
            raise RuleError(
                "liquidity_negative",
                member=entry.member,
                can_pay_cents=can_pay,
                can_receive_cents=can_receive,
            )
        bounds[entry.member] = (can_pay, can_receive)
    return bounds


def net_positions(obligations):
    """Each member's net position: what it is owed minus what it owes, in cents."""
    positions = {}
    for obligation in obligations:
        positions[obligation.debtor] = positions.get(obligation.debtor, 0) - obligation.cents
        positions[obligation.creditor] = positions.get(obligation.creditor, 0) + obligation.cents
    return positions


def net_internal_debt(obligations):
    """The sum of the positive net positions: the least money that settles every invoice."""
    return sum(position for position in net_positions(obligations).values() if position > 0)


def _load_solver():
    """OR-Tools' min-cost flow and numpy, imported here: only a compensation needs them."""
    try:
        import numpy
        from ortools.graph.python import min_cost_flow
    except ImportError as error:
        raise SolverMissing(error) from error
    return min_cost_flow, numpy


def _columns(obligations):
    """The obligations as columns: (obligations, ids, debtors, creditors, cents, mlml).

    ``mlml``: what each creditor accepts in MLML on it, ``None`` when no
    obligation gives a part (each accepts its whole amount). Only the types
    are checked here, on whole columns (a few C-level passes instead of a
    Python loop over 140,000 invoices); :func:`compensate` checks the values
    on its arrays. When a check fails, :func:`check_obligations` runs, to
    name the first obligation at fault.
    """
    obligations = list(obligations)
    ids = list(map(operator.attrgetter("id"), obligations))
    debtors = list(map(operator.attrgetter("debtor"), obligations))
    creditors = list(map(operator.attrgetter("creditor"), obligations))
    cents = list(map(operator.attrgetter("cents"), obligations))
    mlml = list(map(operator.attrgetter("mlml_cents"), obligations))
    mlml_types = set(map(type, mlml))
    if not set(map(type, cents)) <= {int} or not mlml_types <= {int, type(None)}:
        check_obligations(obligations)  # raises, but for integers of another type
        cents = [int(amount) for amount in cents]
        mlml = [None if part is None else int(part) for part in mlml]
        mlml_types = set(map(type, mlml))
    if int not in mlml_types:
        mlml = None
    elif type(None) in mlml_types:
        mlml = [amount if part is None else part for amount, part in zip(cents, mlml, strict=True)]
    return obligations, ids, debtors, creditors, cents, mlml


def _liquidity_columns(liquidity):
    """The liquidity as columns (members, can_pay, can_receive with -1 for no ceiling).

    The checks of :func:`check_liquidity` on whole columns; only when one
    fails does it run, to name the member at fault.
    """
    liquidity = list(liquidity)
    members = list(map(operator.attrgetter("member"), liquidity))
    can_pay = list(map(operator.attrgetter("can_pay_cents"), liquidity))
    can_receive = list(map(operator.attrgetter("can_receive_cents"), liquidity))
    receive_types = set(map(type, can_receive))
    if (
        len(set(members)) != len(members)
        or not set(map(type, can_pay)) <= {int}
        or not receive_types <= {int, type(None)}
        or (can_pay and min(can_pay) < 0)
        or (int in receive_types and min(part for part in can_receive if part is not None) < 0)
    ):
        bounds = check_liquidity(liquidity)  # raises, but for integers of another type
        can_pay = [pay for pay, _receive in bounds.values()]
        can_receive = [receive for _pay, receive in bounds.values()]
        receive_types = set(map(type, can_receive))
    if type(None) in receive_types:
        can_receive = [-1 if part is None else part for part in can_receive]
    return members, can_pay, can_receive


def _check_values(obligations, tails, heads, capacities, accepts, numpy):
    """Refuse what the types let through: amounts not positive, MLML parts
    negative, a member owing itself (see :func:`check_obligations`, which
    names the first at fault). An id given twice is found when the result
    is keyed by id."""
    if (
        (len(capacities) and capacities.min() <= 0)
        or (accepts is not None and len(accepts) and accepts.min() < 0)
        or bool((tails == heads).any())
    ):
        check_obligations(obligations)


def _spread(pair_flows, pair_capacities, order, pair_of_sorted, capacities, numpy):
    """What each invoice clears of its pair's flow, the first given first.

    ``order`` sorts the invoices by pair, stably (in the order given within a
    pair), ``pair_of_sorted`` is each sorted invoice's pair: each invoice
    clears what its pair's flow leaves after the invoices before it, up to
    its amount.
    """
    sorted_capacities = capacities[order]
    before = numpy.cumsum(sorted_capacities) - sorted_capacities
    pair_before = numpy.cumsum(pair_capacities) - pair_capacities
    before_in_pair = before - pair_before[pair_of_sorted]
    cleared = numpy.clip(pair_flows[pair_of_sorted] - before_in_pair, 0, sorted_capacities)
    flows = numpy.empty_like(cleared)
    flows[order] = cleared
    return flows


def _sort_nodes(nodes, house, numpy):
    """The order that sorts ``nodes`` (members' indexes), stably."""
    if house < 2**16:
        return numpy.argsort(nodes.astype(numpy.uint16), kind="stable")  # a radix sort
    return numpy.argsort(nodes, kind="stable")


def _pairs(tails, heads, capacities, house, numpy):
    """The invoices merged by (debtor, creditor): one arc a pair, a faster solve.

    Returns the pairs (an array of [tail, head]), their capacities, the order
    that sorts the invoices by pair (in the order given within a pair) and
    each sorted invoice's pair, for :func:`_spread`. On the benchmark's
    networks, half as many arcs as invoices.
    """
    count = len(tails)
    keys = tails.astype(numpy.int64) * (house + 1) + heads
    if house < 2**16:
        # By creditor, then by debtor, each a stable radix sort of 16-bit
        # nodes: by pair, in the order given within a pair.
        by_head = _sort_nodes(heads, house, numpy)
        order = by_head[_sort_nodes(tails[by_head], house, numpy)]
    elif (house + 1) ** 2 * (count + 1) < 2**62:
        # Sorting pair and position together, all distinct, is as stable as
        # a stable sort, and several times faster.
        order = numpy.argsort(keys * count + numpy.arange(count, dtype=numpy.int64))
    else:
        order = numpy.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = numpy.ones(count, dtype=bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    pair_keys = sorted_keys[first]
    pair_of_sorted = numpy.cumsum(first) - 1
    pair_capacities = numpy.zeros(len(pair_keys), dtype=numpy.int64)
    numpy.add.at(pair_capacities, pair_of_sorted, capacities[order])
    pairs = numpy.stack([pair_keys // (house + 1), pair_keys % (house + 1)], axis=1)
    return pairs, pair_capacities, order, pair_of_sorted


def _liquidity_arcs(rooms, payable, accepted, split, house, numpy):
    """Each member's MLML room as arcs [tail, head, capacity] to and from the house.

    ``rooms``: per member with invoices, [its node, can pay, can receive or
    -1 for no ceiling]. The member receives on the arc from its receipts
    node (``house + 1`` + its index, where it accepts only part of its
    invoices in MLML: ``split``; else the member itself) to the house, and
    pays on the arc from the house to it; the receiving arcs come first.
    What it accepts in MLML on its invoices and its payables bound what its
    transfer can carry: an unbounded side gets that finite capacity.
    """
    nodes = rooms[:, 0]
    to_receive = numpy.where(
        (rooms[:, 2] < 0) | (rooms[:, 2] > accepted[nodes]), accepted[nodes], rooms[:, 2]
    )
    to_pay = numpy.minimum(rooms[:, 1], payable[nodes])
    houses = numpy.full(len(nodes), house, dtype=numpy.int64)
    return numpy.stack(
        [
            numpy.concatenate([nodes + (house + 1) * split[nodes], houses]),
            numpy.concatenate([houses, nodes]),
            numpy.concatenate([to_receive, to_pay]),
        ],
        axis=1,
    )


def _liquid_network(
    pairs, pair_capacities, pair_accepts, accepted, split, liquidity_arcs, house, numpy
):
    """The arcs (tails, heads, capacities, costs) of a compensation with liquidity.

    Per pair of members, its euro part to the creditor and its MLML part to
    the creditor's receipts node (both cost -1); per member, its receipts on
    to itself (set off) and, in ``liquidity_arcs``, on to the house. A member
    that accepts all its invoices in MLML (not ``split``) needs no receipts
    node: its invoices go to it, and it receives from itself, as a network
    without MLML parts. Arcs of no capacity are left out; returns also which
    pairs have a euro arc and which an MLML arc.
    """
    members = numpy.arange(len(accepted), dtype=numpy.int64)
    euro_capacities = pair_capacities - pair_accepts
    euro = euro_capacities > 0
    mlml = pair_accepts > 0
    receipts = split & (accepted > 0)
    mlml_heads = pairs[mlml, 1] + (house + 1) * split[pairs[mlml, 1]]
    tails = numpy.concatenate([pairs[euro, 0], pairs[mlml, 0], members[receipts] + house + 1])
    heads = numpy.concatenate([pairs[euro, 1], mlml_heads, members[receipts]])
    capacities = numpy.concatenate([euro_capacities[euro], pair_accepts[mlml], accepted[receipts]])
    costs = numpy.zeros(len(tails) + len(liquidity_arcs), dtype=numpy.int64)
    costs[: int(euro.sum()) + int(mlml.sum())] = -1
    network = (
        numpy.concatenate([tails, liquidity_arcs[:, 0]]),
        numpy.concatenate([heads, liquidity_arcs[:, 1]]),
        numpy.concatenate([capacities, liquidity_arcs[:, 2]]),
        costs,
    )
    return network, euro, mlml


def _solve(tails, heads, capacities, costs, min_cost_flow, numpy):
    """The flows of a circulation of least cost (all supplies 0)."""
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(numpy.int32), heads.astype(numpy.int32), capacities, costs
    )
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"OR-Tools' min-cost flow failed: {status!r}")
    return solver.flows(arcs)


def compensate(obligations, liquidity=None):
    """The largest set-off of ``obligations``, optionally with the members' MLML liquidity.

    ``liquidity``: ``None`` for clearing alone (no member's net position
    changes), or an iterable of :class:`Liquidity`; a member without an entry
    then has no MLML room (0, 0). A creditor receives MLML on an invoice up to
    its ``mlml_cents`` only. Returns a :class:`Compensation` whose total
    cleared is the maximum possible, exactly (integer cents). Which invoices
    carry it is one optimum among others when several exist; among invoices
    between the same debtor and creditor, the first given clears first (give
    them oldest first), their MLML parts before their euro parts with
    liquidity.
    """
    obligations, ids, debtors, creditors, cents, mlml = _columns(obligations)
    try:
        min_cost_flow, numpy = _load_solver()
    except SolverMissing:
        # The refusals come first, also without the solver.
        check_obligations(obligations)
        if liquidity is not None:
            check_liquidity(liquidity)
        raise

    members = list(dict.fromkeys(itertools.chain(debtors, creditors)))
    index = dict(zip(members, range(len(members)), strict=True))
    house = len(members)  # the clearing house's node, no member's
    count = len(ids)
    tails = numpy.array(list(map(index.__getitem__, debtors)), dtype=numpy.int32)
    heads = numpy.array(list(map(index.__getitem__, creditors)), dtype=numpy.int32)
    capacities = numpy.array(cents, dtype=numpy.int64)
    accepts = None if mlml is None else numpy.array(mlml, dtype=numpy.int64)
    _check_values(obligations, tails, heads, capacities, accepts, numpy)
    rooms = None if liquidity is None else _liquidity_columns(liquidity)
    payable = numpy.zeros(house, dtype=numpy.int64)
    receivable = numpy.zeros(house, dtype=numpy.int64)
    numpy.add.at(payable, tails, capacities)
    numpy.add.at(receivable, heads, capacities)
    positions = receivable - payable

    pairs, pair_capacities, order, pair_of_sorted = _pairs(tails, heads, capacities, house, numpy)

    flows = numpy.zeros(0, dtype=numpy.int64)
    received = numpy.zeros(0, dtype=numpy.int64)
    if count and rooms is None:
        # Each cent cleared on an invoice costs -1.
        pair_flows = _solve(
            pairs[:, 0],
            pairs[:, 1],
            pair_capacities,
            numpy.full(len(pairs), -1, dtype=numpy.int64),
            min_cost_flow,
            numpy,
        )
        flows = _spread(pair_flows, pair_capacities, order, pair_of_sorted, capacities, numpy)
    elif count:
        # A cent through the house costs nothing; a creditor receives only
        # through its receipts node, which only MLML parts reach.
        if accepts is None:
            accepts, accepted, pair_accepts = capacities, receivable, pair_capacities
        else:
            accepts = numpy.minimum(accepts, capacities)
            accepted = numpy.zeros(house, dtype=numpy.int64)
            numpy.add.at(accepted, heads, accepts)
            pair_accepts = numpy.zeros(len(pairs), dtype=numpy.int64)
            numpy.add.at(pair_accepts, pair_of_sorted, accepts[order])
        split = (accepted < receivable).astype(numpy.int64)
        # The rooms of the members with invoices: a member without has nothing to move.
        room_members, can_pay, can_receive = rooms
        nodes = numpy.fromiter(
            (index.get(member, -1) for member in room_members),
            dtype=numpy.int64,
            count=len(room_members),
        )
        with_invoices = nodes >= 0
        liquidity_arcs = _liquidity_arcs(
            numpy.stack(
                [
                    nodes,
                    numpy.array(can_pay, dtype=numpy.int64),
                    numpy.array(can_receive, dtype=numpy.int64),
                ],
                axis=1,
            ).reshape(-1, 3)[with_invoices],
            payable,
            accepted,
            split,
            house,
            numpy,
        )
        network, euro, mlml = _liquid_network(
            pairs,
            pair_capacities,
            pair_accepts,
            accepted,
            split.astype(bool),
            liquidity_arcs,
            house,
            numpy,
        )
        all_flows = _solve(*network, min_cost_flow, numpy)
        euro_count = int(euro.sum())
        euro_flows = numpy.zeros(len(pairs), dtype=numpy.int64)
        euro_flows[euro] = all_flows[:euro_count]
        mlml_flows = numpy.zeros(len(pairs), dtype=numpy.int64)
        mlml_flows[mlml] = all_flows[euro_count : euro_count + int(mlml.sum())]
        # A network whose creditors accept everything in MLML has no euro
        # part, and one where nobody accepts MLML no MLML part: one spread.
        mlml_parts = numpy.zeros(count, dtype=numpy.int64)
        if mlml.any():
            mlml_parts = _spread(mlml_flows, pair_accepts, order, pair_of_sorted, accepts, numpy)
        flows = mlml_parts
        if euro_count:
            flows = mlml_parts + _spread(
                euro_flows,
                pair_capacities - pair_accepts,
                order,
                pair_of_sorted,
                capacities - accepts,
                numpy,
            )

    transfers = {}
    remaining_nid = None
    if rooms is not None:
        moved = numpy.zeros(len(members), dtype=numpy.int64)
        numpy.add.at(moved, heads, flows)
        numpy.subtract.at(moved, tails, flows)
        transfers = dict.fromkeys(rooms[0], 0)
        transfers.update(zip(members, moved.tolist(), strict=True))
        left = positions - moved
        remaining_nid = int(left[left > 0].sum())
        if count:
            # What each member receives, net (a member may pay out and take
            # in the same cents through the house), spread on its invoices'
            # MLML parts cleared: they carry at least what it took in. Only
            # the invoices of the members that receive are spread on.
            receives = numpy.maximum(moved, 0)
            carrying = numpy.flatnonzero((receives[heads] > 0) & (mlml_parts > 0))
            received = numpy.zeros(count, dtype=numpy.int64)
            if len(carrying):
                carrying_heads = heads[carrying]
                member_parts = numpy.zeros(len(members), dtype=numpy.int64)
                numpy.add.at(member_parts, carrying_heads, mlml_parts[carrying])
                by_creditor = _sort_nodes(carrying_heads, house, numpy)
                received[carrying] = _spread(
                    receives,
                    member_parts,
                    by_creditor,
                    carrying_heads[by_creditor],
                    mlml_parts[carrying],
                    numpy,
                )
    cleared = dict(zip(ids, flows.tolist(), strict=True))
    if len(cleared) != count:
        check_obligations(obligations)  # an id given twice
    bringing = numpy.flatnonzero(received)
    return Compensation(
        cleared=cleared,
        transfers=transfers,
        total_debt_cents=int(capacities.sum()),
        net_internal_debt_cents=int(positions[positions > 0].sum()),
        remaining_net_internal_debt_cents=remaining_nid,
        received={
            ids[number]: cents
            for number, cents in zip(bringing.tolist(), received[bringing].tolist(), strict=True)
        },
    )


def greedy_cycle_cancelling(obligations):
    """The naive set-off: find a cycle of invoices, clear its minimum, repeat.

    Kept as the baseline the exact solver is measured against (it is what a
    clearing house does by hand, and it leaves clearable debt behind). Cycles
    are found by one depth-first search that goes on after each cancellation
    from the invoice the cancellation paid in full, so that the whole run
    costs O(members x invoices) at worst, not a search per cycle: a member
    whose invoices all lead to finished members is finished for good, since
    cancelling only ever lowers what is owed. Stops when no cycle remains.
    """
    obligations = check_obligations(obligations)
    index = {}
    heads = []
    residual = []
    out_edges = []
    for number, obligation in enumerate(obligations):
        tail = index.setdefault(obligation.debtor, len(index))
        head = index.setdefault(obligation.creditor, len(index))
        while len(out_edges) < len(index):
            out_edges.append([])
        out_edges[tail].append(number)
        heads.append(head)
        residual.append(int(obligation.cents))

    new, on_path, finished = 0, 1, 2
    state = [new] * len(index)
    depth = [0] * len(index)
    cursor = [0] * len(index)
    for root in range(len(index)):
        if state[root] != new:
            continue
        path = [root]  # members, the root first
        path_edges = []  # path_edges[i] goes from path[i] to path[i + 1]
        state[root] = on_path
        depth[root] = 0
        while path:
            member = path[-1]
            edges = out_edges[member]
            position = cursor[member]
            while position < len(edges) and (
                not residual[edges[position]] or state[heads[edges[position]]] == finished
            ):
                position += 1
            cursor[member] = position
            if position == len(edges):
                state[member] = finished
                path.pop()
                if path_edges:
                    path_edges.pop()
                continue
            edge = edges[position]
            head = heads[edge]
            if state[head] == new:
                state[head] = on_path
                depth[head] = len(path)
                path.append(head)
                path_edges.append(edge)
                continue
            # A cycle: from ``head`` along the path back to ``member``, then ``edge``.
            start = depth[head]
            cycle = path_edges[start:]
            cycle.append(edge)
            amount = min(residual[number] for number in cycle)
            first_paid = None
            for offset, number in enumerate(cycle):
                residual[number] -= amount
                if first_paid is None and not residual[number]:
                    first_paid = offset
            # Go on from the tail of the first invoice paid in full: the path
            # before it still stands.
            cut = start + first_paid
            for dropped in path[cut + 1 :]:
                state[dropped] = new
            del path[cut + 1 :]
            del path_edges[cut:]

    cleared = {
        obligation.id: int(obligation.cents) - left
        for obligation, left in zip(obligations, residual, strict=True)
    }
    return Compensation(
        cleared=cleared,
        transfers={},
        total_debt_cents=sum(int(obligation.cents) for obligation in obligations),
        net_internal_debt_cents=net_internal_debt(obligations),
    )
