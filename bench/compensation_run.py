#!/usr/bin/env python3
"""Benchmark: a compensation run inside Odoo at a network's scale, and declaring in batches.

It starts a throwaway PostgreSQL cluster, makes a French company in a database
of its own, installs the add-on without demo data, makes the company the
clearing house (in euros) and adds 3,200 active members with approved credit
lines (heavy-tailed, a ceiling of twice the line), each with a key of the API.
The obligations are drawn as the solver benchmark draws its ``paper`` network
(``compensation.py``: heavy-tailed firm sizes, buying following size less than
selling, log-normal amounts): 140,000 invoices. Odoo serves the database
(threaded, 127.0.0.1 only) and:

- the first few hundred invoices are declared through the API as members do:
  each creditor declares its invoices, then each debtor confirms its bills,
  with ``POST obligations/batch``;
- ``RATIO obligations_batch``: 10,000 new declarations (due after the run's
  cut-off: no run counts them) by single ``POST obligations`` calls against
  10,000 others by ``POST obligations/batch`` (batches of 1,000), in
  interleaved halves;
- the other invoices are copied into the obligations by SQL, confirmed by both
  sides, and the tables analysed (as ``balance.py`` fills its ledger);
- in ``odoo shell``: *Simulate* and *Confirm with liquidity* (the transfers
  booked) of one run, each timed with the peak memory of the process, against
  Odoo's floor for writing that many rows, 140,000 tags (``res.partner.category``,
  one field) in one ``create``: ``RATIO compensation_simulate`` and ``RATIO
  compensation_confirm``;
- then every member reads its confirmed run with ``GET compensations``, timed
  with the server's peak memory; the MLML moved adds up to 0.00.

Last, ``RESULT compensation_run obligations=<n> cleared=<amount> sum=0.00
memory_mb=<peak>`` (``sum``: the members' balances after the run) and the three
ratios. How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import math
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import (
    DONE,
    HOST,
    emit,
    fail,
    install,
    odoo_env,
    run_served_benchmark,
    serve,
    shell_output,
    shell_script,
    stop_server,
)

from mlml_barter.api_spec import BASE_PATH, MAX_BATCH

DATABASE = "bench_compensation_run"
SEED = 2020
# The paper network of compensation.py, drawn with the standard library.
BUYING_FOLLOWS_SIZE = 0.6
MEDIAN_INVOICE_CENTS = 9600
INVOICE_SIGMA = 1.3
CREDIT_LINE = 1500.0  # the smallest; heavy-tailed above it
LINE_TIERS = 8  # members share their line with the others of their tier (one approval each)
DUE = "2026-06-30"
CUTOFF = "2026-06-30"
LATER = "2026-12-31"  # the declarations of the ratio: after the cut-off
TIMEOUT = (5, 600)
THREADS = 4  # clients reading their runs

SETUP = """
import sys
sys.path.insert(0, {here!r})
from common import approve_credit_lines
from odoo import fields
env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True,
                       mail_create_nolog=True, mail_create_nosubscribe=True))
company = env.company
company.currency_id = env.ref("base.EUR")
company.mlml_is_clearing_house = True
today = fields.Date.context_today(company)
members = env["res.partner"].create([
    {{
        "name": f"Membre {{n:05d}}",
        "is_company": True,
        "city": "Cagliari",
        "country_id": env.ref("base.fr").id,
        "mlml_member_state": "candidate",
        "mlml_member_number": f"SRD-{{n:05d}}",
        "mlml_charter_date": fields.Date.subtract(today, days=60),
    }}
    for n in range({members})
])
members.action_mlml_activate()
for tier, limit in enumerate({tiers!r}):
    approve_credit_lines(env, company, members[tier::len({tiers!r})], limit, ceiling=2 * limit)
env.cr.commit()
keys = []
for n, member in enumerate(members):
    keys.append(member.mlml_generate_api_key())
    if n % 200 == 199:
        env.cr.commit()
env.cr.commit()
print("SETUP", company.id, flush=True)
for member, key in zip(members, keys):
    print("MEMBER", member.id, member.mlml_member_number, key, flush=True)
"""


# ---------------------------------------------------------------- the network


def draw_network(firms, invoices, seed):
    """(debtor, creditor, cents) of ``invoices`` between ``firms``: compensation.py's
    ``draw_network`` with the standard library's generator."""
    rng = random.Random(seed)
    size = [rng.paretovariate(1.1) for _ in range(firms)]
    sells = [s * rng.paretovariate(1.5) for s in size]
    buys = [s**BUYING_FOLLOWS_SIZE * rng.paretovariate(1.5) for s in size]
    firms_ = range(firms)
    debtors = rng.choices(firms_, weights=buys, k=invoices)
    creditors = rng.choices(firms_, weights=sells, k=invoices)
    drawn = []
    for debtor, creditor in zip(debtors, creditors, strict=True):
        while creditor == debtor:  # nobody invoices itself
            creditor = rng.choices(firms_, weights=sells)[0]
        cents = max(100, round(rng.lognormvariate(math.log(MEDIAN_INVOICE_CENTS), INVOICE_SIGMA)))
        drawn.append((debtor, creditor, cents))
    return drawn


