"""Find the installed Odoo 18.0 and give it a throwaway PostgreSQL cluster.

Used by the test command, the demo command and the benchmarks, so that all of
them find Odoo the same way: ``ODOO_BIN`` if set, else an ``odoo`` command on
PATH. Nothing here installs Odoo: the add-on only uses an Odoo that is already
installed. The add-on is made visible to that Odoo through the ``addons``
folder of a data directory (Odoo adds ``<data_dir>/addons/18.0`` to its
addons path), so the checkout may have any folder name.
"""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON = "mlml_barter"
SERIES = "18.0"


def exit_on_sigterm():
    """Turn SIGTERM into a normal exit, so that clusters and files are removed."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def find_odoo():
    """Return ``(command, None)`` for an Odoo 18.0, or ``(None, reason)``."""
    command = os.environ.get("ODOO_BIN") or shutil.which("odoo")
    if not command:
        return None, "no Odoo 18.0 found"
    try:
        version = subprocess.run(
            [command, "--version"], capture_output=True, text=True, timeout=120, check=False
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"no Odoo 18.0 found ({command}: {error})"
    if not re.search(r"\b18\.0\b", version):
        return None, f"no Odoo 18.0 found ({command} says {version or 'nothing'!r})"
    return command, None


def odoo_addons_path(command):
    """Return the addons folders of the installed Odoo, as Odoo itself sees them."""
    script = 'import odoo.addons; print("ADDONS_PATH=" + ",".join(odoo.addons.__path__))\n'
    result = subprocess.run(
        [command, "shell", "--no-http", "--log-level=critical"],
        input=script,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("ADDONS_PATH="):
            return [path for path in line.split("=", 1)[1].split(",") if os.path.isdir(path)]
    raise RuntimeError(f"could not read the addons path of {command}: {result.stderr[-500:]}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port):
    """Nobody listens on ``port`` (a port a stopped server leaves in TIME_WAIT is free,
    as Odoo binds with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count):
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for _attempt in range(100):
        first = free_port()
        if first + count < 65536 and all(port_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports found")


def _pg_bindir():
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(re.search(r"/(\d+)/bin/", path).group(1)),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def pg_bindir():
    """Return PostgreSQL's server binaries, installing Debian's package if missing."""
    bindir = _pg_bindir()
    if bindir is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("PostgreSQL server not found: installing Debian's postgresql package", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
        bindir = _pg_bindir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL's server is not installed: install Debian's postgresql package"
        )
    return bindir


class Cluster:
    """A PostgreSQL cluster of its own, on a Unix socket, removed at the end.

    PostgreSQL refuses to run as root: as root, the cluster belongs to the
    ``postgres`` user. Odoo connects as the superuser role ``odoo``.
    """

    def __init__(self):
        self.bindir = None
        self.base = None
        self.datadir = None
        self.socket_dir = None

    def _as_owner(self, args, **kwargs):
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=True, **kwargs)

    def start(self):
        try:
            return self._start()
        except BaseException:
            # Interrupted half-way (Ctrl-C, a failed initdb): leave nothing behind.
            self.stop()
            raise

    def _start(self):
        self.bindir = pg_bindir()
        self.base = Path(tempfile.mkdtemp(prefix="mlml-pg-"))
        self.datadir = self.base / "data"
        self.socket_dir = self.base
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._as_owner(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -p 5432 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._as_owner(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-o",
                options,
                "-l",
                str(self.base / "postgresql.log"),
                "-w",
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
        self.psql("CREATE ROLE odoo SUPERUSER LOGIN")
        return self

    def psql(self, sql, database="postgres"):
        return subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                str(self.socket_dir),
                "-p",
                "5432",
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def stop(self):
        if self.datadir and (self.datadir / "postmaster.pid").exists():
            self._as_owner(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)

    def odoo_args(self):
        return ["--db_host", str(self.socket_dir), "--db_port", "5432", "--db_user", "odoo"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def addons_data_dir(data_dir):
    """Make the add-on visible to Odoo through ``<data_dir>/addons/18.0``."""
    addons = Path(data_dir) / "addons" / SERIES
    addons.mkdir(parents=True, exist_ok=True)
    link = addons / ADDON
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(ROOT, target_is_directory=True)
    return Path(data_dir)


# Run in `odoo shell` to make the main company French before the chart is chosen.
FRENCH_COMPANY = """
env.ref('base.EUR').active = True
env.company.write({
    'name': 'Imprimerie du Vieux-Lille',
    'country_id': env.ref('base.fr').id,
    'currency_id': env.ref('base.EUR').id,
    'street': '12 rue de la Monnaie',
    'zip': '59000',
    'city': 'Lille',
})
env.cr.commit()
"""
