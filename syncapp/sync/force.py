"""Force sync: one function used by the admin, the commands and the benchmarks."""

from dataclasses import dataclass

from django.db import transaction

from ..models.tree import type_of
from ..models.runs import Trigger
from .jobs import PlannedJob, defer_sync_jobs


class ForceSyncRefused(Exception):
    """The object cannot be force-synced as asked (removed, or excluded without override)."""


@dataclass
class ForceResult:
    job_ids: list[int]
    already_queued: list[PlannedJob]

    @property
    def queued(self) -> int:
        return len(self.job_ids)


def planned_job_for(obj) -> PlannedJob:
    return PlannedJob(obj.OBJECT_TYPE, obj.pk, str(obj), "forced")


def force_sync(obj, *, subtree: bool = False, include_excluded: bool = False) -> ForceResult:
    """Queue a forced sync of `obj` (and, with `subtree`, of everything below it as it is reached).

    Forced jobs outrank all others. Forcing an object whose forced job is still
    waiting queues nothing new and reports it in `already_queued`; a forced job
    never runs at the same time as another job of the same object (shared lock).
    """
    return force_sync_many([obj], subtree=subtree, include_excluded=include_excluded)


def force_sync_many(objects, *, subtree: bool = False, include_excluded: bool = False) -> ForceResult:
    objects = list(objects)
    for obj in objects:
        try:
            type_of(obj)
        except TypeError:
            raise ForceSyncRefused(f"cannot sync a {type(obj).__name__}") from None
        if obj.removed_at is not None:
            raise ForceSyncRefused(f"{obj.OBJECT_TYPE} {obj} was removed upstream")
    if not include_excluded:
        excluded = _first_excluded(objects)
        if excluded is not None:
            raise ForceSyncRefused(f"{excluded.OBJECT_TYPE} {excluded} is excluded; pass include_excluded to sync it anyway")
    with transaction.atomic():
        result = defer_sync_jobs(
            [planned_job_for(obj) for obj in objects], trigger=Trigger.FORCED, subtree=subtree,
            include_excluded=include_excluded,
        )
    return ForceResult(result.job_ids, result.already_queued)


def _first_excluded(objects):
    """One query per type, however many objects (the admin's "sync all" passes thousands)."""
    by_model: dict = {}
    for obj in objects:
        by_model.setdefault(type(obj), []).append(obj)
    for model, rows in by_model.items():
        excluded = set(model.objects.filter(pk__in=[r.pk for r in rows]).filter(model.objects.excluded_q())
                       .values_list("pk", flat=True))
        for row in rows:
            if row.pk in excluded:
                return row
    return None
