"""The bounds of a member's balance: its credit line, below zero, and its ceiling, above.

A movement is checked against the balance it starts from. Only a movement that
takes the balance further past a bound is a breach: when a credit line was
lowered below the current balance, paying back in is always welcome.
"""

from dataclasses import dataclass

from .amounts import round_amount, to_decimal

BLOCK = "block"
WARN = "warn"

BELOW_CREDIT_LIMIT = "below_credit_limit"
ABOVE_CEILING = "above_ceiling"


@dataclass(frozen=True)
class Breach:
    """A movement that takes the balance past a bound, with the figures to say so."""

    reason: str  # BELOW_CREDIT_LIMIT or ABOVE_CEILING
    balance: object  # the balance before the movement
    amount: object  # the movement, signed
    bound: object  # the credit limit (as a positive amount) or the ceiling
    excess: object  # how much is missing (below) or too much (above), positive


@dataclass(frozen=True)
class Verdict:
    """What becomes of a movement: accepted, refused, or accepted with a warning."""

    accepted: bool
    new_balance: object
    breach: Breach | None = None

    @property
    def warning(self):
        return self.accepted and self.breach is not None


def find_breach(balance, amount, credit_limit, balance_ceiling):
    """Return the Breach that ``amount`` would make from ``balance``, or None.

    ``credit_limit`` (0 or more) is how far below zero the balance may go;
    ``balance_ceiling`` how far above zero, 0 meaning no ceiling.
    """
    balance = to_decimal(balance)
    amount = to_decimal(amount)
    credit_limit = to_decimal(credit_limit)
    balance_ceiling = to_decimal(balance_ceiling)
    new_balance = round_amount(balance + amount)
    if amount < 0 and new_balance < -credit_limit:
        return Breach(
            BELOW_CREDIT_LIMIT, balance, amount, credit_limit, -credit_limit - new_balance
        )
    if amount > 0 and balance_ceiling > 0 and new_balance > balance_ceiling:
        return Breach(
            ABOVE_CEILING, balance, amount, balance_ceiling, new_balance - balance_ceiling
        )
    return None


def check_movement(balance, amount, credit_limit, balance_ceiling, mode=BLOCK, forced=False):
    """Decide a movement of ``amount`` on a balance bounded by a credit line.

    In ``block`` mode a breach is refused unless ``forced`` (a manager's
    override); in ``warn`` mode it is accepted with a warning. A refused
    movement leaves the balance as it was.
    """
    balance = to_decimal(balance)
    new_balance = round_amount(balance + to_decimal(amount))
    breach = find_breach(balance, amount, credit_limit, balance_ceiling)
    if breach is None:
        return Verdict(True, new_balance)
    if mode == WARN or forced:
        return Verdict(True, new_balance, breach)
    return Verdict(False, balance, breach)
