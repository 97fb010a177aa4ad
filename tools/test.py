#!/usr/bin/env python3
"""The add-on's test command.

1. the pure tier: pytest on ``mlml_barter/`` (the network's rules);
2. the quality gate: ruff, pylint-odoo's mandatory checks, the OCA module and
   PO checks, manifestoo's license check, and the French translation check;
3. the Odoo tier, wherever Odoo 18.0 is installed (``ODOO_BIN`` or ``odoo`` on
   PATH): a throwaway PostgreSQL cluster; the add-on installed with its demo
   data on a generic company then uninstalled; installed with its demo data as
   from Apps on a French company without a chart yet; the demo command built and
   stopped (``tools/demo.py --no-wait``); installed on a French company
   and its tests run with ``--test-tags /mlml_barter``, the Cyclos mock
   (``mlml_barter/tests/cyclos_mock_server.py``) served from the tools' venv
   meanwhile. A failed test, an ERROR or a WARNING line in a log fails the tier.

It ends with one line ``N passed, N failed`` and exits non-zero on any failure.
"""

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import odoo_env
from odoo_env import ADDON, ROOT

# Outside the add-on: Odoo's translation export reads every file below it.
VENV = Path(
    os.environ.get("MLML_TOOLS_VENV", Path.home() / ".cache" / "mlml_barter" / "tools-venv")
)
REQUIREMENTS = ROOT / "tools" / "requirements-test.txt"
LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
TEST_START = re.compile(
    rf" INFO \S+ odoo\.addons\.{ADDON}\.tests\.\S+: Starting (\w+\.\w+) \.\.\.\s*$"
)
TEST_FAIL = re.compile(
    rf" (?:ERROR|CRITICAL) \S+ odoo\.addons\.{ADDON}\.tests\.\S+: (FAIL|ERROR): "
)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.lines = []

    def add(self, label, passed, failed, note=""):
        self.passed += passed
        self.failed += failed
        self.lines.append(f"{label}: {passed} passed, {failed} failed{note}")

    def check(self, label, ok, note=""):
        self.add(label, int(ok), int(not ok), note)


def banner(text):
    print(f"\n=== {text}", flush=True)


def tools_venv():
    """A virtualenv with the pinned tools, reinstalled when the pins change."""
    stamp = VENV / ".requirements"
    wanted = REQUIREMENTS.read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        banner(f"installing the test tools into {VENV}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)], check=True
        )
        stamp.write_text(wanted)
    return VENV / "bin"