def amount(cents):
    return f"{cents // 100}.{cents % 100:02d}"


# ---------------------------------------------------------------- inside Odoo


def peak_reset():
    """Start measuring the process's peak memory again (Linux's clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_mb(pid="self"):
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def in_odoo(env, company_id, invoices, copied_from, members, rounds):
    """Copy the obligations not declared, then measure the run; in ``odoo shell``."""
    company = env["res.company"].browse(company_id)
    network = draw_network(len(members), invoices, SEED)
    started = time.perf_counter()
    copy_obligations(env, company, network, copied_from, members)
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    env.cr.execute(
        "SELECT count(*), sum(amount_open) FROM mlml_obligation "
        "WHERE company_id = %s AND state = 'confirmed' AND due_date <= %s",
        [company.id, CUTOFF],
    )
    count, total = env.cr.fetchone()
    emit(
        f"DATA {count:,} confirmed obligations due by the cut-off ({total:,.2f} €), "
        f"{invoices - copied_from:,} copied by SQL in {time.perf_counter() - started:.1f} s"
    )

    floor = []
    for round_no in range(rounds):
        peak_reset()
        begun = time.perf_counter()
        env["res.partner.category"].create(
            [{"name": f"Étiquette {round_no}-{n}"} for n in range(count)]
        )
        env.flush_all()
        floor.append((time.perf_counter() - begun, peak_mb()))
        env.cr.rollback()
        env.invalidate_all()
    floor_time, floor_memory = min(floor)
    emit(
        f"TIME floor {count:,} tags in one create: best {floor_time:.2f} s of {rounds} "
        f"(peak {floor_memory:.0f} MB)"
    )

    run = env["mlml.compensation"].create({"company_id": company.id, "cutoff_date": CUTOFF})
    env.cr.commit()  # pylint: disable=invalid-commit
    env.invalidate_all()
    peak_reset()
    begun = time.perf_counter()
    run.action_simulate()
    env.flush_all()
    simulate, simulate_memory = time.perf_counter() - begun, peak_mb()
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(
        f"TIME compensation_simulate {run.obligation_count:,} obligations: {simulate:.2f} s "
        f"(peak {simulate_memory:.0f} MB); cleared {run.cleared_without:,.2f} without, "
        f"{run.cleared_with:,.2f} with liquidity ({run.mlml_moved:,.2f} MLML moved)"
    )
    env.invalidate_all()
    peak_reset()
    begun = time.perf_counter()
    run.action_confirm_with()
    env.flush_all()
    confirm, confirm_memory = time.perf_counter() - begun, peak_mb()
    env.cr.commit()  # pylint: disable=invalid-commit
    emit(
        f"TIME compensation_confirm with liquidity, {len(run.transfer_ids):,} transfers "
        f"booked: {confirm:.2f} s (peak {confirm_memory:.0f} MB)"
    )
    env.cr.execute(
        "SELECT coalesce(sum(balance), 0) FROM mlml_ledger_account WHERE company_id = %s",
        [company.id],
    )
    balances = env.cr.fetchone()[0]
    emit(f"SHELL obligations={run.obligation_count} cleared={run.cleared_with:.2f}")
    emit(f"SHELL sum={balances:.2f} memory_mb={max(simulate_memory, confirm_memory):.0f}")
    emit(f"SHELL run={run.name}")
    emit(f"RATIO compensation_simulate {simulate / floor_time:.2f} (target <= 1.5)")
    emit(f"RATIO compensation_confirm {confirm / floor_time:.2f} (target <= 2)")


def copy_obligations(env, company, network, start, members):
    """The invoices from ``start`` on, confirmed obligations written by SQL."""
    rows = network[start:]
    env.cr.execute(
        """
        INSERT INTO mlml_obligation (
            name, company_id, creditor_id, debtor_id, amount, amount_cleared, amount_open,
            due_date, declared_by_creditor, confirmed_by_debtor, state, feed_position,
            create_uid, write_uid, create_date, write_date)
        SELECT t.name, %s, t.creditor, t.debtor, t.amount, 0, t.amount, %s, true, true,
               'confirmed', 0, %s, %s, now() at time zone 'utc', now() at time zone 'utc'
          FROM unnest(%s::varchar[], %s::int[], %s::int[], %s::numeric[])
               AS t(name, creditor, debtor, amount)
        """,
        [
            company.id,
            DUE,
            env.uid,
            env.uid,
            [f"FS/{start + n + 1:06d}" for n in range(len(rows))],
            [members[creditor] for _debtor, creditor, _cents in rows],
            [members[debtor] for debtor, _creditor, _cents in rows],
            [Decimal(cents) / 100 for _debtor, _creditor, cents in rows],
        ],
    )
    env.invalidate_all()


# ---------------------------------------------------------------- the clients


class Api:
    """The API with members' keys, one session per thread."""

    def __init__(self, port):
        self.base = f"http://{HOST}:{port}{BASE_PATH}"
        self.local = threading.local()

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.trust_env = False
        return self.local.session

    def post(self, path, key, body):
        response = self.session().post(
            f"{self.base}{path}",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=TIMEOUT,
        )
        return response.status_code, response.json()

    def get(self, path, key):
        response = self.session().get(
            f"{self.base}{path}", headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT
        )
        return response.status_code, response.json()


