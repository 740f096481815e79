"""The database side of the session pool: lease slots, waiters and request counters.

All of it runs on one thread per process (`DbThread`) with its own connection, so these
short statements never join a caller's transaction and never wait on network I/O. Every
claim is a conditional UPDATE whose row count must be 1; times come from PostgreSQL's clock,
so hosts with skewed clocks agree on what has expired.
"""

from __future__ import annotations

import concurrent.futures
import logging
from datetime import timedelta

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Now

from ..models import UpstreamLatency, UpstreamRequestCount, UpstreamSessionLease, UpstreamSessionWaiter

logger = logging.getLogger(__name__)


def _in(seconds: float):
    return ExpressionWrapper(Now() + timedelta(seconds=seconds), output_field=DateTimeField())


def _free_q() -> Q:
    return Q(holder="") | Q(expires_at__lt=Now())


# -- slots ------------------------------------------------------------------------------------------
def ensure_slots(scope: str, cap: int) -> None:
    UpstreamSessionLease.objects.bulk_create(
        [UpstreamSessionLease(scope=scope, slot=slot) for slot in range(cap)], ignore_conflicts=True
    )


def claim_slot(scope: str, holder: str, cap: int, lease_s: float) -> int | None:
    """Take a free (or expired) slot below `cap` for `holder`; None when all are held."""
    candidates = list(
        UpstreamSessionLease.objects.filter(scope=scope, slot__lt=cap).filter(_free_q())
        .order_by("slot").values_list("slot", flat=True)
    )
    for slot in candidates:
        # Another process may have taken it since the read: the condition is checked again.
        taken = UpstreamSessionLease.objects.filter(scope=scope, slot=slot).filter(_free_q()).update(
            holder=holder, acquired_at=Now(), renewed_at=Now(), expires_at=_in(lease_s), cursor="", busy=False
        )  # the maintenance thread says "busy" within a heartbeat (SessionPool._tick)
        if taken == 1:
            return slot
    return None


def release_slot(scope: str, holder: str, slot: int) -> bool:
    return UpstreamSessionLease.objects.filter(scope=scope, slot=slot, holder=holder).update(
        holder="", acquired_at=None, renewed_at=None, expires_at=None, cursor="", busy=False
    ) == 1


def renew_slots(scope: str, holder: str, cursors: dict[int, str], lease_s: float,
                busy: frozenset[int] = frozenset()) -> set[int]:
    """Extend the leases of `holder`'s slots (saying which serve a job now); returns the slots it lost."""
    lost = set()
    for slot, cursor in cursors.items():
        renewed = UpstreamSessionLease.objects.filter(scope=scope, slot=slot, holder=holder).update(
            renewed_at=Now(), expires_at=_in(lease_s), cursor=cursor[:1024], busy=slot in busy
        )
        if renewed != 1:
            lost.add(slot)
    return lost


# -- waiters ----------------------------------------------------------------------------------------
def mark_waiting(scope: str, holder: str, ttl_s: float) -> None:
    updated = UpstreamSessionWaiter.objects.filter(scope=scope, holder=holder).update(expires_at=_in(ttl_s))
    if updated:
        return
    try:
        with transaction.atomic():
            UpstreamSessionWaiter.objects.create(scope=scope, holder=holder, since=Now(), expires_at=_in(ttl_s))
    except IntegrityError:
        UpstreamSessionWaiter.objects.filter(scope=scope, holder=holder).update(expires_at=_in(ttl_s))
    UpstreamSessionWaiter.objects.filter(expires_at__lt=Now()).delete()  # leftovers of dead processes


def unmark_waiting(scope: str, holder: str) -> None:
    UpstreamSessionWaiter.objects.filter(scope=scope, holder=holder).delete()


def pressure(scope: str, holder: str, cap: int) -> tuple[int, int]:
    """(other processes waiting for a slot, slots free right now)."""
    waiters = UpstreamSessionWaiter.objects.filter(scope=scope, expires_at__gte=Now()).exclude(holder=holder).count()
    if not waiters:
        return 0, 0
    free = UpstreamSessionLease.objects.filter(scope=scope, slot__lt=cap).filter(_free_q()).count()
    return waiters, free


# -- request counters -------------------------------------------------------------------------------
def add_request_counts(counts: dict) -> None:
    """Add {(hour, endpoint, outcome): n} to the hourly buckets (one short transaction)."""
    with transaction.atomic():
        for (hour, endpoint, status), amount in sorted(counts.items()):
            bucket = UpstreamRequestCount.objects.filter(hour=hour, endpoint=endpoint, status=status)
            if bucket.update(count=F("count") + amount):
                continue
            try:
                with transaction.atomic():
                    UpstreamRequestCount.objects.create(hour=hour, endpoint=endpoint, status=status, count=amount)
            except IntegrityError:  # another process created the bucket since our update
                bucket.update(count=F("count") + amount)


# -- latencies -----------------------------------------------------------------------------------
def merge_latencies(measured: dict[str, tuple[float, int]], weight: float) -> None:
    """Move each stored average towards the mean of `n` new requests as `n` requests of that mean would
    move an exponentially weighted average of weight `weight` (one short transaction)."""
    with transaction.atomic():
        for endpoint, (seconds, n) in sorted(measured.items()):
            share = 1 - (1 - weight) ** n
            row = UpstreamLatency.objects.filter(endpoint=endpoint)
            moved = {"seconds": F("seconds") + share * (seconds - F("seconds")), "samples": F("samples") + n,
                     "updated_at": Now()}
            if row.update(**moved):
                continue
            try:
                with transaction.atomic():
                    UpstreamLatency.objects.create(endpoint=endpoint, seconds=seconds, samples=n, updated_at=Now())
            except IntegrityError:  # another process created the row since our update
                row.update(**moved)


def stored_latencies() -> dict[str, float]:
    return dict(UpstreamLatency.objects.values_list("endpoint", "seconds"))


def save_latencies(db: "DbThread", book) -> None:
    """Merge what a `LatencyBook` measured since the last save (never raises: the next save measures again)."""
    measured = book.take_unsaved()
    if not measured:
        return
    try:
        db.run(merge_latencies, measured, book.weight)
    except Exception:  # noqa: BLE001
        logger.warning("could not store measured upstream latencies", exc_info=True)


def load_latencies(db: "DbThread", book) -> None:
    """Once per book: start from the stored figures (a failure leaves API.md's, which also work)."""
    if book.loaded:
        return
    book.loaded = True
    try:
        book.load(db.run(stored_latencies))
    except Exception:  # noqa: BLE001 - API.md's figures work too
        logger.warning("could not read stored upstream latencies; using the defaults", exc_info=True)


# -- the thread -------------------------------------------------------------------------------------
def _close_connection() -> None:
    connection.close()


class DbThread:
    """Runs database work on one thread with its own connection (closed by `stop`)."""

    def __init__(self, name: str = "logikal-db"):
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def run(self, function, *args, timeout: float = 30.0, **kwargs):
        return self._executor.submit(self._call, function, args, kwargs).result(timeout=timeout)

    @staticmethod
    def _call(function, args, kwargs):
        close_old_connections()  # drops a connection broken by a database restart
        return function(*args, **kwargs)

    def stop(self) -> None:
        try:
            # A function, not `connection.close`: that attribute would be looked up (and bound to
            # the calling thread's connection) here, not in the database thread.
            self._executor.submit(_close_connection).result(timeout=10)
        except Exception:  # noqa: BLE001 - closing must not fail a shutdown
            logger.debug("closing the session pool's database connection failed", exc_info=True)
        self._executor.shutdown(wait=True, cancel_futures=True)
