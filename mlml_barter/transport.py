"""The HTTP transport every backend talks through: one place for timeouts and retries.

A member's Odoo pays its suppliers through a ledger it does not run, across a
network that drops connections, times out and answers 503 when the ledger is
busy. The rules below are what makes a payment safe to retry:

- one :class:`requests.Session` per backend (connection reuse, the
  authentication headers set once, never logged: the transport's ``repr``
  names the URL only);
- every request has a timeout, to connect and to read (``timeout``);
- what may be retried is retried: a request that got no answer (connection
  refused or reset, dropped connection, truncated body, read timeout), a 5xx,
  a 408 or a 429. Each retry sends *exactly the same* request, its
  Idempotency-Key included, so that the ledger recognises it and never acts
  twice. The pause doubles each time (``backoff``, 2×backoff, 4×…), with a
  random part so that the members' Odoos do not come back all at once, and
  honours the server's Retry-After (capped at ``max_retry_after``);
- a request the caller says may not be retried (``retry=False``) is sent once;
  one the ledger cannot recognise when it comes again (no idempotency key, as
  in Cyclos) is retried only after ``before_retry`` has looked whether the
  earlier attempt was made, and answers what it found;
- after the last retry, :class:`~.backend.Unanswered` (``unreachable``,
  ``server_error`` or ``too_many_requests``): the ledger may have acted;
- a 2xx whose body is not JSON (a web page from a wrong URL, garbage) is
  ``Unanswered(bad_answer)``: nothing tells what the ledger did (an empty
  body is a 204's "done");
- any other status is handed to the backend's ``refusal`` function, which
  reads the ledger's own error format and returns the exception to raise.
"""

import dataclasses
import email.utils
import json
import logging
import random
import re
import time
from decimal import Decimal

import requests

from .backend import Backend, Unanswered

_logger = logging.getLogger(__name__)

#: Names the add-on to the ledger's logs and its administrators.
USER_AGENT = f"mlml_barter/18.0 (Odoo add-on for barter networks) requests/{requests.__version__}"

#: What a ledger says when it is busy or down: retried.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: The errors of a request that got no (complete) answer: retried.
_NO_ANSWER = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

_SIGNED_AMOUNT = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$")
_CENT = Decimal("0.01")


@dataclasses.dataclass(frozen=True)
class Answer:
    """A complete answer of the ledger: its status, headers and JSON body
    (None when the body is empty or not JSON)."""

    status: int
    headers: dict  # case-insensitive (requests.structures.CaseInsensitiveDict)
    body: object
    text: str
    #: How many attempts the request took (1: answered at once).
    attempts: int = 1
    #: True when an earlier attempt got no answer: the ledger may have acted on it.
    earlier_unanswered: bool = False

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()


def parse_decimal(value, field="amount"):
    """An amount the ledger wrote as a decimal string ("-250.00"), as a Decimal.

    Never through float: "0.10" is exactly 0.10. Trailing zeros are fine
    ("12.3400", as Cyclos may write it); a fraction of a cent, a JSON number or
    anything else is a body that is not the ledger's (``ValueError``, which
    the backends report as ``bad_answer``).
    """
    if not isinstance(value, str) or not _SIGNED_AMOUNT.match(value.strip()):
        raise ValueError(f"{field}: {value!r} is not a decimal amount")
    amount = Decimal(value.strip())
    if amount != amount.quantize(_CENT):
        raise ValueError(f"{field}: {value!r} has a fraction of a cent")
    return amount.quantize(_CENT)


