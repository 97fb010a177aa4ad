#!/usr/bin/env python3
"""Benchmark: synchronising a member's barter journal, against a bank statement import.

It starts a throwaway PostgreSQL cluster and makes two databases from one French
company with the add-on installed (no demo data):

- the clearing house: the company in clearing-house mode, the member M and 20
  counterparties active members with approved credit lines, an API key for M;
  served by Odoo on 127.0.0.1 only (the threaded server unless ``--workers``);
- the member M: its own membership and credit line, the 20 counterparties as
  active members, 2,000 posted customer invoices with an MLML part of 50 %.

10,000 transfers into and out of M are booked at the clearing house (``_book``
in ``odoo shell``): 2,000 pay the MLML part of M's invoices (reference = the
invoice's number), 5,000 come in and 3,000 go out with references that match
nothing. Then, in the same run, from the same member data (a copy of M's
database made before any synchronisation):

- A: ``company.mlml_synchronize()`` once in M's database, over HTTP (timed);
  then the books are checked: ``lost`` (transfers of the ledger not booked in
  the barter journal), ``duplicated`` (booked twice), ``mismatched`` (invoices
  whose MLML residual is not what the transfers left, plus one if the books'
  balance differs from the clearing house's).
- B: the same 10,000 lines imported as a statement file into the bank journal
  through Odoo's own import (``base_import.import.execute_import`` of a CSV
  file on ``account.bank.statement.line``), then matched with the same 2,000
  invoices. Odoo 18.0 Community keeps the reconciliation models
  (``account.reconcile.model``, the French chart's "Invoices/Bills Perfect
  Match" with auto-validation) but has no engine that applies them: that is
  Enterprise's ``account_accountant``. The baseline does what such a rule does
  with Community's own primitives: one search of the open invoices whose
  number is in the labels, then for each line of that invoice's partner whose
  amount does not exceed its residual, the suspense item of the line is moved
  to the invoice's receivable account and reconciled with it (timed, with the
  import).

It prints ``TIME`` lines, ``RATIO sync <A / B> (target <= 1.2)`` and
``RESULT sync lost=<n> duplicated=<n> mismatched=<n>`` (target 0, 0, 0).
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import csv
import io
import random
import shutil
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (
    MAIL_QUIET,
    activate_member,
    approve_credit_lines,
    emit,
    install,
    odoo_command,
    odoo_env,
    run_served_benchmark,
    serve,
    shell_output,
    shell_script,
    stop_server,
)

CH_DB = "bench_sync_ch"
MEMBER_DB = "bench_sync_member"
IMPORT_DB = "bench_sync_import"
MEMBER_NUMBER = "M-0001"
COUNTERPARTIES = 20
CREDIT_LIMIT = 100_000_000.0  # no bound refuses a transfer of the benchmark
SHARE = 50.0
TARGET = 1.2


def partner_name(n):
    return f"Contrepartie {n:02d}"


def partner_number(n):
    return f"P-{n:03d}"


# ---------------------------------------------------------------- inside Odoo


def _counterparties(env):
    partners = env["res.partner"].create(
        [
            {
                "name": partner_name(n),
                "is_company": True,
                "city": "Lille",
                "country_id": env.ref("base.fr").id,
            }
            for n in range(1, COUNTERPARTIES + 1)
        ]
    )
    for n, partner in enumerate(partners, start=1):
        activate_member(partner, partner_number(n))
    return partners


def member_setup(env, invoices):
    """M's own membership and line, its counterparties, ``invoices`` posted invoices."""
    from odoo import Command, fields

    env = env(context=dict(env.context, **MAIL_QUIET))
    company = env.company
    company.mlml_default_share = SHARE
    activate_member(company.partner_id, MEMBER_NUMBER)
    approve_credit_lines(env, company, company.partner_id, CREDIT_LIMIT)
    partners = _counterparties(env)
    env["mlml.balance"]._rebuild(company)
    today = fields.Date.context_today(company)
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partners[n % COUNTERPARTIES].id,
                "invoice_date": today,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Impression",
                            "quantity": 1.0,
                            "price_unit": 100.0 + 10.0 * (n % 50),
                            "tax_ids": [Command.set(company.account_sale_tax_id.ids)],
                        }
                    )
                ],
            }
            for n in range(invoices)
        ]
    )
    moves.action_post()
    env.cr.commit()  # pylint: disable=invalid-commit
    for move in moves:
        emit(
            f"INVOICE {move.name} {move.partner_id.mlml_member_number} "
            f"{move.mlml_amount:.2f} {move.mlml_residual:.2f} {move.amount_residual:.2f}"
        )


