"""The clearing house's HTTP API, version 1: routes only.

Each route reads the request (key, language, Idempotency-Key, body) and calls
the ``mlml.api`` model; refusals become RFC 9457 problems. The routes are
those of ``mlml_barter/api_spec.py``, which also writes ``openapi.json``.
"""

import json
import re

import psycopg2.extensions

from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from ..mlml_barter import api_spec, wire
from ..mlml_barter.amounts import RuleError
from ..models.clearing_house.mlml_transfer import MlmlRefusal

#: The bodies werkzeug parses itself, before the route is called.
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _max_content_length(_controller):
    """A form body, parsed before the route, is refused past the API's limit
    (werkzeug's own 413); any other body is read by the route, which refuses it
    with a problem (``MlmlApiController._body``)."""
    if request.httprequest.mimetype in _FORMS:
        return wire.MAX_BODY_BYTES
    return http.DEFAULT_MAX_CONTENT_LENGTH


ROUTE = {
    "type": "http",
    "auth": "none",
    "csrf": False,
    "save_session": False,
    "readonly": False,
    "max_content_length": _max_content_length,
}
#: An API key as it may come: printable ASCII (a NUL would reach the database).
_TOKEN = re.compile(r"[\x21-\x7e]{1,1024}")


def _route(operation_id):
    operation = api_spec.operation(operation_id)
    return http.route(api_spec.odoo_route(operation_id), methods=[operation["method"]], **ROUTE)