class Transport:
    """Sends requests to one ledger and retries them as described above.

    ``service`` names the ledger in messages ("clearing house", "Cyclos");
    ``refusal(answer)`` returns the exception for a non-2xx answer that is not
    retried (or after the retries, for a 4xx such as 429).
    """

    def __init__(
        self,
        base_url,
        *,
        service,
        refusal,
        headers=None,
        auth=None,
        timeout=(3.05, 30),
        retries=4,
        backoff=0.5,
        max_backoff=30.0,
        max_retry_after=30.0,
        session=None,
        sleep=time.sleep,
        retryable=None,
    ):
        if not isinstance(timeout, tuple | list) or len(timeout) != 2:
            timeout = (timeout, timeout)
        if any(part is None or part <= 0 for part in timeout):
            raise ValueError("timeout: a positive connect and read timeout is required")
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.refusal = refusal
        self.timeout = tuple(timeout)
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        if retryable is not None:
            self.retryable = retryable
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers or {})
        if auth is not None:
            self.session.auth = auth

    def __repr__(self):
        # Never the headers nor the auth: they hold the member's key.
        return f"<{type(self).__name__} {self.base_url}>"

    def close(self):
        self.session.close()

    def url(self, path):
        return f"{self.base_url}/{path.lstrip('/')}"

    def pause(self, attempt, retry_after=None):
        """How long to wait before the retry number ``attempt`` (1, 2…): the
        doubled backoff with "equal jitter" (between half and all of it), or the
        server's Retry-After when it asks longer, both capped."""
        delay = min(self.backoff * 2 ** (attempt - 1), self.max_backoff)
        delay = delay / 2 + random.uniform(0, delay / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        return delay

    def send(
        self,
        method,
        path,
        *,
        params=None,
        json_body=None,
        data=None,
        headers=None,
        retry=True,
        before_retry=None,
    ):
        """Send the request (again, unchanged, while it may be retried) and return
        the :class:`Answer` of a 2xx; raise the backend's refusal for another
        status, or :class:`Unanswered`.

        ``before_retry()``, for a request the ledger cannot recognise when it
        comes again (no idempotency key), is called before each retry that
        follows an attempt the ledger may have acted on (no answer, 5xx): it
        looks whether the operation was made and returns its result, which
        ``send`` returns instead of retrying, or None to retry.
        """
        url = self.url(path)
        attempts = 1 + (self.retries if retry else 0)
        unanswered = maybe_acted = False
        failure = retry_after = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self.sleep(self.pause(attempt - 1, retry_after))
                if before_retry is not None and maybe_acted:
                    found = before_retry()
                    if found is not None:
                        return found
            retry_after = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (
                requests.exceptions.InvalidURL,
                requests.exceptions.InvalidSchema,
                requests.exceptions.MissingSchema,
            ) as error:
                raise Unanswered(
                    "unreachable",
                    f"The address of the {self.service} ({self.base_url}) is not a valid "
                    "URL: check it in the settings.",
                ) from error
            except _NO_ANSWER as error:
                unanswered = maybe_acted = True
                failure = Unanswered(
                    "unreachable",
                    f"No answer from the {self.service} at {self.base_url} after "
                    f"{attempt} attempt(s) ({type(error).__name__}): check the address and "
                    "the network, then try again later; the same operation will not be "
                    "made twice.",
                )
                _logger.info("%s %s: no answer (%s)", method, url, type(error).__name__)
                continue
            answer = self._answer(response, attempt, unanswered)
            if 200 <= answer.status < 300:
                # An empty body is the ledger's "done, nothing to say" (204);
                # a body that is not JSON is not the ledger's.
                if answer.body is None and answer.text.strip():
                    raise self.bad_answer(answer)
                return answer
            if answer.status < 200 or 300 <= answer.status < 400:
                raise self.bad_answer(answer)
            if not self.retryable(answer):
                raise self.refusal(answer)
            retry_after = self._retry_after(response.headers.get("Retry-After"))
            maybe_acted = maybe_acted or answer.status >= 500
            failure = self._busy(answer, attempt)
            _logger.info("%s %s: %s", method, url, answer.status)
        raise failure

    @staticmethod
    def retryable(answer):
        """Whether the ledger said it could not handle the request now (the
        backends whose ledger says no with a 5xx replace it)."""
        return answer.status in RETRY_STATUSES

    def bad_answer(self, answer):
        """The answer is not the ledger's: most often a wrong address."""
        return Unanswered(
            "bad_answer",
            f"The answer of {self.base_url} (HTTP {answer.status}, "
            f"{answer.content_type or 'no content type'}) is not the {self.service}'s: "
            "check its address in the settings.",
            status=answer.status,
        )

    def _busy(self, answer, attempt):
        if answer.status == 429:
            code, what = "too_many_requests", "asks to slow down (HTTP 429)"
        else:
            code, what = "server_error", f"failed (HTTP {answer.status})"
        return Unanswered(
            code,
            f"The {self.service} {what} after {attempt} attempt(s): try again later; "
            "the same operation will not be made twice.",
            status=answer.status,
            problem=answer.body if isinstance(answer.body, dict) else None,
        )

    @staticmethod
    def _answer(response, attempt, unanswered):
        # JSON is UTF-8 (RFC 8259): read the bytes as such, whatever charset guess
        # requests would make for a content type it does not know (problem+json).
        text = response.content.decode("utf-8", "replace")
        try:
            body = json.loads(response.content) if text.strip() else None
        except ValueError:
            body = None
        return Answer(
            status=response.status_code,
            headers=requests.structures.CaseInsensitiveDict(response.headers),
            body=body,
            text=text,
            attempts=attempt,
            earlier_unanswered=unanswered,
        )

    @staticmethod
    def _retry_after(value):
        """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class HttpBackend(Backend):
    """What every backend over HTTP shares: its transport, and the reading of
    the ledger's JSON, where anything unexpected (a missing field, a number
    where a text is due, a float amount) means the address is not the ledger's."""

    _transport: Transport

    def __repr__(self):
        # Never the headers nor the auth: they hold the member's key.
        return f"<{type(self).__name__} {self._transport.base_url}>"

    def close(self):
        self._transport.close()

    def _get(self, path, params=None):
        """The JSON body of a GET (retried); parameters that are None are not sent."""
        params = {name: value for name, value in (params or {}).items() if value is not None}
        return self._transport.send("GET", path, params=params or None).body

    def _read(self, reader, body):
        """``reader(body)``; a body it cannot read is ``Unanswered(bad_answer)``."""
        try:
            return reader(body)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise Unanswered(
                "bad_answer",
                f"The answer of {self._transport.base_url} is not what the "
                f"{self._transport.service}'s API answers ({type(error).__name__}: {error}): "
                "check its address and settings.",
            ) from error

    @staticmethod
    def _text(value):
        if not isinstance(value, str):
            raise TypeError(f"{value!r} is not a text")
        return value