def ch_setup(env, invoices, transfers):
    """The clearing house, its members and M's key; ``transfers`` booked into and out of M."""
    env = env(context=dict(env.context, **MAIL_QUIET))
    company = env.company
    company.write({"mlml_is_clearing_house": True, "mlml_commission_percent": 0.0})
    member = env["res.partner"].create(
        {"name": "Membre M", "is_company": True, "country_id": env.ref("base.fr").id}
    )
    activate_member(member, MEMBER_NUMBER)
    partners = _counterparties(env)
    approve_credit_lines(env, company, member | partners, CREDIT_LIMIT)
    key = member.mlml_generate_api_key()
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(f"KEY {key}")

    by_number = {p.mlml_member_number: p for p in partners}
    plan = [("invoice", name, number, amount) for name, number, amount in invoices]
    others = transfers - len(plan)
    incoming = others * 5 // 8
    rng = random.Random(20261129)
    for n in range(others):
        number = partner_number(rng.randrange(COUNTERPARTIES) + 1)
        amount = f"{rng.randrange(100, 50000) / 100:.2f}"
        if n < incoming:
            plan.append(("in", f"EXT-{n:05d}", number, amount))
        else:
            plan.append(("out", f"ACH-{n:05d}", number, amount))
    rng.shuffle(plan)
    Transfer = env["mlml.transfer"].sudo()
    started = time.perf_counter()
    for n, (kind, reference, number, amount) in enumerate(plan, start=1):
        payer, payee = (member, by_number[number]) if kind == "out" else (by_number[number], member)
        Transfer._book(payer, payee, amount, reference=reference, company=company)
        if n % 500 == 0:
            env.cr.commit()  # pylint: disable=invalid-commit
            env.invalidate_all()
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(
        f"BOOKED {len(plan)} transfers at the clearing house in "
        f"{time.perf_counter() - started:.0f} s"
    )


def side_a(env, url, key, invoices):
    """Connect M, synchronise once (timed), check the invoices and the balance."""
    import uuid

    company = env.company
    # A copy keeps its template's uuid: M gets one of its own, as a new database.
    env["ir.config_parameter"].sudo().set_param("database.uuid", str(uuid.uuid4()))
    company.write({"mlml_clearing_house_url": url, "mlml_clearing_house_key": key})
    env.cr.commit()  # pylint: disable=invalid-commit
    started = time.perf_counter()
    done = company.mlml_synchronize()
    elapsed = time.perf_counter() - started
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(f"TIMED A {elapsed:.3f}")
    emit(f"SYNC {'ok' if done else 'FAILED'}: {company.mlml_sync_message}")
    moves = env["account.move"].search([("name", "in", [name for name, *_r in invoices])])
    by_name = {move.name: move for move in moves}
    mismatched = 0
    for name, _number, _amount, expected in invoices:
        move = by_name.get(name)
        if move is None or move.currency_id.compare_amounts(move.mlml_residual, expected):
            mismatched += 1
            if mismatched <= 5:
                emit(
                    f"MISMATCH {name}: MLML residual "
                    f"{move.mlml_residual if move else None}, expected {expected}"
                )
    if company.mlml_currency_id.compare_amounts(company.mlml_sync_difference, 0.0) or not done:
        mismatched += 1
        emit(f"MISMATCH books against the clearing house: {company.mlml_sync_difference}")
    emit(f"CHECKED A {mismatched}")


def side_b(env, csv_path, invoices):
    """Import the statement file (Odoo's import), match the invoices (timed)."""
    company = env.company
    Journal = env["account.journal"]
    bank = Journal.search(
        [*Journal._check_company_domain(company), ("type", "=", "bank")], order="id", limit=1
    )
    # The file names the bank journal by its id (a column of the CSV).
    data = Path(csv_path).read_text().replace("{journal}", str(bank.id)).encode()
    env.cr.commit()  # pylint: disable=invalid-commit
    started = time.perf_counter()
    importer = env["base_import.import"].create(
        {
            "res_model": "account.bank.statement.line",
            "file": data,
            "file_name": "releve.csv",
            "file_type": "text/csv",
        }
    )
    columns = ["date", "payment_ref", "partner_id", "amount", "journal_id/.id"]
    options = {
        "has_headers": True,
        "separator": ",",
        "quoting": '"',
        "encoding": "utf-8",
        "date_format": "%Y-%m-%d",
        "float_decimal_separator": ".",
        "float_thousand_separator": "",
        "fallback_values": {},
        "name_create_enabled_fields": {},
        "import_set_empty_fields": [],
        "import_skip_records": [],
    }
    result = importer.execute_import(columns, columns, options)
    imported = time.perf_counter() - started
    errors = [m for m in result.get("messages", []) if m.get("type") == "error"]
    lines = env["account.bank.statement.line"].browse(result.get("ids") or [])
    matched = match_lines(env, company, lines)
    elapsed = time.perf_counter() - started
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(f"TIMED B {elapsed:.3f} {imported:.3f}")
    emit(
        f"IMPORTED B {len(lines)} lines, {len(errors)} errors"
        + (f" (first: {errors[0].get('message')})" if errors else "")
        + f"; {matched} matched with an invoice"
    )
    moves = env["account.move"].search([("name", "in", [name for name, *_r in invoices])])
    by_name = {move.name: move for move in moves}
    wrong = sum(
        1
        for name, _number, amount, _expected, total in invoices
        if move_residual(by_name.get(name)) != round(total - amount, 2)
    )
    emit(f"CHECKED B {wrong} invoices whose residual is not what the lines left")


