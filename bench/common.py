"""What the benchmarks share: running Odoo around them, and their data inside it.

Every benchmark runs as ``python3 bench/<name>.py`` wherever Odoo 18.0 is
installed (``ODOO_BIN`` or ``odoo`` on PATH, found as the test command finds
it). A missed target is reported, not an error: the exit status is non-zero
only when the benchmark itself could not run. What it starts (the cluster, a
server) and its work files are removed at the end, on Ctrl-C and on SIGTERM
too.

Outside Odoo, a benchmark runs on a throwaway PostgreSQL cluster
(``run_benchmark``; ``run_served_benchmark`` when it serves Odoo), installs
the add-on in a database of its own (``install``, ``install_addon``,
``install_french``) and runs its measuring function in ``odoo shell``
(``measured_in_odoo``, ``run_shell_script``, ``shell_output``). The benchmarks
that go through HTTP serve the database with an Odoo server on 127.0.0.1 only
(``serve``, ``stop_server``, ``kill_server``) and call Odoo's external
JSON-RPC (``JsonRpc``). Inside Odoo, the measuring functions print their lines
with ``emit``, record queries (``QueryRecorder``) and count them by shape
(``QueryShapes``), act as the admin user (``as_admin``), make members
(``make_member_partner``, ``make_active_member``, ``activate_member``,
``approve_credit_lines``) and compare times (``ratios``). The helpers that run
inside Odoo import ``odoo`` when called, and ``JsonRpc`` imports ``requests``,
so that this module loads anywhere.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
import odoo_env

ADDON = odoo_env.ADDON
# Odoo's options for the runs whose log nobody reads but on failure.
QUIET = ["--no-http", "--log-level", "warn"]
MAIL_QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}
DONE = "BENCH DONE"
HOST = "127.0.0.1"  # a served Odoo listens there only, and the clients call it there only
SERVER_START_SECONDS = 180

# Run by `odoo shell` (read on its standard input): loads a benchmark's file
# and calls its `in_odoo(env, **arguments)`.
SHELL_SCRIPT = """
import importlib.util
spec = importlib.util.spec_from_file_location({name!r}, {path!r})
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
bench.in_odoo(env, **{arguments!r})
print({done!r}, flush=True)
"""


# ---------------------------------------------------------------- inside Odoo


def emit(line):
    print(line, flush=True)


class QueryRecorder:
    """Call ``record(text, params, seconds)`` for each query of a block: its SQL text
    (white space folded), its parameters and the time it took."""

    def __init__(self, cursor_class):
        self.cursor_class = cursor_class

    def record(self, text, params, seconds):
        raise NotImplementedError

    def __enter__(self):
        original = self.cursor_class.execute
        record = self.record

        def execute(cursor, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                text = " ".join(str(getattr(query, "code", query)).split())
                params_ = getattr(query, "params", None) if params is None else params
                record(text, params_, time.perf_counter() - start)

        self.original = original
        self.cursor_class.execute = execute
        return self

    def __exit__(self, *exc):
        self.cursor_class.execute = self.original


class QueryShapes(QueryRecorder):
    """Count the queries of a block by their shape (the SQL text, numbers blanked)."""

    def __init__(self, cursor_class):
        super().__init__(cursor_class)
        self.counts = {}

    def record(self, text, params, seconds):
        import re

        shape = re.sub(r"\d+", "N", text)[:160]
        self.counts[shape] = self.counts.get(shape, 0) + 1


def as_admin(env, group, refusal, **context):
    """The admin user's environment, or the superuser's (saying so) if not in ``group``."""
    admin = env.ref("base.user_admin")
    context = dict(admin.context_get(), **context)
    if admin.has_group(group):
        return env(user=admin, su=False, context=context)
    emit(f"WARNING the admin user {refusal}: measured as the superuser")
    return env(context=context)


def rotated(names, round_no):
    """The order of ``names`` in a round: rotated by one each round (two: alternated)."""
    shift = round_no % len(names)
    return list(names[shift:]) + list(names[:shift])


def ratios(numerators, denominators):
    """(best over best, median of the rounds' ratios) of two series of times."""
    import statistics

    median = statistics.median(
        numerator / denominator
        for numerator, denominator in zip(numerators, denominators, strict=True)
    )
    return min(numerators) / min(denominators), median


def make_member_partner(env, number):
    """The member the companies pay: an active member, shared by the companies."""
    from odoo import fields

    partner = env["res.partner"].create(
        {
            "name": "Imprimerie Lilloise",
            "is_company": True,
            "city": "Lille",
            "country_id": env.ref("base.fr").id,
            "mlml_member_state": "candidate",
            "mlml_member_number": number,
            "mlml_charter_date": fields.Date.context_today(env["res.partner"]),
        }
    )
    partner.action_mlml_activate()
    return partner


def activate_member(partner, number):
    """``partner`` an active member numbered ``number``, its charter signed 60 days ago."""
    from odoo import fields

    today = fields.Date.context_today(partner)
    partner.write(
        {
            "mlml_member_state": "candidate",
            "mlml_member_number": number,
            "mlml_charter_date": fields.Date.subtract(today, days=60),
        }
    )
    partner.action_mlml_activate()


def approve_credit_lines(env, company, partners, credit_limit, ceiling=0.0):
    """An approved credit line of ``credit_limit`` and ``ceiling`` (0.0: none) for each
    of ``partners`` in ``company``'s books, in force since 30 days."""
    from odoo import fields

    today = fields.Date.context_today(company)
    lines = env["mlml.credit.line"].create(
        [
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "credit_limit": credit_limit,
                "balance_ceiling": ceiling,
                "date_start": fields.Date.subtract(today, days=30),
            }
            for partner in partners
        ]
    )
    lines.action_submit()
    lines.action_approve()


