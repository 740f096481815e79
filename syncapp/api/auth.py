"""Who is calling: `Authorization: Bearer <API key | v1 token>` -> an active ApiClient, with scopes.

Every request reads the client from the database (two indexed lookups: the address's
failure count, the key's digest), so a revoked client is refused on its very next request.
"""

from django.utils import timezone
from ninja.security import HttpBearer

from ..models import ApiClient, ApiToken
from . import throttle
from .errors import ApiError
from .keys import TOKEN_PREFIX, digest

MAX_SECRET_LENGTH = 200


def client_for_secret(secret: str) -> ApiClient | None:
    """The active client a key or unexpired v1 token belongs to, or None."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    if secret.startswith(TOKEN_PREFIX):
        token = (ApiToken.objects.select_related("client")
                 .filter(token_hash=digest(secret), expires_at__gt=timezone.now(), client__active=True).first())
        return token.client if token else None
    return ApiClient.objects.filter(key_hash=digest(secret), active=True).first()


def refuse_if_locked(request) -> str:
    """Raise 429 when the caller's address is past the failure limit; returns the address."""
    address = throttle.client_address(request)
    wait = throttle.seconds_locked(address)
    if wait:
        raise ApiError(429, "TOO_MANY_FAILED_ATTEMPTS",
                       f"Too many failed authentications from {address}; try again in {wait} s.",
                       headers={"Retry-After": str(wait)})
    return address


def authenticate(request, secret: str) -> ApiClient:
    """The client of `secret`, remembered on the request (for the log line and the counts); 401/429 otherwise."""
    address = refuse_if_locked(request)
    client = client_for_secret(secret.strip())
    if client is None:
        throttle.record_failure(address)
        raise ApiError(401, "INVALID_TOKEN", "The API key or token is unknown, expired or revoked.",
                       headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    request.api_client = client
    return client


class ClientAuth(HttpBearer):
    """Ninja auth: a valid key or token whose client holds one of `scopes` (403 otherwise)."""

    def __init__(self, *scopes: str):
        super().__init__()
        self.scopes = scopes

    def authenticate(self, request, token: str) -> ApiClient:
        client = authenticate(request, token)
        if not any(client.has_scope(scope) for scope in self.scopes):
            needed = " or ".join(repr(scope) for scope in self.scopes)
            raise ApiError(403, "INSUFFICIENT_SCOPE", f"API client '{client.name}' lacks the {needed} scope.")
        return client


READ = ClientAuth("read")
SYNC = ClientAuth("sync")
READ_OR_SYNC = ClientAuth("read", "sync")
