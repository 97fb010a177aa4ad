"""The rules of a compensation run at the clearing house, around the solver.

- An obligation (an open invoice between two members) counts only once both
  sides declared the same figures: the creditor (its invoice) and the debtor
  (its bill). :func:`declaration_outcome` says what a new declaration does.
- An invoice number is its creditor's: each debtor's declaration is a claim of
  its own, and :func:`contested_claims` says which claims on one invoice are
  in dispute because another claim names another debtor.
- A member's MLML liquidity in a run comes from its account's bounds
  (:func:`member_liquidity`); what it may receive is also bounded by the MLML
  parts it accepts on its invoices in the run (:func:`receive_cap`), and
  what it pays is spread on its bills (:func:`paid_in_mlml`).
- The solver gives each member one net MLML movement; the ledger books
  transfers between two members: :func:`settlement_transfers` turns the
  movements into such transfers, each payer paying only what it must pay and
  each payee receiving only what it must receive.

Amounts are integer cents, as in :mod:`.compensation`.
"""

from dataclasses import dataclass
from decimal import Decimal

from .amounts import RuleError, round_amount, to_decimal

CREDITOR = "creditor"
DEBTOR = "debtor"

#: What bounds what a member may receive in MLML from a run (:func:`receive_cap`).
ACCEPTANCE = "acceptance"  # the MLML parts it accepts on its invoices in the run
CEILING = "ceiling"  # its account's ceiling

#: What a declaration does to the obligation it names.
NEW = "new"  # no obligation for this invoice yet: created, this side declared
REPLAY = "replay"  # this side declared the same figures before: nothing changes
CONFIRM = "confirm"  # the other side declared the same figures: the obligation counts
UPDATE = "update"  # other figures: they replace the old ones, the other side must declare again
DISPUTE = "dispute"  # other figures than those the other side stands by: in dispute until settled


@dataclass(frozen=True)
class Declared:
    """An obligation as a new declaration sees it.

    ``open_cents``: what is still open on it (its amount less what runs
    cleared); ``by_creditor``/``by_debtor``: which sides declared those
    figures; ``withdrawn``: taken out by the clearing house; ``cleared``: a
    run cleared all of it; ``disputed``: the two sides declared different
    figures, and neither has declared the other's since.
    """

    open_cents: int
    due_date: object
    by_creditor: bool
    by_debtor: bool
    withdrawn: bool = False
    cleared: bool = False
    disputed: bool = False


def cents(amount):
    """An amount (Decimal, str, int or float) in integer cents."""
    return int(round_amount(to_decimal(amount)) * 100)


def from_cents(value):
    """Integer cents as a Decimal amount with two decimals."""
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def declaration_outcome(side, amount_cents, due_date, existing=None):
    """What a declaration of ``side`` with these figures does to ``existing``.

    The same figures confirm what the other side declared (or change nothing
    when this side declared them already). Other figures replace the old ones
    and need the other side again: an update when this side stood by the old
    figures or the other side had not declared them, a dispute when the other
    side stands by figures this side never agreed to (or they were already in
    dispute). A dispute ends when one side declares the other's figures, or
    when the clearing house withdraws the obligation.

    Refused: a side that is neither creditor nor debtor (``obligation_side``),
    an amount that is not positive (``obligation_amount_not_positive``) and an
    obligation a run cleared entirely (``obligation_cleared``: nothing is open
    on it, the member declares a new invoice instead).
    """
    if side not in (CREDITOR, DEBTOR):
        raise RuleError("obligation_side", side=side)
    if amount_cents <= 0:
        raise RuleError("obligation_amount_not_positive", cents=amount_cents)
    if existing is None:
        return NEW
    if existing.cleared and not existing.withdrawn:
        raise RuleError("obligation_cleared")
    if existing.withdrawn:
        return UPDATE
    mine, theirs = (
        (existing.by_creditor, existing.by_debtor)
        if side == CREDITOR
        else (existing.by_debtor, existing.by_creditor)
    )
    if existing.open_cents == amount_cents and existing.due_date == due_date:
        return REPLAY if mine else CONFIRM
    if existing.disputed or (theirs and not mine):
        return DISPUTE
    return UPDATE


