"""What went wrong, in the words of the staff who read the admin: one short line per error.

The technical text (class, endpoint, status, the server's own message) stays on the run and
the object for whoever digs deeper; this is the line shown in lists and on the dashboard,
e.g. "LogiKal server error while listing phases". It is built from the error's class, its
endpoint template and its HTTP status only, never from the server's text (hostile data, and
in whatever language the server speaks).
"""

from __future__ import annotations

from . import errors

SUMMARY_MAX_CHARS = 200

# What the sync was doing when the call failed, by endpoint template (syncapp.logikal.http.ALLOWED).
ACTIONS = {
    "POST /auth": "logging in",
    "DELETE /auth": "logging out",
    "GET /version": "checking the server version",
    "GET /directories": "listing directories",
    "POST /directories/select": "opening a directory",
    "GET /projects": "listing projects",
    "POST /projects/select": "opening a project",
    "GET /projects/selected": "reading the project's details",
    "GET /phases": "listing phases",
    "POST /phases/select": "opening a phase",
    "GET /elevations": "listing elevations",
    "POST /elevations/select": "opening an elevation",
    "GET /elevations/{elevationId}/thumbnail": "downloading a thumbnail",
    "GET /elevations/selected/thumbnail": "downloading a thumbnail",
    "GET /elevations/selected/drawing": "downloading a drawing",
    "GET /elevations/selected/parts-list": "downloading the parts list",
}


def action_of(endpoint: str) -> str:
    return ACTIONS.get(endpoint, "talking to LogiKal")


def _upstream_summary(error: errors.UpstreamError) -> str:
    action = action_of(error.endpoint)
    status = error.status
    # Most specific classes first: several derive from one another.
    if isinstance(error, errors.LoginFailed):
        return "LogiKal refused the configured login (check LOGIKAL_USERNAME and LOGIKAL_PASSWORD)"
    if isinstance(error, errors.LoginRefused):
        return "LogiKal has no free session for our user (its session limit is reached)"
    if isinstance(error, errors.SessionUncertain):
        return "A LogiKal session that may still be open had to expire first (session limit kept)"
    if isinstance(error, errors.SessionSlotTimeout):
        return "Waited too long for a free LogiKal session (all allowed sessions were busy)"
    if isinstance(error, errors.SessionExpired):
        return f"LogiKal ended the session while {action}"
    if isinstance(error, errors.UpstreamTimeout):
        return f"LogiKal did not answer in time while {action}"
    if isinstance(error, errors.UpstreamUnavailable):
        if status == 429:
            return f"LogiKal asked us to slow down while {action}"
        if status is not None:
            return f"LogiKal server error while {action}"
        return f"Could not reach LogiKal while {action}"
    if isinstance(error, errors.ResourceLocked):
        return f"Locked by another LogiKal user while {action}"
    if isinstance(error, errors.NotFound):
        return f"LogiKal no longer has it (not found while {action})"
    if isinstance(error, errors.Forbidden):
        return f"Our LogiKal user has no permission for {action}"
    if isinstance(error, errors.NavigationError):
        return f"LogiKal would not let the session move there while {action}"
    if isinstance(error, errors.BadRequest):
        return f"LogiKal rejected the request while {action}"
    if isinstance(error, errors.MalformedResponse):
        field = f" (field {error.field})" if error.field else ""
        if error.retryable:
            return f"LogiKal's answer arrived cut short while {action}"
        return f"LogiKal answered in an unexpected form while {action}{field}"
    if isinstance(error, errors.UpstreamClosed):
        return "Stopped because the worker was shutting down"
    if status is not None:
        return f"LogiKal error {status} while {action}"
    return f"LogiKal error while {action}"


def _is_database_error(error: BaseException) -> bool:
    from django.db import DatabaseError

    return isinstance(error, DatabaseError) or type(error).__module__.startswith("psycopg")


def summarize(error: BaseException) -> str:
    """One short line saying what went wrong, for staff; the technical text is kept beside it."""
    if isinstance(error, errors.UpstreamError):
        text = _upstream_summary(error)
    elif _is_database_error(error):
        text = "Database error (connection lost or statement refused)"
    elif isinstance(error, (TimeoutError, ConnectionError)):
        text = "Network problem while talking to LogiKal"
    else:
        text = f"Unexpected error in the sync ({type(error).__name__}); see the details"
    return text[:SUMMARY_MAX_CHARS]
