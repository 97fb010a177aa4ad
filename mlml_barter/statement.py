"""The statement of a member's account: opening balance, movements, closing balance.

A statement covers a period. It starts from the balance before the period (the
opening balance), lists the movements of the period in date order, each with the
balance it leaves (the running balance), and ends on the closing balance, which is
the opening balance plus every movement of the period.

The CSV rendering is meant for a spreadsheet: ``;`` separated, amounts written
plainly with the decimal point of the reader's language (``-1234.56``, or
``-1234,56`` for a French spreadsheet), dates in ISO format, a header row in the labels the
caller passes (translated by the Odoo layer), a first row for the opening
balance and a last one for the closing balance. ``statement_csv_file`` makes the
file both roles download (a member's statement of its barter account, and the
clearing house's of a member's account there).
"""

import csv
import io
from dataclasses import dataclass

from .amounts import CENT, RuleError, round_amount

#: The columns of a statement, in order.
COLUMNS = ("date", "partner", "reference", "invoice", "amount", "balance")
#: The columns of a member's statement of its account: also the clearing house's
#: transfer number, and a reversal's reason (``details``).
DETAILED_COLUMNS = (*COLUMNS, "details")

#: The labels of the CSV in English; the Odoo layer passes them translated.
LABELS = {
    "date": "Date",
    "partner": "Partner",
    "reference": "Reference",
    "invoice": "Invoice",
    "amount": "Amount",
    "balance": "Balance",
    "details": "Details",
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
    #: What the ledger says of it: its transfer number, a reversal's reason.
    details: str = ""


@dataclass(frozen=True)
class Row:
    """A movement of the statement, with the balance it leaves."""

    date: object
    partner: str
    reference: str
    invoice: str
    amount: object  # Decimal, rounded
    balance: object  # Decimal, the running balance after this movement
    details: str = ""


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
                details=movement.details or "",
            )
        )
    return Statement(
        opening=opening, rows=tuple(rows), closing=balance, date_from=date_from, date_to=date_to
    )


def plain_amount(value, rounding=CENT, decimal_point="."):
    """``value`` as a spreadsheet reads it: ``-1234.56``, never ``-0.00`` or ``1E+3``.

    ``decimal_point`` is the one of the reader's language (``,`` in French):
    a spreadsheet reads ``-1234.56`` as text where the decimal point is a comma.
    """
    value = round_amount(value, rounding)
    if value == 0:
        value = abs(value)
    return f"{value:f}".replace(".", decimal_point)


def _date_cell(value):
    if not value:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _text_cell(value):
    text = str(value or "")
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def statement_csv(statement, labels=None, rounding=CENT, decimal_point=".", columns=COLUMNS):
    """Return ``statement`` as CSV text (encode it in UTF-8 to write it).

    ``labels`` maps the keys of :data:`LABELS` to the words of the user's
    language; missing keys fall back to English. ``decimal_point`` is the
    one of the user's language; the cells stay ``;`` separated, which no
    decimal point is. ``columns``: :data:`COLUMNS`, or
    :data:`DETAILED_COLUMNS` for a statement with details.
    """
    if decimal_point not in (".", ","):
        raise RuleError("decimal_point_unsupported", decimal_point=decimal_point)
    labels = {**LABELS, **(labels or {})}
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([labels[column] for column in columns])

    def amount(value):
        return plain_amount(value, rounding, decimal_point)

    def cells(**values):
        return [values.get(column, "") for column in columns]

    writer.writerow(
        cells(
            date=_date_cell(statement.date_from),
            reference=labels["opening"],
            balance=amount(statement.opening),
        )
    )
    for row in statement.rows:
        writer.writerow(
            cells(
                date=_date_cell(row.date),
                partner=_text_cell(row.partner),
                reference=_text_cell(row.reference),
                invoice=_text_cell(row.invoice),
                amount=amount(row.amount),
                balance=amount(row.balance),
                details=_text_cell(row.details),
            )
        )
    writer.writerow(
        cells(
            date=_date_cell(statement.date_to),
            reference=labels["closing"],
            balance=amount(statement.closing),
        )
    )
    return out.getvalue()


def statement_csv_file(
    statement, labels=None, rounding=CENT, language_decimal_point=".", columns=COLUMNS
):
    """Return ``statement`` as the CSV file a user downloads, in bytes.

    The amounts take a comma where the user's language writes one
    (``language_decimal_point``, as the language says it; a French spreadsheet
    reads ``-800.00`` as text and ``-800,00`` as a number), a point otherwise.
    The file is UTF-8 with a byte-order mark: spreadsheets read the accents
    right.
    """
    decimal_point = "," if language_decimal_point == "," else "."
    return statement_csv(statement, labels, rounding, decimal_point, columns).encode("utf-8-sig")


@dataclass(frozen=True)
class LineTerm:
    """When a credit line was in force: from ``date_start`` until ``date_end``.

    ``date_end`` is the first day it no longer applies (None while it does).
    ``line`` is whatever the caller needs back (a record, an id).
    """

    line: object
    date_start: object
    date_end: object = None


def line_in_force(terms, day):
    """The LineTerm in force on ``day``, or None.

    A line applies from its start date until its end; where two apply (a new
    line approved before the old one was closed), the one started last wins.
    """
    applying = [
        term
        for term in terms
        if term.date_start <= day and (term.date_end is None or term.date_end > day)
    ]
    return max(applying, key=lambda term: term.date_start, default=None)


def line_changed(terms, date_from, date_to):
    """Did a credit line start or end after ``date_from``, up to ``date_to``?"""
    return any(
        date_from < term.date_start <= date_to
        or (term.date_end is not None and date_from < term.date_end <= date_to)
        for term in terms
    )
