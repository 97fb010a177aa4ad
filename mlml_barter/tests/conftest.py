"""A real HTTP server on 127.0.0.1 that answers from a script, faults included.

The clients are tested against what the network really does to them: answers
that come too late, connections closed without an answer, bodies cut short.
A library server cannot misbehave like that, so this one is written on bare
sockets: each request gets the next step of the test's script, and every
request is kept (method, path, headers, body) for the test to assert on.
"""

import contextlib
import dataclasses
import json
import socket
import threading
import time
import urllib.parse

import pytest
from hypothesis import HealthCheck, settings

# The machines the tests run on are shared and their speed varies: an
# example's duration is not what these tests check.
settings.register_profile("mlml", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mlml")


@dataclasses.dataclass
class Reply:
    """Answer ``status`` with ``body`` (a dict is sent as JSON) after ``delay``
    seconds; ``missing`` bytes announced by Content-Length but never sent."""

    status: int = 200
    body: object = None
    headers: dict = dataclasses.field(default_factory=dict)
    delay: float = 0.0
    missing: int = 0
    content_type: str = "application/json"


@dataclasses.dataclass
class Drop:
    """Close the connection without a word (after ``delay`` seconds)."""

    delay: float = 0.0


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    query: dict
    headers: dict
    body: object

    def header(self, name):
        return {key.lower(): value for key, value in self.headers.items()}.get(name.lower())


class ScriptedServer:
    def __init__(self):
        self.script = []
        self.log = []
        self.errors = []
        self._lock = threading.Lock()
        self._threads = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._running = True
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def then(self, *steps):
        with self._lock:
            self.script.extend(steps)
        return self

    def close(self):
        self._running = False
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        self._socket.close()

    def _accept(self):
        while self._running:
            try:
                connection, _address = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection):
        with connection:
            connection.settimeout(5)
            try:
                seen = self._read(connection)
            except (OSError, ValueError) as error:
                self.errors.append(f"unreadable request: {error}")
                return
            with self._lock:
                self.log.append(seen)
                step = self.script.pop(0) if self.script else None
            if step is None:
                self.errors.append(f"no step left for {seen.method} {seen.path}")
                step = Reply(599, {"error": "no step left in the test's script"})
            time.sleep(step.delay)
            if isinstance(step, Drop):
                return
            self._write(connection, step)

    @staticmethod
    def _read(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                raise ValueError("connection closed before the headers' end")
            data += chunk
        head, _sep, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("iso-8859-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = dict(line.split(": ", 1) for line in lines[1:] if line)
        length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
        while len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
        parsed = urllib.parse.urlsplit(target)
        body = json.loads(rest) if rest else None
        return Seen(
            method,
            parsed.path,
            dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)),
            headers,
            body,
        )

    @staticmethod
    def _write(connection, step):
        if isinstance(step.body, dict | list):
            payload = json.dumps(step.body).encode()
        else:
            payload = (step.body or "").encode()
        headers = {
            "Content-Type": step.content_type,
            "Content-Length": str(len(payload) + step.missing),
            "Connection": "close",
            **step.headers,
        }
        head = f"HTTP/1.1 {step.status} X\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        # The client may have given up waiting (read timeout): nothing to tell it then.
        with contextlib.suppress(OSError):
            connection.sendall(head.encode() + b"\r\n" + payload)


@pytest.fixture
def server():
    """A scripted server, stopped at the end of the test whatever its outcome;
    a request the script did not expect fails the test."""
    scripted = ScriptedServer()
    try:
        yield scripted
    finally:
        scripted.close()
    assert not scripted.errors, scripted.errors


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver's server (the Cyclos mock) on the loopback address."""
    return ("127.0.0.1", 0)
