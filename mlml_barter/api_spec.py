"""The clearing house's HTTP API, version 1, described once.

``OPERATIONS`` lists every operation (method, path, parameters, body,
answers); the Odoo controllers take their routes from it (``odoo_route``)
and ``openapi_document`` writes the OpenAPI 3 description clients are
generated from. Problem codes are listed in ``PROBLEMS`` with their status.
"""

import re

from .wire import (
    AMOUNT_PATTERN,
    CURSOR_PATTERN,
    FILLED_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_BODY_BYTES,
    PART_PATTERN,
    TEXT_PATTERN,
)

BASE_PATH = "/mlml/api/v1"
VERSION = "1.0.0"

#: Every problem the API answers with: code -> HTTP status.
PROBLEMS = {
    "body_not_json": 400,
    "body_not_object": 400,
    "body_duplicate_key": 400,
    "field_missing": 400,
    "field_wrong_type": 400,
    "field_too_long": 400,
    "field_invalid_character": 400,
    "field_not_unicode": 400,
    "date_invalid": 400,
    "amount_not_a_string": 400,
    "amount_not_positive": 400,
    "amount_too_precise": 400,
    "amount_not_a_number": 400,
    "amount_too_large": 400,
    "idempotency_key_missing": 400,
    "idempotency_key_invalid": 400,
    "cursor_invalid": 400,
    "limit_invalid": 400,
    "parameter_invalid": 400,
    "transfer_to_oneself": 400,
    "reason_missing": 400,
    "currency_not_accepted": 400,
    "obligation_to_oneself": 400,
    "mlml_open_above_amount": 400,
    "batch_invalid": 400,
    "unauthorized": 401,
    "not_a_member": 403,
    "payer_not_active": 403,
    "payee_not_active": 403,
    "not_allowed": 403,
    "not_a_party": 403,
    "member_not_in_network": 403,
    "member_unknown": 404,
    "request_unknown": 404,
    "idempotency_conflict": 409,
    "request_not_open": 409,
    "obligation_cleared": 409,
    "body_too_large": 413,
    "batch_too_large": 400,
    "payer_below_credit_limit": 422,
    # The payee's figures are its own: the payer is told it cannot receive, not why.
    "payee_cannot_receive": 422,
}

PROBLEM_TYPE = "urn:mlml:problem:"

#: The most declarations one ``POST obligations/batch`` carries.
MAX_BATCH = 1000

#: Text fields of a request body and their longest length, in characters.
MAX_TEXT = {
    "member_number": 64,
    "reference": 200,
    "memo": 1000,
    "reason": 1000,
    "invoice": 64,
    "currency": 3,
}
#: Text parameters of a query string and their longest length, in characters.
MAX_PARAMETER = {"q": 100, "offer": 100, "need": 100}

