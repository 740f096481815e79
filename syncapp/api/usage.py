"""Every /api/ request: one log line naming its client, and a count per client and status for /metrics.

Counting writes nothing on the request's hot path: counts gather in process memory and are
added to ``ApiRequestCount`` (with each client's "last used") at most every
``API_USAGE_FLUSH_S`` seconds per process, by the request that finds the period over, and
at process exit. A process killed with SIGKILL loses at most that period's counts.
"""

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from ..models import ApiClient, ApiRequestCount

logger = logging.getLogger("syncapp.api")


class UsageCounts:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Counter = Counter()  # (hour, client name, status) -> n
        self._last_used: dict[int, datetime] = {}  # client id -> latest request
        self._flushed_at = time.monotonic()

    def add(self, client, status: int, at: datetime) -> None:
        hour = at.replace(minute=0, second=0, microsecond=0)
        with self._lock:
            self._counts[(hour, client.name if client else "", status)] += 1
            if client is not None:
                self._last_used[client.pk] = at

    def due(self) -> bool:
        return time.monotonic() - self._flushed_at >= settings.API_USAGE_FLUSH_S

    def flush(self, *, quiet: bool = False) -> None:
        """Write what was counted (one short transaction); on failure keep it for the next flush."""
        with self._lock:
            counts, last_used = self._counts, self._last_used
            self._counts, self._last_used, self._flushed_at = Counter(), {}, time.monotonic()
        if not counts and not last_used:
            return
        try:
            _write(counts, last_used)
        except Exception:
            if quiet:  # at exit: logging may be closed already, and there is no next flush
                return
            logger.warning("Could not write API usage counts; keeping them for the next flush", exc_info=True)
            with self._lock:
                self._counts.update(counts)
                for pk, at in last_used.items():
                    self._last_used[pk] = max(at, self._last_used.get(pk, at))


def _write(counts: Counter, last_used: dict) -> None:
    table = ApiRequestCount._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for (hour, name, status), n in sorted(counts.items()):
            cursor.execute(
                f"INSERT INTO {table} (hour, client_name, status, count) VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT (hour, client_name, status) DO UPDATE SET count = {table}.count + EXCLUDED.count",
                [hour, name, status, n],
            )
        for pk, at in sorted(last_used.items()):
            ApiClient.objects.filter(pk=pk).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=at)).update(
                last_used_at=at
            )


USAGE = UsageCounts()


def flush_usage() -> None:
    USAGE.flush()


atexit.register(USAGE.flush, quiet=True)


class ApiUsageMiddleware:
    """Logs and counts requests under /api/; everything else passes untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        client = getattr(request, "api_client", None)
        name = client.name if client else "-"
        level = logging.WARNING if response.status_code >= 500 else logging.INFO
        logger.log(
            level, "api %s %s %d client=%s duration_ms=%s", request.method, request.path, response.status_code, name,
            duration_ms,
            extra={"client": name, "method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration_ms},
        )
        response._has_been_logged = True  # our line names the client; Django's own warning would not
        USAGE.add(client, response.status_code, datetime.now(UTC))
        if USAGE.due():
            USAGE.flush()
        return response
