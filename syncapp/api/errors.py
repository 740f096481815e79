"""One error shape for /api/v2 and /api/v1: ``{"detail": {"code", "message", "details"}}``.

It is the old middleware's shape (an existing Odoo module parses it), so v2 uses it too.
Bad input answers 400 on v2 and 422 on v1 (the status FastAPI gave the old clients),
naming the parameter and what was wrong with it. Unexpected errors answer 500 with no
internals; the traceback goes to the log.
"""

import logging

from django.http import Http404
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger("syncapp.api")


class ApiError(HttpError):
    def __init__(self, status: int, code: str, message: str, details=None, headers: dict | None = None):
        super().__init__(status_code=status, message=message)
        self.code, self.details, self.headers = code, details, headers or {}


def not_found(what: str, ident) -> ApiError:
    return ApiError(404, f"{what.upper()}_NOT_FOUND", f"{what.capitalize()} with ID '{ident}' not found")


def found(row, what: str, ident):
    """`row` from a lookup by id, or the 404 of `what` when it found nothing."""
    if row is None:
        raise not_found(what, ident)
    return row


def bad_request(message: str, details=None, *, status: int = 400) -> ApiError:
    return ApiError(status, "VALIDATION_ERROR", message, details)


def error_body(code: str, message: str, details=None) -> dict:
    return {"detail": {"code": code, "message": message, "details": details}}


def _location(error: dict) -> str:
    parts = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    return ".".join(parts) or "request"


def describe_validation(errors: list[dict]) -> tuple[str, list[dict]]:
    details = [{"field": _location(e), "problem": e.get("msg", "invalid")} for e in errors]
    message = "; ".join(f"{d['field']}: {d['problem']}" for d in details) or "invalid request"
    return f"Invalid request: {message}", details


def install_error_handlers(api, *, validation_status: int) -> None:
    def respond(request, status: int, code: str, message: str, details=None, headers=None):
        response = api.create_response(request, error_body(code, message, details), status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def on_api_error(request, exc: ApiError):
        return respond(request, exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    def on_validation(request, exc: ValidationError):
        message, details = describe_validation(exc.errors)
        return respond(request, validation_status, "VALIDATION_ERROR", message, details)

    def on_authentication(request, exc: AuthenticationError):
        return respond(request, 401, "NOT_AUTHENTICATED", "Send 'Authorization: Bearer <API key or token>'.",
                       headers={"WWW-Authenticate": 'Bearer realm="api"'})

    def on_http_error(request, exc: HttpError):
        if exc.status_code == 400:  # ninja's own refusals, e.g. a body that is not JSON
            return respond(request, validation_status, "VALIDATION_ERROR", f"Invalid request: {exc}")
        return respond(request, exc.status_code, "HTTP_ERROR", str(exc))

    def on_404(request, exc):
        return respond(request, 404, "NOT_FOUND", "Not found")

    def on_unexpected(request, exc):
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(request, 500, "INTERNAL_ERROR", "Internal server error (see the web log)")

    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_authentication)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(ApiError, on_api_error)