_AMOUNT_IN = {
    "type": "string",
    "pattern": AMOUNT_PATTERN,
    "description": "A positive amount up to 1000000000.00, a decimal string with at most "
    "two decimals.",
    "example": "123.45",
}
_AMOUNT_OUT = {
    "type": "string",
    "pattern": r"^-?[0-9]+\.[0-9]{2}$",
    "description": "An amount in the barter currency, a decimal string with two decimals.",
    "example": "-250.00",
}
_NULLABLE_AMOUNT = {**_AMOUNT_OUT, "nullable": True}
#: Text a client sends: no control character but tab and newline (and Unicode:
#: a lone surrogate, written "\ud800" in JSON, is refused too).
_TEXT = {"type": "string", "pattern": TEXT_PATTERN}
#: Text that must say something: not blank either.
_FILLED = {"type": "string", "pattern": FILLED_PATTERN}
#: A member's number, as a client names one.
_MEMBER_NUMBER = {**_FILLED, "maxLength": MAX_TEXT["member_number"]}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "Amount": _AMOUNT_OUT,
    "AmountIn": _AMOUNT_IN,
    "Account": {
        "type": "object",
        "required": [
            "member_number",
            "name",
            "state",
            "currency",
            "balance",
            "credit_limit",
            "balance_ceiling",
            "available",
            "room",
        ],
        "properties": {
            "member_number": {"type": "string"},
            "name": {"type": "string"},
            "state": {
                "type": "string",
                "enum": ["none", "candidate", "active", "suspended", "resigned"],
            },
            "currency": {"type": "string", "example": "MLM"},
            "balance": _ref("Amount"),
            "credit_limit": _ref("Amount"),
            "balance_ceiling": {
                **_NULLABLE_AMOUNT,
                "description": "How far above zero the balance may go; null: no ceiling.",
            },
            "available": {**_AMOUNT_OUT, "description": "What the member may still pay."},
            "room": {
                **_NULLABLE_AMOUNT,
                "description": "What the member may still receive; null: no ceiling.",
            },
        },
    },
    "Member": {
        "type": "object",
        "required": ["member_number", "name", "city", "offers", "needs"],
        "properties": {
            "member_number": {"type": "string"},
            "name": {"type": "string"},
            "city": {"type": "string"},
            "offers": {"type": "array", "items": {"type": "string"}},
            "needs": {"type": "array", "items": {"type": "string"}},
        },
    },
    "MemberList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("Member")}},
    },
    "TransferIn": {
        "type": "object",
        "required": ["payee", "amount"],
        "properties": {
            "payee": {**_MEMBER_NUMBER, "description": "The payee's member number."},
            "amount": _ref("AmountIn"),
            "reference": {**_TEXT, "maxLength": MAX_TEXT["reference"], "nullable": True},
            "memo": {**_TEXT, "maxLength": MAX_TEXT["memo"], "nullable": True},
        },
    },
    "Transfer": {
        "type": "object",
        "required": [
            "id",
            "number",
            "payer",
            "payee",
            "amount",
            "reference",
            "memo",
            "date",
            "created_at",
            "direction",
            "channel",
            "state",
            "reversal_of",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "description": "The number in the ledger."},
            "payer": {"type": "string", "description": "The payer's member number."},
            "payee": {"type": "string", "description": "The payee's member number."},
            "amount": _ref("Amount"),
            "reference": {"type": "string"},
            "memo": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "created_at": {"type": "string", "format": "date-time"},
            "direction": {
                "type": "string",
                "enum": ["in", "out"],
                "description": "out: the caller paid; in: the caller was paid.",
            },
            "channel": {
                "type": "string",
                "enum": ["api", "back_office", "compensation", "reversal", "commission"],
            },
            "state": {"type": "string", "enum": ["posted", "reversed"]},
            "reversal_of": {
                "type": "string",
                "nullable": True,
                "description": "The number of the transfer this one reverses.",
            },
            "reversal_reason": {
                "type": "string",
                "nullable": True,
                "description": "Why the clearing house reversed the transfer ``reversal_of`` "
                "(reversals only).",
            },
            "idempotency_key": {
                "type": "string",
                "nullable": True,
                "description": "The Idempotency-Key the caller made it with (its own "
                "transfers only): how a client recognises what it sent.",
            },
        },
    },
    "TransferPage": {
        "type": "object",
        "required": ["items", "next", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("Transfer")},
            "next": {
                "type": "string",
                "description": "The cursor to pass as `after` to read on (also when the "
                "page is empty: ask again later with it).",
            },
            "has_more": {"type": "boolean"},
        },
    },
    "PaymentRequestIn": {
        "type": "object",
        "required": ["payer", "amount"],
        "properties": {
            "payer": {**_MEMBER_NUMBER, "description": "The buyer's member number."},
            "amount": _ref("AmountIn"),
            "reference": {**_TEXT, "maxLength": MAX_TEXT["reference"], "nullable": True},
            "due_date": {"type": "string", "format": "date", "nullable": True},
        },
    },
    "Refusal": {
        "type": "object",
        "required": ["reason"],
        "properties": {"reason": {**_FILLED, "maxLength": MAX_TEXT["reason"]}},
    },
    "PaymentRequest": {
        "type": "object",
        "required": [
            "id",
            "payer",
            "payee",
            "amount",
            "reference",
            "due_date",
            "state",
            "role",
            "refusal_reason",
            "transfer",
            "created_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "payer": {"type": "string"},
            "payee": {"type": "string"},
            "amount": _ref("Amount"),
            "reference": {"type": "string"},
            "due_date": {"type": "string", "format": "date", "nullable": True},
            "state": {"type": "string", "enum": ["open", "accepted", "refused", "cancelled"]},
            "role": {
                "type": "string",
                "enum": ["payer", "payee"],
                "description": "payer: the caller is asked to pay; payee: the caller asks.",
            },
            "refusal_reason": {"type": "string", "nullable": True},
            # A sibling of $ref is ignored in OpenAPI 3.0: nullable goes around it.
            "transfer": {"nullable": True, "allOf": [_ref("Transfer")]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "PaymentRequestPage": {
        "type": "object",
        "required": ["items", "next", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("PaymentRequest")},
            "next": {"type": "string"},
            "has_more": {"type": "boolean"},
        },
    },
    "ObligationIn": {
        "type": "object",
        "required": ["invoice", "creditor", "debtor", "amount", "due_date"],
        "properties": {
            "invoice": {
                **_FILLED,
                "maxLength": MAX_TEXT["invoice"],
                "description": "The invoice's number, as the creditor issued it.",
            },
            "creditor": {**_MEMBER_NUMBER, "description": "The creditor's member number."},
            "debtor": {**_MEMBER_NUMBER, "description": "The debtor's member number."},
            "amount": {
                **_AMOUNT_IN,
                "description": "What is still open on the invoice, in euros (the clearing "
                "house's currency): a positive decimal string with at most two decimals.",
            },
            "currency": {
                **_TEXT,
                "maxLength": MAX_TEXT["currency"],
                "nullable": True,
                "description": "The clearing house's currency (EUR); other currencies are refused.",
            },
            "due_date": {"type": "string", "format": "date"},
            "mlml_open": {
                "type": "string",
                "pattern": PART_PATTERN,
                "nullable": True,
                "example": "400.00",
                "description": "The creditor's: what it still accepts in MLML on the invoice, "
                "its MLML part (its acceptance rate's share, as on the invoice) less what it "
                "already received in MLML on it; at most the amount, 0.00 when it accepts no "
                "MLML. A compensation run with liquidity pays the creditor no more MLML on this "
                "invoice (a creditor accepting 0 % receives no MLML from a run). Absent or "
                "null: not declared, the whole amount open may be paid in MLML, within the "
                "creditor's ceiling. Each declaration of the creditor sets it (the debtor need "
                "not declare it again); a debtor's is not read.",
            },
        },
    },
    "Obligation": {
        "type": "object",
        "required": [
            "id",
            "invoice",
            "creditor",
            "debtor",
            "amount",
            "amount_cleared",
            "amount_open",
            "currency",
            "due_date",
            "state",
            "role",
            "declared_by_creditor",
            "confirmed_by_debtor",
        ],
        "properties": {
            "id": {"type": "integer"},
            "invoice": {"type": "string"},
            "creditor": {"type": "string"},
            "debtor": {"type": "string"},
            "amount": {**_AMOUNT_OUT, "description": "The invoice's amount declared."},
            "amount_cleared": {**_AMOUNT_OUT, "description": "What compensations cleared."},
            "amount_open": {**_AMOUNT_OUT, "description": "What is still open on it."},
            "currency": {"type": "string", "example": "EUR"},
            "due_date": {"type": "string", "format": "date"},
            "mlml_open": {
                **_AMOUNT_OUT,
                "nullable": True,
                "description": "What the creditor still accepts in MLML on it, as it declared "
                "it, less what runs paid it in MLML since; null: not declared.",
            },
            "state": {
                "type": "string",
                "enum": ["declared", "confirmed", "partly_cleared", "cleared", "withdrawn"],
                "description": "declared: one side only, not counted until the other side "
                "declares the same figures; confirmed: both sides, counted in the next run.",
            },
            "role": {"type": "string", "enum": ["creditor", "debtor"]},
            "declared_by_creditor": {"type": "boolean"},
            "confirmed_by_debtor": {"type": "boolean"},
            "withdrawal_reason": {"type": "string", "nullable": True},
        },
    },
    "ObligationBatchIn": {
        "type": "object",
        "required": ["declarations"],
        "properties": {
            "declarations": {
                "type": "array",
                "maxItems": MAX_BATCH,
                "description": f"At most {MAX_BATCH} declarations (else 400 batch_too_large), "
                "each an ObligationBatchItem: an ObligationIn with, optionally, its own "
                "idempotency_key. Each is read on its own: one that is not valid is answered "
                "with its problem in its result, and the others are declared.",
                # Any JSON value: a declaration is refused in its own result, not the batch.
                "items": {},
            },
        },
    },
    "ObligationBatchItem": {
        "allOf": [
            _ref("ObligationIn"),
            {
                "type": "object",
                "properties": {
                    "idempotency_key": {
                        "type": "string",
                        "pattern": IDEMPOTENCY_KEY_PATTERN,
                        "nullable": True,
                        "description": "Optional: this declaration's Idempotency-Key, with the "
                        "rules of the header of POST obligations.",
                    },
                },
            },
        ],
    },
    "ObligationBatchResult": {
        "type": "object",
        "required": ["status", "body"],
        "properties": {
            "status": {
                "type": "integer",
                "description": "What POST obligations would have answered for this "
                "declaration: 201, 200, or a problem's status.",
            },
            "body": {"oneOf": [_ref("Obligation"), _ref("Problem")]},
        },
    },
    "ObligationBatch": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "results": {
                "type": "array",
                "description": "One result per declaration, in the order sent.",
                "items": _ref("ObligationBatchResult"),
            },
        },
    },
    "ObligationPage": {
        "type": "object",
        "required": ["items", "next", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("Obligation")},
            "next": {"type": "string"},
            "has_more": {"type": "boolean"},
        },
    },
    "CompensatedInvoice": {
        "type": "object",
        "required": ["invoice", "creditor", "debtor", "role", "amount", "amount_cleared"],
        "properties": {
            "obligation": {"type": "integer"},
            "invoice": {"type": "string"},
            "creditor": {"type": "string"},
            "debtor": {"type": "string"},
            "role": {"type": "string", "enum": ["creditor", "debtor"]},
            "amount": {**_AMOUNT_OUT, "description": "What was open on it in the run."},
            "amount_cleared": {**_AMOUNT_OUT, "description": "What the run set off."},
            "amount_mlml": {
                **_AMOUNT_OUT,
                "description": "Of what the run cleared on it, what the caller's MLML account "
                "received (its invoice: within the MLML part it declared still accepted) or "
                "paid (its bill) in a run with liquidity; the rest was set off. 0.00 without "
                "liquidity.",
            },
        },
    },
    "Compensation": {
        "type": "object",
        "required": [
            "id",
            "number",
            "cutoff_date",
            "confirmed_at",
            "with_liquidity",
            "currency",
            "amount_cleared",
            "mlml_amount",
            "invoices",
            "transfers",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "cutoff_date": {"type": "string", "format": "date"},
            "confirmed_at": {"type": "string", "format": "date-time"},
            "with_liquidity": {"type": "boolean"},
            "currency": {"type": "string", "example": "EUR"},
            "amount_cleared": {
                **_AMOUNT_OUT,
                "description": "The sum cleared on the caller's invoices and bills.",
            },
            "mlml_amount": {
                **_AMOUNT_OUT,
                "description": "The caller's MLML movement of the liquidity part: positive, "
                "it received; negative, it paid.",
            },
            "invoices": {"type": "array", "items": _ref("CompensatedInvoice")},
            "transfers": {
                "type": "array",
                "items": _ref("Transfer"),
                "description": "The caller's MLML transfers of the liquidity part.",
            },
        },
    },
    "CompensationPage": {
        "type": "object",
        "required": ["items", "next", "has_more"],
        "properties": {
            "items": {"type": "array", "items": _ref("Compensation")},
            "next": {"type": "string"},
            "has_more": {"type": "boolean"},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details, with the figures a program needs: "
        "the caller's own figures only, never another member's (payee_cannot_receive "
        "says that the payee cannot receive the amount, not its balance nor its ceiling).",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string", "enum": sorted(PROBLEMS)},
            "field": {
                "type": "string",
                "description": "The field, parameter or header at fault, for a malformed request.",
            },
            "balance": {**_AMOUNT_OUT, "description": "The caller's own balance."},
            "amount": _ref("Amount"),
            "commission": _ref("Amount"),
            "credit_limit": {**_AMOUNT_OUT, "description": "The caller's own credit line."},
            "missing": {**_AMOUNT_OUT, "description": "What the caller's room lacks."},
        },
    },
}

