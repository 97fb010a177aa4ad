"""The MLML share of an invoice: taken on the untaxed amount, VAT paid in euros.

An invoice stays an invoice in euros (HT, TVA, TTC); part of it is payable in
the barter currency "par compensation". That part is a percent (the share) of
the eligible untaxed amount — the untaxed amount of the lines that may be paid
in the barter currency — rounded to the cent, never above a cap when the
company sets one. The rest, VAT included, is payable in euros.
"""

from dataclasses import dataclass

from .amounts import CENT, HUNDRED, RuleError, check_percent, round_amount, to_decimal


@dataclass(frozen=True)
class Split:
    share: object  # the percent of the eligible untaxed amount, Decimal
    barter: object  # the part payable in the barter currency, Decimal
    cash: object  # the part payable in the company's currency, Decimal


def barter_part(eligible, share, cap=0, rounding=CENT):
    """The barter part of an invoice for a share of its eligible untaxed amount."""
    eligible = to_decimal(eligible)
    if eligible < 0:
        raise RuleError("eligible_negative", eligible=eligible)
    part = round_amount(eligible * check_percent(share) / HUNDRED, rounding)
    cap = to_decimal(cap)
    if cap > 0 and part > cap:
        part = round_amount(cap, rounding)
    return part


def share_for(eligible, amount, cap=0):
    """The share that gives ``amount`` as barter part; refuse an impossible amount.

    The amount is between 0 and the eligible untaxed amount (and the cap).
    """
    eligible = to_decimal(eligible)
    amount = to_decimal(amount)
    if amount < 0:
        raise RuleError("barter_part_negative", amount=amount)
    if amount > eligible:
        raise RuleError("barter_part_above_eligible", amount=amount, eligible=eligible)
    cap = to_decimal(cap)
    if cap > 0 and amount > cap:
        raise RuleError("barter_part_above_cap", amount=amount, cap=cap)
    if not eligible:
        return to_decimal(0)
    return amount * HUNDRED / eligible


def split_invoice(total, eligible, share, cap=0, rounding=CENT):
    """Split an invoice's ``total`` into its barter part and its cash part."""
    barter = barter_part(eligible, share, cap, rounding)
    total = to_decimal(total)
    return Split(share=to_decimal(share), barter=barter, cash=total - barter)


def residuals(barter, barter_paid, residual):
    """What remains to pay of each part: (barter residual, cash residual).

    The barter residual is the barter part less the barter payments, never
    more than what remains to pay of the invoice; the rest is cash.
    """
    barter_residual = to_decimal(barter) - to_decimal(barter_paid)
    barter_residual = max(min(barter_residual, to_decimal(residual)), to_decimal(0))
    return barter_residual, to_decimal(residual) - barter_residual


def mlml_open(barter, barter_paid, compensated, residual):
    """What the seller still accepts in MLML on its invoice: the barter part less
    what was paid of it in the barter currency and what compensation runs paid
    of it in MLML (``compensated``), within 0 and what remains to pay."""
    return residuals(barter, to_decimal(barter_paid) + to_decimal(compensated), residual)[0]


def check_barter_payment(amount, barter_residual):
    """Refuse a barter payment on no barter part, or above what remains of it.

    A payment in the barter currency pays the barter part of invoices; the
    rest is paid in the company's currency.
    """
    amount = to_decimal(amount)
    barter_residual = to_decimal(barter_residual)
    if barter_residual <= 0:
        raise RuleError("no_barter_part_left")
    if amount > barter_residual:
        raise RuleError("barter_payment_above_residual", amount=amount, residual=barter_residual)


def is_capped(eligible, share, cap=0, rounding=CENT):
    """Tell whether the cap, not the share, sets the barter part."""
    eligible = to_decimal(eligible)
    if eligible < 0:
        return False
    cap = to_decimal(cap)
    asked = round_amount(eligible * check_percent(share) / HUNDRED, rounding)
    return cap > 0 and asked > cap


def fits(eligible, amount, cap=0):
    """Tell whether a barter part typed by hand still fits the invoice."""
    try:
        share_for(eligible, amount, cap)
    except RuleError:
        return False
    return True


def barter_moved(reconciled, barter_moved_by_payment, payment_counterpart, rounding=CENT):
    """What of ``reconciled`` moved through the barter account.

    A barter payment may carry a write-off: its counterpart (what it settles)
    is then more than what moved at the clearing house. An amount reconciled
    with it counts as paid in the barter currency in the proportion of the
    payment's barter movement to its counterpart.
    """
    reconciled = to_decimal(reconciled)
    moved = abs(to_decimal(barter_moved_by_payment))
    counterpart = abs(to_decimal(payment_counterpart))
    if not counterpart or moved >= counterpart:
        return reconciled
    return round_amount(reconciled * moved / counterpart, rounding)


def check_barter_settlement(settled, barter):
    """Refuse barter-currency payments that settle more than the barter part.

    Whatever path reconciles them with an invoice (Register Payment, the
    outstanding payments of the invoice, the reconciliation of journal items),
    barter-currency payments pay the barter part of the invoice and no more.
    """
    settled = to_decimal(settled)
    barter = to_decimal(barter)
    if settled > barter:
        raise RuleError("barter_settled_above_part", settled=settled, barter=barter)
