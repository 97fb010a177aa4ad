"""Other Odoo databases, each served by an Odoo server process of its own, for
the end-to-end tests between a member's Odoo and the clearing house.

- ``OdooDatabase``: a database made with the same Odoo and the same
  PostgreSQL as the running tests (``odoo -i``, or a copy of another one),
  served on 127.0.0.1 on a free port, driven over JSON-RPC as its admin,
  killed (SIGKILL) and started again like a crashed server, dropped at the end.
- ``FaultyProxy``: an HTTP proxy on 127.0.0.1 in front of a server, which
  passes requests through or, when a rule says so, lets the server answer and
  then drops the answer (after a hook, e.g. killing the server), or holds
  the answer back longer than the client waits.

Everything listens on 127.0.0.1 only, and is stopped by the test that started
it (``addCleanup``), also when the test fails.
"""

import contextlib
import http.client
import http.server
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import requests

import odoo
from odoo.tools import SQL, config


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_bin():
    """The Odoo the tests run with: ``ODOO_BIN``, else ``odoo`` on PATH."""
    command = os.environ.get("ODOO_BIN") or shutil.which("odoo")
    if command:
        return [command]
    return [sys.executable, sys.argv[0]]


def _connection_args():
    args = ["--data-dir", config["data_dir"], "--addons-path", config["addons_path"]]
    for option, flag in (
        ("db_host", "--db_host"),
        ("db_port", "--db_port"),
        ("db_user", "--db_user"),
        ("db_password", "--db_password"),
    ):
        if config.get(option):
            args += [flag, str(config[option])]
    return args


class OdooDatabase:
    """A database of its own and the Odoo server process that serves it."""

    _ids = itertools.count()

    def __init__(self, name, log_dir):
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.port = None
        self.process = None
        self._rpc_ids = itertools.count(1)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _run(self, *args, timeout=900):
        with open(self.log_path, "a") as log:
            subprocess.run(
                [*odoo_bin(), *_connection_args(), "-d", self.name, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=True,
            )

    def install(self, modules):
        """Make the database with ``modules`` installed, without demo data."""
        self._run(
            "-i",
            modules,
            "--without-demo",
            "all",
            "--stop-after-init",
            "--no-http",
            "--log-level",
            "warn",
        )

    def copy_from(self, template):
        """Make the database as a copy of ``template`` (no server may use it)."""
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            cr.execute(
                SQL(
                    "CREATE DATABASE %s TEMPLATE %s",
                    SQL.identifier(self.name),
                    SQL.identifier(template.name),
                )
            )
        source = os.path.join(config["data_dir"], "filestore", template.name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(config["data_dir"], "filestore", self.name))

    def start(self):
        """Serve the database on 127.0.0.1 (the same port after a kill)."""
        self.port = self.port or free_port()
        log = open(self.log_path, "a")  # noqa: SIM115 - closed by the process' end
        self.process = subprocess.Popen(
            [
                *odoo_bin(),
                *_connection_args(),
                "-d",
                self.name,
                "--db-filter",
                f"^{self.name}$",
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(self.port),
                "--gevent-port",
                str(free_port()),
                "--workers",
                "0",
                "--max-cron-threads",
                "0",
                "--log-level",
                "warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server of {self.name} stopped: see {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/web/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"the server of {self.name} did not answer: see {self.log_path}")

    def kill(self):
        """Kill the server at once, as a crash would (SIGKILL)."""
        process, self.process = self.process, None
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)

    def drop(self):
        """Kill the server, drop the database and its filestore."""
        self.kill()
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [self.name],
            )
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(self.name)))
        shutil.rmtree(os.path.join(config["data_dir"], "filestore", self.name), ignore_errors=True)

    def rpc(self, model, method, *args, **kwargs):
        """Call ``model.method(*args, **kwargs)`` as the admin, over JSON-RPC."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._rpc_ids),
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.name, 2, "admin", model, method, list(args), kwargs],
            },
        }
        answer = requests.post(f"{self.url}/jsonrpc", json=payload, timeout=120).json()
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise RuntimeError(data.get("message") or answer["error"].get("message"))
        return answer["result"]


class FaultyProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` (a base URL).

    ``rule(method, path)`` says what to do with each request: None passes it
    through; ``("drop", hook)`` lets the server answer, calls ``hook()`` and
    closes the connection without answering (the server acted, the client
    never knows); ``("answer_then", hook)`` answers, then calls ``hook()``
    (e.g. kills the client's own server before it commits what it read);
    ``("hold", seconds)`` answers only after ``seconds``.
    ``seen`` lists the requests in order, with their headers.
    """

    def __init__(self, upstream, rule=None):
        self.upstream = upstream
        self.rule = rule or (lambda method, path: None)
        self.seen = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path, dict(self.headers)))
                action = proxy.rule(self.command, self.path)
                host = proxy.upstream.split("//", 1)[1]
                connection = http.client.HTTPConnection(host, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                connection.close()
                if action and action[0] == "drop":
                    action[1]()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action and action[0] == "hold":
                    time.sleep(action[1])
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                if action and action[0] == "answer_then":
                    action[1]()

            do_GET = do_POST = _forward

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a connection the test cut, or a server it killed: meant

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