def contested_claims(claims):
    """The claims on one creditor's invoice that are in dispute.

    Each debtor that declares an invoice makes a claim of its own (creditor,
    invoice, debtor). ``claims`` maps each claim still in force to whether its
    creditor declared it. The invoice number is the creditor's: once it
    declared a claim, every claim naming another debtor is in dispute and its
    own is not; while it declared none, two claims or more are all in dispute
    (one alone only waits for the creditor).
    """
    by_creditor = {claim for claim, declared in claims.items() if declared}
    if by_creditor:
        return set(claims) - by_creditor
    return set(claims) if len(claims) > 1 else set()


def member_liquidity(balance, credit_limit, ceiling):
    """(can pay, can receive or None) in cents of an account with these bounds.

    It may pay its balance plus its credit limit and receive up to its
    ceiling (``ceiling`` 0 or None: no ceiling, hence None). An account
    already beyond a bound moves no further that way (0).
    """
    balance = cents(balance)
    can_pay = max(0, balance + cents(credit_limit or 0))
    if not ceiling:
        return can_pay, None
    return can_pay, max(0, cents(ceiling) - balance)


def receive_cap(can_receive, accepted):
    """(cap, bound): what a member may receive in MLML from a run, in cents.

    ``accepted``: the MLML parts it accepts on its invoices in the run, less
    what it already received on them; ``can_receive``: its ceiling's room
    (None: no ceiling). The cap is the lower of the two, and ``bound`` says
    which one it is (:data:`ACCEPTANCE` on a tie): a member that accepts
    nothing receives nothing, whatever its ceiling.
    """
    if can_receive is not None and can_receive < accepted:
        return can_receive, CEILING
    return accepted, ACCEPTANCE


def accepted_parts(obligations):
    """Per creditor, the MLML parts it accepts on ``obligations``, in cents.

    ``obligations`` are :class:`.compensation.Obligation`; an MLML part not
    given (``None``) is the whole amount, a part above the amount counts as
    the amount.
    """
    accepted = {}
    for obligation in obligations:
        part = obligation.mlml_cents
        part = obligation.cents if part is None else min(part, obligation.cents)
        accepted[obligation.creditor] = accepted.get(obligation.creditor, 0) + part
    return accepted


def paid_in_mlml(obligations, cleared, transfers):
    """Per obligation, what its debtor paid on it out of its MLML account, in cents.

    Each paying member's payment (a negative transfer) is spread on the
    obligations it owes, in the order given, each up to what the run cleared
    on it; what it cleared beyond is set off. A member pays at most what is
    cleared of its bills (its transfer is what is cleared of its invoices
    less that), so the whole payment finds its bills.
    """
    left = {member: -value for member, value in transfers.items() if value < 0}
    paid = {}
    for obligation in obligations:
        amount = min(left.get(obligation.debtor, 0), cleared.get(obligation.id, 0))
        paid[obligation.id] = amount
        if amount:
            left[obligation.debtor] -= amount
    return paid


