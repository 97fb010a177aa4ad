"""What lets an entry past the barter bounds, and what is told when one goes past.

A grant is a Python object put in the context by the override wizard. A
context sent over JSON-RPC holds only JSON values: no caller can forge a
grant, whatever keys it sends. The grant is honoured only for the MLML
manager it was given to, and only for the entries it names.
"""

from dataclasses import dataclass, field


class BoundsGrant:
    """An MLML manager's decision to post these entries past the bounds, with a reason."""

    __slots__ = ("move_ids", "payment_ids", "reason", "uid")

    def __init__(self, uid, reason, move_ids=(), payment_ids=()):
        self.uid = uid
        self.reason = reason
        self.move_ids = frozenset(move_ids)
        self.payment_ids = frozenset(payment_ids)

    def allows(self, moves):
        """Is every entry of ``moves`` named by this grant, given by the current user?"""
        env = moves.env
        return (
            bool(moves)
            and env.uid == self.uid
            and env.user.has_group("mlml_barter.group_mlml_manager")
            and all(
                move.id in self.move_ids or move.origin_payment_id.id in self.payment_ids
                for move in moves
            )
        )


def grant_in(context):
    """The grant in ``context``, or None: any other value is ignored."""
    grant = context.get("mlml_bounds_override")
    return grant if isinstance(grant, BoundsGrant) else None


@dataclass(eq=False)
class BoundsNote:
    """An entry posted past the bounds (warned or forced), to be told and logged."""

    move: object
    company: object
    breach: object
    entering: bool
    forced: bool
    reason: str = ""
    body: object = None
    invoices: object = None


@dataclass(eq=False)
class BoundsNotes:
    """Collects the notes of one posting, so that its caller can tell the user.

    Compared by identity: Odoo reuses an environment whose context is equal,
    and two empty collectors must never be taken for one another.
    """

    notes: list = field(default_factory=list)


def notes_in(context):
    """The collector in ``context``, or None."""
    notes = context.get("mlml_bounds_notes")
    return notes if isinstance(notes, BoundsNotes) else None


class LedgerDecided:
    """The network's ledger has already moved: the entries booked from its answer
    (a payment it accepted, a transfer brought by the synchronisation) move the
    barter balance without being checked here again, whatever the local figures.

    Like a grant, a Python object: no JSON-RPC caller can put it in a context.
    """

    __slots__ = ()


LEDGER_DECIDED = LedgerDecided()


def ledger_decided(context):
    """Does ``context`` book what the ledger already decided?"""
    return context.get("mlml_ledger_decided") is LEDGER_DECIDED
