"""Jobs running longer than any job should, and the objects whose waiting job they hold up.

A sync or parse job takes seconds; one ``doing`` for longer than ``STALLED_JOB_SECONDS`` is either
very slow or no longer run by anything (its worker died and the rescue has not settled it yet).
Its object's lock blocks every later job of that object meanwhile. The dashboard, ``/metrics`` and
``sync_status`` show both, read from Procrastinate's tables (a job's start is its last ``started``
event).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

# Raw SQL: each answer joins a job to its start (a lateral max over its events) and, for blocked
# objects, to the job holding its lock, in one statement; the read-only ORM models would need a
# subquery per column.
_STARTED = ("JOIN LATERAL (SELECT max(at) AS started FROM procrastinate_events "
            "WHERE job_id = {job}.id AND type = 'started') s ON true")


@dataclass(frozen=True)
class LongJob:
    job_id: int
    task_name: str
    what: str  # the object ("project 41") or the task
    running_s: float


@dataclass(frozen=True)
class BlockedObject:
    what: str
    waiting_job_id: int
    blocking_job_id: int
    blocked_s: float  # how long the blocking job has been running


def _what(task_name: str, args) -> str:
    import json

    args = json.loads(args) if isinstance(args, str) else (args or {})
    if "object_type" in args:
        return f"{args['object_type']} {args.get('object_id')}"
    if "parts_list_id" in args:
        return f"parts list {args['parts_list_id']}"
    return task_name


def _threshold(seconds: float | None) -> float:
    return settings.STALLED_JOB_SECONDS if seconds is None else seconds


def long_running_jobs(seconds: float | None = None, *, limit: int = 20) -> list[LongJob]:
    """Jobs of every queue ``doing`` for longer than `seconds` (default STALLED_JOB_SECONDS), longest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT j.id, j.task_name, j.args, extract(epoch FROM now() - s.started) FROM procrastinate_jobs j "
            + _STARTED.format(job="j")
            + " WHERE j.status = 'doing' AND s.started < now() - make_interval(secs => %s) "
            "ORDER BY s.started LIMIT %s", [_threshold(seconds), limit])
        return [LongJob(job_id, task, _what(task, args), float(age)) for job_id, task, args, age in cursor.fetchall()]


def blocked_objects(seconds: float | None = None, *, limit: int = 20) -> list[BlockedObject]:
    """Objects whose job is due but waits behind a job of the same lock ``doing`` for longer than `seconds`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.task_name, w.args, w.id, d.id, extract(epoch FROM now() - s.started) "
            "FROM procrastinate_jobs w JOIN procrastinate_jobs d ON d.lock = w.lock AND d.status = 'doing' "
            + _STARTED.format(job="d")
            + " WHERE w.status = 'todo' AND (w.scheduled_at IS NULL OR w.scheduled_at <= now()) "
            "AND s.started < now() - make_interval(secs => %s) ORDER BY s.started, w.id LIMIT %s",
            [_threshold(seconds), limit])
        return [BlockedObject(_what(task, args), waiting, blocking, float(age))
                for task, args, waiting, blocking, age in cursor.fetchall()]


def counts(seconds: float | None = None) -> dict[str, int]:
    """{"jobs_running_too_long": n, "objects_blocked": n} (for /metrics and the dashboard's JSON)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM procrastinate_jobs j " + _STARTED.format(job="j")
            + " WHERE j.status = 'doing' AND s.started < now() - make_interval(secs => %s)), "
            "(SELECT count(DISTINCT w.lock) FROM procrastinate_jobs w "
            "JOIN procrastinate_jobs d ON d.lock = w.lock AND d.status = 'doing' " + _STARTED.format(job="d")
            + " WHERE w.status = 'todo' AND (w.scheduled_at IS NULL OR w.scheduled_at <= now()) "
            "AND s.started < now() - make_interval(secs => %s))",
            [_threshold(seconds), _threshold(seconds)])
        long_running, blocked = cursor.fetchone()
    return {"jobs_running_too_long": long_running, "objects_blocked": blocked}
