"""Request/response values and the MBIOE JSON envelopes.

Success: ``{"data": ..., "hints": [], "warnings": []}`` (no ``data`` key for calls without a
payload). Error: ``{"message", "code", "hints": [], "warnings": [], "errors": [...]}``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

JSON_TYPE = "application/json; charset=utf-8"
BINARY_TYPE = "application/octet-stream"

INVALID_BODY = "The request is in an invalid format or is missing required properties."
INVALID_SESSION = "Invalid session authentication identifier."
NOT_FOUND = "The requested resource could not be selected because it was not found."
FORBIDDEN = "The request cannot be performed as the user is missing the required permission."
LOCKED = "The requested resource is locked, is in use by another user or the request cannot be performed due to the current resource state."


@dataclass
class Request:
    method: str
    path: str  # as sent, e.g. "/MbioeService.svc/api/v3//elevations"
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # keys lower case
    body: bytes = b""
    # Set by the HTTP shell when the server stops, so long sleeps end early.
    cancel: threading.Event = field(default_factory=threading.Event)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def bearer_token(self) -> str | None:
        value = self.header("authorization") or ""
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def json_body(self):
        """The parsed JSON body, or ApiError(400) when it is absent or malformed."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, INVALID_BODY, ["The request body is not valid JSON."]) from None


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    template: str = ""  # endpoint template it was routed to, e.g. "GET /elevations"

    def json(self):
        return json.loads(self.body)


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors if errors is not None else [message]


def dump(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ok(data=None, *, with_data: bool = True) -> Response:
    payload = {"data": data, "hints": [], "warnings": []} if with_data else {"hints": [], "warnings": []}
    return Response(200, dump(payload))


def ok_empty() -> Response:
    return ok(with_data=False)


def error(status: int, message: str, errors: list[str] | None = None) -> Response:
    payload = {"message": message, "code": status, "hints": [], "warnings": [],
               "errors": errors if errors is not None else [message]}
    return Response(status, dump(payload))


def binary(data: bytes) -> Response:
    return Response(200, data, BINARY_TYPE)


def require_fields(body, spec: dict[str, type | tuple[type, ...]], *, required: tuple[str, ...]) -> dict:
    """Check a JSON object body: required keys present, every known key of the right type."""
    if not isinstance(body, dict):
        raise ApiError(400, INVALID_BODY, ["The request body must be a JSON object."])
    problems = [f"The property '{name}' is required." for name in required if body.get(name) is None]
    for name, kinds in spec.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
            problems.append(f"The property '{name}' has the wrong type.")
    if problems:
        raise ApiError(400, INVALID_BODY, problems)
    return body


def _as_tuple(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)
