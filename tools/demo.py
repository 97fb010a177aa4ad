#!/usr/bin/env python3
"""Run the demo: a clearing house and three member companies, each on its own port.

Uses the installed Odoo 18.0 (``ODOO_BIN`` or ``odoo`` on PATH). Unless a
PostgreSQL server is configured through ``PGHOST`` (and ``PGPORT``,
``PGUSER``), it starts a throwaway one. Every database has a French company
(Lille, French chart of accounts, French language) and the add-on.

The first member's Odoo is served on http://127.0.0.1:8069, the clearing
house's on the next port, the other members' on the ports after it (admin /
admin everywhere). Each member is connected to the clearing house with an API
key the clearing house issued, and the network has lived a few months: mixed
invoices paid in part in MLML from the members' Odoo, payment requests answered
and refused, back-office transfers and a reversal, a compensation run.
``--member-only`` gives one member database with the add-on's demo data instead.

Ctrl-C stops every server and removes the databases and files it made, also
when it fails half-way.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import demo_network
import odoo_env
from odoo_env import ADDON

# The company and its users speak French before the add-on is installed: its
# invoices, payments and messages are written in French from the start.
SETUP = (
    odoo_env.FRENCH_COMPANY
    + """
env.company.partner_id.lang = 'fr_FR'
users = env['res.users'].with_context(active_test=False).search([])
users.write({'lang': 'fr_FR', 'tz': 'Europe/Paris'})
env.cr.commit()
"""
)


LOG_PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


def run(command, **kwargs):
    print("$", " ".join(str(part) for part in command[:2]), "…", flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


class Demo:
    def __init__(self, args, odoo):
        self.args = args
        self.odoo = odoo
        self.workdir = Path(tempfile.mkdtemp(prefix="mlml-demo-"))
        self.data_dir = odoo_env.addons_data_dir(self.workdir / "odoo-data")
        self.cluster = None
        self.db_args = []
        self.databases = []  # made here, dropped at the end on a server of the caller's
        self.servers = []

    def odoo_args(self):
        return ["--data-dir", self.data_dir, *self.db_args]

    def start_postgresql(self):
        if os.environ.get("PGHOST"):
            self.db_args = [
                "--db_host",
                os.environ["PGHOST"],
                "--db_port",
                os.environ.get("PGPORT", "5432"),
            ]
            if os.environ.get("PGUSER"):
                self.db_args += ["--db_user", os.environ["PGUSER"]]
        else:
            self.cluster = odoo_env.Cluster().start()
            self.db_args = self.cluster.odoo_args()
            print(f"PostgreSQL: {self.cluster.base}", flush=True)
        print(f"Files: {self.workdir}", flush=True)

    def make_database(self, name, demo):
        """A French company with Invoicing and the add-on (its demo data if ``demo``)."""
        self.databases.append(name)
        common = [self.odoo, *self.odoo_args(), "-d", name]
        quiet = ["--stop-after-init", "--no-http", "--log-level", "warn"]
        without_demo = [] if demo else ["--without-demo", "all"]
        run([*common, "-i", "base", "--load-language", "fr_FR", *without_demo, *quiet])
        run(
            [self.odoo, "shell", *common[1:], "--no-http", "--log-level", "warn"],
            input=SETUP,
            text=True,
            stdout=subprocess.DEVNULL,
        )
        # Invoicing first: the French chart of accounts comes with it (l10n_fr_account,
        # installed right after account), and the add-on's journals need it.
        for module in ("account", ADDON):
            run([*common, "-i", module, *quiet])

    def copy_database(self, source, name):
        self.databases.append(name)
        with open(self.workdir / "databases.log", "a") as log:
            run(
                [self.odoo, "db", *self.odoo_args(), "duplicate", source, name],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def serve(self, database):
        log = open(self.workdir / f"{database.name}.log", "w")  # noqa: SIM115
        database.process = subprocess.Popen(
            [
                str(part)
                for part in [
                    self.odoo,
                    *self.odoo_args(),
                    "-d",
                    database.name,
                    "--db-filter",
                    f"^{database.name}$",
                    "--http-interface",
                    "127.0.0.1",
                    "--http-port",
                    database.port,
                    "--gevent-port",
                    odoo_env.free_port(),
                    # No scheduled synchronisation racing the demo's own calls: each
                    # member's card has its Synchroniser button.
                    "--max-cron-threads",
                    "0",
                    "--log-level",
                    "warn",
                ]
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script, which stops it
        )
        log.close()
        self.servers.append(database)

    def wait_served(self, database):
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if database.process.poll() is not None:
                raise RuntimeError(
                    f"the server of {database.name} stopped: "
                    f"{(self.workdir / (database.name + '.log')).read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{database.url}/web/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the server of {database.name} did not answer on {database.url}")

    def log_problems(self):
        """The WARNING and ERROR lines of the servers' logs."""
        return [
            line
            for database in self.servers
            for line in (self.workdir / f"{database.name}.log").read_text().splitlines()
            if LOG_PROBLEM.match(line)
        ]

    def stop(self):
        """Stop every server, drop what was made, remove the files; quietly."""
        for database in self.servers:
            if database.process.poll() is None:
                os.killpg(database.process.pid, signal.SIGTERM)
        for database in self.servers:
            try:
                database.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(database.process.pid, signal.SIGKILL)
                database.process.wait()
        if self.cluster:
            self.cluster.stop()
        else:
            drops = [
                subprocess.Popen(
                    [self.odoo, "db", *map(str, self.odoo_args()), "drop", name],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for name in self.databases
            ]
            for drop in drops:
                drop.wait()
        subprocess.run(["rm", "-rf", str(self.workdir)], check=False)

    # ------------------------------------------------------------------

    def member_only(self):
        name = self.args.database
        print(f"Creating the demo database {name} (a few minutes)…", flush=True)
        self.make_database(name, demo=True)
        member = demo_network.Database(name, self.args.port, "member")
        self.serve(member)
        self.wait_served(member)
        print(
            f"\nMLML demo: http://127.0.0.1:{self.args.port} "
            "(login admin, password admin). Ctrl-C stops it.\n",
            flush=True,
        )

    def network(self):
        name, port = self.args.database, self.args.port
        members = demo_network.MEMBERS[:3]
        model = f"{name}_modele"
        print(f"Creating the demo's databases from {model} (a few minutes)…", flush=True)
        self.make_database(model, demo=False)
        ch = demo_network.Database(f"{name}_chambre", port + 1, "clearing house")
        others = [
            demo_network.Database(f"{name}_{suffix}", port + 1 + index, member["name"])
            for index, (suffix, member) in enumerate(
                zip(("nettoyage", "vauban"), members[1:], strict=True), start=1
            )
        ]
        first = demo_network.Database(name, port, members[0]["name"])
        network = demo_network.Network([first, *others], ch)
        for database in network.all:
            self.copy_database(model, database.name)
        for database in network.all:
            self.serve(database)
        for database in network.all:
            self.wait_served(database)
        print("Bringing the network to life…", flush=True)
        demo_network.build(network)
        print("\nMLML demo network (login admin, password admin everywhere):", flush=True)
        for database, label in zip(
            network.all,
            [members[0]["name"], "Chambre de compensation", *(m["name"] for m in members[1:])],
            strict=True,
        ):
            print(f"  {label:30} http://127.0.0.1:{database.port}", flush=True)
        print("Ctrl-C stops it and removes everything.\n", flush=True)

    def wait(self):
        while True:
            for database in self.servers:
                if database.process.poll() is not None:
                    print(f"The server of {database.name} stopped: the demo ends.", flush=True)
                    return
            time.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8069, help="the first member's port")
    parser.add_argument("--database", default="mlml_demo", help="the first member's database")
    parser.add_argument(
        "--member-only",
        action="store_true",
        help="one member database with the add-on's demo data, no clearing house",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="stop and remove everything once the demo is built (to check that it builds)",
    )
    args = parser.parse_args()
    odoo_env.exit_on_sigterm()
    # Ctrl-C stops the demo even when it was started with SIGINT ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)

    odoo, reason = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"Cannot run the demo: {reason} (set ODOO_BIN or put `odoo` on PATH).")

    demo = Demo(args, odoo)
    try:
        demo.start_postgresql()
        if args.member_only:
            demo.member_only()
        else:
            demo.network()
        if args.no_wait:
            problems = demo.log_problems()
            for line in problems:
                print(line, flush=True)
            if problems:
                raise RuntimeError(f"{len(problems)} WARNING or ERROR lines in the servers' logs")
            print("DEMO READY", flush=True)
        else:
            demo.wait()
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C again while stopping would leave servers behind: stop first.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("Stopping the demo and removing its databases…", flush=True)
        demo.stop()


if __name__ == "__main__":
    main()
