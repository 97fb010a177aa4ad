"""A Cyclos 4.16 server of test data that checks every request against Cyclos' description.

It serves the few operations the Cyclos backend uses, over real HTTP
(pytest-httpserver, on 127.0.0.1), from scenario data: one member account,
its history, the directory, payment requests. Each request is validated with
``openapi-core`` against Cyclos' own OpenAPI description (path, method,
parameters, body, authentication), and must use only the query parameters the
operation declares; each answer whose status the description lists is
validated too. Whatever does not match is kept in ``errors``, which the test
fixture asserts empty: a request Cyclos would not understand fails the test.

The description itself is Cyclos' (MIT) and stays outside the project: it is
read from ``MLML_CYCLOS_OPENAPI`` or ``../shared/cyclos/cyclos-openapi-4.16.yaml``
next to the repository.
"""

import dataclasses
import datetime
import json
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from werkzeug import Response

ROOT = Path(__file__).resolve().parents[2]
DESCRIPTION = Path(
    os.environ.get("MLML_CYCLOS_OPENAPI")
    or ROOT.parent / "shared" / "cyclos" / "cyclos-openapi-4.16.yaml"
)

#: The operations served: method, path template (under /api).
OPERATIONS = [
    ("GET", "/{owner}/accounts/{accountType}"),
    ("GET", "/{owner}/accounts/{accountType}/history"),
    ("POST", "/{owner}/payments"),
    ("GET", "/{owner}/transactions"),
    ("GET", "/transactions/{key}"),
    ("POST", "/{owner}/payment-requests"),
    ("POST", "/payment-requests/{key}/accept"),
    ("POST", "/payment-requests/{key}/reject"),
    ("POST", "/payment-requests/{key}/cancel"),
    ("GET", "/users"),
]

ME = {"id": "100", "display": "Nettoyage Lillois"}
MY_ACCOUNT = "100-001"


def load_description():
    """Cyclos' description as a dict (CSafeLoader: the file is 3 MB)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with DESCRIPTION.open() as stream:
        return yaml.load(stream, Loader=loader)


def user(user_id, name, account, city="", **custom):
    return {
        "id": user_id,
        "display": name,
        "name": name,
        "accountNumber": account,
        "username": f"user{user_id}",
        "address": {"city": city},
        "customValues": custom,
    }


def account_of(user_result):
    return {
        "id": f"a{user_result['id']}",
        "number": user_result["accountNumber"],
        "kind": "user",
        "type": {"id": "1", "internalName": "mlml"},
        "user": {"id": user_result["id"], "display": user_result["display"]},
    }


MY_USER = user(ME["id"], ME["display"], MY_ACCOUNT, "Lille", numero="M-001")


def _iso(moment):
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds")


@dataclasses.dataclass
class Entry:
    """One transfer of the member's history, or one payment request."""

    id: str
    date: datetime.datetime
    amount: Decimal  # signed, from the member's point of view
    other: dict  # the user of the other party (a UserResult)
    description: str = ""
    kind: str = "payment"
    status: str = "open"  # payment requests only
    expires: datetime.datetime | None = None
    comments: str = ""


