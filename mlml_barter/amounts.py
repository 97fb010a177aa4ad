"""Amounts, percentages and the peg, in exact decimal arithmetic.

Amounts are handled as :class:`decimal.Decimal` so that a share of an invoice
is computed to the cent without binary floating point surprises. Floats coming
from the ORM are converted through their shortest representation
(``repr(0.1) == "0.1"``), which is the value the user typed.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

#: A barter currency is worth exactly one unit of the company's currency.
PEG_RATE = Decimal(1)


class RuleError(ValueError):
    """A value breaks a rule of the network.

    ``code`` names the rule, ``params`` holds the figures a message needs; the
    Odoo layer turns both into a translated message the user can act on.
    """

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        details = ", ".join(f"{key}={value}" for key, value in sorted(params.items()))
        super().__init__(f"{code} ({details})" if details else code)


def to_decimal(value):
    """Return ``value`` (int, float, str or Decimal) as a finite Decimal.

    Anything else, and NaN or infinity, is refused as ``not_a_number``: an
    amount or a percent typed by a user, or sent by a script, is a number.
    """
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RuleError("not_a_number", value=value)
    else:
        text = repr(value) if isinstance(value, float) else value
        try:
            number = Decimal(text.strip() if isinstance(text, str) else text)
        except (InvalidOperation, ValueError) as error:
            raise RuleError("not_a_number", value=value) from error
    if not number.is_finite():
        raise RuleError("not_a_number", value=value)
    return number


def check_amount(value, minimum=None, maximum=None):
    """Return ``value`` as a Decimal amount, or refuse it outside ``minimum``..``maximum``."""
    amount = to_decimal(value)
    if minimum is not None and amount < to_decimal(minimum):
        raise RuleError("amount_below_minimum", amount=amount, minimum=to_decimal(minimum))
    if maximum is not None and amount > to_decimal(maximum):
        raise RuleError("amount_above_maximum", amount=amount, maximum=to_decimal(maximum))
    return amount


def round_amount(value, rounding=CENT):
    """Round ``value`` to a multiple of ``rounding``, halves away from zero.

    This is the rounding Odoo applies to amounts (``float_round``, HALF-UP),
    so an amount computed here and the same amount computed by the ORM agree.
    """
    rounding = to_decimal(rounding)
    if rounding <= 0:
        raise RuleError("rounding_not_positive", rounding=rounding)
    units = (to_decimal(value) / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return units * rounding


def check_percent(value):
    """Return ``value`` as a Decimal percentage, or refuse it outside 0..100."""
    percent = to_decimal(value)
    if not Decimal(0) <= percent <= HUNDRED:
        raise RuleError("percent_out_of_range", percent=percent)
    return percent


def percent_of(base, percent, rounding=CENT):
    """Return ``percent`` % of ``base``, rounded to ``rounding``."""
    return round_amount(to_decimal(base) * check_percent(percent) / HUNDRED, rounding)


def is_peg_rate(rate):
    """Tell whether ``rate`` is the only rate a barter currency may have."""
    return to_decimal(rate) == PEG_RATE
