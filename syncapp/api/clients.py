"""Creating, re-keying and revoking API clients, and issuing v1 tokens: one function each.

The admin, `manage.py api_client` and `manage.py up` all go through these, so an audit
trail (or anything else that must see every change of who may read the mirror) has one
place to hook: given an ``actor`` (the admin's request, or ``audit.command_actor``), each
writes its audit entry in the same transaction. Each returns the secret in clear exactly
once; only its digest is stored (and never reaches the audit trail).
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit
from ..models import ApiClient, ApiScope, ApiToken
from ..models.api import CLIENT_NAME_PATTERN
from .keys import KEY_PREFIX, SHOWN_PREFIX_LENGTH, TOKEN_PREFIX, digest, new_secret

V1_TOKEN_LIFETIME = timedelta(hours=24)


class ApiClientError(ValueError):
    """A request about API clients that cannot be carried out (bad name or scope, name taken, unknown)."""


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # in clear: show it once, never store or log it


def parse_scopes(text) -> list[str]:
    """'read,sync' or ['read', 'sync'] -> ['read', 'sync']; unknown scopes are refused."""
    items = text.split(",") if isinstance(text, str) else list(text)
    scopes = sorted({item.strip().lower() for item in items if item.strip()})
    known = {scope.value for scope in ApiScope}
    unknown = [scope for scope in scopes if scope not in known]
    if unknown:
        raise ApiClientError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if not scopes:
        raise ApiClientError(f"give at least one scope ({', '.join(sorted(known))})")
    return scopes


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not re.fullmatch(CLIENT_NAME_PATTERN, name):
        raise ApiClientError(
            f"invalid client name {name!r}: 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def _fresh_key(client: ApiClient) -> str:
    key = new_secret(KEY_PREFIX)
    client.key_prefix, client.key_hash = key[:SHOWN_PREFIX_LENGTH], digest(key)
    return key


def create_api_client(*, name: str, scopes, created_by=None, actor=None) -> IssuedKey:
    client = ApiClient(name=_check_name(name), scopes=parse_scopes(scopes), created_by=created_by)
    key = _fresh_key(client)
    try:
        with transaction.atomic():
            client.save()
            if actor is not None:
                audit.record(actor, audit.AuditAction.API_CLIENT_CREATE, client, changes={"scopes": [None, client.scopes]})
    except IntegrityError as error:
        raise ApiClientError(f"an API client named {client.name!r} already exists") from error
    return IssuedKey(client, key)


def rotate_api_client_key(client: ApiClient, *, actor=None) -> IssuedKey:
    """A new key for an existing client (the old key and its v1 tokens stop working at once); re-activates it."""
    with transaction.atomic():
        old_prefix, was_active = client.key_prefix, client.active
        key = _fresh_key(client)
        client.active, client.revoked_at = True, None
        client.save(update_fields=["key_prefix", "key_hash", "active", "revoked_at"])
        ApiToken.objects.filter(client=client).delete()
        if actor is not None:  # the shown prefix identifies a key; the rest of it is never kept
            audit.record(actor, audit.AuditAction.API_CLIENT_ROTATE, client, changes=audit.changed_fields(
                {"key_prefix": old_prefix, "active": was_active}, {"key_prefix": client.key_prefix, "active": True}))
    return IssuedKey(client, key)


def revoke_api_client(client: ApiClient, *, actor=None) -> bool:
    """Deactivate the client and drop its v1 tokens; the next request with its key is refused.

    Returns False when it was already revoked (and then writes no audit entry).
    """
    with transaction.atomic():
        changed = ApiClient.objects.filter(pk=client.pk, active=True).update(active=False, revoked_at=timezone.now())
        ApiToken.objects.filter(client_id=client.pk).delete()
        if changed and actor is not None:
            audit.record(actor, audit.AuditAction.API_CLIENT_REVOKE, client, changes={"active": [True, False]})
    client.refresh_from_db(fields=["active", "revoked_at"])
    return bool(changed)


def find_api_client(name: str) -> ApiClient:
    client = ApiClient.objects.filter(name=(name or "").strip()).first()
    if client is None:
        raise ApiClientError(f"no API client named {name!r}")
    return client


def issue_v1_token(client: ApiClient) -> tuple[str, int]:
    """A bearer token for the v1 login; returns (token, lifetime in seconds). Expired tokens are dropped here."""
    now = timezone.now()
    token = new_secret(TOKEN_PREFIX)
    with transaction.atomic():
        ApiToken.objects.filter(client=client, expires_at__lt=now).delete()
        ApiToken.objects.create(client=client, token_hash=digest(token), expires_at=now + V1_TOKEN_LIFETIME)
    return token, int(V1_TOKEN_LIFETIME.total_seconds())
