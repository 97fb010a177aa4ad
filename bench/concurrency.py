#!/usr/bin/env python3
"""Benchmark: parallel MLML payments against one credit line, through a real server.

It starts a throwaway PostgreSQL cluster, makes a French company in a database
of its own, installs the add-on without demo data, makes the company an active
member with an approved credit line (1,000 MLML below zero, no ceiling) and adds
a member to pay. Then it starts an Odoo server with 4 workers, on 127.0.0.1
only, and 20 clients pay that member over JSON-RPC at the same time: each
creates its draft payments (100 MLML each, a memo of its own), all wait for one
another, then each posts its payments. Together they ask four times the credit
line: the line must hold.

Odoo runs a transaction again when PostgreSQL refuses it for a concurrent
update (up to 5 times); a client still told so posts again, a few times. A
refusal ("… MLML short.") is final. Afterwards the books are read: a payment
whose client was told it was posted must be posted exactly once, a refused one
must not be, and the barter account must move by the accepted payments only.
The lowest balance is the running sum of the posted barter items, entry by
entry, in the order they were posted (the order of their numbers in the
barter journal, given at posting) and in the order of the entries' ids: the
lower of the two.

It prints attempted, accepted, refused, retried, the final and lowest
balances, lost and duplicated payments, and last
``RESULT concurrency overdraft=<amount> lost=<n> duplicated=<n>`` (target: all
three 0).
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import random
import secrets
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (
    HOST,
    JsonRpc,
    fail,
    install,
    odoo_env,
    run_served_benchmark,
    serve,
    shell_output,
    stop_server,
)

DATABASE = "bench_concurrency"
CREDIT_LIMIT = 1000.0
MEMO = "BENCH-C{client:02d}-{n}"
SHORT = "MLML short"
# What Odoo answers when PostgreSQL still refuses a transaction after its own retries.
CONCURRENCY_ERRORS = (
    "SerializationFailure",
    "DeadlockDetected",
    "LockNotAvailable",
    "could not serialize access",
    "deadlock detected",
    "could not obtain lock",
)

# Run by `odoo shell`: the company an active member with its credit line, a member to pay.
SETUP = """
import sys
sys.path.insert(0, {here!r})
from common import make_active_member, make_member_partner
env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True))
company = env.company
make_active_member(env, company, "MLML-C001", {limit!r})
member = make_member_partner(env, "MLML-C900")
admin = env.ref("base.user_admin")
admin.password = {password!r}
env["mlml.balance"]._rebuild(company)
env.cr.commit()
company.invalidate_recordset()
journal = company.mlml_journal_id
print("SETUP", company.id, journal.id, journal.default_account_id.id, member.id, admin.id,
      company.mlml_credit_limit, company.mlml_balance,
      admin.has_group("account.group_account_invoice"), flush=True)
