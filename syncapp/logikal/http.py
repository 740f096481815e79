"""The one request helper: timeouts, bounded retries with backoff and jitter, error mapping.

One `Transport` (one httpx.Client, so one connection pool) per process; httpx clients are
safe to share between threads. Only the read endpoints and the login/logout calls are on the
allow-list: anything else is refused before it leaves the process.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

import httpx

from . import errors

logger = logging.getLogger(__name__)

ALLOWED = frozenset({
    "POST /auth", "DELETE /auth", "GET /version",
    "GET /directories", "POST /directories/select",
    "GET /projects", "POST /projects/select", "GET /projects/selected",
    "GET /phases", "POST /phases/select",
    "GET /elevations", "POST /elevations/select", "GET /elevations/{elevationId}/thumbnail",
    "GET /elevations/selected/thumbnail", "GET /elevations/selected/drawing",
    "GET /elevations/selected/parts-list",
})
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# The 409 of a select that the cursor cannot make (API.md, observed); any other 409 is a lock.
MAPPING_MARKERS = ("isn't valid in the current mapping", "is not valid in the current mapping", "cannot be set")

RequestHook = Callable[[str, str, float], None]  # (endpoint template, outcome, seconds)


class Transport:
    def __init__(self, base_url: str, *, connect_timeout_s: float, read_timeout_s: float, retries: int = 2,
                 backoff_s: float = 0.5, backoff_cap_s: float = 8.0, on_request: RequestHook | None = None,
                 http_transport: httpx.BaseTransport | None = None, max_connections: int = 32):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_s = backoff_s
        self.backoff_cap_s = backoff_cap_s
        self.on_request = on_request or (lambda template, outcome, seconds: None)
        self._closing = threading.Event()
        self._client = httpx.Client(
            timeout=httpx.Timeout(connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s,
                                  pool=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=http_transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    def close(self) -> None:
        self._closing.set()
        self._client.close()

    # -- the helper ---------------------------------------------------------------------------------
    def request(self, method: str, template: str, *, path: str | None = None, token: str | None = None,
                json=None, params: dict | None = None, binary: bool = False, expect_data: bool = True,
                retry_read_timeouts: bool = True, retries: int | None = None):
        """Send one API call; return its ``data`` (JSON) or its bytes (binary).

        Transient failures are retried `retries` times with exponential backoff and full jitter.
        `retry_read_timeouts=False` for calls that must not run twice (a login whose answer was
        lost would leave an orphan session on the server).
        """
        key = f"{method} {template}"
        if key not in ALLOWED:
            raise ValueError(f"{key} is not a read endpoint; the sync client never calls it")
        url = self.base_url + (path or template)
        headers = {"Accept": "application/octet-stream" if binary else "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        allowed_retries = self.retries if retries is None else retries
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, key, headers, json, params, binary, expect_data)
            except errors.UpstreamError as exc:
                if not _should_retry(exc, retry_read_timeouts) or attempt > allowed_retries or self._closing.is_set():
                    raise
                delay = self._backoff(attempt, getattr(exc, "retry_after", None))
                logger.info("%s failed (%s), retry %d of %d in %.2fs", key, exc, attempt, allowed_retries, delay)
                if self._closing.wait(delay):
                    raise

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        window = min(self.backoff_cap_s, self.backoff_s * (2 ** (attempt - 1)))
        delay = random.uniform(window / 2, window)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap_s))
        return delay

    def _attempt(self, method, url, key, headers, json, params, binary, expect_data):
        started = time.monotonic()
        outcome = "error"
        try:
            try:
                response = self._client.request(method, url, headers=headers, json=json, params=params)
            except httpx.ConnectTimeout:
                outcome = "connect_timeout"
                raise _timeout(key, "connect timed out", connect=True) from None
            except httpx.TimeoutException:
                outcome = "timeout"
                raise _timeout(key, "timed out") from None
            except httpx.ConnectError as exc:
                outcome = "connect_error"
                raise errors.UpstreamUnavailable(f"{key}: cannot connect ({_reason(exc)})", endpoint=key) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                outcome = "protocol_error"
                broke = errors.UpstreamUnavailable(f"{key}: connection broke ({_reason(exc)})", endpoint=key)
                broke.maybe_processed = True
                raise broke from None
            except RuntimeError as exc:  # httpx raises this on a closed client
                outcome = "closed"
                raise errors.UpstreamClosed(f"{key}: client closed ({exc})", endpoint=key) from None
            outcome = str(response.status_code)
            if response.status_code >= 400:
                raise error_for(response, key)
            if response.status_code >= 300:
                raise errors.UpstreamUnavailable(f"{key}: unexpected redirect {response.status_code}",
                                                 endpoint=key, status=response.status_code, retryable=False)
            if binary:
                return response.content
            return _data(response, key, expect_data)
        finally:
            self.on_request(key, outcome, time.monotonic() - started)


def _timeout(key: str, text: str, connect: bool = False) -> errors.UpstreamTimeout:
    exc = errors.UpstreamTimeout(f"{key}: {text}", endpoint=key)
    exc.maybe_processed = not connect  # a connect timeout never reached the server
    return exc


def _should_retry(exc: errors.UpstreamError, retry_read_timeouts: bool) -> bool:
    """Transient failures are retried; those after which the server may have acted only if allowed."""
    if not isinstance(exc, errors.TransientUpstreamError | errors.MalformedResponse) or not exc.retryable:
        return False
    return retry_read_timeouts or not getattr(exc, "maybe_processed", False)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _data(response: httpx.Response, key: str, expect_data: bool):
    try:
        body = response.json()
    except ValueError:
        cut = errors.MalformedResponse(f"{key}: the answer is not valid JSON ({len(response.content)} bytes)",
                                       field="body", endpoint=key, status=response.status_code, retryable=True)
        cut.maybe_processed = True
        raise cut from None
    if b"\\u0000" in response.content:
        body = _without_nul(body)
    if not isinstance(body, dict):
        raise errors.MalformedResponse(f"{key}: expected a JSON object envelope, got {type(body).__name__}",
                                       field="body", endpoint=key, status=response.status_code)
    if not expect_data:
        return body.get("data")
    if "data" not in body:
        raise errors.MalformedResponse(f"{key}: malformed field data: missing", field="data", endpoint=key,
                                       status=response.status_code)
    return body["data"]


def _without_nul(value):
    """The payload with NUL characters dropped from every string: PostgreSQL stores none (text or jsonb).

    Any other character, markup and control characters included, is kept: upstream text is
    data, escaped wherever it is shown.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _envelope(response: httpx.Response) -> tuple[str, list[str]]:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "", []
    if not isinstance(body, dict):
        return response.reason_phrase or "", []
    message = body.get("message") if isinstance(body.get("message"), str) else (response.reason_phrase or "")
    found = body.get("errors")
    texts = [e for e in found if isinstance(e, str)] if isinstance(found, list) else []
    return message, texts


