#!/usr/bin/env python3
"""Benchmark: the clearing house's API under load, against Odoo's JSON-RPC, and a crash.

It starts a throwaway PostgreSQL cluster, makes a French company in a database
of its own, installs the add-on without demo data, makes the company the
clearing house and adds 200 active members with tight credit lines (100.00 MLML
below zero, a ceiling of 250.00), each with a key of the API. Then it serves
Odoo with 4 workers, on 127.0.0.1 only, and 32 clients (threads) call it:

- Ratio: 1,000 transfers of 0.01 over the API (the bounds never refuse them)
  against 1,000 creations of a tag (``res.partner.category``, one field)
  over Odoo's external JSON-RPC as the admin user, by the same clients, in
  interleaved rounds (the order alternates): ``RATIO api_transfer``. Before
  it, each member reads its account 12 times, so that each of the 4 workers
  has checked each key once against Odoo's stored hash (a PBKDF2, 3 ms, that
  a worker does once per key): the ratio is that of a server in its steady
  state; the warm-up's time is printed (``TIME api_keys_first_use``).
- Load: for 60 s the clients make transfers between random members, a fresh
  Idempotency-Key each, amounts of 1.00 to 60.00. A 5xx, a 409 other than
  ``idempotency_conflict`` or a network error is sent again with the same key
  and body (bounded, with a backoff); a 4xx is final (422: a bound refuses).
  Then every client sends every request it made again, same key and body:
  a transfer made must come back (200, the same transfer), never twice.
- Two servers: the load again, with a second Odoo server (4 workers too) on
  the same database and half the clients calling it; the ledger's locks are
  PostgreSQL's, so they hold across servers.
- Crash: the load again; half-way the server is killed (SIGKILL on its
  process group, workers included) and restarted on the same port; every
  client sends what it had no answer to again until answered.

After each run the ledger is read with ``psql``: ``lost`` (a 2xx whose
transfer is not in the ledger), ``duplicated`` (more than one transfer for a
payer's Idempotency-Key), ``overdraft`` (how far the balances went below
their credit line or above their ceiling, replaying the ledger in the order
it was booked), ``sum`` (of the members' balances, 0.00). It prints
``RESULT api transfers=<n> overdraft=<amount> lost=<n> duplicated=<n>
sum=<amount>``, ``RESULT api_two_servers`` (the same figures, for the run on
two servers), ``RESULT api_crash lost=<n> duplicated=<n> sum=<amount>`` and
``RATIO api_transfer <value> (target <= 1.5)``.
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import random
import secrets
import sys
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import (
    HOST,
    JsonRpc,
    fail,
    install,
    kill_server,
    odoo_env,
    run_served_benchmark,
    serve,
    shell_output,
    stop_server,
)

from mlml_barter.api_spec import BASE_PATH

DATABASE = "bench_api"
CREDIT_LIMIT = Decimal("100.00")
CEILING = Decimal("250.00")
LOAD_AMOUNTS = (100, 6000)  # cents: 1.00 to 60.00, against a line of 100.00
RATIO_AMOUNT = "0.01"  # 1,000 of them move no member past 10.00: no bound refuses
ROUNDS = 10
KEY_READS = 12  # reads of its account per member before the ratio (see warm_keys)
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 120
RETRIES = 8  # per request in the load; the crash run retries until its deadline
ANSWER_DEADLINE = 300.0  # seconds a request of the crash run is sent again, at most

# Run by `odoo shell`: the company the clearing house, its members, their lines and keys.
SETUP = """
import sys
sys.path.insert(0, {here!r})
from common import approve_credit_lines
from odoo import fields
env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True,
                       mail_create_nolog=True, mail_create_nosubscribe=True))
company = env.company
company.mlml_is_clearing_house = True
today = fields.Date.context_today(company)
members = env["res.partner"].create([
    {{
        "name": f"Membre API {{n:04d}}",
        "is_company": True,
        "city": "Lille",
        "country_id": env.ref("base.fr").id,
        "mlml_member_state": "candidate",
        "mlml_member_number": f"API-{{n:04d}}",
        "mlml_charter_date": fields.Date.subtract(today, days=60),
    }}
    for n in range(1, {members} + 1)
])
members.action_mlml_activate()
approve_credit_lines(env, company, members, {limit}, ceiling={ceiling})
keys = [member.mlml_generate_api_key() for member in members]
admin = env.ref("base.user_admin")
admin.password = {password!r}
env.cr.commit()
in_force = env["res.partner"]._mlml_lines_in_force(members.ids, company=company)
bounded = sum(1 for member in members if in_force.get(member.id) == ({limit}, {ceiling}))
print("SETUP", company.id, admin.id, bounded,
      admin.has_group("base.group_partner_manager"), flush=True)