_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Names this request: sent again with the same body, it answers the "
    "same result and makes nothing twice; with another body, 409.",
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
}
_OPTIONAL_IDEMPOTENCY_KEY = {
    **_IDEMPOTENCY_KEY,
    "required": False,
    "description": "Optional. Names this request: sent again with the same body, it "
    "answers the same request (200) and asks nothing twice; with another body, 409.",
}
_AFTER = {
    "name": "after",
    "in": "query",
    "required": False,
    "description": "The cursor `next` of the previous page; none: from the start.",
    "schema": {"type": "string", "pattern": CURSOR_PATTERN},
}
_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
}
_REQUEST_ID = {
    "name": "request_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
}


def _text_parameter(name, description):
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {**_TEXT, "maxLength": MAX_PARAMETER[name]},
    }


#: The operations: (operation id, method, path, summary, parameters, body schema,
#: success status, success schema, problem statuses).
OPERATIONS = [
    {
        "id": "getAccount",
        "method": "GET",
        "path": "/account",
        "summary": "The caller's account: balance, bounds and what it may still pay and receive.",
        "parameters": [],
        "body": None,
        "status": 200,
        "schema": "Account",
        "problems": [401, 403],
    },
    {
        "id": "listMembers",
        "method": "GET",
        "path": "/members",
        "summary": "The directory of active members.",
        "parameters": [
            _text_parameter("q", "A name, or a member number exactly."),
            _text_parameter("offer", "An activity the member offers."),
            _text_parameter("need", "An activity the member needs."),
        ],
        "body": None,
        "status": 200,
        "schema": "MemberList",
        "problems": [400, 401, 403],
    },
    {
        "id": "createTransfer",
        "method": "POST",
        "path": "/transfers",
        "summary": "Pay another member. 201: made; 200: made before with the same key.",
        "parameters": [_IDEMPOTENCY_KEY],
        "body": "TransferIn",
        "status": 201,
        "replay_status": 200,
        "schema": "Transfer",
        "problems": [400, 401, 403, 404, 409, 413, 422],
    },
    {
        "id": "listTransfers",
        "method": "GET",
        "path": "/transfers",
        "summary": "The caller's transfers, in and out, in ledger order.",
        "parameters": [_AFTER, _LIMIT],
        "body": None,
        "status": 200,
        "schema": "TransferPage",
        "problems": [400, 401, 403],
    },
    {
        "id": "createPaymentRequest",
        "method": "POST",
        "path": "/payment-requests",
        "summary": "Ask another member (the payer) to pay the caller. 201: asked; 200: "
        "asked before with the same key.",
        "parameters": [_OPTIONAL_IDEMPOTENCY_KEY],
        "body": "PaymentRequestIn",
        "status": 201,
        "replay_status": 200,
        "schema": "PaymentRequest",
        "problems": [400, 401, 403, 404, 409, 413],
    },
    {
        "id": "listPaymentRequests",
        "method": "GET",
        "path": "/payment-requests",
        "summary": "The payment requests the caller made or received, in the order they "
        "last changed: a request comes again, in its new state, once it is accepted, refused "
        "or cancelled.",
        "parameters": [_AFTER, _LIMIT],
        "body": None,
        "status": 200,
        "schema": "PaymentRequestPage",
        "problems": [400, 401, 403],
    },
    {
        "id": "acceptPaymentRequest",
        "method": "POST",
        "path": "/payment-requests/{request_id}/accept",
        "summary": "The payer accepts: the transfer is made. Accepting again pays nothing more.",
        "parameters": [_REQUEST_ID, _IDEMPOTENCY_KEY],
        "body": None,
        "status": 200,
        "schema": "PaymentRequest",
        "problems": [400, 401, 403, 404, 409, 422],
    },
    {
        "id": "refusePaymentRequest",
        "method": "POST",
        "path": "/payment-requests/{request_id}/refuse",
        "summary": "The payer refuses, with a reason.",
        "parameters": [_REQUEST_ID],
        "body": "Refusal",
        "status": 200,
        "schema": "PaymentRequest",
        "problems": [400, 401, 403, 404, 409, 413],
    },
    {
        "id": "cancelPaymentRequest",
        "method": "POST",
        "path": "/payment-requests/{request_id}/cancel",
        "summary": "The payee cancels an open request.",
        "parameters": [_REQUEST_ID],
        "body": None,
        "status": 200,
        "schema": "PaymentRequest",
        "problems": [401, 403, 404, 409],
    },
    {
        "id": "declareObligation",
        "method": "POST",
        "path": "/obligations",
        "summary": "Declare an open invoice for the compensation: the creditor its invoice, "
        "the debtor its bill. It counts once both sides declared the same figures; other "
        "figures replace the old ones and need the other side again. An invoice number is its "
        "creditor's: an obligation is one debtor's claim on it, so another member's declaration "
        "never blocks yours; a claim the creditor did not declare counts in no run. 201: a new "
        "obligation; 200: an obligation known before (confirmed, updated, or the same "
        "declaration again).",
        "parameters": [_OPTIONAL_IDEMPOTENCY_KEY],
        "body": "ObligationIn",
        "status": 201,
        "replay_status": 200,
        "schema": "Obligation",
        "problems": [400, 401, 403, 404, 409, 413],
    },
    {
        "id": "declareObligations",
        "method": "POST",
        "path": "/obligations/batch",
        "summary": f"Declare up to {MAX_BATCH} open invoices in one call: each declaration "
        "is answered, in the order sent, with the status and body POST obligations answers "
        "it (201 and the obligation, 200 and the obligation, or a problem), and done or "
        "refused on its own: a refused one leaves the others done. Each may carry its own "
        "idempotency_key, with the rules of that call's Idempotency-Key header.",
        "parameters": [],
        "body": "ObligationBatchIn",
        "status": 200,
        "schema": "ObligationBatch",
        "problems": [400, 401, 403, 413],
    },
    {
        "id": "listObligations",
        "method": "GET",
        "path": "/obligations",
        "summary": "The obligations the caller is creditor or debtor of, in the order they "
        "last changed: an obligation comes again in its new state once it changes.",
        "parameters": [_AFTER, _LIMIT],
        "body": None,
        "status": 200,
        "schema": "ObligationPage",
        "problems": [400, 401, 403],
    },
    {
        "id": "listCompensations",
        "method": "GET",
        "path": "/compensations",
        "summary": "The confirmed compensation runs the caller took part in, in the order "
        "they were confirmed: per invoice the amount set off, and the caller's MLML "
        "transfers of the liquidity part.",
        "parameters": [_AFTER, _LIMIT],
        "body": None,
        "status": 200,
        "schema": "CompensationPage",
        "problems": [400, 401, 403],
    },
]

