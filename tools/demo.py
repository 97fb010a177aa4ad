#!/usr/bin/env python3
"""Run a demo database with the add-on, on http://localhost:8069 (admin/admin).

Uses the installed Odoo 18.0 (``ODOO_BIN`` or ``odoo`` on PATH). Unless a
PostgreSQL server is configured through ``PGHOST`` (and ``PGPORT``,
``PGUSER``), it starts a throwaway one, removed when the demo stops (Ctrl-C).
The database has a French company (Lille, French chart of accounts, French
language), the add-on and its demo data.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import odoo_env
from odoo_env import ADDON

# The company and its users speak French before the add-on's demo data is created:
# its invoices, payments and messages are written in French from the start.
SETUP = (
    odoo_env.FRENCH_COMPANY
    + """
env.company.partner_id.lang = 'fr_FR'
users = env['res.users'].with_context(active_test=False).search([])
users.write({'lang': 'fr_FR', 'tz': 'Europe/Paris'})
env.cr.commit()
"""
)


def run(command, **kwargs):
    print("$", " ".join(str(part) for part in command[:2]), "…", flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8069)
    parser.add_argument("--database", default="mlml_demo")
    args = parser.parse_args()
    odoo_env.exit_on_sigterm()

    odoo, reason = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"Cannot run the demo: {reason} (set ODOO_BIN or put `odoo` on PATH).")

    workdir = Path(tempfile.mkdtemp(prefix="mlml-demo-"))
    data_dir = odoo_env.addons_data_dir(workdir / "odoo-data")
    cluster = None
    if os.environ.get("PGHOST"):
        db_args = ["--db_host", os.environ["PGHOST"], "--db_port", os.environ.get("PGPORT", "5432")]
        if os.environ.get("PGUSER"):
            db_args += ["--db_user", os.environ["PGUSER"]]
    else:
        cluster = odoo_env.Cluster().start()
        db_args = cluster.odoo_args()
    common = [odoo, "--data-dir", data_dir, *db_args, "-d", args.database]
    try:
        print(f"Creating the demo database {args.database} (a few minutes)…", flush=True)
        run(
            [
                *common,
                "-i",
                "base",
                "--load-language",
                "fr_FR",
                "--stop-after-init",
                "--no-http",
                "--log-level",
                "warn",
            ]
        )
        run(
            [odoo, "shell", *common[1:], "--no-http", "--log-level", "warn"],
            input=SETUP,
            text=True,
            stdout=subprocess.DEVNULL,
        )
        # Invoicing first: the French chart of accounts comes with it (l10n_fr_account,
        # installed right after account), and the add-on's demo invoices need its journals.
        for module in ("account", ADDON):
            run([*common, "-i", module, "--stop-after-init", "--no-http", "--log-level", "warn"])
        print(
            f"\nMLML demo: http://localhost:{args.port} (login admin, password admin)\n", flush=True
        )
        subprocess.run(
            [
                str(part)
                for part in [
                    *common,
                    "--http-port",
                    args.port,
                    "--db-filter",
                    f"^{args.database}$",
                    "--log-level",
                    "warn",
                ]
            ],
            check=False,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if cluster:
            cluster.stop()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    main()
