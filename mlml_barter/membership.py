"""Membership of the network: the states of a member and how it moves between them."""

from .amounts import RuleError

NONE = "none"
CANDIDATE = "candidate"
ACTIVE = "active"
SUSPENDED = "suspended"
RESIGNED = "resigned"

STATES = (NONE, CANDIDATE, ACTIVE, SUSPENDED, RESIGNED)

#: Where a member may go from each state. A resigned member comes back as a
#: candidate, and only so.
TRANSITIONS = {
    NONE: frozenset({CANDIDATE}),
    CANDIDATE: frozenset({NONE, ACTIVE, RESIGNED}),
    ACTIVE: frozenset({SUSPENDED, RESIGNED}),
    SUSPENDED: frozenset({ACTIVE, RESIGNED}),
    RESIGNED: frozenset({CANDIDATE}),
}


def check_transition(old, new, member_number=None, charter_date=None):
    """Refuse a change of state the network does not allow.

    Becoming active needs the member number the clearing house gave and the
    date the membership charter was signed.
    """
    if old == new:
        return
    if new not in TRANSITIONS.get(old, ()):
        raise RuleError(
            "member_transition_refused",
            old=old,
            new=new,
            allowed=tuple(sorted(TRANSITIONS.get(old, ()))),
        )
    if new == ACTIVE:
        missing = tuple(
            name
            for name, value in (("member_number", member_number), ("charter_date", charter_date))
            if not value
        )
        if missing:
            raise RuleError("member_activation_incomplete", missing=missing)


def may_trade(state):
    """Only active members trade in the network's currency."""
    return state == ACTIVE