def make_active_member(env, company, number, credit_limit):
    """The company's partner an active member, with an approved credit line (no ceiling)."""
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    partner = env["res.partner"].browse(company.partner_id.id)
    activate_member(partner, number)
    approve_credit_lines(env, company, partner, credit_limit)
    company.invalidate_recordset()
    if company.mlml_credit_limit != credit_limit:
        raise RuntimeError(f"{company.name} has no approved credit line in force")


# ---------------------------------------------------------------- outside Odoo


def run_odoo(command, log_path, stdin=None, echo=None):
    """Run an Odoo command, its log in ``log_path``; stdout lines go to ``echo``."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(part) for part in command],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if echo else log,
            stderr=log,
            text=True,
        )
        try:
            if stdin is not None:
                process.stdin.write(stdin)
                process.stdin.close()
            if echo:
                for line in process.stdout:
                    echo(line.rstrip("\n"))
            return process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise


def fail(message, log_path):
    tail = Path(log_path).read_text(errors="replace").splitlines()[-40:]
    sys.exit("\n".join([message, *tail]))


def odoo_command(odoo, workdir, cluster, database):
    """Odoo on the benchmark's cluster and database, the add-on in its addons path."""
    data_dir = odoo_env.addons_data_dir(workdir / "odoo-data")
    return [odoo, "--data-dir", data_dir, *cluster.odoo_args(), "-d", database]


def shell_command(common):
    """``odoo shell`` on the same database as the command ``common``."""
    return [common[0], "shell", *common[1:], *QUIET]


def install_addon(common, workdir):
    """Install the add-on, without demo data, in the database of ``common``."""
    log = workdir / "install.log"
    install = ["-i", ADDON, "--without-demo", "all", "--stop-after-init"]
    returncode = run_odoo([*common, *install, *QUIET], log)
    if returncode:
        fail(f"The installation failed (exit {returncode}):", log)