for member, key in zip(members, keys):
    print("MEMBER", member.id, member.mlml_member_number, key, flush=True)
"""


# ---------------------------------------------------------------- the clients


class Connection:
    """One client's HTTP session with the local server only (no proxy), timeouts on all:
    the API with a member's key, and Odoo's JSON-RPC (``jsonrpc``) as ``rpc_login``."""

    def __init__(self, port, rpc_login):
        self.base = f"http://{HOST}:{port}"
        uid, password = rpc_login
        timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        self.jsonrpc = JsonRpc(port, DATABASE, uid, password, timeout=timeout)
        self.session = self.jsonrpc.session

    def transfer(self, key, idempotency_key, body):
        """POST a transfer; return (status, JSON answer or None). Network errors raise."""
        response = self.session.post(
            f"{self.base}{BASE_PATH}/transfers",
            json=body,
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key},
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
        try:
            return response.status_code, response.json()
        except ValueError:  # Odoo's own error page (HTML): its text
            return response.status_code, {"detail": " ".join(response.text.split())[:160]}

    def account(self, key):
        """GET the account of ``key``'s member; return the HTTP status."""
        response = self.session.get(
            f"{self.base}{BASE_PATH}/account",
            headers={"Authorization": f"Bearer {key}"},
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
        return response.status_code


class Client:
    """One client: its requests (key, payer, body, answer) and what it was told."""

    def __init__(self, number, port, members, rpc_login):
        self.number = number
        self.connection = Connection(port, rpc_login)  # rpc_login: (uid, password)
        self.members = members
        self.requests = []
        self.answers = Counter()  # every HTTP status the server answered, retries included
        self.retries = 0
        self.errors = []
        self.replay_wrong = []

    def note(self, text):
        if len(self.errors) < 20:
            self.errors.append(text)

    def new_request(self, amount, phase):
        payer, payee = random.sample(range(len(self.members)), 2)
        request = {
            "phase": phase,
            "payer": payer,
            "key": str(uuid.uuid4()),
            "body": {"payee": self.members[payee]["number"], "amount": amount},
            "status": None,  # the final answer: None while unanswered
            "transfer": None,
            "code": None,
        }
        self.requests.append(request)
        return request

    def send(self, request, give_up_at, max_tries=RETRIES):
        """Send ``request`` until a final answer, retrying with the same key and body.

        Return (status, transfer id or None, problem code or None); status None
        when no final answer came within the tries or before ``give_up_at``.
        """
        member = self.members[request["payer"]]
        tries = 0
        while True:
            tries += 1
            try:
                status, answer = self.connection.transfer(
                    member["key"], request["key"], request["body"]
                )
            except requests.RequestException as error:
                status, answer = None, None
                self.answers["network error"] += 1
                last = f"network error: {type(error).__name__}"
            else:
                self.answers[status] += 1
                answer = answer if isinstance(answer, dict) else {}
                code = answer.get("code")
                last = f"{status} {code or ''}".strip()
                if 200 <= status < 300:
                    return status, answer.get("id"), None
                if status < 500 and not (status == 409 and code != "idempotency_conflict"):
                    return status, None, code
                self.note(f"{last}: {str(answer.get('detail') or answer)[:200]}")
            if tries >= max_tries or time.monotonic() >= give_up_at:
                self.note(f"no final answer after {tries} tries (last: {last})")
                return None, None, None
            self.retries += 1
            time.sleep(min(2.0, 0.05 * 2**tries) * random.uniform(0.5, 1.0))

    def settle(self, request, answer):
        request["status"], request["transfer"], request["code"] = answer

    def load(self, stop_at, phase, max_tries=RETRIES):
        """Transfers between random members until ``stop_at``."""
        try:
            while time.monotonic() < stop_at:
                amount = random.randint(*LOAD_AMOUNTS)
                request = self.new_request(f"{amount // 100}.{amount % 100:02d}", phase)
                give_up_at = time.monotonic() + ANSWER_DEADLINE
                self.settle(request, self.send(request, give_up_at, max_tries))
        except Exception as error:  # noqa: BLE001 - reported, the books will tell
            self.note(f"load stopped: {error!r}")

    def answer_all(self, phase, give_up_at):
        """The crash run: send what got no answer again, until answered or ``give_up_at``."""
        for request in self.requests:
            if request["phase"] == phase and request["status"] is None:
                self.settle(request, self.send(request, give_up_at, max_tries=10**6))

    def replay(self, phase, give_up_at):
        """Send every request of ``phase`` again: a transfer made comes back, the same."""
        try:
            for request in self.requests:
                if request["phase"] != phase:
                    continue
                status, transfer, code = self.send(request, give_up_at)
                if request["transfer"]:
                    if status != 200 or transfer != request["transfer"]:
                        self.replay_wrong.append(
                            f"{request['key']}: transfer {request['transfer']} answered "
                            f"{status} {code or ''} transfer {transfer}"
                        )
                elif status is not None:
                    # Refused or unanswered before: this is its first final answer, or
                    # a refusal again (the balances moved since).
                    self.settle(request, (status, transfer, code))
        except Exception as error:  # noqa: BLE001 - reported
            self.note(f"replay stopped: {error!r}")


def run_threads(clients, target):
    """Run ``target(client)`` in one thread per client; return the wall time."""
    threads = [
        threading.Thread(target=target, args=(client,), daemon=True, name=f"client-{n}")
        for n, client in enumerate(clients)
    ]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + ANSWER_DEADLINE + 600
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    hanging = [thread.name for thread in threads if thread.is_alive()]
    if hanging:
        print(f"TIMEOUT {len(hanging)} clients still running: {', '.join(hanging)}", flush=True)
    return time.perf_counter() - begun


# ---------------------------------------------------------------- the ratio


def ratio_round(clients, count, kind, round_no, refused):
    """``count`` API transfers or JSON-RPC creations spread over the clients; wall time."""
    shares = [count // len(clients) + (n < count % len(clients)) for n in range(len(clients))]

    def api(client, share):
        for _n in range(share):
            request = client.new_request(RATIO_AMOUNT, "ratio")
            answer = client.send(request, time.monotonic() + 60)
            client.settle(request, answer)
            if answer[1] is None:
                refused[kind] += 1
                client.note(f"ratio transfer: {answer}")

    def rpc(client, share):
        for n in range(share):
            try:
                _result, error = client.connection.jsonrpc.execute(
                    "res.partner.category",
                    "create",
                    {"name": f"bench-{round_no}-{client.number}-{n}"},
                )
            except (requests.RequestException, ValueError) as exc:
                error = repr(exc)
            else:
                error = error and f"{error['name']}: {error['message']}"[:300]
            if error:
                refused[kind] += 1
                client.note(f"jsonrpc create: {error}")

    work = api if kind == "api" else rpc
    by_client = dict(zip(clients, shares, strict=True))
    return run_threads(clients, lambda client: work(client, by_client[client]))


def warm_keys(clients, members):
    """Each member reads its account ``KEY_READS`` times, spread over the clients.

    A worker checks an API key against Odoo's stored hash (PBKDF2, a few
    milliseconds) the first time it sees it, then remembers it while the hash
    is unchanged; with 4 workers, 12 reads leave a key unseen by a given
    worker with a chance of (3/4)^12, 3 %. Return (reads, seconds, failures).
    """
    failures = Counter()

    def read(client):
        for _n in range(KEY_READS):
            for member in members[client.number - 1 :: len(clients)]:
                try:
                    status = client.connection.account(member["key"])
                except requests.RequestException as error:
                    status = type(error).__name__
                if status != 200:
                    failures[status] += 1

    seconds = run_threads(clients, read)
    return KEY_READS * len(members), seconds, failures


def measure_ratio(clients, transfers, rounds, members):
    """Interleaved rounds of both kinds (the order alternates); the line and the times."""
    refused = Counter()
    # Each worker loads the registry on its first requests, and checks each
    # member's key the first time it sees it: neither is measured.
    reads, seconds, failures = warm_keys(clients, members)
    print(
        f"TIME api_keys_first_use {reads} account reads, each key's first check in "
        f"each worker included: {seconds:.2f} s, {sum(failures.values())} failed",
        flush=True,
    )
    ratio_round(clients, 2 * len(clients), "api", -1, Counter())
    ratio_round(clients, 2 * len(clients), "rpc", -1, Counter())
    times = {"api": [], "rpc": []}
    per_round = [transfers // rounds + (n < transfers % rounds) for n in range(rounds)]
    for round_no, count in enumerate(per_round):
        kinds = ("api", "rpc") if round_no % 2 == 0 else ("rpc", "api")
        for kind in kinds:
            times[kind].append(ratio_round(clients, count, kind, round_no, refused))
    api, rpc = sum(times["api"]), sum(times["rpc"])
    print(
        f"TIME api_transfer {transfers} transfers of {RATIO_AMOUNT} over the API: {api:.2f} s "
        f"(rounds {' '.join(f'{t:.2f}' for t in times['api'])}), {refused['api']} not made",
        flush=True,
    )
    print(
        f"TIME jsonrpc_create {transfers} creations over /jsonrpc: {rpc:.2f} s "
        f"(rounds {' '.join(f'{t:.2f}' for t in times['rpc'])}), {refused['rpc']} failed",
        flush=True,
    )
    return f"RATIO api_transfer {api / rpc:.2f} (target <= 1.5)"


# ---------------------------------------------------------------- the books


def read_books(cluster, company_id):
    """The ledger (in booking order) and the maintained balances, read with psql."""
    rows = cluster.psql(
        f"""
        SELECT id, payer_id, payee_id, amount, coalesce(idempotency_key, '')
          FROM mlml_transfer WHERE company_id = {int(company_id)}
         ORDER BY ledger_position
        """,
        database=DATABASE,
    )
    transfers = []
    for line in rows.splitlines():
        transfer_id, payer, payee, amount, key = line.split("|", 4)
        transfers.append((int(transfer_id), int(payer), int(payee), Decimal(amount), key))
    rows = cluster.psql(
        f"SELECT partner_id, balance FROM mlml_ledger_account WHERE company_id = {int(company_id)}",
        database=DATABASE,
    )
    accounts = {}
    for line in rows.splitlines():
        partner, balance = line.split("|")
        accounts[int(partner)] = Decimal(balance)
    return transfers, accounts


def check_books(clients, phase, transfers, accounts, members):
    """Print the counts of ``phase``; return (made, overdraft, lost, duplicated, sum)."""
    requests_ = [r for client in clients for r in client.requests if r["phase"] == phase]
    by_id = {t[0]: t for t in transfers}
    member_ids = [member["id"] for member in members]
    made = [r for r in requests_ if r["transfer"]]
    lost = [
        r
        for r in made
        if r["transfer"] not in by_id
        or by_id[r["transfer"]][1] != member_ids[r["payer"]]
        or by_id[r["transfer"]][4] != r["key"]
    ]
    per_key = Counter((t[1], t[4]) for t in transfers if t[4])
    duplicated = sum(count - 1 for count in per_key.values() if count > 1)

    # Replay the ledger in booking order: how far each member went past its bounds.
    balance = dict.fromkeys(member_ids, Decimal(0))
    lowest = dict(balance)
    highest = dict(balance)
    for _id, payer, payee, amount, _key in transfers:
        for partner, move in ((payer, -amount), (payee, amount)):
            balance[partner] = balance.get(partner, Decimal(0)) + move
            if partner in lowest:
                lowest[partner] = min(lowest[partner], balance[partner])
                highest[partner] = max(highest[partner], balance[partner])
    overdraft = sum(
        max(Decimal(0), -lowest[m] - CREDIT_LIMIT) + max(Decimal(0), highest[m] - CEILING)
        for m in member_ids
    )
    total = sum(accounts.values(), Decimal(0))
    differ = [p for p in set(balance) | set(accounts) if balance.get(p, 0) != accounts.get(p, 0)]

    statuses = Counter(
        "no answer" if r["status"] is None else f"{r['status']} {r['code'] or ''}".strip()
        for r in requests_
    )
    answers = Counter()
    for client in clients:
        answers.update(client.answers)
    print(
        f"REQUESTS {phase}: {len(requests_)} transfers asked, {len(made)} made; final answers "
        + ", ".join(f"{key}: {n}" for key, n in sorted(statuses.items())),
        flush=True,
    )
    print(
        "ANSWERS all HTTP answers so far (retries and replays included): "
        + ", ".join(f"{key}: {n}" for key, n in sorted(answers.items(), key=str))
        + f"; {sum(c.retries for c in clients)} retries",
        flush=True,
    )
    print(
        f"BOOKS {len(transfers)} transfers in the ledger; lowest balance "
        f"{min(lowest.values()):.2f} (line -{CREDIT_LIMIT}), highest {max(highest.values()):.2f} "
        f"(ceiling {CEILING}); {len(differ)} accounts whose balance differs from the ledger",
        flush=True,
    )
    for r in lost[:5]:
        print(f"LOST {r['key']}: transfer {r['transfer']} answered {r['status']}", flush=True)
    wrong = [text for client in clients for text in client.replay_wrong]
    if wrong:
        print(f"REPLAY {len(wrong)} replays of a transfer made did not return it:", flush=True)
        for text in wrong[:5]:
            print(f"REPLAY {text}", flush=True)
    else:
        print("REPLAY every transfer made came back the same (200) when sent again", flush=True)
    errors = Counter(error for client in clients for error in client.errors)
    for error, n in errors.most_common(5):
        print(f"ERROR {n} x {error}", flush=True)
    for client in clients:
        client.errors.clear()
        client.replay_wrong.clear()
    return len(made), overdraft, len(lost), duplicated, total


# ---------------------------------------------------------------- the server


def is_exception(line):
    """The last line of a traceback: not indented, not a log line, not a chaining note."""
    return bool(line) and not (
        line[:1].isspace() or line[:1].isdigit() or line.startswith(("During ", "The above "))
    )


def server_log(*logs):
    """What the server's logs say: the lines to print (queries PostgreSQL refused, by
    error and query; transactions Odoo ran again or gave up, by error; tracebacks)."""
    refused, retried, gave_up = Counter(), Counter(), Counter()
    tracebacks = Counter()  # by their last line, the exception
    for log in logs:
        if not Path(log).exists():
            continue
        lines = Path(log).read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            if "bad query:" in line:
                query = " ".join(line.split("bad query:", 1)[1].replace("\\n", " ").split())
                error = next(
                    (text for text in lines[n + 1 : n + 20] if text.startswith("ERROR:")), ""
                )
                refused[(error[:80], query[:90])] += 1
            elif "tries left, try again" in line:
                retried[line.split("odoo.service.model: ")[-1].split(",")[0]] += 1
            elif "maximum number of tries reached" in line:
                gave_up[line.split("odoo.service.model: ")[-1].split(",")[0]] += 1
            elif line.startswith("Traceback"):
                tracebacks[next((t for t in lines[n + 1 :] if is_exception(t)), "")] += 1
    codes = ", ".join(f"{code} {n}" for code, n in retried.most_common()) or "none"
    summary = (
        f"SERVER Odoo ran {sum(retried.values())} transactions again after a concurrency "
        f"error ({codes}), gave up {sum(gave_up.values())} times; "
        f"{sum(tracebacks.values())} tracebacks"
    )
    printed = [summary]
    for (error, query), n in refused.most_common(5):
        printed.append(f"SERVER {n} x {error} on: {query}")
    for text, n in tracebacks.most_common(3):
        printed.append(f"SERVER {n} x traceback: {text[:200]}")
    return printed


# ---------------------------------------------------------------- the run


def setup(common, workdir, args):
    password = secrets.token_urlsafe(16)
    script = SETUP.format(
        here=str(HERE),
        members=args.members,
        limit=float(CREDIT_LIMIT),
        ceiling=float(CEILING),
        password=password,
    )
    lines = shell_output(common, workdir, "setup", script, expected="SETUP ")
    log = workdir / "setup.log"
    setup_line = next(line for line in lines if line.startswith("SETUP "))
    members = [
        {"id": int(parts[1]), "number": parts[2], "key": parts[3]}
        for parts in (line.split() for line in lines if line.startswith("MEMBER "))
    ]
    if len(members) != args.members:
        fail(f"The setup made {len(members)} members with a key, not {args.members}:", log)
    company, uid, bounded, may_tag = setup_line.split()[1:]
    print(
        f"SETUP clearing house with {len(members)} active members, {bounded} with their line "
        f"in force (-{CREDIT_LIMIT} to {CEILING}), each with an API key; the admin user may "
        f"create tags: {may_tag}",
        flush=True,
    )
    return int(company), (int(uid), password), members


def benchmark(odoo, args, workdir, cluster, started, state):
    common = install(odoo, workdir, cluster, started, DATABASE, "setting up the members")
    company, login, members = setup(common, workdir, args)

    port = odoo_env.free_port()
    logs = [workdir / "server.log", workdir / "server-restarted.log"]
    state["server"] = server = serve(common, DATABASE, port, logs[0], args.workers)
    clients = [Client(n + 1, port, members, login) for n in range(args.clients)]
    print(
        f"SERVER {args.workers} workers on http://{HOST}:{port}, up "
        f"{time.perf_counter() - started:.0f} s after the start; {len(clients)} clients",
        flush=True,
    )

    ratio = measure_ratio(clients, args.transfers, min(ROUNDS, args.transfers), members)

    # 1. The load, then every request sent again.
    stop_at = time.monotonic() + args.seconds
    run_threads(clients, lambda client: client.load(stop_at, "load"))
    run_threads(clients, lambda client: client.replay("load", time.monotonic() + ANSWER_DEADLINE))
    made, overdraft, lost, duplicated, total = check_books(
        clients, "load", *read_books(cluster, company), members
    )
    result = (
        f"RESULT api transfers={made} overdraft={overdraft:.2f} lost={lost} "
        f"duplicated={duplicated} sum={total:.2f}"
    )

    # 2. Two servers on the same database: a second one, half the clients on each.
    second_port = odoo_env.free_port()
    logs.append(workdir / "server-second.log")
    state["others"] = [serve(common, DATABASE, second_port, logs[-1], args.workers)]
    halves = [
        Client(client.number, second_port if client.number % 2 == 0 else port, members, login)
        for client in clients
    ]
    print(
        f"SERVER a second server with {args.workers} workers on http://{HOST}:{second_port}; "
        f"{sum(1 for c in halves if c.connection.base.endswith(str(second_port)))} of the "
        f"{len(halves)} clients call it, the others the first one",
        flush=True,
    )
    stop_at = time.monotonic() + args.seconds
    run_threads(halves, lambda client: client.load(stop_at, "two"))
    run_threads(halves, lambda client: client.replay("two", time.monotonic() + ANSWER_DEADLINE))
    stop_server(state["others"].pop())
    made, overdraft, lost, duplicated, total = check_books(
        halves, "two", *read_books(cluster, company), members
    )
    two = (
        f"RESULT api_two_servers transfers={made} overdraft={overdraft:.2f} lost={lost} "
        f"duplicated={duplicated} sum={total:.2f}"
    )

    # 3. The load again, the server killed half-way and restarted on the same port.
    stop_at = time.monotonic() + args.seconds
    loading = threading.Thread(
        target=run_threads,
        args=(clients, lambda client: client.load(stop_at, "crash", max_tries=10**6)),
        daemon=True,
    )
    loading.start()
    time.sleep(args.seconds / 2)
    kill_server(server)
    print(
        f"CRASH the server and its workers killed (SIGKILL) after {args.seconds / 2:g} s",
        flush=True,
    )
    state["server"] = server = serve(common, DATABASE, port, logs[1], args.workers)
    print("CRASH the server restarted on the same port", flush=True)
    loading.join(ANSWER_DEADLINE + 900)
    give_up_at = time.monotonic() + ANSWER_DEADLINE
    run_threads(clients, lambda client: client.answer_all("crash", give_up_at))
    run_threads(clients, lambda client: client.replay("crash", time.monotonic() + ANSWER_DEADLINE))
    stop_server(server)
    _made, _overdraft, lost, duplicated, total = check_books(
        clients, "crash", *read_books(cluster, company), members
    )
    unanswered = sum(
        1 for c in clients for r in c.requests if r["phase"] == "crash" and r["status"] is None
    )
    if unanswered:
        print(f"UNANSWERED {unanswered} requests of the crash run never answered", flush=True)
    for line in server_log(*logs):
        print(line, flush=True)
    crash = f"RESULT api_crash lost={lost} duplicated={duplicated} sum={total:.2f}"
    return [result, two, ratio, crash]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200, help="active members")
    parser.add_argument("--clients", type=int, default=32, help="parallel clients")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of each load")
    parser.add_argument("--transfers", type=int, default=1000, help="transfers for the ratio")
    parser.add_argument("--workers", type=int, default=4, help="Odoo HTTP workers")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes (20 members, 4 clients, 10 s, 100 transfers) to check a run",
    )
    args = parser.parse_args()
    if args.quick:
        args.members, args.clients, args.seconds, args.transfers = 20, 4, 10.0, 100
    if args.members < 2 or args.clients < 1 or args.transfers < 1:
        parser.error("at least 2 members, 1 client and 1 transfer")
    return run_served_benchmark(args, benchmark)


if __name__ == "__main__":
    sys.exit(main())
