"""What crosses the wire between a member and the clearing house.

- Amounts are decimal strings with two decimals ("123.45"), never floats:
  ``parse_amount`` reads one from a request, ``format_amount`` writes one.
- An Idempotency-Key names one request: the same key with the same body is
  the same request (answered again, never made twice); the same key with
  another body is a conflict. ``fingerprint`` gives the body's identity.
- Pages of a ledger are read with an opaque cursor: the position of the last
  item read. Items come in ledger order, so a page starts strictly after the
  cursor and nothing is skipped or repeated while new items are added.
- What a client sends is read strictly: a body of at most ``MAX_BODY_BYTES``,
  JSON with each key once per object, text that is Unicode (no lone
  surrogate), holds no control character but tab and newline, and is no
  longer than its field's limit. A refusal names the field.
"""

import datetime
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

from .amounts import RuleError

#: The largest amount one request may move (a billion units).
MAX_AMOUNT = Decimal("1000000000.00")
#: How many items a page holds by default, and at most.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_KEY_LENGTH = 255
#: The largest body a request may send, in bytes (1 MiB).
MAX_BODY_BYTES = 1024 * 1024

_AMOUNT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
#: Exactly the texts ``parse_amount`` accepts, for the API's description.
AMOUNT_PATTERN = (
    r"^\s*(?:1000000000(?:\.0{1,2})?"
    r"|(?!0*(?:\.0{1,2})?\s*$)(?![1-9][0-9]{9})[0-9]{1,10}(?:\.[0-9]{1,2})?)\s*$"
)
#: Exactly the texts ``parse_part`` accepts: the same, or zero.
PART_PATTERN = r"^\s*(?:1000000000(?:\.0{1,2})?|(?![1-9][0-9]{9})[0-9]{1,10}(?:\.[0-9]{1,2})?)\s*$"
#: Exactly the Idempotency-Keys ``check_idempotency_key`` accepts (HTTP strips the
#: spaces around a header's value): printable ASCII, 1 to MAX_KEY_LENGTH long.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
#: The form of a cursor: the digits of a ledger position (ASCII digits only).
CURSOR_PATTERN = r"^(?:[0-9]{1,18})?$"
_CURSOR = re.compile(CURSOR_PATTERN)
#: The control characters no text may hold: C0 and C1 but tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Exactly the texts ``check_text`` accepts, for the API's description (which
#: cannot name a lone surrogate: JSON Schema's texts are Unicode already).
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
#: The same, not blank either (a text that must say something).
FILLED_PATTERN = (
    r"^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*"
    r"[^\s\u0000-\u0008\u000b-\u001f\u007f-\u009f]"
    r"[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$"
)
#: Half of a UTF-16 pair alone: a JSON "\ud800" reads as one, no database stores it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: How much of a client's field name a refusal repeats.
_NAME_LENGTH = 64


def parse_amount(value, field="amount"):
    """Return the positive amount a client sent as a decimal string.

    Refused: anything but a string (a JSON number is a float to most
    clients), not a plain decimal number, more than two decimals, zero,
    negative, or above ``MAX_AMOUNT``.
    """
    if not isinstance(value, str):
        raise RuleError("amount_not_a_string", field=field, value=value)
    text = value.strip()
    if text.startswith("-"):
        raise RuleError("amount_not_positive", field=field, value=value)
    if not _AMOUNT.match(text):
        if re.match(r"^[0-9]+\.[0-9]{3,}$", text):
            raise RuleError("amount_too_precise", field=field, value=value)
        raise RuleError("amount_not_a_number", field=field, value=value)
    try:
        amount = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern rules it out
        raise RuleError("amount_not_a_number", field=field, value=value) from error
    if amount <= 0:
        raise RuleError("amount_not_positive", field=field, value=value)
    if amount > MAX_AMOUNT:
        raise RuleError("amount_too_large", field=field, value=value, maximum=MAX_AMOUNT)
    return amount.quantize(Decimal("0.01"))