def install_french(common, workdir):
    """A French company in a new database (``common``'s), then the add-on, without demo."""
    print("Creating a French company in a throwaway database…", flush=True)
    log = workdir / "base.log"
    returncode = run_odoo(
        [*common, "-i", "base", "--without-demo", "all", "--stop-after-init", *QUIET], log
    )
    if returncode:
        fail(f"Creating the database failed (exit {returncode}):", log)
    log = workdir / "company.log"
    returncode = run_odoo(shell_command(common), log, stdin=odoo_env.FRENCH_COMPANY)
    if returncode:
        fail(f"Making the company French failed (exit {returncode}):", log)
    print(f"Installing {ADDON} without demo data…", flush=True)
    install_addon(common, workdir)


def shell_script(path, **arguments):
    """The script that runs ``in_odoo(env, **arguments)`` of the benchmark at ``path``."""
    path = Path(path).resolve()
    return SHELL_SCRIPT.format(
        name=f"mlml_bench_{path.stem}", path=str(path), arguments=arguments, done=DONE
    )


def run_shell_script(common, workdir, script, is_last):
    """Run ``script`` in ``odoo shell``, echoing its lines; return the last ones.

    The lines for which ``is_last`` is true (the RATIO lines) are kept for the
    end of the run, after its duration. The script prints "BENCH DONE" last.
    """
    lines = []

    def echo(line):
        lines.append(line)
        if line != DONE and not is_last(line):
            print(line, flush=True)

    log = workdir / "shell.log"
    returncode = run_odoo(shell_command(common), log, stdin=script, echo=echo)
    if returncode or DONE not in lines:
        fail(f"The benchmark failed (exit {returncode}):", log)
    return [line for line in lines if is_last(line)]


def install(odoo, workdir, cluster, started, database, step, french=True):
    """Install the add-on in ``database`` on a French company (``french=False``: on
    Odoo's own company); say how long it took and what comes next (``step``).
    Return the Odoo command on the database."""
    common = odoo_command(odoo, workdir, cluster, database)
    if french:
        install_french(common, workdir)
    else:
        print(f"Installing {ADDON} in a throwaway database…", flush=True)
        install_addon(common, workdir)
    print(f"Installed in {time.perf_counter() - started:.0f} s; {step}…", flush=True)
    return common


def measured_in_odoo(database, path, is_last, french=True, step="measuring"):
    """The benchmark (for ``run_benchmark``) that installs the add-on in ``database``
    (see ``install``), then runs ``in_odoo(env, **vars(args))`` of the benchmark at
    ``path`` in ``odoo shell``; it returns the lines for which ``is_last`` is true."""

    def benchmark(odoo, args, workdir, cluster, started):
        common = install(odoo, workdir, cluster, started, database, step, french)
        return run_shell_script(common, workdir, shell_script(path, **vars(args)), is_last)

    return benchmark


def shell_output(common, workdir, step, script, expected=DONE):
    """Run ``script`` in ``odoo shell``; return its output lines.

    The benchmark stops, with the log of the step, when the script failed or
    printed no line starting with ``expected``.
    """
    lines = []
    log = workdir / f"{step}.log"
    returncode = run_odoo(shell_command(common), log, stdin=script, echo=lines.append)
    if returncode or not any(line.startswith(expected) for line in lines):
        fail(f"The step {step!r} failed (exit {returncode}):", log)
    return lines


# ---------------------------------------------------------------- a served Odoo