def pure_tier(bindir, tally, workdir):
    banner("pure tier: pytest mlml_barter/")
    report = workdir / "pure.xml"
    result = subprocess.run(
        [str(bindir / "pytest"), "mlml_barter", "-q", f"--junitxml={report}"],
        cwd=ROOT,
        check=False,
    )
    if result.returncode == 5 or not report.exists():
        tally.add("pure tier", 0, 1, " (no test ran)")
        return
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total = int(suite.get("tests"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    skipped = int(suite.get("skipped"))
    tally.add("pure tier", total - failed - skipped, failed, f", {skipped} skipped")


def quality_gate(bindir, tally, addons_dir, odoo):
    banner("quality gate")
    addon = addons_dir / ADDON
    po_files = sorted(str(p) for p in (ROOT / "i18n").glob("*.po*"))
    checks = [
        ("ruff check", [bindir / "ruff", "check", "."]),
        ("ruff format", [bindir / "ruff", "format", "--check", "."]),
        ("pylint-odoo", [bindir / "pylint", "--rcfile=.pylintrc-mandatory", str(addon)]),
        (
            "oca-checks-odoo-module",
            [bindir / "oca-checks-odoo-module", str(addon / "__manifest__.py")],
        ),
        ("oca-checks-po", [bindir / "oca-checks-po", *po_files]),
        ("French translations", [bindir / "python", "tools/check_i18n.py"]),
    ]
    if odoo:
        # The license check reads the manifests of the dependencies: Odoo's.
        addons_path = ",".join([str(addons_dir), *odoo_env.odoo_addons_path(odoo)])
        checks.append(
            (
                "manifestoo check-licenses",
                [
                    bindir / "manifestoo",
                    "--addons-path",
                    addons_path,
                    "--no-addons-path-from-import-odoo",
                    "--select-include",
                    ADDON,
                    "--odoo-series",
                    odoo_env.SERIES,
                    "check-licenses",
                ],
            )
        )
    else:
        print("manifestoo check-licenses SKIPPED: it reads the manifests of Odoo's add-ons")
    for label, command in checks:
        print(f"--- {label}", flush=True)
        result = subprocess.run([str(part) for part in command], cwd=ROOT, check=False)
        tally.check(f"gate: {label}", result.returncode == 0)


def run_odoo(label, command, log_path, stdin=None, timeout=3600):
    """Run an Odoo command, its log in ``log_path``; return (returncode, log lines)."""
    print(f"--- {label}", flush=True)
    with open(log_path, "w") as log:
        result = subprocess.run(
            [str(part) for part in command],
            input=stdin,
            text=True,
            check=False,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    lines = Path(log_path).read_text(errors="replace").splitlines()
    return result.returncode, lines


# Odoo's test server closes an idle connection after 5 s, for the connections
# headless Chrome opens ahead of time and never uses; werkzeug logs each as an
# ERROR. Nothing was asked on them: they are not a problem of the add-on.
CHROME_PRECONNECT = re.compile(
    r" ERROR \? werkzeug: .* Request timed out: TimeoutError\('timed out'\)"
)


def log_problems(lines):
    return [
        line for line in lines if LOG_PROBLEM.match(line) and not CHROME_PRECONNECT.search(line)
    ]


def report_log(label, returncode, lines, tally, log_path):
    problems = log_problems(lines)
    for line in problems[:40]:
        print(f"    {line}")
    ok = returncode == 0 and not problems
    note = (
        "" if ok else f" (exit {returncode}, {len(problems)} ERROR/WARNING lines; log: {log_path})"
    )
    tally.check(f"odoo: {label}", ok, note)
    return ok


@contextlib.contextmanager
def cyclos_mock(workdir):
    """The Cyclos mock the Odoo tests of a network on Cyclos talk to, run from the
    tools' venv (openapi-core validates each request against Cyclos'
    description): yield its URL, or None when it could not start (the tests then
    skip, saying so); stop it afterwards, whatever happened."""
    log = workdir / "cyclos-mock.log"
    with open(log, "w") as errors:
        process = subprocess.Popen(
            [str(VENV / "bin" / "python"), "-m", "mlml_barter.tests.cyclos_mock_server"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        # The mock prints its address once it serves, or exits saying why not.
        line = process.stdout.readline().split()
        url = line[2] if line[:2] == ["CYCLOS", "MOCK"] else None
        if url:
            print(f"Cyclos mock at {url} (its log: {log})", flush=True)
        else:
            reason = " ".join(log.read_text(errors="replace").split()[-40:])
            print(f"Cyclos mock not started ({reason}): its tests will skip", flush=True)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def odoo_tier(odoo, tally, workdir):
    banner("Odoo tier")
    # The schemathesis run of the API's tests takes it from the tools' venv.
    os.environ["MLML_SCHEMATHESIS"] = str(VENV / "bin" / "schemathesis")
    data_dir = odoo_env.addons_data_dir(workdir / "odoo-data")
    with odoo_env.Cluster() as cluster:
        base = [
            odoo,
            "--data-dir",
            data_dir,
            *cluster.odoo_args(),
            "--stop-after-init",
            "--http-port",
            str(odoo_env.free_port()),
            "--log-level",
            "info",
        ]

        # 1. A generic company: install with the demo data, then uninstall.
        log = workdir / "generic-install.log"
        rc, lines = run_odoo(
            "install on a generic company, with demo data",
            [*base, "-d", "mlml_generic", "-i", ADDON],
            log,
        )
        if report_log("install (generic chart, demo data)", rc, lines, tally, log):
            log = workdir / "generic-uninstall.log"
            rc, lines = run_odoo(
                "uninstall",
                [
                    odoo,
                    "shell",
                    "--data-dir",
                    data_dir,
                    *cluster.odoo_args(),
                    "-d",
                    "mlml_generic",
                    "--no-http",
                    "--log-level",
                    "info",
                ],
                log,
                stdin=(
                    f"module = env['ir.module.module'].search([('name', '=', '{ADDON}')])\n"
                    "module.button_immediate_uninstall()\n"
                    "env.cr.commit()\n"
                    "env.invalidate_all()\n"
                    "print('MODULE STATE', module.state)\n"
                ),
            )
            if not any("MODULE STATE uninstalled" in line for line in lines):
                rc = rc or 1
            report_log("uninstall", rc, lines, tally, log)

        # 2. From Apps: a French company with no chart of accounts yet, the add-on
        # installed with its demo data by its button (Invoicing and the chart come with it).
        apps_install(odoo, data_dir, cluster, base, tally, workdir)

        # 3. The demo command builds its network and stops, leaving nothing behind.
        demo_check(tally, workdir)

        # 4. A French company: the tests of the add-on.
        log = workdir / "french-base.log"
        rc, lines = run_odoo(
            "French company", [*base, "-d", "mlml_fr", "-i", "base", "--without-demo", "all"], log
        )
        if rc == 0:
            rc, more = run_odoo(
                "French company settings",
                [
                    odoo,
                    "shell",
                    "--data-dir",
                    data_dir,
                    *cluster.odoo_args(),
                    "-d",
                    "mlml_fr",
                    "--no-http",
                    "--log-level",
                    "warn",
                ],
                workdir / "french-shell.log",
                stdin=odoo_env.FRENCH_COMPANY,
            )
            lines += more
        if not report_log("French company", rc, lines, tally, log):
            return
        log = workdir / "french-tests.log"
        with cyclos_mock(workdir) as mock_url:
            # The tests of a network on Cyclos find the mock here.
            os.environ["MLML_CYCLOS_MOCK"] = mock_url or ""
            rc, lines = run_odoo(
                "install on the French company and run the tests",
                [
                    *base,
                    "-d",
                    "mlml_fr",
                    "-i",
                    ADDON,
                    "--test-enable",
                    "--test-tags",
                    f"/{ADDON}",
                    "--load-language",
                    "fr_FR",
                ],
                log,
            )
            os.environ.pop("MLML_CYCLOS_MOCK")
        started = {m.group(1) for line in lines if (m := TEST_START.search(line))}
        failed = {line.split(": ", 2)[-1] for line in lines if TEST_FAIL.search(line)}
        failures = min(len(failed), len(started)) if started else len(failed)
        tally.add("odoo tests", len(started) - failures, failures)
        if not started:
            tally.check("odoo tests ran", False, f" (no test ran; log: {log})")
        report_log("tests log (French chart)", rc, lines, tally, log)
        check_pot(odoo, base, tally, workdir)


def odoo_shell(odoo, data_dir, cluster, database):
    return [
        odoo,
        "shell",
        "--data-dir",
        data_dir,
        *cluster.odoo_args(),
        "-d",
        database,
        "--no-http",
        "--log-level",
        "info",
    ]


def apps_install(odoo, data_dir, cluster, base, tally, workdir):
    """Install the add-on with its demo data as from *Apps*, on a company of a country
    that has no chart of accounts yet."""
    log = workdir / "apps-base.log"
    rc, lines = run_odoo(
        "a database with demo data, no chart", [*base, "-d", "mlml_apps", "-i", "base"], log
    )
    if not report_log("database for Apps (demo data)", rc, lines, tally, log):
        return
    log = workdir / "apps-install.log"
    rc, lines = run_odoo(
        "install from Apps, with demo data, on a company without chart",
        odoo_shell(odoo, data_dir, cluster, "mlml_apps"),
        log,
        stdin=(
            "env.company.country_id = env.ref('base.fr')\n"
            "env.cr.commit()\n"
            f"module = env['ir.module.module'].search([('name', '=', '{ADDON}')])\n"
            "module.button_immediate_install()\n"
            "env.cr.commit()\n"
            "env.invalidate_all()\n"
            f"demo = env.ref('{ADDON}.account_payment_mlml_demo_refused', False)\n"
            "print('MODULE STATE', module.state, env.company.chart_template, bool(demo))\n"
        ),
    )
    if not any("MODULE STATE installed fr True" in line for line in lines):
        rc = rc or 1
    report_log("install from Apps (no chart yet, demo data)", rc, lines, tally, log)


def demo_check(tally, workdir):
    """``tools/demo.py --no-wait`` on free ports: the network is built, its
    balances agree, then every server stops and every file is removed."""
    print("--- the demo command", flush=True)
    port = odoo_env.free_ports(4)
    log = workdir / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    with open(log, "w") as out:
        result = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "demo.py"), "--no-wait", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            timeout=3600,
            check=False,
        )
    text = log.read_text(errors="replace")
    left = [
        line.split(": ", 1)[1]
        for line in text.splitlines()
        if line.startswith(("Files: ", "PostgreSQL: ")) and Path(line.split(": ", 1)[1]).exists()
    ]
    listening = [p for p in range(port, port + 4) if not odoo_env.port_free(p)]
    ok = result.returncode == 0 and "DEMO READY" in text and not left and not listening
    note = (
        ""
        if ok
        else (
            f" (exit {result.returncode}, left: {left}, still listening: {listening}; log: {log})"
        )
    )
    tally.check("demo: network built, stopped, removed", ok, note)


def check_pot(odoo, base, tally, workdir):
    """The committed .pot must be what Odoo exports for the add-on."""
    exported = workdir / f"{ADDON}.pot"
    log = workdir / "pot.log"
    rc, lines = run_odoo(
        "export the translation template",
        [*base, "-d", "mlml_fr", "--i18n-export", exported, "--modules", ADDON],
        log,
    )
    if rc != 0 or not exported.exists():
        report_log("translation template export", rc or 1, lines, tally, log)
        return
    result = subprocess.run(
        [str(VENV / "bin" / "python"), "tools/check_i18n.py", "--exported", str(exported)],
        cwd=ROOT,
        check=False,
    )
    tally.check("odoo: i18n/mlml_barter.pot up to date", result.returncode == 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the logs and work files")
    args = parser.parse_args()
    odoo_env.exit_on_sigterm()

    tally = Tally()
    workdir = Path(tempfile.mkdtemp(prefix="mlml-test-"))
    bindir = tools_venv()
    pure_tier(bindir, tally, workdir)
    addons_dir = workdir / "addons"
    addons_dir.mkdir()
    (addons_dir / ADDON).symlink_to(ROOT, target_is_directory=True)
    odoo, reason = odoo_env.find_odoo()
    quality_gate(bindir, tally, addons_dir, odoo)

    if odoo is None:
        print(f"\nOdoo tier SKIPPED: {reason}", flush=True)
    else:
        try:
            odoo_tier(odoo, tally, workdir)
        except (subprocess.SubprocessError, OSError, RuntimeError) as error:
            tally.check("odoo tier", False, f" ({error})")

    banner("summary")
    for line in tally.lines:
        print(line)
    print(f"work files: {workdir}" if args.keep or tally.failed else "", end="")
    if not args.keep and not tally.failed:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print(f"\n{tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