class CyclosMock:
    """The Cyclos server of one test: its data, its log and its errors."""

    def __init__(self, description, httpserver):
        self.base = httpserver.url_for("/api")
        # Served here: the description's own server is "http://root/api".
        self.spec = {**description, "servers": [{"url": self.base}]}
        # The description is Cyclos' own, valid: no need to check it again (seconds).
        self.openapi = OpenAPI.from_dict(self.spec, config=Config(spec_validator_cls=None))
        self.server = httpserver
        self.log = []
        self.errors = []
        self.reset()
        httpserver.expect_request(re.compile(r"^/api/.*")).respond_with_handler(self.handle)

    def reset(self, balance="-182.50", credit_limit="1000.00", upper="2000.00"):
        """The scenario data of a new test (the errors found so far are kept)."""
        self.tokens = {"token-ok"}
        self.passwords = {("nettoyage", "secret")}
        self.balance = Decimal(balance)
        self.credit_limit = Decimal(credit_limit)
        self.upper = Decimal(upper)
        self.max_amount = None
        self.users = [
            MY_USER,
            user(
                "200",
                "Imprimerie du Nord",
                "200-002",
                "Roubaix",
                offres="impression|reliure",
                besoins="nettoyage",
                numero="M-002",
            ),
            user(
                "300",
                "Traiteur des Flandres",
                "300-003",
                "Lille",
                offres="traiteur",
                numero="M-003",
            ),
        ]
        self.history = []
        self.requests = {}
        #: Statuses to answer (without acting) to the next requests, in order.
        self.faults = []
        #: Seconds to wait after booking the next payment, before answering.
        self.slow_payment = 0.0
        self._ids = 1000
        # The data of the last days: the backend looks for keys in a recent window.
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.clock = now - datetime.timedelta(hours=3)

    # ------------------------------------------------------------------
    # Scenario data
    # ------------------------------------------------------------------

    def next_id(self):
        self._ids += 1
        return str(self._ids)

    def tick(self, seconds=60):
        self.clock += datetime.timedelta(seconds=seconds)
        return self.clock

    def user(self, user_id):
        return next(u for u in self.users if u["id"] == user_id)

    def transfer(self, other_id, amount, description="", date=None):
        """A transfer of the member's account (negative: the member pays)."""
        entry = Entry(
            self.next_id(),
            date or self.tick(),
            Decimal(amount),
            self.user(other_id),
            description,
        )
        self.history.append(entry)
        self.balance += entry.amount
        return entry

    def request(self, payer_id, payee_id, amount, description="", status="open"):
        """A payment request between the member and another user."""
        other = payee_id if payer_id == ME["id"] else payer_id
        signed = -Decimal(amount) if payer_id == ME["id"] else Decimal(amount)
        entry = Entry(
            self.next_id(),
            self.tick(),
            signed,
            self.user(other),
            description,
            kind="paymentRequest",
            status=status,
            expires=self.clock + datetime.timedelta(days=30),
        )
        self.requests[entry.id] = entry
        return entry

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------

    def handle(self, request):
        path = request.path.removeprefix("/api")
        self.log.append((request.method, path, request.args.to_dict(flat=False), request))
        operation, values = self._route(request.method, path)
        try:
            self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except OpenAPIError as error:
            cause = getattr(error, "__cause__", None)
            self.errors.append(f"{request.method} {request.full_path}: {error} {cause or ''}")
            return Response("invalid request", status=400)
        if operation is None:
            self.errors.append(f"{request.method} {path}: not an operation of the mock")
            return Response("no such operation", status=404)
        declared = self._declared(operation)
        undeclared = set(request.args) - declared
        if undeclared:
            self.errors.append(f"{request.method} {path}: undeclared {sorted(undeclared)}")
        if not self._authenticated(request):
            status, body = 401, {"code": "invalidAccessClient"}
        elif self.faults:
            status, body = self.faults.pop(0), {"exceptionType": "Busy", "kind": "general"}
        else:
            status, body = self._answer(operation, values, request)
        headers = {}
        if isinstance(body, tuple):
            body, headers = body
        response = Response(
            json.dumps(body) if body is not None else "",
            status=status,
            headers=headers,
            content_type="application/json" if body is not None else None,
        )
        spec_responses = self._operation_spec(operation)["responses"]
        if str(status) in spec_responses:
            try:
                self.openapi.validate_response(
                    WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
                )
            except OpenAPIError as error:
                self.errors.append(f"answer to {request.method} {path}: {error}")
        return response

    def _route(self, method, path):
        for op_method, template in OPERATIONS:
            pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
            found = re.match(pattern, path)
            if op_method == method and found:
                return (op_method, template), found.groupdict()
        return None, {}

    def _operation_spec(self, operation):
        method, template = operation
        return self.spec["paths"][template][method.lower()]

    def _declared(self, operation):
        template = operation[1]
        parameters = [
            *self.spec["paths"][template].get("parameters", []),
            *self._operation_spec(operation).get("parameters", []),
        ]
        components = self.spec["components"]["parameters"]
        names = set()
        for parameter in parameters:
            if "$ref" in parameter:
                parameter = components[parameter["$ref"].split("/")[-1]]
            if parameter["in"] == "query":
                names.add(parameter["name"])
        return names

    def _authenticated(self, request):
        if request.headers.get("Access-Client-Token") in self.tokens:
            return True
        auth = request.authorization
        return bool(auth and (auth.username, auth.password) in self.passwords)

    # ------------------------------------------------------------------
    # The operations
    # ------------------------------------------------------------------

    def _answer(self, operation, values, request):
        template = operation[1]
        args = request.args
        if template == "/{owner}/accounts/{accountType}":
            return 200, self._account()
        if template == "/{owner}/accounts/{accountType}/history":
            return self._page(self._history(args), args, self._history_json)
        if template == "/{owner}/transactions":
            entries = [e for e in self.requests.values() if args.get("kinds") == "paymentRequest"]
            return self._page(self._filter(entries, args), args, self._request_result)
        if template == "/transactions/{key}":
            entry = self.requests.get(values["key"])
            if entry is None:
                return 404, {"entityType": "transaction", "key": values["key"]}
            return 200, self._request_view(entry)
        if template == "/{owner}/payments":
            return self._pay(request.get_json())
        if template == "/{owner}/payment-requests":
            body = request.get_json()
            entry = self.request(body["subject"], ME["id"], body["amount"], body["description"])
            return 201, self._transaction(entry)
        if template.startswith("/payment-requests/"):
            return self._act(template.rsplit("/", 1)[1], values["key"], request)
        if template == "/users":
            return self._page(self._users(args), args, lambda u: u)
        raise AssertionError(operation)

    def _account(self):
        return {
            "id": "a100",
            "number": MY_ACCOUNT,
            "type": {"id": "1", "internalName": "mlml", "name": "Compte MLML"},
            "user": ME,
            "kind": "user",
            "currency": {"id": "1", "internalName": "mlml", "symbol": "MLML", "decimalDigits": 2},
            "status": {
                "balance": f"{self.balance:.2f}",
                "creditLimit": f"{self.credit_limit:.2f}",
                "upperCreditLimit": f"{self.upper:.2f}",
                "reservedAmount": "0.00",
                "availableBalance": f"{self.balance + self.credit_limit:.2f}",
            },
        }

    def _filter(self, entries, args, id_prefix=""):
        period = args.getlist("datePeriod")
        if period and period[0]:
            since = datetime.datetime.fromisoformat(period[0].split(",")[0].replace("Z", "+00:00"))
            entries = [e for e in entries if e.date >= since]
        excluded = set(args.getlist("excludedIds"))
        entries = [e for e in entries if id_prefix + e.id not in excluded]
        direction = args.get("direction")
        if direction == "debit":
            entries = [e for e in entries if e.amount < 0]
        elif direction == "credit":
            entries = [e for e in entries if e.amount > 0]
        descending = args.get("orderBy") == "dateDesc"
        return sorted(entries, key=lambda e: (e.date, int(e.id)), reverse=descending)

    def _history(self, args):
        entries = self._filter(self.history, args, id_prefix="9")
        if args.get("description"):
            entries = [e for e in entries if args["description"] in e.description]
        return entries

    def _users(self, args):
        users = [u for u in self.users if u["id"] != ME["id"]]
        if args.get("keywords"):
            users = [u for u in users if args["keywords"].lower() in u["name"].lower()]
        if args.getlist("usersToInclude"):
            users = [u for u in self.users if u["id"] in args.getlist("usersToInclude")]
        for condition in args.getlist("profileFields"):
            field, _sep, value = condition.partition(":")
            users = [u for u in users if (u.get(field) or u["customValues"].get(field)) == value]
        return users

    @staticmethod
    def _page(items, args, render):
        page, size = int(args.get("page", 0)), int(args.get("pageSize", 40))
        chosen = items[page * size : (page + 1) * size]
        more = len(items) > (page + 1) * size
        headers = {
            "X-Has-Next-Page": "true" if more else "false",
            "X-Page-Size": str(size),
            "X-Current-Page": str(page),
        }
        return 200, ([render(item) for item in chosen], headers)

    def _history_json(self, entry):
        # As in Cyclos, the history lists transfers, whose ids are not their
        # transaction's (the id a payment is answered with).
        return {
            "id": f"9{entry.id}",
            "transaction": {"id": entry.id, "transactionNumber": f"T{entry.id}", "kind": "payment"},
            "transactionNumber": f"T{entry.id}",
            "date": _iso(entry.date),
            "amount": f"{entry.amount:.2f}",
            "type": {"id": "7", "internalName": "mlml.paiement"},
            "description": entry.description,
            "relatedAccount": account_of(entry.other),
            "relatedName": entry.other["display"],
        }

    def _request_result(self, entry):
        return {
            "id": entry.id,
            "transactionNumber": f"T{entry.id}",
            "date": _iso(entry.date),
            "amount": f"{entry.amount:.2f}",
            "description": entry.description,
            "kind": "paymentRequest",
            "paymentRequestStatus": entry.status,
            "expirationDate": _iso(entry.expires),
            "related": account_of(entry.other),
            "relatedName": entry.other["display"],
        }

    def _parties(self, entry):
        mine, theirs = account_of(MY_USER), account_of(entry.other)
        return (mine, theirs) if entry.amount < 0 else (theirs, mine)

    def _request_view(self, entry):
        payer, payee = self._parties(entry)
        return {
            "id": entry.id,
            "transactionNumber": f"T{entry.id}",
            "date": _iso(entry.date),
            "amount": f"{abs(entry.amount):.2f}",
            "from": payer,
            "to": payee,
            "description": entry.description,
            "kind": "paymentRequest",
            "paymentRequestStatus": entry.status,
            "expirationDate": _iso(entry.expires),
            "comments": entry.comments,
        }

    def _transaction(self, entry):
        payer, payee = self._parties(entry)
        return {
            "id": entry.id,
            "transactionNumber": f"T{entry.id}",
            "date": _iso(entry.date),
            "amount": f"{abs(entry.amount):.2f}",
            "from": payer,
            "to": payee,
            "description": entry.description,
            "kind": entry.kind,
        }

    def _pay(self, body):
        amount = Decimal(body["amount"])
        payee = next((u for u in self.users if u["id"] == body.get("subject")), None)
        if payee is None:
            return 404, {"entityType": "user", "key": body.get("subject")}
        if self.max_amount is not None and amount > self.max_amount:
            return 500, {
                "exceptionType": "MaxAmountExceededException",
                "kind": "payment",
                "code": "paymentAmountExceeded",
                "maxAmount": f"{self.max_amount:.2f}",
            }
        if self.balance - amount < -self.credit_limit:
            return 500, {
                "exceptionType": "InsufficientBalanceException",
                "exceptionMessage": "Insufficient balance",
                "kind": "payment",
                "code": "insufficientBalance",
            }
        entry = self.transfer(payee["id"], -amount, body.get("description", ""))
        if self.slow_payment:
            delay, self.slow_payment = self.slow_payment, 0.0
            time.sleep(delay)
        return 201, self._transaction(entry)

    def _act(self, action, key, request):
        entry = self.requests.get(key)
        if entry is None:
            return 404, {"entityType": "paymentRequest", "key": key}
        asked = entry.amount < 0
        allowed = {"accept": asked, "reject": asked, "cancel": not asked}[action]
        if not allowed or entry.status != "open":
            return 403, {"code": "illegalAction"}
        if action == "accept":
            entry.status = "processed"
            paid = self.transfer(entry.other["id"], entry.amount, entry.description)
            return 201, self._transaction(paid)
        entry.status = "denied" if action == "reject" else "canceled"
        entry.comments = request.get_data(as_text=True)
        return 204, None
