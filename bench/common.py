"""What the benchmarks share: running Odoo around them, and their data inside it.

Outside Odoo, a benchmark runs on a throwaway PostgreSQL cluster
(``run_benchmark``), installs the add-on in a database of its own
(``install_addon``, ``install_french``) and runs its measuring function in
``odoo shell`` (``run_shell_script``). Inside Odoo, the measuring functions
print their lines with ``emit``, count queries by shape (``QueryShapes``), act
as the admin user (``as_admin``), make members (``make_member_partner``,
``make_active_member``) and compare times (``ratios``). The helpers that run
inside Odoo import ``odoo`` when called, so that this module loads anywhere.
"""

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


class QueryShapes:
    """Count the queries of a block by their shape (the SQL text, numbers blanked)."""

    def __init__(self, cursor_class):
        self.cursor_class = cursor_class
        self.counts = {}

    def __enter__(self):
        import re

        original = self.cursor_class.execute
        counts = self.counts

        def execute(cursor, query, params=None, log_exceptions=True):
            text = " ".join(str(getattr(query, "code", query)).split())
            shape = re.sub(r"\d+", "N", text)[:160]
            counts[shape] = counts.get(shape, 0) + 1
            return original(cursor, query, params, log_exceptions)

        self.original = original
        self.cursor_class.execute = execute
        return self

    def __exit__(self, *exc):
        self.cursor_class.execute = self.original


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


def make_active_member(env, company, number, credit_limit):
    """The company's partner an active member, with an approved credit line (no ceiling)."""
    from odoo import fields

    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    partner = env["res.partner"].browse(company.partner_id.id)
    today = fields.Date.context_today(partner)
    partner.write(
        {
            "mlml_member_state": "candidate",
            "mlml_member_number": number,
            "mlml_charter_date": fields.Date.subtract(today, days=60),
        }
    )
    partner.action_mlml_activate()
    line = env["mlml.credit.line"].create(
        {
            "partner_id": partner.id,
            "company_id": company.id,
            "credit_limit": credit_limit,
            "balance_ceiling": 0.0,  # no ceiling
            "date_start": fields.Date.subtract(today, days=30),
        }
    )
    line.action_submit()
    line.action_approve()
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