def move_residual(move):
    return None if move is None else round(move.amount_residual, 2)


def match_lines(env, company, lines):
    """What an "invoice matching" reconciliation model does, with Community's means:
    the open invoice of the line's partner whose number is in the label, the line's
    amount within its residual; the suspense item moved to the receivable account
    and reconciled with the invoice's. Return how many lines were matched."""
    tokens = {token for line in lines for token in (line.payment_ref or "").split()}
    invoices = env["account.move"].search(
        [
            ("company_id", "=", company.id),
            ("state", "=", "posted"),
            ("move_type", "=", "out_invoice"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("name", "in", list(tokens)),
        ]
    )
    by_key = {(move.name, move.commercial_partner_id.id): move for move in invoices}
    matched = 0
    for line in lines:
        if line.amount <= 0:
            continue
        partner = line.partner_id.commercial_partner_id.id
        keys = [(token, partner) for token in (line.payment_ref or "").split()]
        move = next((by_key[key] for key in keys if key in by_key), None)
        if move is None or move.currency_id.compare_amounts(line.amount, move.amount_residual) > 0:
            continue
        terms = move.line_ids.filtered(
            lambda aml: aml.display_type == "payment_term" and not aml.reconciled
        )[:1]
        _liquidity, suspense, _other = line._seek_for_lines()
        if not terms or not suspense:
            continue
        suspense.write({"account_id": terms.account_id.id, "partner_id": move.partner_id.id})
        (suspense | terms).reconcile()
        matched += 1
    return matched


def in_odoo(env, phase, **arguments):
    {"member": member_setup, "ch": ch_setup, "a": side_a, "b": side_b}[phase](env, **arguments)


# ---------------------------------------------------------------- outside Odoo


def run_phase(common, workdir, name, **arguments):
    """Run ``in_odoo(phase=name, ...)`` in ``odoo shell``; return its output lines."""
    return shell_output(common, workdir, name, shell_script(__file__, phase=name, **arguments))


def copy_database(cluster, workdir, template, name):
    """``createdb -T``: the database and its filestore, as they are."""
    cluster.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    filestore = workdir / "odoo-data" / "filestore"
    if (filestore / template).is_dir():
        shutil.copytree(filestore / template, filestore / name)


def ledger_of(cluster, number):
    """M's transfers in ledger order: (id, number, date, payer, payee, amount, reference)."""
    rows = cluster.psql(
        f"""
        SELECT t.id, t.name, t.date, p.mlml_member_number, q.mlml_member_number,
               t.amount, coalesce(t.reference, '')
          FROM mlml_transfer t
          JOIN res_partner p ON p.id = t.payer_id
          JOIN res_partner q ON q.id = t.payee_id
         WHERE p.mlml_member_number = '{number}' OR q.mlml_member_number = '{number}'
         ORDER BY t.ledger_position
        """,
        database=CH_DB,
    )
    return [tuple(line.split("|", 6)) for line in rows.splitlines()]


def statement_file(ledger, names):
    """The CSV a bank would give: date, label, partner, signed amount (journal: a column)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "payment_ref", "partner_id", "amount", "journal_id/.id"])
    for _id, name, date, payer, payee, amount, reference in ledger:
        incoming = payee == MEMBER_NUMBER
        other = payer if incoming else payee
        signed = Decimal(amount) if incoming else -Decimal(amount)
        writer.writerow(
            [
                date,
                " ".join(filter(None, [name, reference])),
                names[other],
                f"{signed}",
                "{journal}",
            ]
        )
    return out.getvalue()


def books_of(cluster, database):
    """The transfer references of the statement lines in M's books, counted."""
    rows = cluster.psql(
        "SELECT mlml_transfer_ref FROM account_bank_statement_line "
        "WHERE mlml_transfer_ref IS NOT NULL "
        "UNION ALL SELECT mlml_transfer_ref FROM account_payment "
        "WHERE mlml_transfer_ref IS NOT NULL",
        database=database,
    )
    return Counter(rows.split())


def value(lines, prefix):
    line = next((line for line in lines if line.startswith(prefix)), None)
    if line is None:
        raise RuntimeError(f"no {prefix!r} line in {lines[-5:]}")
    return line[len(prefix) :].split()


def benchmark(odoo, args, workdir, cluster, started, state):
    ch = install(odoo, workdir, cluster, started, CH_DB, f"{args.invoices} invoices of M")
    copy_database(cluster, workdir, CH_DB, MEMBER_DB)
    member = odoo_command(odoo, workdir, cluster, MEMBER_DB)
    lines = run_phase(member, workdir, "member", invoices=args.invoices)
    invoices = [line.split()[1:] for line in lines if line.startswith("INVOICE ")]
    if len(invoices) != args.invoices:
        sys.exit(f"{len(invoices)} invoices made, not {args.invoices}")
    copy_database(cluster, workdir, MEMBER_DB, IMPORT_DB)
    print(
        f"SETUP member M ({MEMBER_NUMBER}), {COUNTERPARTIES} counterparties, "
        f"{len(invoices)} invoices posted (MLML part {SHARE:g} %); copied for the import "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )

    lines = run_phase(
        ch,
        workdir,
        "ch",
        invoices=[(name, number, mlml) for name, number, mlml, *_rest in invoices],
        transfers=args.transfers,
    )
    key = value(lines, "KEY ")[0]
    print(next(line for line in lines if line.startswith("BOOKED ")), flush=True)
    ledger = ledger_of(cluster, MEMBER_NUMBER)
    names = {partner_number(n): partner_name(n) for n in range(1, COUNTERPARTIES + 1)}
    path = workdir / "releve.csv"
    path.write_text(statement_file(ledger, names))
    print(f"LEDGER {len(ledger)} transfers of M; statement file of {len(ledger)} lines", flush=True)

    port = odoo_env.free_port()
    state["server"] = server = serve(ch, CH_DB, port, workdir / "server.log", args.workers)
    url = f"http://127.0.0.1:{port}"
    print(
        f"SERVER clearing house on {url}, "
        + (f"{args.workers} workers" if args.workers else "threaded"),
        flush=True,
    )

    expected_a = [(name, number, mlml, 0.0) for name, number, mlml, *_r in invoices]
    expected_b = [
        (name, number, float(mlml), 0.0, float(total))
        for name, number, mlml, _residual, total in invoices
    ]
    importer = odoo_command(odoo, workdir, cluster, IMPORT_DB)
    # Side by side, the order alternating with the run (both start from the same data).
    order = ["b", "a"] if args.b_first else ["a", "b"]
    out = {}
    for side in order:
        if side == "a":
            out["a"] = run_phase(member, workdir, "a", url=url, key=key, invoices=expected_a)
        else:
            out["b"] = run_phase(importer, workdir, "b", csv_path=str(path), invoices=expected_b)
        for line in out[side]:
            if line.startswith(("SYNC ", "MISMATCH ", "IMPORTED ", "CHECKED B ")):
                print(line, flush=True)
    stop_server(server)
    state["server"] = None

    time_a = float(value(out["a"], "TIMED A ")[0])
    time_b, import_b = (float(v) for v in value(out["b"], "TIMED B ")[:2])
    mismatched = int(value(out["a"], "CHECKED A ")[0])
    books = books_of(cluster, MEMBER_DB)
    ids = [row[0] for row in ledger]
    lost = sum(1 for transfer in ids if transfer not in books)
    duplicated = sum(count - 1 for count in books.values() if count > 1)
    duplicated += sum(1 for ref in books if ref not in set(ids))
    print(
        f"TIME sync_a {len(ledger)} transfers synchronised (mlml_synchronize): {time_a:.2f} s",
        flush=True,
    )
    print(
        f"TIME sync_b {len(ledger)} lines imported ({import_b:.2f} s) and matched "
        f"({time_b - import_b:.2f} s): {time_b:.2f} s",
        flush=True,
    )
    return [
        f"RATIO sync {time_a / time_b:.2f} (target <= {TARGET})",
        f"RESULT sync lost={lost} duplicated={duplicated} mismatched={mismatched}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=10000, help="transfers into/out of M")
    parser.add_argument("--invoices", type=int, default=2000, help="open invoices they pay")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="Odoo HTTP workers of the clearing house (0: the threaded server, enough for "
        "one client, and no long-polling process)",
    )
    parser.add_argument(
        "--b-first", action="store_true", help="run the import (B) before the sync (A)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 transfers and 200 invoices, to check a run"
    )
    args = parser.parse_args()
    if args.quick:
        args.transfers, args.invoices = 1000, 200
    if not 0 < args.invoices <= args.transfers:
        parser.error("at least 1 invoice, and no more invoices than transfers")
    return run_served_benchmark(args, benchmark)


if __name__ == "__main__":
    sys.exit(main())
