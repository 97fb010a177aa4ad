"""The clearing house's ledger: transfers between members' accounts.

Every transfer debits the payer's account and credits the payee's by the same
amount, so the sum of all balances is zero at every moment. A transfer is
checked against both bounds: it may not take the payer below minus its credit
limit, nor the payee above its ceiling. A commission, a percent of the
transfer paid by the payer to the clearing house, is a transfer of its own,
and the payer's room must cover both. A transfer that owes a commission pays
at least one cent of it: the commission is rounded up to the cent (splitting a
payment in small transfers does not avoid it).
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext

from .amounts import CENT, HUNDRED, RuleError, check_percent, round_amount, to_decimal
from .bounds import BLOCK, check_movement
from .membership import ACTIVE, SUSPENDED


@dataclass(frozen=True)
class Account:
    """A member's account at the clearing house, as a transfer sees it."""

    key: object
    state: str
    balance: object
    credit_limit: object
    balance_ceiling: object


@dataclass(frozen=True)
class Decision:
    """What a transfer (and its commission) does to the two accounts."""

    amount: object
    commission: object
    payer_after: object
    payee_after: object
    warnings: tuple = ()


def commission_for(amount, percent):
    """The commission on ``amount`` at ``percent`` %, rounded up to the cent: a
    transfer at a percent above zero pays at least 0.01 (0 without a percent)."""
    percent = check_percent(percent)
    if not percent:
        return Decimal("0.00")
    with localcontext() as context:
        # Exact: an amount of 12 digits times a percent of any precision.
        context.prec = 80
        commission = to_decimal(amount) * percent / HUNDRED
        return commission.quantize(CENT, rounding=ROUND_CEILING)


def decide_transfer(
    payer,
    payee,
    amount,
    *,
    commission_percent=0,
    house=None,
    mode=BLOCK,
    forced=False,
    repay_suspended=False,
):
    """Decide a transfer of ``amount`` from ``payer`` to ``payee``.

    Refused (RuleError): paying oneself, an amount that is not positive, a
    payer that is not active, a payee that is not active (a suspended payee
    may be paid back up to zero when the clearing house allows it), a breach
    of either bound (unless warned or forced). The commission goes to
    ``house``, the clearing house's own account, whose bounds are not checked.
    """
    amount = round_amount(to_decimal(amount))
    if amount <= 0:
        raise RuleError("transfer_amount_not_positive", amount=amount)
    if payer.key == payee.key:
        raise RuleError("transfer_to_oneself", account=payer.key)
    if payer.state != ACTIVE:
        raise RuleError("payer_not_active", account=payer.key, state=payer.state)
    if payee.state != ACTIVE:
        repays = (
            repay_suspended
            and payee.state == SUSPENDED
            and round_amount(to_decimal(payee.balance) + amount) <= 0
        )
        if not repays:
            raise RuleError("payee_not_active", account=payee.key, state=payee.state)
    commission = commission_for(amount, commission_percent)
    if commission and house is None:
        raise RuleError("commission_without_house")
    if house is not None and commission and house.key in (payer.key, payee.key):
        commission = to_decimal(0)
    warnings = []
    out = check_movement(
        payer.balance,
        -(amount + commission),
        payer.credit_limit,
        payer.balance_ceiling,
        mode=mode,
        forced=forced,
    )
    if not out.accepted:
        raise RuleError(
            "payer_below_credit_limit",
            account=payer.key,
            balance=to_decimal(payer.balance),
            amount=amount,
            commission=commission,
            credit_limit=to_decimal(payer.credit_limit),
            missing=out.breach.excess,
        )
    if out.warning:
        warnings.append(out.breach)
    into = check_movement(
        payee.balance,
        amount,
        payee.credit_limit,
        payee.balance_ceiling,
        mode=mode,
        forced=forced,
    )
    if not into.accepted:
        raise RuleError(
            "payee_above_ceiling",
            account=payee.key,
            balance=to_decimal(payee.balance),
            amount=amount,
            balance_ceiling=to_decimal(payee.balance_ceiling),
            excess=into.breach.excess,
        )
    if into.warning:
        warnings.append(into.breach)
    return Decision(
        amount=amount,
        commission=commission,
        payer_after=out.new_balance,
        payee_after=into.new_balance,
        warnings=tuple(warnings),
    )


def lock_order(*keys):
    """The order in which to lock accounts: always the same for the same
    accounts, so that A→B and B→A at the same instant never deadlock."""
    return sorted(set(keys))