def declaration(members, debtor, creditor, cents, name, due=DUE):
    return {
        "invoice": name,
        "creditor": members[creditor]["number"],
        "debtor": members[debtor]["number"],
        "amount": amount(cents),
        "currency": "EUR",
        "due_date": due,
    }


def declare_through_api(api, members, network, count):
    """The first ``count`` invoices: each creditor declares its own, then each debtor
    confirms its bills, by batches. Return (statuses, seconds)."""
    statuses = {}
    begun = time.perf_counter()
    for side, member_of in (("creditor", 1), ("debtor", 0)):
        by_member = {}
        for n, invoice in enumerate(network[:count]):
            by_member.setdefault(invoice[member_of], []).append(
                declaration(members, invoice[0], invoice[1], invoice[2], f"FS/{n + 1:06d}")
            )
        for member, declarations in by_member.items():
            status, answer = api.post(
                "/obligations/batch", members[member]["key"], {"declarations": declarations}
            )
            if status != 200:
                sys.exit(f"POST obligations/batch answered {status}: {answer}")
            for result in answer["results"]:
                state = result["body"].get("state") or result["body"].get("code")
                statuses[(side, result["status"], state)] = (
                    statuses.get((side, result["status"], state), 0) + 1
                )
    return statuses, time.perf_counter() - begun


