#!/usr/bin/env python3
"""Benchmark: mixed euro/MLML invoices, posted and paid, against plain euro invoices.

It starts a throwaway PostgreSQL cluster, makes a French company in a database
of its own, installs the add-on without demo data, makes the company an active
member with an approved credit line (no ceiling) and a default MLML share of 50
%, and adds two customers: an active member, whose invoices are mixed (half of
the untaxed amount in MLML), and a partner outside the network, whose invoices
are plain. Both buy the same product at the same price with 20 % VAT: the
invoices are the same but for their MLML share. A history is committed and
analysed first, as in a database in use (paid invoices of both kinds, and the
invoices to be paid): on tables that hold only rolled-back rows, PostgreSQL
comes to believe them empty and plans Odoo's own queries badly. Then, as the
admin user (access rights and record rules checked, as for a user; mail tracking
off), side by side in interleaved rounds, each rolled back after its
measurement:

- 500 invoices created in one ``create`` and posted in one ``action_post``,
  as an import or a batch would, for each customer; the ratio of the best
  times, mixed over plain, must be at most 1.15;
- Register Payment on 200 posted invoices in one batch: for the mixed ones,
  the barter journal (the MLML parts) then a bank journal (the cash parts),
  against the plain ones paid in cash from the bank journal; each wizard makes
  one payment per invoice. The ratio of the best times must be at most 2.3.

It prints each measurement with its SQL queries, the queries the mixed
invoices run more than the plain ones (by shape), and last
``RATIO invoices_post <value> (target <= 1.15)`` then
``RATIO invoices_pay <value> (target <= 2.3)``.
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import collections
import contextlib
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    MAIL_QUIET,
    QueryShapes,
    as_admin,
    emit,
    make_active_member,
    make_member_partner,
    measured_in_odoo,
    ratios,
    rotated,
    run_benchmark,
)

DATABASE = "bench_invoices"
TARGETS = {"invoices_post": 1.15, "invoices_pay": 2.3}
PRICE = 1000.0  # untaxed; 1,200.00 with VAT
SHARE = 50.0  # the company's default MLML share
MLML_PART = 500.0
CASH_PART = 700.0
KINDS = ("mixed", "plain")
CREDIT_LIMIT = 1_000_000.0  # the customers' MLML payments only raise the balance

# ---------------------------------------------------------------- inside Odoo


class Bench:
    """The company, its customers and journals, and the admin user's environment."""

    def __init__(self, env):
        self.env = env(context=dict(env.context, **MAIL_QUIET))
        env = self.env
        company = self.company = env.company
        make_active_member(env, company, "MLML-I001", CREDIT_LIMIT)
        company.mlml_default_share = SHARE
        env["mlml.balance"]._rebuild(company)
        self.customers = {
            "mixed": make_member_partner(env, "MLML-B900"),
            "plain": env["res.partner"].create(
                {
                    "name": "Traiteur Roubaisien",
                    "is_company": True,
                    "city": "Roubaix",
                    "country_id": env.ref("base.fr").id,
                }
            ),
        }
        tax = company.account_sale_tax_id
        if tax.amount_type != "percent" or tax.amount != 20.0 or tax.price_include:
            raise RuntimeError(f"the company's sale tax is {tax.display_name}, not 20 % excluded")
        self.product = env["product.product"].create(
            {
                "name": "Impression offset",
                "type": "service",
                "list_price": PRICE,
                "taxes_id": [(6, 0, tax.ids)],
            }
        )
        Journal = env["account.journal"]
        self.barter = company.mlml_journal_id
        self.bank = Journal.search(
            [
                *Journal._check_company_domain(company),
                ("type", "=", "bank"),
                ("id", "!=", self.barter.id),
            ],
            limit=1,
        )
        if not self.barter or not self.bank:
            raise RuntimeError("the company has no barter journal or no bank journal")
        env.cr.commit()  # pylint: disable=invalid-commit

        self.user_env = as_admin(
            env,
            "account.group_account_invoice",
            "may not invoice",
            allowed_company_ids=company.ids,
            **MAIL_QUIET,
        )

    def invoice_vals(self, kind, count):
        """What an import or a batch gives: customer, date, product, quantity, price."""
        from odoo import Command, fields

        today = fields.Date.context_today(self.product)
        return [
            {
                "move_type": "out_invoice",
                "partner_id": self.customers[kind].id,
                "invoice_date": today,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.product.id, "quantity": 1.0, "price_unit": PRICE}
                    )
                ],
            }
            for _i in range(count)
        ]

    def roll_back(self):
        self.env.cr.rollback()
        self.env.reset()

    def balance(self):
        self.env.cr.execute(
            "SELECT balance FROM mlml_balance WHERE company_id = %s", [self.company.id]
        )
        return float(self.env.cr.fetchone()[0])

    # -------------------------------------------------------- create and post

    def post(self, kind, count, recorder=None):
        """Create ``count`` invoices in one ``create``, post them in one ``action_post``.

        Returns {"create": (seconds, queries), "post": (seconds, queries)},
        checked, then rolled back.
        """
        import gc

        from odoo import sql_db

        vals_list = self.invoice_vals(kind, count)
        moves = self.user_env["account.move"]
        self.user_env.invalidate_all()
        gc.collect()
        with recorder or contextlib.nullcontext():
            queries = sql_db.sql_counter
            start = time.perf_counter()
            invoices = moves.create(vals_list)
            self.user_env.flush_all()
            created = time.perf_counter()
            created_queries = sql_db.sql_counter
            invoices.action_post()
            self.user_env.flush_all()
            posted = time.perf_counter()
            posted_queries = sql_db.sql_counter
        self.check_posted(kind, invoices.sudo())
        self.roll_back()
        return {
            "create": (created - start, created_queries - queries),
            "post": (posted - created, posted_queries - created_queries),
        }

    def check_posted(self, kind, invoices):
        mlml = MLML_PART if kind == "mixed" else 0.0
        wrong = invoices.filtered(
            lambda move: (
                move.state != "posted"
                or move.amount_total != PRICE * 1.2
                or move.mlml_share != (SHARE if kind == "mixed" else 0.0)
                or move.mlml_amount != mlml
                or move.mlml_cash_amount != PRICE * 1.2 - mlml
                or move.mlml_residual != mlml
            )
        )
        if wrong:
            move = wrong[0]
            raise RuntimeError(
                f"{len(wrong)} {kind} invoices are wrong, e.g. {move.name} {move.state}: total "
                f"{move.amount_total}, share {move.mlml_share} %, MLML {move.mlml_amount}, "
                f"cash {move.mlml_cash_amount}, MLML residual {move.mlml_residual}"
            )

    # -------------------------------------------------------- Register Payment

    def posted_invoices(self, kind, count):
        """``count`` posted invoices of ``kind``, committed: each round pays them, rolled back."""
        invoices = self.env["account.move"].create(self.invoice_vals(kind, count))
        invoices.action_post()
        self.check_posted(kind, invoices)
        self.env.cr.commit()  # pylint: disable=invalid-commit
        return invoices.ids

    def history(self, kind, count):
        """``count`` invoices of ``kind`` posted and paid, committed."""
        invoice_ids = self.posted_invoices(kind, count)
        if kind == "mixed":
            self.register(invoice_ids, self.barter)
        self.register(invoice_ids, self.bank)
        self.env.cr.commit()  # pylint: disable=invalid-commit

    def register(self, invoice_ids, journal):
        """Register Payment on the invoices, in one batch, from ``journal``: (seconds, queries)."""
        from odoo import sql_db

        queries = sql_db.sql_counter
        start = time.perf_counter()
        wizard = (
            self.user_env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice_ids)
            .create({"journal_id": journal.id})
        )
        wizard.action_create_payments()
        self.user_env.flush_all()
        return time.perf_counter() - start, sql_db.sql_counter - queries

    def pay(self, kind, invoice_ids, recorder=None):
        """Pay the invoices of ``kind`` in one batch; checked, then rolled back.

        Mixed invoices: the barter journal then the bank journal. Plain: the bank journal.
        Returns {part: (seconds, queries)}.
        """
        import gc

        self.user_env.invalidate_all()
        gc.collect()
        before = self.balance()
        last_payment = self.last_payment()
        parts = {}
        with recorder or contextlib.nullcontext():
            if kind == "mixed":
                parts["MLML"] = self.register(invoice_ids, self.barter)
            parts["cash"] = self.register(invoice_ids, self.bank)
        self.env.cr.execute("SELECT count(*) FROM account_payment WHERE id > %s", [last_payment])
        made = self.env.cr.fetchone()[0]
        self.check_paid(kind, invoice_ids, self.balance() - before, made)
        self.roll_back()
        return parts

    def last_payment(self):
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM account_payment")
        return self.env.cr.fetchone()[0]

    def check_paid(self, kind, invoice_ids, moved, payments):
        invoices = self.env["account.move"].browse(invoice_ids)
        invoices.invalidate_recordset()
        wrong = invoices.filtered(
            lambda move: move.payment_state not in ("paid", "in_payment") or move.mlml_residual
        )
        expected = len(invoice_ids) * MLML_PART if kind == "mixed" else 0.0
        per_invoice = 2 if kind == "mixed" else 1
        if wrong or abs(moved - expected) > 1e-6 or payments != per_invoice * len(invoice_ids):
            move = wrong[:1]
            raise RuntimeError(
                f"{kind} invoices badly paid: {len(wrong)} not paid (e.g. {move.name} "
                f"{move.payment_state}, residual {move.amount_residual}, MLML residual "
                f"{move.mlml_residual}, cash residual {move.mlml_cash_residual}); "
                f"{payments} payments; the MLML balance moved by {moved}, not {expected}"
            )


