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

- ``EndToEndCommon``: the base of those tests: the clearing house and members as
  databases of their own (one install, copies), served, set up over JSON-RPC;
  the member A is the database of the tests.

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
import tempfile
import threading
import time
import uuid

import requests

import odoo
from odoo import Command, fields
from odoo.tests import TransactionCase
from odoo.tools import SQL, config

from .common import MlmlBarterCommon


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


class EndToEndCommon(MlmlBarterCommon, TransactionCase):
    """Databases of their own (the clearing house and members), each served by an
    Odoo server process on 127.0.0.1 and set up as its admin over JSON-RPC; the
    member A is the database of these tests. Members have a credit line of
    2,000.00 below zero and 5,000.00 above everywhere."""

    def invoice_to_b(self, amount=1000.0, share=50.0):
        """A's invoice to B (``self.a_b``) of ``amount`` + VAT (``self.sale_tax``),
        ``share`` % of it in MLML, posted."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.a_b.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Fournitures",
                            "price_unit": amount,
                            "tax_ids": [Command.set(self.sale_tax.ids)],
                        }
                    )
                ],
            }
        )
        invoice.mlml_share = share
        invoice.action_post()
        return invoice

    @classmethod
    def serve_databases(cls, name, *roles):
        """One database with the add-on and a copy of it for each other role, all
        served, dropped at the end; one ``OdooDatabase`` each, in the order of
        ``roles`` (``mlml_<name>_<role>_<suffix>``)."""
        cls.logs = tempfile.mkdtemp(prefix=f"mlml-{name}-")
        suffix = uuid.uuid4().hex[:8]
        databases = [OdooDatabase(f"mlml_{name}_{role}_{suffix}", cls.logs) for role in roles]
        for database in reversed(databases):
            cls.addClassCleanup(database.drop)
        first, *copies = databases
        first.install("mlml_barter")
        for database in copies:
            database.copy_from(first)
        for database in databases:
            database.start()
        return databases

    @classmethod
    def _member(cls, db, name, number, company_partner=None):
        """A member partner in ``db`` (over RPC), active, with its number."""
        values = {
            "mlml_member_state": "candidate",
            "mlml_member_number": number,
            "mlml_charter_date": "2026-01-15",
        }
        if company_partner:
            db.rpc("res.partner", "write", [company_partner], values)
            partner = company_partner
        else:
            partner = db.rpc("res.partner", "create", {"name": name, "is_company": True, **values})
        db.rpc("res.partner", "action_mlml_activate", [partner])
        return partner

    @classmethod
    def _line(cls, db, partner, limit, ceiling):
        line = db.rpc(
            "mlml.credit.line",
            "create",
            {"partner_id": partner, "credit_limit": limit, "balance_ceiling": ceiling},
        )
        db.rpc("mlml.credit.line", "action_submit", [line])
        db.rpc("mlml.credit.line", "action_approve", [line])

    @classmethod
    def _setup_clearing_house(cls, ch, members):
        """``ch`` the clearing house, ``members`` (name, number) its members, each with
        its line and a key of the API; return their partners and keys by number."""
        company = ch.rpc("res.company", "search", [])[0]
        ch.rpc("res.company", "write", [company], {"mlml_is_clearing_house": True})
        partners, keys = {}, {}
        for name, number in members:
            partners[number] = cls._member(ch, name, number)
            cls._line(ch, partners[number], 2000.0, 5000.0)
            keys[number] = ch.rpc("res.partner", "mlml_generate_api_key", [partners[number]])
        return partners, keys

    @classmethod
    def _setup_member(cls, db, number, key, members):
        """A member's database: its company the member ``number``, connected to the
        clearing house ``cls.ch`` with ``key``; the other ``members`` (name, number)
        active members in its books. Return its company's id and their partners by
        number."""
        # A copy of a database keeps its uuid: each member gets one of its own.
        db.rpc("ir.config_parameter", "set_param", "database.uuid", str(uuid.uuid4()))
        company = db.rpc("res.company", "search_read", [], ["partner_id"])[0]
        cls._member(db, "", number, company_partner=company["partner_id"][0])
        cls._line(db, company["partner_id"][0], 2000.0, 5000.0)
        partners = {
            other: cls._member(db, name, other) for name, other in members if other != number
        }
        db.rpc(
            "res.company",
            "write",
            [company["id"]],
            {"mlml_clearing_house_url": cls.ch.url, "mlml_clearing_house_key": key},
        )
        return company["id"], partners

    @classmethod
    def _setup_member_a(cls, key, members):
        """The company of these tests the member MA-1, connected with ``key``; the
        other ``members`` (name, number) active members in its books, by number."""
        cls.company = cls.env.company
        cls.activate_member(cls.company.partner_id, "MA-1")
        cls.create_line(cls.company.partner_id, "approved", limit=2000.0, ceiling=5000.0)
        partners = {
            number: cls.create_member(name, number=number)
            for name, number in members
            if number != "MA-1"
        }
        cls.company.write({"mlml_clearing_house_url": cls.ch.url, "mlml_clearing_house_key": key})
        return partners
