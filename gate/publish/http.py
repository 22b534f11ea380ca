"""One HTTP client for GitHub and GitLab: a ``requests.Session`` with timeouts and a retry policy.

The retry rules follow GitHub's "Rate limits for the REST API" / "Best practices" and GitLab's
rate-limit docs (platform-contracts §3, §6, checklist 16):

1. ``403``/``429`` with ``retry-after``: wait that many seconds.
2. ``x-ratelimit-remaining: 0``: wait until ``x-ratelimit-reset`` (UTC epoch seconds).
3. A rate-limit ``403``/``429`` with neither header: on GitHub (a secondary limit) wait at least 60 s,
   then back off exponentially; on GitLab back off exponentially from the base delay.
4. ``5xx``, connection errors and timeouts: exponential backoff with a cap.
5. Give up after ``max_retries`` retries, or when a required wait exceeds ``max_wait``.
6. Never retry other 4xx, in particular 401, 404, 422 and ``403 Resource not accessible by
   integration`` (a permission problem that waiting does not fix).
7. At least ``min_write_interval`` seconds between two mutating requests.

``sleep`` and ``clock`` are injected so tests never wait: they assert on the recorded sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # requests (~0.09 s with urllib3) is imported only when a request is sent
    import requests

MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})
NOT_ACCESSIBLE = "resource not accessible by integration"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    secondary_min_wait: float = 60.0
    max_wait: float = 900.0
    min_write_interval: float = 1.0
    secondary_limit_rule: bool = True  # GitHub: True; GitLab: plain exponential backoff


class HttpError(Exception):
    """A request that finally failed. ``status`` is None for connection errors and timeouts.

    ``api_message`` is the ``message`` field of a JSON error body (GitHub) or its ``message``/``error``
    (GitLab), flattened to one line; the exception text never contains a token (the client redacts).
    """

    def __init__(self, method: str, url: str, status: int | None, api_message: str,
                 detail: str = "") -> None:
        self.method = method
        self.url = url
        self.status = status
        self.api_message = api_message
        self.detail = detail
        where = f"{method} {url}"
        what = f"HTTP {status}" if status is not None else "no response"
        text = f"{where}: {what}"
        if api_message:
            text += f": {api_message}"
        if detail:
            text += f" ({detail})"
        super().__init__(text)

    @property
    def not_accessible(self) -> bool:
        return self.status == 403 and NOT_ACCESSIBLE in self.api_message.lower()

    @property
    def body_too_long(self) -> bool:
        msg = self.api_message.lower()
        return self.status in (400, 422) and "too long" in msg


def api_message(resp: requests.Response, redact: Callable[[str], str] = lambda t: t) -> str:
    """The human message of an error response, on one line, at most 500 characters. ``redact`` is
    applied *before* the cut, so a secret the server echoed cannot survive as a cut-off prefix."""
    text = ""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        parts: list[str] = []
        for key in ("message", "error"):
            value = data.get(key)
            if isinstance(value, str):
                parts.append(value)
            elif value is not None:
                parts.append(str(value))
        errors = data.get("errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict) and item.get("message"):
                    parts.append(str(item["message"]))
                elif isinstance(item, str):
                    parts.append(item)
        text = "; ".join(parts)
    elif resp.text:
        text = resp.text
    return " ".join(redact(text).split())[:500]


class Redactor:
    """Replaces every registered secret with ``***`` in any text that may be shown or written.

    A secret is registered with its variants, because what goes on the wire is not always what was
    configured: the value as given, without surrounding whitespace (a token read from a secrets file
    ends in a newline; the CI context strips it before sending), and each of its lines. Besides whole
    variants, any run of :attr:`PIECE` or more consecutive characters of a secret of at least
    :attr:`PIECE_FROM` characters is redacted, so half a token echoed by a server, or a token cut by
    a message length limit, does not leak either. Secrets shorter than :attr:`MIN_LEN` are ignored
    (replacing them would mangle ordinary words); shorter pieces are not redacted for the same reason.
    """

    MIN_LEN = 4
    PIECE = 8
    PIECE_FROM = 12

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self._pieces: set[str] = set()
        for secret in secrets:
            self.add(secret)

    @classmethod
    def variants(cls, secret: str) -> set[str]:
        """The forms of ``secret`` that may be sent or echoed: as given, stripped, and per line."""
        forms = {secret, secret.strip(), *(line.strip() for line in secret.splitlines())}
        return {f for f in forms if len(f) >= cls.MIN_LEN}

    def add(self, secret: str | None) -> None:
        for form in self.variants(secret or ""):
            if form not in self._secrets:
                self._secrets.append(form)
            if len(form) >= self.PIECE_FROM:
                self._pieces.update(form[i:i + self.PIECE] for i in range(len(form) - self.PIECE + 1))
        self._secrets.sort(key=len, reverse=True)

    def _piece_spans(self, text: str) -> list[tuple[int, int]]:
        """Merged ``[start, end)`` spans of ``text`` covered by pieces of a secret."""
        spans: list[tuple[int, int]] = []
        for i in range(len(text) - self.PIECE + 1):
            if text[i:i + self.PIECE] in self._pieces:
                if spans and i <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], i + self.PIECE)
                else:
                    spans.append((i, i + self.PIECE))
        return spans

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        if not self._pieces:
            return text
        out, pos = [], 0
        for start, end in self._piece_spans(text):
            out += [text[pos:start], "***"]
            pos = end
        return "".join(out) + text[pos:]


def _new_session() -> requests.Session:
    """A ``requests.Session`` that, like ``requests`` does for ``Authorization``, drops GitLab's token
    headers when a redirect leaves the original host. requests is imported here, not at the top: a
    local ``check`` that publishes nothing never loads it (issue 13, start-up)."""
    import requests

    class _Session(requests.Session):
        SECRET_HEADERS = ("PRIVATE-TOKEN", "JOB-TOKEN")

        def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
            super().rebuild_auth(prepared_request, response)
            if self.should_strip_auth(response.request.url, prepared_request.url):
                for name in self.SECRET_HEADERS:
                    prepared_request.headers.pop(name, None)

    return _Session()


def _without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: requests would send those as Basic credentials instead of
    the token, and every error message quotes the URL."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]))


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class HttpClient:
    """``request()`` returns a 2xx/3xx ``requests.Response`` or raises :class:`HttpError`.

    Absolute URLs (pagination links) are only followed on the base URL's origin, so a forged or
    misconfigured ``link`` header can never send the token to another host.
    """

    def __init__(self, base_url: str, headers: Mapping[str, str], *, policy: RetryPolicy,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 timeout: float = 30.0, redact: Redactor | None = None,
                 session: requests.Session | None = None) -> None:
        self.base_url = _without_userinfo(base_url).rstrip("/")  # the token authenticates, nothing else
        self.session = session or _new_session()
        self.session.headers.update(headers)
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.timeout = (min(10.0, timeout), timeout)
        self.redact = redact or Redactor()
        self._last_write: float | None = None
        self.sleeps: list[tuple[float, str]] = []  # (seconds, reason), for logs and tests

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != _origin(self.base_url):
                raise HttpError("GET", self.shown(path_or_url), None, "",
                                "refusing to follow a link to another host than the API's")
            return path_or_url
        return self.base_url + path_or_url

    def shown(self, url: str) -> str:
        """``url`` as it may appear in a message: no query (pagination cursors, tokens in links), no
        ``user:password@``, secrets redacted."""
        return self.redact(_without_userinfo(url.split("?", 1)[0]))

    def _wait(self, seconds: float, reason: str) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append((seconds, reason))
        if seconds > 0:
            self.sleep(seconds)

    def _pace_write(self, method: str) -> None:
        if method not in MUTATING:
            return
        if self._last_write is not None:
            gap = self.clock() - self._last_write
            if gap < self.policy.min_write_interval:
                self._wait(self.policy.min_write_interval - gap, "pause between mutating requests")

    def _rate_limit_wait(self, resp: requests.Response, secondary_waits: int,
                         attempt: int) -> tuple[float, str] | None:
        """Seconds to wait if ``resp`` is a rate-limit response, else None."""
        status = resp.status_code
        if status not in (403, 429):
            return None
        headers = resp.headers
        message = api_message(resp).lower()
        if NOT_ACCESSIBLE in message:
            return None  # a permission problem: waiting does not fix it
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after)), "retry-after"
            except ValueError:
                pass
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining is not None and remaining.strip() == "0" and reset is not None:
            try:
                return max(0.0, float(reset) - self.clock()) + 1.0, "rate limit reset"
            except ValueError:
                pass
        if status == 403 and "rate limit" not in message:
            return None  # a permission problem, not a limit
        if self.policy.secondary_limit_rule:
            return (self.policy.secondary_min_wait * (2 ** secondary_waits),
                    "secondary rate limit")
        return self._backoff(attempt), "rate limited (no retry-after)"

    def _backoff(self, attempt: int) -> float:
        return min(self.policy.backoff_cap, self.policy.backoff_base * (2 ** attempt))

    def request(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, stream: bool = False) -> requests.Response:
        """``stream=True`` leaves the body unread (``iter_content``), for a download with a size
        limit; redirects are followed, and ``requests`` drops ``Authorization`` when one leaves the
        API's host (a signed blob URL needs no token and must not get one)."""
        method = method.upper()
        url = self.url(path_or_url)
        shown = self.shown(url)
        import requests  # loaded by the session already; a local name for the exceptions below

        secondary_waits = 0
        attempt = 0
        while True:
            self._pace_write(method)
            try:
                resp = self.session.request(method, url, params=params, json=json,
                                            timeout=self.timeout, stream=stream)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if method in MUTATING:
                    self._last_write = self.clock()
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                if attempt >= self.policy.max_retries:
                    raise HttpError(method, shown, None, "",
                                    f"{kind}; gave up after {attempt + 1} attempts") from None
                self._wait(self._backoff(attempt), kind)
                attempt += 1
                continue
            if method in MUTATING:
                self._last_write = self.clock()
            if resp.status_code < 400:
                return resp
            message = api_message(resp, self.redact)
            wait: tuple[float, str] | None = None
            if resp.status_code >= 500:
                wait = (self._backoff(attempt), f"HTTP {resp.status_code}")
            else:
                wait = self._rate_limit_wait(resp, secondary_waits, attempt)
                if wait is not None and wait[1] == "secondary rate limit":
                    secondary_waits += 1
            if wait is None:
                raise HttpError(method, shown, resp.status_code, message)
            if attempt >= self.policy.max_retries:
                raise HttpError(method, shown, resp.status_code, message,
                                f"gave up after {attempt + 1} attempts")
            if wait[0] > self.policy.max_wait:
                raise HttpError(method, shown, resp.status_code, message,
                                f"{wait[1]}: would have to wait {wait[0]:.0f} s, more than the "
                                f"{self.policy.max_wait:.0f} s allowed")
            self._wait(wait[0], wait[1])
            attempt += 1
