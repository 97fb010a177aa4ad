"""The statement of a member's account: opening balance, movements, closing balance.

A statement covers a period. It starts from the balance before the period (the
opening balance), lists the movements of the period in date order, each with the
balance it leaves (the running balance), and ends on the closing balance, which is
the opening balance plus every movement of the period.

The CSV rendering is meant for a spreadsheet: ``;`` separated, amounts written
plainly (``-1234.56``), dates in ISO format, a header row in the labels the
caller passes (translated by the Odoo layer), a first row for the opening
balance and a last one for the closing balance.
"""

import csv
import io
from dataclasses import dataclass

from .amounts import CENT, RuleError, round_amount

#: The columns of a statement, in order.
COLUMNS = ("date", "partner", "reference", "invoice", "amount", "balance")

#: The labels of the CSV in English; the Odoo layer passes them translated.
LABELS = {
    "date": "Date",
    "partner": "Partner",
    "reference": "Reference",
    "invoice": "Invoice",
    "amount": "Amount",
    "balance": "Balance",
    "opening": "Opening balance",
    "closing": "Closing balance",
}

# A text cell starting with one of these is read as a formula by spreadsheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Movement:
    """One movement of the account: what a journal item says, signed (+ received)."""

    date: object
    partner: str
    reference: str
    invoice: str
    amount: object


@dataclass(frozen=True)
class Row:
    """A movement of the statement, with the balance it leaves."""

    date: object
    partner: str
    reference: str
    invoice: str
    amount: object  # Decimal, rounded
    balance: object  # Decimal, the running balance after this movement


@dataclass(frozen=True)
class Statement:
    opening: object  # Decimal
    rows: tuple
    closing: object  # Decimal
    date_from: object = None
    date_to: object = None


def build_statement(opening, movements, date_from=None, date_to=None, rounding=CENT):
    """Return the Statement of ``movements`` (Movement or dicts) from ``opening``.

    Amounts are rounded to ``rounding`` and the running balance is the sum of the
    rounded amounts. The movements must come in date order and, where the period
    is given, within it: anything else would make the running balance a lie.
    """
    balance = round_amount(opening, rounding)
    opening = balance
    rows = []
    previous = None
    for item in movements:
        movement = item if isinstance(item, Movement) else Movement(**item)
        if date_from is not None and movement.date < date_from:
            raise RuleError("movement_before_period", date=movement.date, date_from=date_from)
        if date_to is not None and movement.date > date_to:
            raise RuleError("movement_after_period", date=movement.date, date_to=date_to)
        if previous is not None and movement.date < previous:
            raise RuleError("movement_out_of_order", date=movement.date, previous=previous)
        previous = movement.date
        amount = round_amount(movement.amount, rounding)
        balance += amount
        rows.append(
            Row(
                date=movement.date,
                partner=movement.partner or "",
                reference=movement.reference or "",
                invoice=movement.invoice or "",
                amount=amount,
                balance=balance,
            )
        )
    return Statement(
        opening=opening, rows=tuple(rows), closing=balance, date_from=date_from, date_to=date_to
    )


def plain_amount(value, rounding=CENT):
    """``value`` as a spreadsheet reads it: ``-1234.56``, never ``-0.00`` or ``1E+3``."""
    value = round_amount(value, rounding)
    if value == 0:
        value = abs(value)
    return f"{value:f}"


def _date_cell(value):
    if not value:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _text_cell(value):
    text = str(value or "")
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def statement_csv(statement, labels=None, rounding=CENT):
    """Return ``statement`` as CSV text (encode it in UTF-8 to write it).

    ``labels`` maps the keys of :data:`LABELS` to the words of the user's
    language; missing keys fall back to English.
    """
    labels = {**LABELS, **(labels or {})}
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([labels[column] for column in COLUMNS])

    def amount(value):
        return plain_amount(value, rounding)

    writer.writerow(
        [_date_cell(statement.date_from), "", labels["opening"], "", "", amount(statement.opening)]
    )
    for row in statement.rows:
        writer.writerow(
            [
                _date_cell(row.date),
                _text_cell(row.partner),
                _text_cell(row.reference),
                _text_cell(row.invoice),
                amount(row.amount),
                amount(row.balance),
            ]
        )
    writer.writerow(
        [_date_cell(statement.date_to), "", labels["closing"], "", "", amount(statement.closing)]
    )
    return out.getvalue()
