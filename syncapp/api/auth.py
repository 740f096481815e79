"""Who is calling: `Authorization: Bearer <API key | v1 token>` -> an active ApiClient, with scopes.

Every request reads the client from the database (one statement: the key's digest, with the
caller address's failure count), so a revoked client is refused on its very next request.
"""

from django.utils import timezone
from ninja.security import HttpBearer

from ..models import ApiClient, ApiToken
from . import throttle
from .errors import ApiError
from .keys import TOKEN_PREFIX, digest

MAX_SECRET_LENGTH = 200


def client_for_secret(secret: str, address: str) -> ApiClient | None:
    """The active client a key or unexpired v1 token belongs to, or None.

    The client comes with its caller's failure count (``address_failures``), so a valid key
    costs one statement in all.
    """
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    failures = throttle.failure_annotations(address)
    if secret.startswith(TOKEN_PREFIX):
        token = (ApiToken.objects.select_related("client").annotate(**failures)
                 .filter(token_hash=digest(secret), expires_at__gt=timezone.now(), client__active=True).first())
        if token is None:
            return None
        token.client.address_failures, token.client.address_last_failure = (token.address_failures,
                                                                             token.address_last_failure)
        return token.client
    return ApiClient.objects.annotate(**failures).filter(key_hash=digest(secret), active=True).first()


def refuse_if_locked(request) -> str:
    """Raise 429 when the caller's address is past the failure limit; returns the address."""
    address = throttle.client_address(request)
    wait = throttle.seconds_locked(address)
    if wait:
        raise _locked(address, wait)
    return address


def _locked(address: str, wait: int) -> ApiError:
    return ApiError(429, "TOO_MANY_FAILED_ATTEMPTS",
                    f"Too many failed authentications from {address}; try again in {wait} s.",
                    headers={"Retry-After": str(wait)})


def authenticate(request, secret: str) -> ApiClient:
    """The client of `secret`, remembered on the request (for the log line and the counts); 401/429 otherwise.

    A locked address is refused whatever it sends, the right key included: the limit is
    there to stop guessing, and a guess must not be told apart by its answer.
    """
    address = throttle.client_address(request)
    client = client_for_secret(secret.strip(), address)
    if client is not None:
        wait = throttle.lock_remaining(client.address_failures, client.address_last_failure)
    else:
        wait = throttle.seconds_locked(address)
    if wait:
        raise _locked(address, wait)
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