class MlmlApiController(http.Controller):
    def _lang(self):
        wanted = request.httprequest.accept_languages.best_match(["fr", "en"], default="en")
        installed = dict(request.env["res.lang"].sudo().get_installed())
        if wanted == "fr":
            return next((code for code in installed if code.startswith("fr")), "en_US")
        return "en_US"

    def _problem_response(self, Api, refusal):
        problem = Api._problem(refusal)
        headers = [("Content-Type", "application/problem+json; charset=utf-8")]
        if refusal.status == 401:
            headers.append(("WWW-Authenticate", 'Bearer realm="mlml"'))
        return request.make_response(
            json.dumps(problem, ensure_ascii=False), headers=headers, status=refusal.status
        )

    def _serve(self, handler, *, key=False, body=False, book=False):
        """Authenticate, read the request, run ``handler(api, company, member, **read)``
        in a savepoint and answer its (status, data), or the problem of a refusal.

        With ``book``, the handler writes to the ledger in READ COMMITTED: in
        the request's own transaction when nothing was read in it yet, else in
        a transaction of its own (see ``_booking``), committed before the answer
        is sent."""
        own = book and self._read_committed()
        request.update_env(user=SUPERUSER_ID)
        request.update_env(context=dict(request.env.context, lang=self._lang()))
        Api = request.env["mlml.api"].sudo()
        try:
            with request.env.cr.savepoint():
                token = self._bearer()
                user, company, member, tz = Api._authenticate(token)
                if not user:
                    raise MlmlRefusal(
                        request.env._(
                            "No API key, or a key that is not valid (revoked, expired or "
                            "not made for this API): send “Authorization: Bearer <key>” with "
                            "the key the clearing house gave your company."
                        ),
                        "unauthorized",
                        401,
                    )
                # The user's time zone (its dates) and company, without reading the user.
                request.update_env(
                    user=user.id,
                    context=dict(request.env.context, tz=tz, allowed_company_ids=company.ids),
                )
                Api = request.env["mlml.api"].sudo()
                Api._caller(company, member)
                read = {}
                if key:
                    read["key"] = wire.check_idempotency_key(
                        request.httprequest.headers.get("Idempotency-Key")
                    )
                if body:
                    read["body"] = self._body()
                if book and not own:
                    with self._booking() as cr:
                        booking = Api.with_env(Api.env(cr=cr))
                        status, data = handler(
                            booking,
                            company.with_env(booking.env),
                            member.with_env(booking.env),
                            **read,
                        )
                else:
                    status, data = handler(Api, company, member, **read)
        except (MlmlRefusal, RuleError, UserError, ValidationError, AccessError) as error:
            return self._problem_response(Api, Api._as_refusal(error))
        return request.make_json_response(data, status=status)

    def _read_committed(self):
        """Put the request's transaction in READ COMMITTED if it has not begun
        (Odoo reads nothing before an ``auth="none"`` route in the usual case);
        say whether it did."""
        cr = request.env.cr
        if request.env.registry.in_test_mode() or (
            cr._cnx.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE
        ):
            return False
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return True

    def _booking(self):
        """A cursor of its own, in READ COMMITTED, for a request that books.

        Every booking takes the same ledger counter row (the gapless numbers)
        and the payer's and payee's account rows. In Odoo's REPEATABLE READ, a
        transaction that waited for one of those rows while another booked
        fails on a serialization error and the whole request is retried; in
        READ COMMITTED it waits for the row and reads it as committed, so
        concurrent bookings queue up instead of failing. The request's own
        transaction has only read by then (the caller's key and member); the
        booking is committed when the handler returns, rolled back on refusal.
        """
        cr = request.env.registry.cursor()
        if not request.env.registry.in_test_mode():
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        return cr

    def _body(self):
        """The request's JSON body (``wire.read_body``), never read past
        ``wire.MAX_BODY_BYTES``: a larger body is refused on its Content-Length
        before a byte of it is read, or as soon as it passes the limit when it
        comes in chunks without one."""
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None and length > wire.MAX_BODY_BYTES:
            raise RuleError("body_too_large", maximum=wire.MAX_BODY_BYTES)
        # Odoo's request shows werkzeug's ``get_data`` (all of it) but not its
        # stream; its own websocket reaches the wrapped request the same way.
        stream = getattr(httprequest, "_HTTPRequest__wrapped", httprequest).stream
        chunks, size = [], 0
        while size <= wire.MAX_BODY_BYTES:
            chunk = stream.read(wire.MAX_BODY_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return wire.read_body(b"".join(chunks))

    def _bearer(self):
        header = request.httprequest.headers.get("Authorization") or ""
        scheme, _space, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        return token if _TOKEN.fullmatch(token) else ""

    def _arg(self, name):
        return request.httprequest.args.get(name)

    def _text_arg(self, name):
        """A text parameter of the query, refused as a text field of a body is."""
        return wire.query_text(self._arg(name), name, api_spec.MAX_PARAMETER[name])

    @http.route(f"{api_spec.BASE_PATH}/openapi.json", methods=["GET"], **ROUTE)
    def openapi(self, **_kwargs):
        return request.make_json_response(api_spec.openapi_document(request.httprequest.host_url))

    @_route("getAccount")
    def get_account(self, **_kwargs):
        return self._serve(lambda api, company, member: (200, api._account_json(company, member)))

    @_route("listMembers")
    def list_members(self, **_kwargs):
        return self._serve(
            lambda api, company, member: (
                200,
                api._members_json(
                    company, self._text_arg("q"), self._text_arg("offer"), self._text_arg("need")
                ),
            )
        )

    @_route("createTransfer")
    def create_transfer(self, **_kwargs):
        def handler(api, company, member, key, body):
            data, created = api._create_transfer(company, member, body, key)
            return (201 if created else 200), data

        return self._serve(handler, key=True, body=True, book=True)

    @_route("listTransfers")
    def list_transfers(self, **_kwargs):
        return self._serve(
            lambda api, company, member: (
                200,
                api._list_transfers(company, member, self._arg("after"), self._arg("limit")),
            )
        )

    @_route("createPaymentRequest")
    def create_payment_request(self, **_kwargs):
        def handler(api, company, member, body):
            key = request.httprequest.headers.get("Idempotency-Key")
            key = wire.check_idempotency_key(key) if key is not None else None
            data, created = api._create_request(company, member, body, key)
            return (201 if created else 200), data

        return self._serve(handler, body=True, book=True)

    @_route("listPaymentRequests")
    def list_payment_requests(self, **_kwargs):
        return self._serve(
            lambda api, company, member: (
                200,
                api._list_requests(company, member, self._arg("after"), self._arg("limit")),
            )
        )

    @_route("acceptPaymentRequest")
    def accept_payment_request(self, request_id, **_kwargs):
        return self._serve(
            lambda api, company, member, key: (
                200,
                api._accept_request(company, member, request_id, key),
            ),
            key=True,
            book=True,
        )

    @_route("refusePaymentRequest")
    def refuse_payment_request(self, request_id, **_kwargs):
        return self._serve(
            lambda api, company, member, body: (
                200,
                api._refuse_request(company, member, request_id, body),
            ),
            body=True,
            book=True,
        )

    @_route("cancelPaymentRequest")
    def cancel_payment_request(self, request_id, **_kwargs):
        return self._serve(
            lambda api, company, member: (200, api._cancel_request(company, member, request_id)),
            book=True,
        )

    @_route("declareObligation")
    def declare_obligation(self, **_kwargs):
        def handler(api, company, member, body):
            key = request.httprequest.headers.get("Idempotency-Key")
            key = wire.check_idempotency_key(key) if key is not None else None
            data, created = api._declare_obligation(company, member, body, key)
            return (201 if created else 200), data

        return self._serve(handler, body=True, book=True)

    @_route("declareObligations")
    def declare_obligations(self, **_kwargs):
        return self._serve(
            lambda api, company, member, body: (
                200,
                api._declare_obligations(company, member, body),
            ),
            body=True,
            book=True,
        )

    @_route("listObligations")
    def list_obligations(self, **_kwargs):
        return self._serve(
            lambda api, company, member: (
                200,
                api._list_obligations(company, member, self._arg("after"), self._arg("limit")),
            )
        )

    @_route("listCompensations")
    def list_compensations(self, **_kwargs):
        return self._serve(
            lambda api, company, member: (
                200,
                api._list_compensations(company, member, self._arg("after"), self._arg("limit")),
            )
        )