def parse_part(value, field):
    """Return a part of an amount a client sent: as ``parse_amount``, zero allowed."""
    if isinstance(value, str) and _AMOUNT.match(value.strip()) and not Decimal(value.strip()):
        return Decimal("0.00")
    return parse_amount(value, field=field)


def part_field(body, field):
    """An optional part of an amount (0 or more, see ``parse_part``) of a request body,
    or None when it is absent or null."""
    if body.get(field) is None:
        return None
    return parse_part(body[field], field)


def format_amount(amount):
    """Write an amount as the wire wants it: a string with two decimals."""
    if isinstance(amount, float):
        amount = Decimal(repr(amount))
    return str(Decimal(amount).quantize(Decimal("0.01")))


def check_idempotency_key(key):
    """Return the key of a request that must not be made twice, or refuse it."""
    # Only HTTP's own blanks around a header's value: any other character is the key's.
    if not isinstance(key, str) or not key.strip(" \t"):
        raise RuleError("idempotency_key_missing")
    key = key.strip(" \t")
    if len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise RuleError("idempotency_key_invalid", max_length=MAX_KEY_LENGTH)
    return key


def fingerprint(body):
    """The identity of a request body: equal for equal content, whatever the order
    of its keys or the way its amounts are written ("5" and "5.00")."""

    def canonical(value):
        if isinstance(value, dict):
            return {key: canonical(value[key]) for key in sorted(value)}
        if isinstance(value, list):
            return [canonical(item) for item in value]
        if isinstance(value, Decimal):
            return format_amount(value)
        return value

    text = json.dumps(canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def same_request(stored_fingerprint, body):
    """True when ``body`` is the request an Idempotency-Key was first used for."""
    return stored_fingerprint == fingerprint(body)


def encode_cursor(position):
    """The cursor of the ledger position ``position`` (an integer >= 0).

    Clients treat it as opaque; it is written as the position's digits so
    that its form can be described exactly (``CURSOR_PATTERN``): any cursor
    of that form is a position, and nothing else is one.
    """
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise RuleError("cursor_invalid")
    cursor = str(position)
    if not cursor or not _CURSOR.match(cursor):
        raise RuleError("cursor_invalid")
    return cursor


def decode_cursor(cursor):
    """The ledger position of a cursor (0, the start, when there is none)."""
    if cursor in (None, ""):
        return 0
    if not isinstance(cursor, str) or not _CURSOR.match(cursor):
        raise RuleError("cursor_invalid")
    # "$" also matches before a final newline: read the cursor as the pattern does.
    return int(cursor.removesuffix("\n") or 0)


def check_limit(limit):
    """The size of a page: DEFAULT_LIMIT when not given, 1 to MAX_LIMIT otherwise."""
    if limit in (None, ""):
        return DEFAULT_LIMIT
    if isinstance(limit, str) and not re.fullmatch(r"[0-9]{1,10}", limit):
        # int() would also read spaces, "_" and other scripts' digits.
        raise RuleError("limit_invalid", maximum=MAX_LIMIT)
    try:
        value = int(limit)
    except (TypeError, ValueError) as error:
        raise RuleError("limit_invalid", maximum=MAX_LIMIT) from error
    if isinstance(limit, float | bool) or not 1 <= value <= MAX_LIMIT:
        raise RuleError("limit_invalid", maximum=MAX_LIMIT)
    return value


def page(positions, after, limit):
    """One page of a ledger read after position ``after``.

    Returns the positions of the page (strictly after ``after``, in order, at
    most ``limit``), the cursor to go on from (the last position read, or
    ``after`` itself when the page is empty: a client keeps it to ask again
    later) and whether more positions are already waiting.
    """
    chosen = sorted(p for p in positions if p > after)[: limit + 1]
    has_more = len(chosen) > limit
    chosen = chosen[:limit]
    following = encode_cursor(chosen[-1] if chosen else after)
    return chosen, following, has_more


def field_name(name):
    """A client's field name as a refusal may repeat it: Unicode, at most 64 characters."""
    name = str(name).encode("utf-8", "backslashreplace").decode("utf-8")
    return name if len(name) <= _NAME_LENGTH else name[: _NAME_LENGTH - 1] + "…"


def _unique_keys(pairs):
    """A JSON object whose keys are all different: a key sent twice is refused,
    not read as its last value (two readers of the same body could disagree)."""
    body = {}
    for key, value in pairs:
        if key in body:
            raise RuleError("body_duplicate_key", field=field_name(key))
        body[key] = value
    return body


def _no_constant(name):
    # NaN and Infinity are not JSON.
    raise ValueError(f"{name} is not JSON")


def _check_unicode(body):
    """Refuse a body holding, anywhere (a key or a text, at any depth), text that
    is not Unicode: a lone surrogate, which JSON's "\\ud800" escapes can write."""
    todo = [("", body)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise RuleError("field_not_unicode", field=field_name(path))
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else key
                if _SURROGATE.search(key):
                    raise RuleError("field_not_unicode", field=field_name(name))
                todo.append((name, item))
        elif isinstance(value, list):
            todo.extend((f"{path}[{index}]", item) for index, item in enumerate(value))


def read_body(raw):
    """The JSON object a client sent, or a refusal saying why it is not one.

    Refused: more than ``MAX_BODY_BYTES``, not UTF-8, not JSON (NaN and
    Infinity included), not an object, a key twice in one object, text that is
    not Unicode anywhere in it.
    """
    raw = raw or b""
    if len(raw) > MAX_BODY_BYTES:
        raise RuleError("body_too_large", maximum=MAX_BODY_BYTES)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        body = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RuleError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise RuleError("body_not_json") from error
    if not isinstance(body, dict):
        raise RuleError("body_not_object")
    _check_unicode(body)
    return body


def check_text(value, field, *, max_length=None, parameter=False):
    """Refuse a text a client sent that is not Unicode, holds a control character
    other than tab and newline, or is longer than ``max_length``; ``field`` (a
    field of the body, or with ``parameter`` a parameter of the query) names it."""
    where = {"field": field, "parameter": True} if parameter else {"field": field}
    if _SURROGATE.search(value):
        raise RuleError("field_not_unicode", **where)
    if _CONTROL.search(value):
        raise RuleError("field_invalid_character", **where)
    if max_length is not None and len(value) > max_length:
        raise RuleError("field_too_long", max_length=max_length, **where)
    return value


def text_field(body, field, *, required=False, max_length=None):
    """A text field of a request body ("" when absent and not required)."""
    if field not in body or body[field] is None:
        if required:
            raise RuleError("field_missing", field=field)
        return ""
    value = body[field]
    if not isinstance(value, str):
        raise RuleError("field_wrong_type", field=field, expected="string")
    check_text(value, field, max_length=max_length)
    if required and not value.strip():
        raise RuleError("field_missing", field=field)
    return value.strip()


def query_text(value, name=None, max_length=None):
    """A text parameter of a query string ("" when absent); with its ``name``,
    refused as ``check_text`` refuses a text, else only cleared of NUL characters
    (a database refuses them)."""
    value = value or ""
    if name is None:
        return value.replace("\x00", "").strip()
    return check_text(value, name, max_length=max_length, parameter=True).strip()


def amount_field(body, field="amount"):
    """The positive amount of a request body (see ``parse_amount``)."""
    if field not in body or body[field] is None:
        raise RuleError("field_missing", field=field)
    return parse_amount(body[field], field=field)


def date_field(body, field):
    """An optional ISO date (YYYY-MM-DD) of a request body, or None."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RuleError("field_wrong_type", field=field, expected="string")
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise RuleError("date_invalid", field=field)
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise RuleError("date_invalid", field=field) from error
