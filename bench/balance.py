#!/usr/bin/env python3
"""Benchmark: the bounds check of an MLML payment, on a short and on a long barter account.

It starts a throwaway PostgreSQL cluster, makes a French company in a database
of its own, installs the add-on without demo data, and adds a second French
company. Both are active members with an approved credit line; the barter
account of the first holds 1,000 posted journal items, the second's 100,000
(posted entries of 1,000 barter items each, with their counterpart). Then, in
interleaved rounds, it posts 100 MLML payments on each (create and post, as a
user would, in one transaction per round, rolled back after the round): every
posting checks the credit line, and that check must cost one indexed aggregate
or a maintained balance, not a scan of the account. The ratio of the best times,
long account over short, must be at most 1.3.

It prints the SQL queries of one payment on each account (their count, the
slowest, and the plans of the aggregates on journal items), each round, the
best and median times, and last ``RATIO balance <value> (target <= 1.3)``.
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    MAIL_QUIET,
    QueryRecorder,
    as_admin,
    emit,
    make_active_member,
    make_member_partner,
    measured_in_odoo,
    ratios,
    rotated,
    run_benchmark,
)

DATABASE = "bench_balance"
TARGET = 1.3
CREDIT_LIMIT = 1_000_000.0  # far from any balance the benchmark reaches
PAYMENT_AMOUNT = 1.0

# ---------------------------------------------------------------- inside Odoo


def in_odoo(env, small, large, per_move, orm_moves, payments, rounds):
    """Create the companies and their history, then measure; runs in ``odoo shell``."""
    started = time.perf_counter()
    env = env(context=dict(env.context, **MAIL_QUIET))
    member = make_member_partner(env, "MLML-B900")
    short = env.company
    long_ = make_french_company(env, "Papeterie de Roubaix")
    for number, company in enumerate((short, long_), start=1):
        make_active_member(env, company, f"MLML-B{number:03d}", CREDIT_LIMIT)
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(f"DATA two French member companies, in {time.perf_counter() - started:.1f} s")

    for company, lines in ((short, small), (long_, large)):
        begun = time.perf_counter()
        by_orm, copied = build_history(env, company, member, lines, per_move, orm_moves)
        env.cr.commit()  # pylint: disable=invalid-commit
        emit(
            f"DATA {company.name}: {barter_items(env, company):,} posted items on the barter "
            f"account (entries: {by_orm} posted by the ORM, {copied} copied by SQL), "
            f"in {time.perf_counter() - begun:.1f} s"
        )
    # The ORM's postings moved the maintained balances, the SQL copies did not:
    # rebuild them from the ledger.
    env["mlml.balance"]._rebuild(short + long_)
    env.cr.commit()  # pylint: disable=invalid-commit
    balances = env["mlml.balance"]._balances(short + long_)
    emit(
        "DATA maintained balances: "
        + ", ".join(f"{company.name} {balances[company]:,.2f}" for company in (short, long_))
    )
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(f"DATA history built in {time.perf_counter() - started:.1f} s")

    admin = env.ref("base.user_admin")
    admin.write({"company_ids": [(4, short.id), (4, long_.id)]})
    env.cr.commit()  # pylint: disable=invalid-commit
    user_envs = {
        company: as_admin(
            env,
            "account.group_account_invoice",
            "may not pay",
            allowed_company_ids=[company.id],
            **MAIL_QUIET,
        )
        for company in (short, long_)
    }
    labels = {short: f"{small:,} items", long_: f"{large:,} items"}

    def post_payments(company, count):
        """Create and post ``count`` payments in one transaction, rolled back; seconds."""
        user_env = user_envs[company]
        journal = company.mlml_journal_id
        start = time.perf_counter()
        for _i in range(count):
            pay(user_env, company, journal, member).action_post()
        user_env.flush_all()
        seconds = time.perf_counter() - start
        check_and_roll_back(env, company, count)
        return seconds

    # Warm the registry's caches (access rights, rules, sequences) on both.
    for company in (short, long_):
        post_payments(company, 5)

    report_queries(env, user_envs, labels, member)
    report_times(post_payments, (short, long_), labels, payments, rounds)


def make_french_company(env, name):
    """A second French company, its chart of accounts and barter journal loaded."""
    company = env["res.company"].create(
        {
            "name": name,
            "country_id": env.ref("base.fr").id,
            "currency_id": env.ref("base.EUR").id,
            "street": "3 Grand-Place",
            "zip": "59100",
            "city": "Roubaix",
        }
    )
    env.user.company_ids = [(4, company.id)]
    env["account.chart.template"].try_loading("fr", company=company, install_demo=False)
    if not company.mlml_journal_id:
        raise RuntimeError(f"{name} has no barter journal after loading its chart")
    return company


def build_history(env, company, member, lines, per_move, orm_moves):
    """``lines`` posted items on the company's barter account, ``per_move`` per entry.

    Each entry moves the barter account by ``per_move`` items of 1 MLML, in and
    out in turn, against a revenue account: the balance stays between 0 and
    ``per_move``. The first ``orm_moves`` entries are created and posted by the
    ORM, ten at a time; the others are copies of the first two, made by SQL
    (each with a name and number of its own in the journal's sequence).
    """
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    journal = company.mlml_journal_id
    barter = journal.default_account_id
    mlml = company.mlml_currency_id
    Account = env["account.account"]
    revenue = Account.search(
        [*Account._check_company_domain(company), ("account_type", "=", "income")], limit=1
    )
    moves = lines // per_move
    by_orm = min(moves, max(orm_moves, 2))
    batch = 10
    posted = env["account.move"]
    for first in range(0, by_orm, batch):
        vals_list = []
        for index in range(first, min(first + batch, by_orm)):
            sign = 1 if index % 2 == 0 else -1
            items = [
                (
                    0,
                    0,
                    {
                        "account_id": barter.id,
                        "currency_id": mlml.id,
                        "amount_currency": sign * 1.0,
                        "balance": sign * 1.0,
                        "partner_id": member.id,
                        "name": f"Échange {index * per_move + n + 1}",
                    },
                )
                for n in range(per_move)
            ]
            items.append(
                (
                    0,
                    0,
                    {"account_id": revenue.id, "balance": -sign * per_move, "name": "Contrepartie"},
                )
            )
            vals_list.append({"move_type": "entry", "journal_id": journal.id, "line_ids": items})
        batch_moves = env["account.move"].create(vals_list)
        batch_moves.action_post()
        posted |= batch_moves
        env.cr.commit()  # pylint: disable=invalid-commit
        env.invalidate_all()
    copy_entries(env, posted[:2], moves - by_orm)
    return by_orm, moves - by_orm


def copy_entries(env, templates, count):
    """``count`` more posted entries, copies of ``templates`` in turn, made by SQL."""
    if count <= 0:
        return
    cr = env.cr

    def columns(table, skipped):
        cr.execute(
            """
            SELECT column_name
              FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = %s
             ORDER BY ordinal_position
            """,
            [table],
        )
        return [name for (name,) in cr.fetchall() if name not in skipped]

    move_columns = columns("account_move", {"id", "name", "sequence_number"})
    line_columns = columns("account_move_line", {"id", "move_id", "move_name"})
    move_list = ", ".join(f'"{name}"' for name in move_columns)
    line_list = ", ".join(f'"{name}"' for name in line_columns)
    templates = templates.sorted("sequence_number")
    prefix = templates[0].sequence_prefix
    digits = len(templates[0].name) - len(prefix)
    cr.execute(
        "SELECT max(sequence_number) FROM account_move WHERE journal_id = %s "
        "AND sequence_prefix = %s",
        [templates[0].journal_id.id, prefix],
    )
    number = cr.fetchone()[0]
    for index in range(count):
        template = templates[index % len(templates)]
        number += 1
        name = f"{prefix}{number:0{digits}d}"
        cr.execute(
            f"""
            INSERT INTO account_move ({move_list}, "name", "sequence_number")
            SELECT {move_list}, %s, %s FROM account_move WHERE id = %s
            RETURNING id
            """,
            [name, number, template.id],
        )
        move_id = cr.fetchone()[0]
        cr.execute(
            f"""
            INSERT INTO account_move_line ({line_list}, "move_id", "move_name")
            SELECT {line_list}, %s, %s FROM account_move_line WHERE move_id = %s ORDER BY id
            """,
            [move_id, name, template.id],
        )
        if index % 10 == 9:
            cr.commit()  # pylint: disable=invalid-commit
    cr.commit()  # pylint: disable=invalid-commit
    env.invalidate_all()


def barter_items(env, company):
    env.cr.execute(
        """
        SELECT count(*)
          FROM account_move_line
         WHERE account_id = %s AND parent_state = 'posted'
        """,
        [company.mlml_journal_id.default_account_id.id],
    )
    return env.cr.fetchone()[0]


def pay(user_env, company, journal, member):
    return user_env["account.payment"].create(
        {
            "company_id": company.id,
            "payment_type": "outbound",
            "partner_type": "supplier",
            "partner_id": member.id,
            "amount": PAYMENT_AMOUNT,
            "journal_id": journal.id,
        }
    )


def check_and_roll_back(env, company, count):
    """The payments moved the maintained balance; then forget them."""
    env.cr.execute("SELECT balance FROM mlml_balance WHERE company_id = %s", [company.id])
    moved = float(env.cr.fetchone()[0])
    env.cr.rollback()
    env.reset()
    env.cr.execute("SELECT balance FROM mlml_balance WHERE company_id = %s", [company.id])
    before = float(env.cr.fetchone()[0])
    if abs((before - moved) - count * PAYMENT_AMOUNT) > 1e-6:
        raise RuntimeError(
            f"{count} payments moved the balance of {company.name} by {before - moved}"
        )


class TimedQueries(QueryRecorder):
    """Record the queries of a block: SQL text, parameters and time of each."""

    def __init__(self, cursor_class):
        super().__init__(cursor_class)
        self.queries = []

    def record(self, text, params, seconds):
        self.queries.append((text, params, seconds))


def report_queries(env, user_envs, labels, member):
    """One payment on each account: its queries, the slowest, the aggregates' plans."""
    import re

    from odoo import sql_db

    counts = {}
    for company, user_env in user_envs.items():
        journal = company.mlml_journal_id
        user_env.invalidate_all()
        before = sql_db.sql_counter
        payment = pay(user_env, company, journal, member)
        user_env.flush_all()
        created = sql_db.sql_counter
        with TimedQueries(type(user_env.cr)) as recorder:
            payment.action_post()
            user_env.flush_all()
        posted = sql_db.sql_counter
        counts[company] = (created - before, posted - created)
        emit(
            f"QUERIES one payment on the account of {labels[company]}: create "
            f"{created - before}, post {posted - created} "
            f"(post: {sum(t for _q, _p, t in recorder.queries) * 1000:.1f} ms in SQL)"
        )
        slowest = sorted(recorder.queries, key=lambda q: q[2], reverse=True)[:3]
        for query, _params, seconds in slowest:
            emit(
                f"QUERIES   slowest {seconds * 1000:.2f} ms: {re.sub(r'[0-9]+', 'N', query)[:150]}"
            )
        # The aggregates on journal items the posting runs, and how PostgreSQL runs them.
        explained = set()
        for query, params, _seconds in recorder.queries:
            shape = re.sub(r"[0-9]+", "N", query)
            if (
                shape in explained
                or not query.lstrip().upper().startswith("SELECT")
                or "account_move_line" not in query
                or not re.search(r"\b(SUM|COUNT)\(", query, re.IGNORECASE)
            ):
                continue
            explained.add(shape)
            emit(f"PLAN   {shape[:150]}")
            for access in plan_of(user_env.cr, query, params, "account_move_line"):
                emit(f"PLAN     {access}")
        check_and_roll_back(env, company, 1)
    (short, long_) = user_envs
    growth = sum(counts[long_]) - sum(counts[short])
    verdict = "OK" if growth <= 0 else "GROWS"
    emit(
        f"QUERIES one payment: {growth:+d} queries on the long account against the short one "
        f"(target <= 0): {verdict}"
    )


def plan_of(cr, query, params, table):
    """The plan's nodes that read ``table``, with the rows they actually returned."""
    try:
        with cr.savepoint(flush=False):
            cr.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {query}", params)
            plan = [row[0].strip() for row in cr.fetchall()]
    except Exception as error:  # noqa: BLE001 - a plan is only informative
        return [f"(no plan: {error})"]
    nodes = [node.lstrip("-> ") for node in plan if f" on {table}" in node]
    return nodes or plan[:3]


def report_times(post_payments, companies, labels, payments, rounds):
    """Interleaved rounds: ``payments`` payments on each company, the order alternating."""
    import statistics

    times = {company: [] for company in companies}
    for round_no in range(rounds):
        for company in rotated(companies, round_no):
            times[company].append(post_payments(company, payments))
        short, long_ = companies
        emit(
            f"ROUND {round_no + 1}/{rounds}: {labels[short]} {times[short][-1]:.2f} s, "
            f"{labels[long_]} {times[long_][-1]:.2f} s, "
            f"ratio {times[long_][-1] / times[short][-1]:.2f}"
        )
    for company in companies:
        emit(
            f"TIME {payments} payments on the account of {labels[company]}: "
            f"best {min(times[company]):.2f} s, median {statistics.median(times[company]):.2f} s "
            f"({min(times[company]) / payments * 1000:.1f} ms a payment at best) "
            f"over {rounds} rounds"
        )
    short, long_ = companies
    best_ratio, median_ratio = ratios(times[long_], times[short])
    emit(f"RATIO balance median of the rounds' ratios: {median_ratio:.2f}")
    emit(f"RATIO balance {best_ratio:.2f} (target <= {TARGET})")


# ---------------------------------------------------------------- outside Odoo


def is_ratio(line):
    return line.startswith("RATIO balance ") and "target" in line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000, help="items on the short account")
    parser.add_argument("--large", type=int, default=100_000, help="items on the long account")
    parser.add_argument("--per-move", type=int, default=1_000, help="barter items per entry")
    parser.add_argument(
        "--orm-moves",
        type=int,
        default=10,
        help="entries of each account posted by the ORM; the others are copied by SQL",
    )
    parser.add_argument("--payments", type=int, default=100, help="payments posted per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    args = parser.parse_args()
    return run_benchmark(
        args, measured_in_odoo(DATABASE, __file__, is_ratio, step="building the history")
    )


if __name__ == "__main__":
    sys.exit(main())