def in_odoo(env, invoices, payments, history, rounds):
    """Create the company and its customers, then measure; runs in ``odoo shell``."""
    started = time.perf_counter()
    bench = Bench(env)
    emit(
        f"DATA {bench.company.name}: an active member, credit line "
        f"{bench.company.mlml_credit_limit:,.0f} MLML (no ceiling), default share {SHARE:.0f} %; "
        f"customers {bench.customers['mixed'].name} (active member: mixed invoices) and "
        f"{bench.customers['plain'].name} (outside the network: plain invoices); "
        f"{PRICE:,.2f} + 20 % VAT an invoice; barter journal {bench.barter.name}, "
        f"bank journal {bench.bank.name}; in {time.perf_counter() - started:.1f} s"
    )

    # A history, committed and analysed, as in a database in use; it warms the
    # registry's caches (access rights, rules, sequences) too.
    begun = time.perf_counter()
    for kind in KINDS:
        bench.history(kind, history)
    unpaid = {kind: bench.posted_invoices(kind, payments) for kind in KINDS}
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(
        f"DATA history: {history} mixed and {history} plain invoices paid; {payments} mixed "
        f"and {payments} plain invoices posted, to be paid; in "
        f"{time.perf_counter() - begun:.1f} s"
    )
    for kind in KINDS:
        bench.post(kind, 5)
    post_queries = report_queries(
        "invoices_post",
        {
            kind: lambda kind=kind, recorder=None: bench.post(kind, invoices, recorder)
            for kind in KINDS
        },
        invoices,
        type(env.cr),
    )
    post_times = report_times(
        "invoices_post",
        {kind: lambda kind=kind: bench.post(kind, invoices) for kind in KINDS},
        f"{invoices} invoices created and posted",
        invoices,
        rounds,
        post_queries,
    )

    for kind in KINDS:
        bench.pay(kind, unpaid[kind][:5])
    pay_queries = report_queries(
        "invoices_pay",
        {
            kind: lambda kind=kind, recorder=None: bench.pay(kind, unpaid[kind], recorder)
            for kind in KINDS
        },
        payments,
        type(env.cr),
        payments_each=2,
    )
    pay_times = report_times(
        "invoices_pay",
        {kind: lambda kind=kind: bench.pay(kind, unpaid[kind]) for kind in KINDS},
        f"{payments} invoices paid in one batch",
        payments,
        rounds,
        pay_queries,
    )
    emit(f"DATA measured in {time.perf_counter() - started:.1f} s")
    for name, times in (("invoices_post", post_times), ("invoices_pay", pay_times)):
        ratio, _median = ratios(times["mixed"], times["plain"])
        emit(f"RATIO {name} {ratio:.2f} (target <= {TARGETS[name]})")


