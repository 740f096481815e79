"""Failed authentication is limited per client address, in PostgreSQL (right with any number of processes).

After ``AXES_FAILURE_LIMIT`` failures from one address, every authentication from it is
refused (429, ``Retry-After``) until ``AXES_COOLOFF_TIME`` has passed since its last failure;
failures older than that are forgotten. These are django-axes' own settings (environment:
AUTH_FAILURE_LIMIT, AUTH_COOLOFF_S), so the admin's login and the API share one limit and
one cool-off. Axes counts per user and address; here there is no user (the key is the
secret), so the count is per address. Only failures write; a request from an address with no
recent failure costs one indexed read.
"""

import ipaddress
import math

from django.conf import settings
from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from ..models import ApiAuthFailure

UNKNOWN_ADDRESS = "0.0.0.0"


def client_address(request) -> str:
    """The caller's address: the peer, or the entry the trusted proxies appended to X-Forwarded-For."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return UNKNOWN_ADDRESS


def failure_annotations(address: str) -> dict:
    """Subqueries that bring the address's failure count along with another lookup (one statement)."""
    row = ApiAuthFailure.objects.filter(address=address)
    return {"address_failures": Subquery(row.values("failures")[:1]),
            "address_last_failure": Subquery(row.values("last_failure_at")[:1])}


def lock_remaining(failures: int | None, last_failure_at, now=None) -> int:
    """Seconds until an address with these failures may try again; 0 when it is not locked."""
    if not failures or failures < settings.AXES_FAILURE_LIMIT:
        return 0
    now = now or timezone.now()
    remaining = (last_failure_at + settings.AXES_COOLOFF_TIME - now).total_seconds()
    return max(0, math.ceil(remaining))


def seconds_locked(address: str, now=None) -> int:
    """Seconds until `address` may try again; 0 when it is not locked."""
    row = ApiAuthFailure.objects.filter(address=address).values_list("failures", "last_failure_at").first()
    return lock_remaining(*(row or (0, None)), now=now)


def record_failure(address: str, now=None) -> None:
    """Count one failure (one statement; a failure after the cool-off starts a new count)."""
    now = now or timezone.now()
    forget_before = now - settings.AXES_COOLOFF_TIME
    table = ApiAuthFailure._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (address, failures, last_failure_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (address) DO UPDATE SET last_failure_at = EXCLUDED.last_failure_at, "
            f"failures = CASE WHEN {table}.last_failure_at < %s THEN 1 ELSE {table}.failures + 1 END",
            [address, now, forget_before],
        )


def forget_old_failures(now=None) -> int:
    now = now or timezone.now()
    cutoff = now - settings.AXES_COOLOFF_TIME
    return ApiAuthFailure.objects.filter(last_failure_at__lt=cutoff).delete()[0]