_BY_ID = {operation["id"]: operation for operation in OPERATIONS}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Malformed input: the problem names the field and why.",
    401: "No key, or a key that is not valid (revoked, expired, of another scope).",
    403: "The member is not active, or not allowed to do this.",
    404: "Unknown member or payment request.",
    409: "Idempotency-Key used for another request, a request no longer open, or an "
    "obligation cleared entirely.",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes.",
    422: "A bound would be breached: the problem gives the caller's own figures "
    "(payer_below_credit_limit), or says that the payee cannot receive the amount "
    "(payee_cannot_receive), without the payee's figures.",
}


def operation(operation_id):
    return _BY_ID[operation_id]


def odoo_route(operation_id):
    """The Odoo route of an operation: ``{name}`` becomes ``<string:name>`` (read as a
    number by the API itself, so that "-1" or "x" is a 404 problem, not Odoo's page)."""
    path = _BY_ID[operation_id]["path"]
    return BASE_PATH + re.sub(r"\{(\w+)\}", r"<string:\1>", path)


def openapi_document(server_url=""):
    """The OpenAPI 3.0 description of the API."""
    paths = {}
    for op in OPERATIONS:
        responses = {
            str(op["status"]): {
                "description": _STATUS_TEXT[op["status"]],
                "content": {"application/json": {"schema": _ref(op["schema"])}},
            }
        }
        if op.get("replay_status"):
            responses[str(op["replay_status"])] = {
                "description": "The same request was made before with this "
                "Idempotency-Key: its result, nothing made twice.",
                "content": {"application/json": {"schema": _ref(op["schema"])}},
            }
        for status in op["problems"]:
            responses[str(status)] = {
                "description": _STATUS_TEXT[status],
                "content": {"application/problem+json": {"schema": _ref("Problem")}},
            }
        entry = {
            "operationId": op["id"],
            "summary": op["summary"],
            "parameters": [
                *op["parameters"],
                {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "description": "fr or en: the language of the problems' detail.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": responses,
        }
        if op["body"]:
            entry["requestBody"] = {
                "required": True,
                "description": f"A JSON object of at most {MAX_BODY_BYTES} bytes (else 413), "
                "each key once (else 400 body_duplicate_key).",
                "content": {"application/json": {"schema": _ref(op["body"])}},
            }
        paths.setdefault(op["path"], {})[op["method"].lower()] = entry
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "MLML clearing house",
            "version": VERSION,
            "description": "The accounts, transfers and payment requests of the members of "
            "a barter network, kept by its clearing house. Amounts are decimal strings "
            "with two decimals; errors are RFC 9457 problem details. A body is a JSON "
            f"object of at most {MAX_BODY_BYTES} bytes (413 body_too_large), each key "
            "once per object (400 body_duplicate_key). Texts, in a body, a query or a "
            "header, are Unicode (400 field_not_unicode: a lone surrogate such as "
            '"\\ud800"), hold no control character but tab and newline (400 '
            "field_invalid_character) and are at most their maxLength long (400 "
            "field_too_long); the problem's field names the one at fault.",
        },
        "servers": [{"url": f"{server_url.rstrip('/')}{BASE_PATH}"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key of the member's API user, given by the "
                    "clearing house.",
                }
            },
            "schemas": SCHEMAS,
        },
    }
