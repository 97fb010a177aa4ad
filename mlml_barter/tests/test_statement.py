import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.amounts import RuleError
from mlml_barter.statement import (
    COLUMNS,
    DETAILED_COLUMNS,
    LABELS,
    LineTerm,
    Movement,
    build_statement,
    line_changed,
    line_in_force,
    plain_amount,
    statement_csv,
    statement_csv_file,
)

START = date(2026, 3, 1)
END = date(2026, 3, 31)

money = st.decimals(min_value=Decimal(-100000), max_value=Decimal(100000), places=2)
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)


@st.composite
def movements(draw):
    offsets = sorted(draw(st.lists(st.integers(0, 30), max_size=25)))
    return [
        Movement(
            date=START + timedelta(days=offset),
            partner=draw(texts),
            reference=draw(texts),
            invoice=draw(texts),
            amount=draw(money),
        )
        for offset in offsets
    ]


def parse(text):
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def as_written(text):
    """What the CSV holds for a text: formulas are neutralised with a quote."""
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def test_the_network_example():
    # Before the period: paid 200. In the period: paid 800, received 2,500, paid 300.
    statement = build_statement(
        -200,
        [
            {
                "date": date(2026, 3, 2),
                "partner": "Imprimerie Lilloise",
                "reference": "PMLML/2026/00002",
                "invoice": "",
                "amount": -800,
            },
            Movement(date(2026, 3, 9), "Imprimerie Lilloise", "PMLML/2026/00003", "", 2500),
            Movement(date(2026, 3, 9), "Imprimerie Lilloise", "PMLML/2026/00004", "BILL/1", -300),
        ],
        date_from=START,
        date_to=END,
    )
    assert statement.opening == Decimal(-200)
    assert [row.amount for row in statement.rows] == [Decimal(-800), Decimal(2500), Decimal(-300)]
    assert [row.balance for row in statement.rows] == [
        Decimal(-1000),
        Decimal(1500),
        Decimal(1200),
    ]
    assert statement.closing == Decimal(1200)
    assert statement.rows[2].invoice == "BILL/1"


def test_an_empty_period_closes_on_its_opening_balance():
    statement = build_statement(Decimal("12.5"), [])
    assert statement.rows == ()
    assert statement.opening == statement.closing == Decimal("12.50")


def test_floats_from_the_orm_are_rounded_to_the_cent():
    statement = build_statement(0.1, [Movement(START, "A", "R", "", 0.2)])
    assert statement.closing == Decimal("0.30")
    statement = build_statement(0, [Movement(START, "A", "R", "", "1.005")])
    assert statement.rows[0].amount == Decimal("1.01")


@pytest.mark.parametrize(
    ("movement_date", "code"),
    [
        (START - timedelta(days=1), "movement_before_period"),
        (END + timedelta(days=1), "movement_after_period"),
    ],
)
def test_a_movement_outside_the_period_is_refused(movement_date, code):
    with pytest.raises(RuleError) as err:
        build_statement(0, [Movement(movement_date, "A", "R", "", 1)], START, END)
    assert err.value.code == code


def test_movements_out_of_date_order_are_refused():
    with pytest.raises(RuleError) as err:
        build_statement(
            0, [Movement(date(2026, 3, 5), "A", "R1", "", 1), Movement(START, "A", "R2", "", 1)]
        )
    assert err.value.code == "movement_out_of_order"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.56"), "1234.56"),
        (Decimal("-1234.5"), "-1234.50"),
        (Decimal(1000), "1000.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("-0.001"), "0.00"),
        (0, "0.00"),
    ],
)
def test_amounts_are_written_plainly(value, expected):
    assert plain_amount(value) == expected


def test_csv_layout():
    statement = build_statement(
        -200,
        [Movement(date(2026, 3, 2), "Imprimerie Lilloise", "PMLML/2026/00002", "BILL/7", -800)],
        date_from=START,
        date_to=END,
    )
    labels = {"date": "Date", "partner": "Partenaire", "opening": "Solde d'ouverture"}
    lines = statement_csv(statement, labels).splitlines()
    assert lines == [
        "Date;Partenaire;Reference;Invoice;Amount;Balance",
        "2026-03-01;;Solde d'ouverture;;;-200.00",
        "2026-03-02;Imprimerie Lilloise;PMLML/2026/00002;BILL/7;-800.00;-1000.00",
        "2026-03-31;;Closing balance;;;-1000.00",
    ]


def test_csv_neutralises_formulas_and_quotes_separators():
    statement = build_statement(
        0, [Movement(START, '=HYPERLINK("x")', 'Ref; with "quotes"', "-1", 5)]
    )
    rows = parse(statement_csv(statement))
    assert rows[2][1:4] == ['\'=HYPERLINK("x")', 'Ref; with "quotes"', "'-1"]
    assert rows[2][4] == "5.00"


def test_detailed_csv_carries_the_ledger_details_last():
    statement = build_statement(
        0,
        [
            Movement(START, "Alpha", "MLML/1", "", -5, "Transfer VIR/2026/00001"),
            Movement(START, "Alpha", "MLML/2", "", 5, "=Reverses VIR/2026/00001: error"),
        ],
    )
    rows = parse(statement_csv(statement, columns=DETAILED_COLUMNS))
    assert rows[0][-1] == "Details"
    assert [row[-1] for row in rows[1:]] == [
        "",
        "Transfer VIR/2026/00001",
        "'=Reverses VIR/2026/00001: error",
        "",
    ]
    assert all(len(row) == 7 for row in rows)
    # The plain columns stay six: the clearing house's statement has no details.
    assert all(len(row) == 6 for row in parse(statement_csv(statement)))