def report_queries(name, measures, count, cursor_class, payments_each=1):
    """One measurement of each kind, its queries recorded by shape; the mixed ones' extra.

    A mixed invoice is paid by two payments (MLML and cash), a plain one by one:
    the mixed queries are compared with ``payments_each`` times the plain ones,
    so that what remains is the add-on's own.
    """
    shapes = {}
    totals = {}
    for kind, measure in measures.items():
        recorder = QueryShapes(cursor_class)
        parts = measure(recorder=recorder)  # records the measured block only
        shapes[kind] = collections.Counter()
        for shape, number in recorder.counts.items():
            shapes[kind][plain_shape(shape)] += number
        totals[kind] = sum(queries for _seconds, queries in parts.values())
        detail = ", ".join(
            f"{part} {queries} ({queries / count:.2f} an invoice)"
            for part, (_seconds, queries) in parts.items()
        )
        emit(f"QUERIES {name} {kind}, {count} invoices: {totals[kind]}: {detail}")
    baseline = "plain" if payments_each == 1 else f"{payments_each} x plain"
    extra = totals["mixed"] - payments_each * totals["plain"]
    emit(
        f"QUERIES {name} mixed against {baseline}: {extra:+d} queries, "
        f"{extra / count:+.2f} an invoice"
    )
    grown = sorted(
        (
            (number - payments_each * shapes["plain"].get(shape, 0), shape)
            for shape, number in shapes["mixed"].items()
        ),
        reverse=True,
    )
    for delta, shape in grown[:8]:
        if delta > 0:
            emit(f"QUERIES   mixed +{delta} x {shape}")
    return totals


