"""The LogiKal client: typed read calls over a shared, capped pool of navigated sessions.

    from syncapp.logikal import get_upstream
    upstream = get_upstream()                       # one per process, built from settings
    with upstream.track() as calls:                 # count this job's requests
        projects = upstream.list_projects("Demo Odoo")
    calls.total, calls.by_endpoint, calls.logins

Errors are in `syncapp.logikal.errors`; each has a `retryable` flag.
"""

from __future__ import annotations

import atexit
import os
import threading

from . import errors
from .counting import CallCounter
from .responses import DirectoryInfo, ElevationInfo, PhaseInfo, ProjectInfo, SurfaceInfo
from .handle import SessionHandle
from .upstream import Upstream
from .values import normalize_guid, parse_timestamp

__all__ = [
    "CallCounter", "DirectoryInfo", "ElevationInfo", "PhaseInfo", "ProjectInfo", "SessionHandle", "SurfaceInfo",
    "Upstream", "errors", "get_upstream", "normalize_guid", "parse_timestamp", "reset_upstream",
]

_lock = threading.Lock()
_instance: tuple[int, Upstream] | None = None


def build_upstream_from_settings() -> Upstream:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.LOGIKAL_API_BASE_URL:
        raise ImproperlyConfigured("LOGIKAL_API_BASE_URL is not set: the worker has no LogiKal server to sync from")
    return Upstream(
        settings.LOGIKAL_API_BASE_URL, settings.LOGIKAL_USERNAME, settings.LOGIKAL_PASSWORD,
        settings.LOGIKAL_MAX_SESSIONS,
        connect_timeout_s=settings.LOGIKAL_CONNECT_TIMEOUT_S,
        read_timeout_s=settings.LOGIKAL_READ_TIMEOUT_S,
        lease_s=settings.LOGIKAL_SESSION_LEASE_S,
        idle_s=settings.LOGIKAL_SESSION_IDLE_S,
        wait_timeout_s=settings.LOGIKAL_SESSION_WAIT_S,
    )


def get_upstream() -> Upstream:
    """The process-wide client, built from settings on first use (and again after a fork)."""
    global _instance
    with _lock:
        if _instance is None or _instance[0] != os.getpid():
            _instance = (os.getpid(), build_upstream_from_settings())
        return _instance[1]


def reset_upstream() -> None:
    """Close the process-wide client (logging its sessions out); the next get_upstream() builds anew."""
    global _instance
    with _lock:
        current, _instance = _instance, None
    if current is not None and current[0] == os.getpid():
        current[1].close()


atexit.register(reset_upstream)
