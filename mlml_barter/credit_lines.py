"""Credit lines: the bounds the clearing house grants a member, and their decisions."""

from decimal import Decimal

from .amounts import RuleError, to_decimal
from .membership import ACTIVE

DRAFT = "draft"
SUBMITTED = "submitted"
APPROVED = "approved"
REFUSED = "refused"
CLOSED = "closed"

STATES = (DRAFT, SUBMITTED, APPROVED, REFUSED, CLOSED)

#: The decisions on a credit line. A refused line may be corrected and
#: submitted again; an approved line is only ever closed (by hand, or when
#: another line is approved in its place), and stays in the history.
TRANSITIONS = {
    DRAFT: frozenset({SUBMITTED}),
    SUBMITTED: frozenset({APPROVED, REFUSED, DRAFT}),
    APPROVED: frozenset({CLOSED}),
    REFUSED: frozenset({DRAFT}),
    CLOSED: frozenset(),
}

#: States of a line that are kept for ever.
KEPT = frozenset({APPROVED, CLOSED})

#: States of a line a manager has decided on: never deleted, figures frozen.
DECIDED = frozenset({APPROVED, REFUSED, CLOSED})

#: No credit line or ceiling goes beyond this: a larger figure is a typing error.
MAX_BOUND = Decimal(10**9)


def check_values(credit_limit, balance_ceiling, date_start, date_review):
    """Refuse a line whose figures make no sense.

    ``credit_limit`` is how far below zero the balance may go, ``balance_ceiling``
    how far above zero (0: no ceiling); both are 0 or more. A review date, if
    any, is not before the start date. Neither figure goes beyond ``MAX_BOUND``.
    """
    credit_limit = to_decimal(credit_limit)
    balance_ceiling = to_decimal(balance_ceiling)
    if credit_limit < 0:
        raise RuleError("credit_limit_negative", credit_limit=credit_limit)
    if balance_ceiling < 0:
        raise RuleError("balance_ceiling_negative", balance_ceiling=balance_ceiling)
    if credit_limit > MAX_BOUND:
        raise RuleError("credit_limit_too_large", credit_limit=credit_limit, maximum=MAX_BOUND)
    if balance_ceiling > MAX_BOUND:
        raise RuleError(
            "balance_ceiling_too_large", balance_ceiling=balance_ceiling, maximum=MAX_BOUND
        )
    if date_start and date_review and date_review < date_start:
        raise RuleError("review_before_start", date_start=date_start, date_review=date_review)


def check_created_state(state):
    """A line is born a draft: its decisions come after, one by one."""
    if state not in (None, False, DRAFT):
        raise RuleError("line_created_decided", state=state)


def check_transition(old, new, member_state=None):
    """Refuse a decision the process does not allow; approve only active members."""
    if new not in TRANSITIONS.get(old, ()):
        raise RuleError(
            "line_transition_refused",
            old=old,
            new=new,
            allowed=tuple(sorted(TRANSITIONS.get(old, ()))),
        )
    if new == APPROVED and member_state != ACTIVE:
        raise RuleError("line_member_not_active", member_state=member_state)


def in_force(line_state, date_start, today):
    """An approved line is in force from its start date until it is replaced.

    A line past its review date stays in force: nobody loses credit silently.
    """
    return line_state == APPROVED and date_start is not None and date_start <= today