def plain_shape(shape):
    """One shape for the queries that differ by a savepoint's name or a bytes literal."""
    if shape.startswith(("b'", 'b"')):
        shape = " ".join(shape[2:-1].replace("\\n", " ").split())
    return re.sub(r'SAVEPOINT "[^"]*"', 'SAVEPOINT "…"', shape)


def report_times(name, measures, label, count, rounds, queries):
    """Interleaved rounds, the order of the kinds alternating; the best and median times."""
    import statistics

    times = {kind: [] for kind in KINDS}
    for round_no in range(rounds):
        details = {}
        for kind in rotated(KINDS, round_no):
            parts = measures[kind]()
            times[kind].append(sum(seconds for seconds, _queries in parts.values()))
            details[kind] = " + ".join(
                f"{part} {seconds:.2f}" for part, (seconds, _queries) in parts.items()
            )
        emit(
            f"ROUND {name} {round_no + 1}/{rounds}: "
            + ", ".join(f"{kind} {times[kind][-1]:.2f} s ({details[kind]})" for kind in KINDS)
            + f", ratio {times['mixed'][-1] / times['plain'][-1]:.2f}"
        )
    for kind in KINDS:
        best = min(times[kind])
        emit(
            f"TIME {name} {kind}, {label}: best {best:.2f} s, median "
            f"{statistics.median(times[kind]):.2f} s over {rounds} rounds "
            f"({best / count * 1000:.1f} ms an invoice at best, {queries[kind]} queries)"
        )
    _best, median_ratio = ratios(times["mixed"], times["plain"])
    emit(f"RATIO {name} median of the rounds' ratios: {median_ratio:.2f}")
    return times


# ---------------------------------------------------------------- outside Odoo


def is_ratio(line):
    return line.startswith(("RATIO invoices_post ", "RATIO invoices_pay ")) and "target" in line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--invoices", type=int, default=500, help="invoices created and posted per measurement"
    )
    parser.add_argument(
        "--payments", type=int, default=200, help="invoices paid in one batch per measurement"
    )
    parser.add_argument(
        "--history", type=int, default=50, help="invoices of each kind paid before measuring"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds")
    args = parser.parse_args()
    return run_benchmark(args, measured_in_odoo(DATABASE, __file__, is_ratio))


if __name__ == "__main__":
    sys.exit(main())
