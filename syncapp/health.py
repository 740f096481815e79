"""Readiness: can this deployment do its job right now?

Three checks, cheapest first; the first failure is the reason:
- the database answers;
- every migration on disk is applied (a web process started before the release
  phase finished would otherwise serve a schema it does not know);
- when background sync is on, the scheduler ticked recently (no worker, or a
  stuck one, shows up here rather than as slowly ageing data).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

logger = logging.getLogger(__name__)

# How late a tick may be beyond the missed one we tolerate: start-up, a slow tick, clock skew.
TICK_SLACK = timedelta(seconds=60)


@dataclass
class Readiness:
    ready: bool = True
    reason: str = ""
    checks: dict = field(default_factory=dict)
    last_tick_at: datetime | None = None

    def fail(self, check: str, reason: str) -> "Readiness":
        self.ready = False
        self.reason = reason
        self.checks[check] = "failed"
        return self

    def as_json(self) -> dict:
        data = {"status": "ready" if self.ready else "unavailable", "checks": self.checks}
        if self.reason:
            data["reason"] = self.reason
        if self.last_tick_at is not None:
            data["last_tick_at"] = self.last_tick_at.isoformat()
        return data


def tick_deadline(now: datetime, cron: str) -> datetime:
    """The oldest acceptable last tick: one missed tick is tolerated, two are not.

    Uses the cron's own fire times rather than a fixed period, so schedules with
    uneven gaps (hourly on weekdays, say) are judged by the gap that applies now.
    """
    from croniter import croniter

    fires = croniter(cron, now)
    fires.get_prev(datetime)
    second_to_last = fires.get_prev(datetime)
    return second_to_last - TICK_SLACK


def pending_migrations(connection) -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_readiness(*, now=None, using: str = "default") -> Readiness:
    result = Readiness()
    connection = connections[using]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        # The probe is public: the details (host, port) go to the log, not the response.
        logger.warning("Readiness: database unreachable: %s", error)
        return result.fail("database", f"database unreachable ({type(error).__name__})")
    result.checks["database"] = "ok"

    try:
        pending = pending_migrations(connection)
    except DatabaseError as error:
        logger.warning("Readiness: could not read applied migrations: %s", error)
        return result.fail("migrations", f"could not read applied migrations ({type(error).__name__})")
    if pending:
        shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        return result.fail("migrations", f"{len(pending)} migration(s) not applied: {shown}")
    result.checks["migrations"] = "ok"

    if not settings.BACKGROUND_SYNC_ENABLED:
        result.checks["scheduler"] = "skipped: background sync is disabled"
        return result
    from .models import SchedulerTick

    now = now or timezone.now()
    last = SchedulerTick.objects.using(using).order_by("-ticked_at").values_list("ticked_at", flat=True).first()
    result.last_tick_at = last
    if last is None:
        return result.fail("scheduler", "no scheduler tick recorded yet: is a worker running?")
    try:
        deadline = tick_deadline(now, settings.SCHEDULER_CRON)
    except (ValueError, KeyError) as error:
        return result.fail("scheduler", f"SCHEDULER_CRON {settings.SCHEDULER_CRON!r} is not a valid cron: {error}")
    if last < deadline:
        age = int((now - last).total_seconds())
        return result.fail(
            "scheduler", f"last scheduler tick was {age} s ago (schedule {settings.SCHEDULER_CRON!r}): is a worker running?"
        )
    result.checks["scheduler"] = "ok"
    return result
