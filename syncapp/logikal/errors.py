"""Errors of the LogiKal client. Each says whether retrying the job can help (`retryable`).

The sync engine only reads ``retryable``; the classes exist so that callers and tests can tell
the cases apart. Messages carry the endpoint template and the server's own text, never a
token, a password or a request body.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """Base class. ``status`` is the HTTP status when the server answered."""

    retryable = False

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None,
                 retryable: bool | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        if retryable is not None:
            self.retryable = retryable


# -- transient: the same request may well succeed later -----------------------------------------
class TransientUpstreamError(UpstreamError):
    """Timeouts, refused connections, 429 and 5xx answers (after the client's own retries)."""

    retryable = True


class UpstreamTimeout(TransientUpstreamError):
    pass


class UpstreamUnavailable(TransientUpstreamError):
    """No connection, or the server answered 5xx / 429."""


# -- retryable, but not by repeating the request at once: the job is tried again later ----------
class RetryableUpstreamError(UpstreamError):
    """Cases the HTTP client does not repeat itself (unlike `TransientUpstreamError`): a later
    attempt of the job, in another session or after the lock is gone, may succeed."""

    retryable = True


class ResourceLocked(RetryableUpstreamError):
    """409: the resource is locked or in use by another LogiKal user."""


class SessionExpired(RetryableUpstreamError):
    """401 on a token: the session is gone. The pool logs in again and replays the navigation."""


class LoginRefused(RetryableUpstreamError):
    """POST /auth answered 403: the server holds as many sessions as its licence allows."""


class SessionUncertain(RetryableUpstreamError):
    """A session whose login or logout outcome is unknown, or whose slot was lost, may not log in
    again or make calls: the server may still count it. The job retries on another session."""


class SessionSlotTimeout(RetryableUpstreamError):
    """No upstream session became free within the wait limit (LOGIKAL_MAX_SESSIONS is in use)."""


# -- permanent: retrying the same thing cannot help ---------------------------------------------
class PermanentUpstreamError(UpstreamError):
    retryable = False


class LoginFailed(PermanentUpstreamError):
    """POST /auth answered 401: the configured credentials are wrong."""


class NotFound(PermanentUpstreamError):
    """404: the directory, project, phase or elevation does not exist (any more)."""


class Forbidden(PermanentUpstreamError):
    """403: the LogiKal user lacks the permission (e.g. for a parts list)."""


class BadRequest(PermanentUpstreamError):
    """400: the server rejected the request as malformed."""


class NavigationError(PermanentUpstreamError):
    """405 (wrong cursor level) or 409 (a select not valid in the current mapping).

    The session recovers from these itself (fresh session, learned moves); one reaching the
    caller means the server keeps refusing a route that should work.
    """


class WrongLevel(NavigationError):
    """405: "This operation expects the session to be in a ..."."""


class MoveNotAllowed(NavigationError):
    """409: "The requested resource '...' cannot be set, because it isn't valid in the current mapping."."""


class MalformedResponse(UpstreamError):
    """The answer is not what the API documents: bad JSON, or a used field missing or mistyped.

    ``field`` names the offending field (``"elevations[3].changedDate"``). A cut-short body is
    retryable (a transfer problem); a wrong field is not (the server speaks another schema).
    """

    def __init__(self, message: str, *, field: str = "", endpoint: str = "", status: int | None = None,
                 retryable: bool = False):
        super().__init__(message, endpoint=endpoint, status=status, retryable=retryable)
        self.field = field


class UpstreamClosed(UpstreamError):
    """The client was closed (worker shutting down)."""

    retryable = True