class JsonRpc:
    """Odoo's external JSON-RPC (``/jsonrpc``) on a local server, as one user.

    One ``requests`` session (``session``: another one's, to share it), no
    proxy from the environment, ``timeout`` on every call. Network errors
    raise (``OSError``; an answer that is not JSON, ``ValueError``).
    """

    def __init__(self, port, database=None, uid=None, password=None, timeout=120, session=None):
        import requests

        self.url = f"http://{HOST}:{port}/jsonrpc"
        self.database = database
        self.uid = uid
        self.password = password
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy from the environment
        self.session = session

    def call(self, service, method, *args):
        """Return ``(result, None)`` or ``(None, error)``, error a dict name/message."""
        response = self.session.post(
            self.url,
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": list(args)},
                "id": random.randrange(1 << 30),
            },
            timeout=self.timeout,
        )
        answer = response.json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            return None, {
                "name": data.get("name", ""),
                "message": data.get("message") or answer["error"].get("message", ""),
            }
        # A method that returns nothing (action_post) answers without a result.
        return answer.get("result"), None

    def execute(self, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` as the user, through ``execute_kw``."""
        return self.call(
            "object",
            "execute_kw",
            self.database,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )


def serve(common, database, port, log_path, workers):
    """Serve ``database`` with Odoo on ``HOST``:``port`` (``workers`` HTTP workers,
    0: the threaded server; no cron thread), its log in ``log_path``; return the
    server's process once it answers. The benchmark stops, with the log, when the
    server stops or does not answer within ``SERVER_START_SECONDS``.
    """
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                str(part)
                for part in [
                    *common,
                    "--db-filter",
                    f"^{database}$",
                    "--no-database-list",
                    "--workers",
                    workers,
                    "--max-cron-threads",
                    "0",
                    "--http-interface",
                    HOST,
                    "--http-port",
                    port,
                    "--gevent-port",
                    odoo_env.free_port(),
                    "--limit-time-real",
                    "300",
                    "--limit-time-cpu",
                    "120",
                    "--log-level",
                    "warn",
                    "--log-handler",
                    "odoo.service.model:INFO",  # the transactions Odoo runs again
                ]
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers in a process group of its own
        )
    try:
        _wait_for_server(JsonRpc(port, timeout=(5, 120)), server, log_path)
    except BaseException:
        stop_server(server)
        raise
    return server


def _wait_for_server(rpc, server, log_path):
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            fail(f"The server stopped (exit {server.returncode}):", log_path)
        try:
            result, _error = rpc.call("common", "version")
            if result:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    fail("The server did not answer:", log_path)


def stop_server(server):
    """Stop the server we started (by its id), its workers with it."""
    if server is None or server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # Still there (so its process group is still its own): kill it and its workers.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def kill_server(server):
    """SIGKILL on the server's process group: the server and its workers, at once."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait()


def shield_signals():
    """Let the cleanup run to its end: a second Ctrl-C would leave files behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_benchmark(args, benchmark, cleanup=None):
    """Run ``benchmark(odoo, args, workdir, cluster, started)`` on a cluster of its own.

    The cluster, the work files (and whatever ``cleanup`` stops) are removed
    even on Ctrl-C or SIGTERM. The benchmark returns its last line(s), printed
    after the duration.
    """
    odoo_env.exit_on_sigterm()
    odoo, reason = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"Cannot run the benchmark: {reason} (set ODOO_BIN or put `odoo` on PATH).")

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="mlml-bench-"))
    cluster = odoo_env.Cluster()
    try:
        with cluster:
            last = benchmark(odoo, args, workdir, cluster, started)
    except KeyboardInterrupt:
        print("Interrupted: the benchmark's cluster and files are removed.", file=sys.stderr)
        sys.exit(130)
    finally:
        # An interrupt while the cluster starts skips the context manager's
        # exit, one during its exit stops it half-way: finish the cleanup.
        shield_signals()
        if cleanup:
            cleanup()
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Benchmark run in {time.perf_counter() - started:.0f} s", flush=True)
    for line in [last] if isinstance(last, str) else last:
        print(line, flush=True)
    return 0


def run_served_benchmark(args, benchmark):
    """``run_benchmark`` for a benchmark that serves Odoo (``serve``):
    ``benchmark(odoo, args, workdir, cluster, started, state)`` keeps its server in
    ``state["server"]`` (and any other in the list ``state["others"]``), stopped at
    the end whatever happens."""
    state = {"server": None, "others": []}

    def cleanup():
        for server in [state["server"], *state["others"]]:
            stop_server(server)

    return run_benchmark(args, lambda *common: benchmark(*common, state), cleanup=cleanup)