@given(opening=money, items=movements())
def test_closing_is_opening_plus_the_movements(opening, items):
    statement = build_statement(opening, items, START, END)
    assert statement.closing == statement.opening + sum(
        (row.amount for row in statement.rows), Decimal(0)
    )
    assert statement.closing == opening + sum((item.amount for item in items), Decimal(0))


@given(opening=money, items=movements())
def test_each_row_adds_its_amount_and_the_last_one_is_the_closing(opening, items):
    statement = build_statement(opening, items, START, END)
    balance = statement.opening
    for row in statement.rows:
        balance += row.amount
        assert row.balance == balance
    last = statement.rows[-1].balance if statement.rows else statement.opening
    assert last == statement.closing


@given(opening=money, items=movements())
def test_the_csv_parses_back_to_the_same_figures(opening, items):
    statement = build_statement(opening, items, START, END)
    rows = parse(statement_csv(statement).encode("utf-8").decode("utf-8"))
    assert rows[0] == [LABELS[key] for key in COLUMNS]
    assert rows[1] == [START.isoformat(), "", LABELS["opening"], "", "", plain_amount(opening)]
    assert Decimal(rows[1][5]) == statement.opening
    assert rows[-1][2] == LABELS["closing"]
    assert Decimal(rows[-1][5]) == statement.closing
    body = rows[2:-1]
    assert len(body) == len(statement.rows)
    for written, row in zip(body, statement.rows, strict=True):
        assert written == [
            row.date.isoformat(),
            as_written(row.partner),
            as_written(row.reference),
            as_written(row.invoice),
            plain_amount(row.amount),
            plain_amount(row.balance),
        ]
        assert Decimal(written[4]) == row.amount
        assert Decimal(written[5]) == row.balance


def test_csv_for_a_french_spreadsheet():
    statement = build_statement(
        Decimal("-1234.5"),
        [Movement(date=START, partner="A", reference="P1", invoice="", amount=Decimal("0.25"))],
        date_from=START,
        date_to=END,
    )
    rows = parse(statement_csv(statement, decimal_point=","))
    assert rows[1][-1] == "-1234,50"
    assert rows[2][-2:] == ["0,25", "-1234,25"]
    assert rows[3][-1] == "-1234,25"
    # Read back as a French spreadsheet does.
    assert Decimal(rows[3][-1].replace(",", ".")) == statement.closing


def test_csv_refuses_a_decimal_point_that_would_break_the_cells():
    statement = build_statement(0, [], date_from=START, date_to=END)
    with pytest.raises(RuleError) as caught:
        statement_csv(statement, decimal_point=";")
    assert caught.value.code == "decimal_point_unsupported"


@given(st.lists(money, max_size=10), st.sampled_from([".", ","]))
def test_csv_amounts_read_back_in_either_language(amounts, point):
    items = [Movement(date=START, partner="", reference="", invoice="", amount=a) for a in amounts]
    statement = build_statement(0, items, date_from=START, date_to=END)
    rows = parse(statement_csv(statement, decimal_point=point))
    read = [Decimal(row[4].replace(",", ".")) for row in rows[2:-1]]
    assert read == [row.amount for row in statement.rows]
    assert Decimal(rows[-1][5].replace(",", ".")) == statement.closing


@pytest.mark.parametrize(
    ("language_point", "written"),
    [(",", ["-1234,50", "0,25", "-1234,25"]), (".", ["-1234.50", "0.25", "-1234.25"])],
)
def test_csv_file_takes_the_decimal_point_of_the_user_language(language_point, written):
    statement = build_statement(
        Decimal("-1234.5"),
        [Movement(date=START, partner="Été", reference="P1", invoice="", amount=Decimal("0.25"))],
        date_from=START,
        date_to=END,
    )
    raw = statement_csv_file(statement, language_decimal_point=language_point)
    # A byte-order mark first: spreadsheets read the accents right.
    assert raw.startswith("\ufeff".encode())
    rows = parse(raw.decode("utf-8-sig"))
    assert [rows[1][-1], *rows[2][-2:]] == written
    assert rows[2][1] == "Été"


@pytest.mark.parametrize("language_point", ["", "٫", ";"])
def test_csv_file_writes_a_point_for_any_other_language(language_point):
    statement = build_statement(Decimal(-400), [], date_from=START, date_to=END)
    raw = statement_csv_file(statement, language_decimal_point=language_point)
    rows = parse(raw.decode("utf-8-sig"))
    assert rows[1][-1] == "-400.00"


JAN = date(2026, 1, 1)


def test_line_in_force_at_each_date():
    old = LineTerm("old", date(2025, 6, 1), date(2026, 3, 15))
    new = LineTerm("new", date(2026, 3, 10))
    terms = [old, new]
    assert line_in_force(terms, date(2025, 5, 31)) is None
    assert line_in_force(terms, date(2026, 3, 9)) is old
    # Both apply from the 10th to the 14th: the one started last wins.
    assert line_in_force(terms, date(2026, 3, 10)) is new
    assert line_in_force(terms, date(2026, 3, 20)) is new
    assert not line_changed(terms, date(2026, 1, 1), date(2026, 3, 9))
    assert line_changed(terms, date(2026, 3, 1), date(2026, 3, 31))
    assert line_changed(terms, date(2026, 3, 9), date(2026, 3, 10))
    # A line starting on the first day of the period is the one in force all along.
    assert not line_changed([new], date(2026, 3, 10), date(2026, 3, 31))


def test_line_closed_without_successor():
    closed = LineTerm("closed", JAN, date(2026, 2, 1))
    assert line_in_force([closed], date(2026, 1, 31)) is closed
    assert line_in_force([closed], date(2026, 2, 1)) is None
    assert line_changed([closed], JAN, date(2026, 2, 28))