def settlement_transfers(movements):
    """The transfers between members that make each member's net movement.

    ``movements`` maps members to cents (positive: the member receives,
    negative: it pays); they must add up to zero (``movements_not_balanced``).
    Returns ``[(payer, payee, cents), …]``: the largest payers and payees are
    matched first (few transfers), ties broken by the members' order, so the
    same movements always give the same transfers. A member only pays or only
    receives, so no balance crosses a bound on the way.
    """
    if sum(movements.values()) != 0:
        raise RuleError("movements_not_balanced", total=sum(movements.values()))
    payers = sorted(
        ((-value, member) for member, value in movements.items() if value < 0),
        key=lambda item: (-item[0], str(item[1])),
    )
    payees = sorted(
        ((value, member) for member, value in movements.items() if value > 0),
        key=lambda item: (-item[0], str(item[1])),
    )
    transfers = []
    payers = [list(item) for item in payers]
    payees = [list(item) for item in payees]
    i = j = 0
    while i < len(payers) and j < len(payees):
        amount = min(payers[i][0], payees[j][0])
        transfers.append((payers[i][1], payees[j][1], amount))
        payers[i][0] -= amount
        payees[j][0] -= amount
        if not payers[i][0]:
            i += 1
        if not payees[j][0]:
            j += 1
    return transfers


def member_figures(obligations, cleared):
    """Per member: (owes, is owed, cleared as debtor, cleared as creditor), in cents.

    ``obligations`` are :class:`.compensation.Obligation`; ``cleared`` maps
    their ids to the cents cleared (as ``Compensation.cleared``).
    """
    figures = {}
    for obligation in obligations:
        done = cleared.get(obligation.id, 0)
        debtor = figures.setdefault(obligation.debtor, [0, 0, 0, 0])
        creditor = figures.setdefault(obligation.creditor, [0, 0, 0, 0])
        debtor[0] += obligation.cents
        debtor[2] += done
        creditor[1] += obligation.cents
        creditor[3] += done
    return {member: tuple(values) for member, values in figures.items()}


def loops(obligations, cleared, limit=5):
    """The set-off of clearing alone as loops of members, the largest first.

    Without liquidity the amounts cleared form a circulation (each member
    clears as much as debtor as as creditor), which splits into loops: A owes
    B owes C owes A, each with the amount it set off. Returns at most
    ``limit`` loops as ``[(members, cents)]``, the members in the order they
    owe each other (the first owes the second…, the last owes the first).
    Amounts that do not form a circulation are refused
    (``not_a_circulation``).
    """
    flow = {}
    for obligation in obligations:
        cents_cleared = cleared.get(obligation.id, 0)
        if cents_cleared:
            arc = (obligation.debtor, obligation.creditor)
            flow[arc] = flow.get(arc, 0) + cents_cleared
    # Where each member goes next: its first creditor still owed, in the flow's
    # order. Arcs only leave the flow, so each debtor's list is read once.
    creditors = {}
    for debtor, creditor in flow:
        creditors.setdefault(debtor, []).append(creditor)
    next_index = dict.fromkeys(creditors, 0)

    def owes(member):
        listed = creditors.get(member, ())
        index = next_index.get(member, 0)
        while index < len(listed) and (member, listed[index]) not in flow:
            index += 1
        next_index[member] = index
        return listed[index] if index < len(listed) else None

    arcs_in_order = list(flow)
    first = 0
    found = []
    path, seen = [], {}
    while flow:
        while arcs_in_order[first] not in flow:
            first += 1
        start = arcs_in_order[first][0]
        if not path or path[0] != start:
            path, seen = [start], {start: 0}
        while True:
            following = owes(path[-1])
            if following is None:
                raise RuleError("not_a_circulation", member=path[-1])
            if following in seen:
                entry = seen[following]
                cycle = path[entry:]
                break
            seen[following] = len(path)
            path.append(following)
        arcs = list(zip(cycle, cycle[1:] + cycle[:1], strict=True))
        amount = min(flow[arc] for arc in arcs)
        gone = None
        for position, arc in enumerate(arcs):
            flow[arc] -= amount
            if not flow[arc]:
                del flow[arc]
                gone = position if gone is None else gone
        found.append((tuple(cycle), amount))
        # The next walk follows the same members up to the first whose arc is gone:
        # walk again from there only (a network has thousands of loops).
        for member in path[entry + gone + 1 :]:
            del seen[member]
        del path[entry + gone + 1 :]
    found.sort(key=lambda item: -item[1])
    return found[:limit]
