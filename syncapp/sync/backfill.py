"""Backfill order: work on recently changed projects runs before work on old archives.

A first sync, or any backlog, is worked through most recently changed project first, with
everything below it (phases, elevations, their parts lists). Two mechanisms share the rule:

- the scheduler tick, when more is due than ``SCHEDULER_MAX_JOBS_PER_TICK`` allows, queues the
  most recently changed first (``backfill_sort_key``; the planner orders in SQL the same way);
- every sync job gets a priority bonus by how recently its project changed
  (``recency_bonus``): Procrastinate runs the highest priority first, so a job queued later
  for a recent project overtakes jobs waiting for old ones.

The bonus comes in steps of a quarter of ``SCHEDULER_RECENCY_BONUS`` (default 40, i.e. steps
of 10, the gap between the default type priorities 40/30/20): within one age step the type
order (parents first) holds; a project changed today gets its parts lists (20 + 40) ahead of an
archive's project listings (30 + 0). Directory listings get the full bonus: they are few and
they find new projects, which are the most recent of all.
"""

from datetime import datetime, timedelta

from django.conf import settings

from ..models.config import TYPE_ORDER, ObjectType

# (changed within, share of the full bonus): a step function, so equal ages give equal priority
# and Procrastinate's id order (the tick's insertion order) decides among them.
RECENCY_STEPS = (
    (timedelta(days=1), 1.0),
    (timedelta(days=7), 0.75),
    (timedelta(days=30), 0.5),
    (timedelta(days=365), 0.25),
)


def recency_bonus(object_type: str, changed: datetime | None, now: datetime) -> int:
    """Priority points for a job whose project changed upstream at `changed` (None: unknown, no bonus)."""
    full = settings.SCHEDULER_RECENCY_BONUS
    if object_type == ObjectType.DIRECTORY:
        return full
    if changed is None:
        return 0
    age = now - changed
    for within, share in RECENCY_STEPS:
        if age <= within:
            return round(full * share)
    return 0


def backfill_sort_key(job) -> tuple:
    """Directories first, then the most recently changed project's work, parents before children."""
    is_directory = job.object_type == ObjectType.DIRECTORY
    stamp = job.changed.timestamp() if job.changed is not None else float("-inf")
    return (not is_directory, -stamp, TYPE_ORDER.index(job.object_type), job.object_id)