def error_for(response: httpx.Response, key: str) -> errors.UpstreamError:
    """The error class for a non-2xx answer, with the server's own words."""
    status = response.status_code
    message, texts = _envelope(response)
    detail = "; ".join(t for t in texts if t and t != message)
    text = f"{key} -> {status}: {message}" + (f" ({detail})" if detail else "")
    text = text[:1000]
    if status in TRANSIENT_STATUSES:
        exc = errors.UpstreamUnavailable(text, endpoint=key, status=status)
        exc.retry_after = _retry_after(response)
        return exc
    if status == 401:
        if key == "POST /auth":
            return errors.LoginFailed(f"{key} -> 401: LogiKal refused the configured credentials",
                                      endpoint=key, status=status)
        return errors.SessionExpired(text, endpoint=key, status=status)
    if status == 403:
        if key == "POST /auth":
            return errors.LoginRefused(text, endpoint=key, status=status)
        return errors.Forbidden(text, endpoint=key, status=status)
    if status == 404:
        return errors.NotFound(text, endpoint=key, status=status)
    if status == 405:
        return errors.WrongLevel(text, endpoint=key, status=status)
    if status == 409:
        lowered = " ".join([message, *texts]).lower()
        if any(marker in lowered for marker in MAPPING_MARKERS):
            return errors.MoveNotAllowed(text, endpoint=key, status=status)
        return errors.ResourceLocked(text, endpoint=key, status=status)
    if status in (400, 422):
        return errors.BadRequest(text, endpoint=key, status=status)
    return errors.PermanentUpstreamError(text, endpoint=key, status=status)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
