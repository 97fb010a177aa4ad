"""The Cyclos mock (``cyclos_mock.py``) as a process of its own, for the Odoo tests.

openapi-core, which validates every request against Cyclos' description, is a
tool of the test command's venv, not of Odoo's: the Odoo tests talk to this
process over HTTP. The test command starts it from the tools' venv, from the
repository's root::

    python -m mlml_barter.tests.cyclos_mock_server [--port N]

It prints one line ``CYCLOS MOCK http://127.0.0.1:<port>`` once it serves, then
serves until it is stopped (SIGTERM, SIGINT). Cyclos' API is under ``/api``;
the tests drive the mock through a control interface outside Cyclos' paths,
JSON in and out:

- ``POST /__mock__/reset`` ``{"balance", "credit_limit", "upper"}``: the data
  of a new test (the violations found so far are kept);
- ``POST /__mock__/transfer`` ``{"other", "amount", "description"}``: a
  transfer of the member's account with the user ``other`` (amount signed:
  negative when the member pays); answers ``{"id"}``;
- ``POST /__mock__/request`` ``{"payer", "payee", "amount", "description"}``: a
  payment request between the member and another user; answers ``{"id"}``;
- ``POST /__mock__/accept`` ``{"id"}``: the other user pays the request the
  member made;
- ``POST /__mock__/tokens`` ``{"tokens": [...]}``: the valid access client
  tokens (none: every token expired);
- ``GET /__mock__/state``: the balance, the history and the requests;
- ``GET /__mock__/violations``: every request (or answer) that did not match
  Cyclos' description, as ``{"violations": [...]}``.
"""

import argparse
import json
import re
import signal
import sys
import threading

from pytest_httpserver import HTTPServer
from werkzeug import Response

from .cyclos_mock import DESCRIPTION, CyclosMock, load_description


def _entry(entry):
    return {
        "id": entry.id,
        "date": entry.date.isoformat(),
        "amount": f"{entry.amount:.2f}",
        "other": entry.other["id"],
        "description": entry.description,
        "status": entry.status,
        "comments": entry.comments,
    }


class Control:
    """The control interface of one mock."""

    def __init__(self, mock):
        self.mock = mock
        self.lock = threading.Lock()

    def handle(self, request):
        action = request.path.removeprefix("/__mock__/")
        body = request.get_json(silent=True) or {}
        with self.lock:
            try:
                answer = self.act(request.method, action, body)
            except (KeyError, ValueError, StopIteration) as error:
                return self.json({"error": f"{action}: {error!r}"}, status=400)
        if answer is None:
            return self.json({"error": f"no such control: {request.method} {action}"}, 404)
        return self.json(answer)

    @staticmethod
    def json(body, status=200):
        return Response(json.dumps(body), status=status, content_type="application/json")

    def act(self, method, action, body):
        mock = self.mock
        if (method, action) == ("GET", "violations"):
            return {"violations": list(mock.errors)}
        if (method, action) == ("GET", "state"):
            return {
                "balance": f"{mock.balance:.2f}",
                "history": [_entry(entry) for entry in mock.history],
                "requests": [_entry(entry) for entry in mock.requests.values()],
            }
        if method != "POST":
            return None
        if action == "reset":
            mock.reset(**{k: str(v) for k, v in body.items()})
            return {}
        if action == "transfer":
            entry = mock.transfer(body["other"], body["amount"], body.get("description", ""))
            return {"id": entry.id}
        if action == "request":
            entry = mock.request(
                body["payer"], body["payee"], body["amount"], body.get("description", "")
            )
            return {"id": entry.id}
        if action == "accept":
            entry = mock.requests[body["id"]]
            if entry.amount < 0 or entry.status != "open":
                raise ValueError("only an open request the member made is paid by the other")
            entry.status = "processed"
            paid = mock.transfer(entry.other["id"], entry.amount, entry.description)
            return {"id": paid.id}
        if action == "tokens":
            mock.tokens = set(body["tokens"])
            return {}
        return None


def serve(port=0):
    """Start the mock; return (server, mock)."""
    server = HTTPServer(host="127.0.0.1", port=port, threaded=True)
    # Started first: the mock serves its description with the address it has.
    server.start()
    mock = CyclosMock(load_description(), server)
    mock.reset(balance="0.00")
    control = Control(mock)
    server.expect_request(re.compile(r"^/__mock__/.*")).respond_with_handler(control.handle)
    return server, mock


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    args = parser.parse_args(argv)
    if not DESCRIPTION.exists():
        print(f"Cyclos 4.16 OpenAPI description not found at {DESCRIPTION}", file=sys.stderr)
        return 2
    server, _mock = serve(args.port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_args: stop.set())
    print(f"CYCLOS MOCK {server.url_for('/').rstrip('/')}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