"""


# ---------------------------------------------------------------- the clients


class Client(threading.Thread):
    """One user: creates its draft payments, waits for the others, posts them."""

    def __init__(self, number, rpc, setup, payments, amount, barrier, max_retries):
        super().__init__(name=f"client-{number}", daemon=True)
        self.number = number
        self.rpc = rpc
        self.setup = setup
        self.payments = payments
        self.amount = amount
        self.barrier = barrier
        self.max_retries = max_retries
        self.outcomes = {}  # memo -> accepted / refused / failed / error / not created
        self.retries = 0
        self.errors = []
        self.post_seconds = []

    def run(self):
        memos = [MEMO.format(client=self.number, n=n) for n in range(self.payments)]
        drafts = {}
        try:
            for memo in memos:
                payment_id, error = self.rpc.execute(
                    "account.payment",
                    "create",
                    {
                        "company_id": self.setup["company"],
                        "journal_id": self.setup["journal"],
                        "payment_type": "outbound",
                        "partner_type": "supplier",
                        "partner_id": self.setup["member"],
                        "amount": self.amount,
                        "memo": memo,
                    },
                    context={"allowed_company_ids": [self.setup["company"]]},
                )
                if error:
                    self.outcomes[memo] = "not created"
                    self.errors.append(f"create {memo}: {error['name']}: {error['message']}")
                else:
                    drafts[memo] = payment_id
        except (OSError, ValueError) as error:
            self.errors.append(f"create: {error}")
        finally:
            try:
                self.barrier.wait(timeout=120)
            except threading.BrokenBarrierError:
                self.errors.append("the others never came to the barrier")
        for memo, payment_id in drafts.items():
            try:
                self.outcomes[memo] = self.post(memo, payment_id)
            except Exception as error:  # noqa: BLE001 - counted, the books will tell
                self.outcomes[memo] = "error"
                self.errors.append(f"post {memo}: {error!r}")

    def post(self, memo, payment_id):
        for attempt in range(self.max_retries + 1):
            start = time.perf_counter()
            try:
                _result, error = self.rpc.execute(
                    "account.payment",
                    "action_post",
                    [payment_id],
                    context={"allowed_company_ids": [self.setup["company"]]},
                )
            except (OSError, ValueError) as exc:
                # The answer is lost: the books will tell whether it was posted.
                self.errors.append(f"post {memo}: {exc}")
                return "error"
            finally:
                self.post_seconds.append(time.perf_counter() - start)
            if error is None:
                return "accepted"
            text = f"{error['name']}: {error['message']}"
            if SHORT in error["message"]:
                return "refused"
            if any(sign in text for sign in CONCURRENCY_ERRORS):
                if attempt < self.max_retries:
                    self.retries += 1
                    time.sleep(random.uniform(0.1, 1.0))
                    continue
                self.errors.append(f"post {memo}: still refused after {attempt} retries: {text}")
                return "failed"
            self.errors.append(f"post {memo}: {text[:300]}")
            return "error"
        return "failed"


# ---------------------------------------------------------------- the books


def read_books(cluster, setup):
    """The payments by memo and the posted barter items, read with psql."""
    rows = cluster.psql(
        """
        SELECT p.memo, p.id, coalesce(m.state, ''), coalesce(m.id, 0)
          FROM account_payment p
          LEFT JOIN account_move m ON m.id = p.move_id
         WHERE p.memo LIKE 'BENCH-C%'
         ORDER BY p.id
        """,
        database=DATABASE,
    )
    payments = []
    for line in rows.splitlines():
        memo, payment_id, state, move_id = line.split("|")
        payments.append((memo, int(payment_id), state, int(move_id)))
    rows = cluster.psql(
        f"""
        SELECT m.id, m.sequence_prefix, m.sequence_number, sum(l.amount_currency)
          FROM account_move_line l
          JOIN account_move m ON m.id = l.move_id
         WHERE l.account_id = {int(setup["account"])}
           AND l.company_id = {int(setup["company"])}
           AND m.state = 'posted'
         GROUP BY m.id, m.sequence_prefix, m.sequence_number
        """,
        database=DATABASE,
    )
    entries = []
    for line in rows.splitlines():
        move_id, prefix, number, amount = line.split("|")
        entries.append((int(move_id), prefix, int(number or 0), float(amount)))
    maintained = cluster.psql(
        f"SELECT balance FROM mlml_balance WHERE company_id = {int(setup['company'])}",
        database=DATABASE,
    ).strip()
    return payments, entries, float(maintained) if maintained else None


def lowest_running(amounts):
    balance = lowest = 0.0
    for amount in amounts:
        balance += amount
        lowest = min(lowest, balance)
    return lowest


def report(clients, payments, entries, maintained, server_log, amount, seconds):
    """Print the counts and the checks; return the RESULT line."""
    outcomes = {}
    for client in clients:
        outcomes.update(client.outcomes)
    tally = Counter(outcomes.values())
    retried = sum(client.retries for client in clients)
    attempted = sum(client.payments for client in clients)
    posted_by_memo = Counter(memo for memo, _id, state, _move in payments if state == "posted")
    created_by_memo = Counter(memo for memo, _id, _state, _move in payments)

    lost = [
        memo
        for memo, outcome in outcomes.items()
        if outcome == "accepted" and not posted_by_memo[memo]
    ]
    duplicated = sum(count - 1 for count in posted_by_memo.values() if count > 1)
    duplicated += sum(count - 1 for count in created_by_memo.values() if count > 1)
    # Refused or failed, yet posted: a movement its client was told did not happen.
    phantom = [
        memo
        for memo, outcome in outcomes.items()
        if outcome in ("refused", "failed", "not created") and posted_by_memo[memo]
    ]
    payment_moves = {move for _memo, _id, state, move in payments if state == "posted"}
    strangers = [entry for entry in entries if entry[0] not in payment_moves]
    unknown = [memo for memo, outcome in outcomes.items() if outcome == "error"]

    final = sum(entry[3] for entry in entries)
    by_id = sorted(entries)
    by_posting = sorted(entries, key=lambda entry: (entry[1], entry[2], entry[0]))
    lowest = min(
        lowest_running(entry[3] for entry in by_id),
        lowest_running(entry[3] for entry in by_posting),
    )
    overdraft = max(0.0, round(-lowest - CREDIT_LIMIT, 2))

    server_retries = server_gave_up = 0
    for line in Path(server_log).read_text(errors="replace").splitlines():
        if "tries left, try again" in line:
            server_retries += 1
        elif "maximum number of tries reached" in line:
            server_gave_up += 1

    post_times = sorted(t for client in clients for t in client.post_seconds)
    print(
        f"ATTEMPTED {attempted} payments of {amount:.2f} MLML by {len(clients)} clients "
        f"({attempted * amount:,.2f} MLML against a credit line of {CREDIT_LIMIT:,.2f})"
    )
    print(
        f"ACCEPTED {tally['accepted']} (expected {int(CREDIT_LIMIT // amount)}: the line "
        f"holds {CREDIT_LIMIT / amount:g} payments)"
    )
    print(f'REFUSED {tally["refused"]} ("{SHORT}")')
    print(
        f"RETRIED {retried} posts again by their clients after a concurrency error; "
        f"Odoo itself ran {server_retries} transactions again and gave up {server_gave_up} times"
    )
    for label, key in (
        ("FAILED (still a concurrency error after the retries)", "failed"),
        ("NOT CREATED", "not created"),
        ("UNKNOWN (other error or no answer)", "error"),
    ):
        if tally[key]:
            print(f"{label} {tally[key]}")
    for client in clients:
        for error in client.errors[:3]:
            print(f"ERROR {client.name}: {error}")
    if post_times:
        median = post_times[len(post_times) // 2]
        print(
            f"TIME {len(post_times)} posting requests: median {median:.2f} s, "
            f"slowest {post_times[-1]:.2f} s; clients done in {seconds:.1f} s"
        )
    if maintained is None:
        kept = "no maintained balance"
    else:
        kept = f"maintained balance {maintained:,.2f}"
        if abs(maintained - final) >= 0.005:
            kept += " (DIFFERS from the ledger)"
    print(
        f"BALANCE final {final:,.2f} MLML from the posted barter items "
        f"({len(entries)} entries); {kept}"
    )
    print(
        f"BALANCE lowest {lowest:,.2f} MLML (credit line {-CREDIT_LIMIT:,.2f}): "
        f"overdraft {overdraft:,.2f}"
    )
    expected_final = -amount * tally["accepted"]
    if abs(final - expected_final) >= 0.005 and not unknown:
        print(
            f"BALANCE the accepted payments make {expected_final:,.2f}: the books say {final:,.2f}"
        )
    print(
        f"LOST {len(lost)} accepted payments not posted"
        + (f": {', '.join(lost[:10])}" if lost else "")
    )
    print(f"DUPLICATED {duplicated} payments posted or created more than once")
    if phantom:
        print(
            f"DUPLICATED +{len(phantom)} refused payments posted all the same: "
            f"{', '.join(phantom[:10])}"
        )
    if strangers:
        print(f"DUPLICATED +{len(strangers)} posted barter entries of no payment of the clients")
    if unknown:
        posted = sum(1 for memo in unknown if posted_by_memo[memo])
        print(f"UNKNOWN {len(unknown)} payments without an answer: {posted} posted")
    duplicated += len(phantom) + len(strangers)
    verdict = "OK" if (overdraft, len(lost), duplicated) == (0, 0, 0) else "MISSED"
    print(f"VERDICT {verdict}")
    return f"RESULT concurrency overdraft={overdraft:g} lost={len(lost)} duplicated={duplicated}"


# ---------------------------------------------------------------- the run


def run_clients(args, server_log, port, uid, password, setup, started):
    """The clients pay, all at once; (clients, seconds)."""
    rpc = JsonRpc(port, DATABASE, uid, password)
    uid_checked, error = rpc.call("common", "authenticate", DATABASE, "admin", password, {})
    if error or uid_checked != uid:
        fail(f"Cannot log in over JSON-RPC ({error}):", server_log)
    print(
        f"SERVER {args.workers} workers on http://{HOST}:{port}, "
        f"up {time.perf_counter() - started:.0f} s after the start",
        flush=True,
    )
    barrier = threading.Barrier(args.clients)
    clients = [
        Client(
            n + 1,
            JsonRpc(port, DATABASE, uid, password),
            setup,
            args.payments,
            args.amount,
            barrier,
            args.max_retries,
        )
        for n in range(args.clients)
    ]
    begun = time.perf_counter()
    for client in clients:
        client.start()
    deadline = time.monotonic() + args.timeout
    for client in clients:
        client.join(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - begun
    hanging = [client.name for client in clients if client.is_alive()]
    if hanging:
        print(
            f"TIMEOUT {len(hanging)} clients still waiting after {args.timeout:g} s: "
            f"{', '.join(hanging)}",
            flush=True,
        )
    return clients, seconds


def benchmark(odoo, args, workdir, cluster, started, state):
    common = install(odoo, workdir, cluster, started, DATABASE, "setting up the member")

    password = secrets.token_urlsafe(16)
    script = SETUP.format(here=str(HERE), limit=CREDIT_LIMIT, password=password)
    lines = shell_output(common, workdir, "setup", script, expected="SETUP ")
    setup_line = next(line for line in lines if line.startswith("SETUP "))
    company, journal, account, member, uid, limit, balance, may_pay = setup_line.split()[1:]
    setup = {
        "company": int(company),
        "journal": int(journal),
        "account": int(account),
        "member": int(member),
    }
    print(
        f"SETUP company credit line {float(limit):,.2f} MLML, balance {float(balance):,.2f}; "
        f"the admin user may pay: {may_pay}",
        flush=True,
    )

    port = odoo_env.free_port()
    server_log = workdir / "server.log"
    state["server"] = server = serve(common, DATABASE, port, server_log, args.workers)
    try:
        clients, seconds = run_clients(args, server_log, port, int(uid), password, setup, started)
    finally:
        stop_server(server)
    payments, entries, maintained = read_books(cluster, setup)
    return report(clients, payments, entries, maintained, server_log, args.amount, seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4, help="Odoo HTTP workers")
    parser.add_argument("--clients", type=int, default=20, help="parallel clients")
    parser.add_argument("--payments", type=int, default=2, help="payments each client posts")
    parser.add_argument("--amount", type=float, default=100.0, help="MLML of each payment")
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        help="posts again after a concurrency error, per payment",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for the clients")
    args = parser.parse_args()
    return run_served_benchmark(args, benchmark)


if __name__ == "__main__":
    sys.exit(main())