def measure_batch_ratio(api, members, count, rounds):
    """``count`` new declarations by single calls against ``count`` by batches, in
    interleaved rounds; (line, single seconds, batch seconds, failures)."""
    rng = random.Random(SEED + 7)
    made = {"single": 0, "batch": 0}
    times = {"single": 0.0, "batch": 0.0}
    failed = 0

    def drawn(kind, n):
        # A creditor declares a thousand invoices of its own, to random debtors.
        creditor = (n // MAX_BATCH) % len(members)
        debtor = rng.choice([m for m in range(len(members)) if m != creditor])
        return creditor, declaration(
            members, debtor, creditor, rng.randint(100, 100_000), f"R{kind[0]}/{n:06d}", LATER
        )

    per_round = [count // rounds + (n < count % rounds) for n in range(rounds)]
    for round_no, share in enumerate(per_round):
        kinds = ("single", "batch") if round_no % 2 == 0 else ("batch", "single")
        for kind in kinds:
            items = [drawn(kind, made[kind] + n) for n in range(share)]
            made[kind] += share
            begun = time.perf_counter()
            if kind == "single":
                for creditor, body in items:
                    status, _answer = api.post("/obligations", members[creditor]["key"], body)
                    failed += status != 201
            else:
                by_creditor = {}
                for creditor, body in items:
                    by_creditor.setdefault(creditor, []).append(body)
                for creditor, bodies in by_creditor.items():
                    for start in range(0, len(bodies), MAX_BATCH):
                        status, answer = api.post(
                            "/obligations/batch",
                            members[creditor]["key"],
                            {"declarations": bodies[start : start + MAX_BATCH]},
                        )
                        failed += (
                            len(bodies[start : start + MAX_BATCH])
                            if status != 200
                            else sum(1 for r in answer["results"] if r["status"] != 201)
                        )
            times[kind] += time.perf_counter() - begun
    return times, failed


def read_runs(api, members, run_name, server_pid):
    """Every member reads its confirmed runs (``THREADS`` clients); the figures."""
    results = {}
    lock = threading.Lock()

    def read(part):
        for member in part:
            status, answer = api.get("/compensations", member["key"])
            with lock:
                results[member["number"]] = (status, answer)

    threads = [
        threading.Thread(target=read, args=(members[n::THREADS],), daemon=True)
        for n in range(THREADS)
    ]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - begun
    wrong = sum(1 for status, _answer in results.values() if status != 200)
    runs = [
        item
        for status, answer in results.values()
        if status == 200
        for item in answer["items"]
        if item["number"] == run_name
    ]
    moved = sum((Decimal(run["mlml_amount"]) for run in runs), Decimal(0))
    invoices = sum(len(run["invoices"]) for run in runs)
    return seconds, wrong, len(runs), invoices, moved, peak_mb(server_pid)


# ---------------------------------------------------------------- the run


def setup(common, workdir, args):
    tiers = [round(CREDIT_LINE * (1 + tier) ** 1.5, 2) for tier in range(LINE_TIERS)]
    script = SETUP.format(here=str(HERE), members=args.members, tiers=tiers)
    lines = shell_output(common, workdir, "setup", script, expected="SETUP ")
    company = int(next(line for line in lines if line.startswith("SETUP ")).split()[1])
    members = [
        {"id": int(parts[1]), "number": parts[2], "key": parts[3]}
        for parts in (line.split() for line in lines if line.startswith("MEMBER "))
    ]
    if len(members) != args.members:
        fail(f"The setup made {len(members)} members with a key:", workdir / "setup.log")
    return company, members


def benchmark(odoo, args, workdir, cluster, started, state):
    common = install(odoo, workdir, cluster, started, DATABASE, "adding the members")
    begun = time.perf_counter()
    company, members = setup(common, workdir, args)
    print(
        f"SETUP {len(members):,} active members with credit lines and keys of the API, in "
        f"{time.perf_counter() - begun:.0f} s",
        flush=True,
    )
    network = draw_network(len(members), args.obligations, SEED)
    port = odoo_env.free_port()
    state["server"] = server = serve(common, DATABASE, port, workdir / "server.log", 0)
    api = Api(port)

    statuses, seconds = declare_through_api(api, members, network, args.declared)
    print(
        f"DECLARED {args.declared} invoices through POST obligations/batch in {seconds:.1f} s: "
        + ", ".join(f"{side} {status} {what}: {n}" for (side, status, what), n in statuses.items()),
        flush=True,
    )
    times, failed = measure_batch_ratio(api, members, args.ratio_declarations, args.rounds)
    batch_ratio = times["batch"] / times["single"]
    print(
        f"TIME obligations_single {args.ratio_declarations:,} declarations by POST obligations: "
        f"{times['single']:.1f} s; obligations_batch {args.ratio_declarations:,} by POST "
        f"obligations/batch: {times['batch']:.1f} s; {failed} not answered 201",
        flush=True,
    )

    script = shell_script(
        __file__,
        company_id=company,
        invoices=args.obligations,
        copied_from=args.declared,
        members=[member["id"] for member in members],
        rounds=args.rounds,
    )
    lines = shell_output(common, workdir, "measuring", script, expected=DONE)
    for line in lines:
        if line != DONE and not line.startswith(("RATIO", "SHELL")):
            print(line, flush=True)
    shell = dict(
        part.split("=", 1)
        for line in lines
        if line.startswith("SHELL ")
        for part in line.split()[1:]
    )
    seconds, wrong, runs, invoices, moved, server_memory = read_runs(
        api, members, shell["run"], server.pid
    )
    stop_server(server)
    print(
        f"TIME compensation_read {len(members):,} members read their runs with GET "
        f"compensations ({THREADS} clients): {seconds:.1f} s, {wrong} not 200; {runs} found "
        f"the run ({invoices:,} invoice lines), MLML moved adding up to {moved:.2f}; the "
        f"server's peak {server_memory:.0f} MB",
        flush=True,
    )
    memory = max(float(shell["memory_mb"]), server_memory)
    result = (
        f"RESULT compensation_run obligations={shell['obligations']} cleared={shell['cleared']} "
        f"sum={shell['sum']} memory_mb={memory:.0f}"
    )
    ratios = [line for line in lines if line.startswith("RATIO ")]
    return [
        result,
        *ratios,
        f"RATIO obligations_batch {batch_ratio:.2f} (target <= 0.25)",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3200, help="active members")
    parser.add_argument("--obligations", type=int, default=140_000, help="confirmed obligations")
    parser.add_argument("--declared", type=int, default=300, help="of them declared by the API")
    parser.add_argument(
        "--ratio-declarations", type=int, default=10_000, help="declarations of each kind"
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (200 members, 5,000 obligations, 100 declared, 1,000 declarations)",
    )
    args = parser.parse_args()
    if args.quick:
        args.members, args.obligations, args.declared, args.ratio_declarations = (
            200,
            5000,
            100,
            1000,
        )
    if args.members < 2 or not 0 < args.declared <= args.obligations:
        parser.error("at least 2 members, and 1 to all obligations declared")
    return run_served_benchmark(args, benchmark)


if __name__ == "__main__":
    sys.exit(main())
