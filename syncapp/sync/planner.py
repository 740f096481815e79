"""What is due: the minimal set of sync jobs that keeps every object within its interval.

An object is verified by the listing of its parent, so "X is due" means "X's
parent must list its children". A node needs a job when a listing it owns is
due (or it changed upstream, or it was never listed):

- directory: lists child directories and projects -> due when listed_at is older
  than the shorter of the directory and project intervals;
- project: lists its phases -> due after the phase interval, or when its
  changedDate moved past the one its phases were listed at;
- phase: lists its elevations -> due after the elevation interval;
- elevation: fetches its parts list -> when its changedDate moved past the
  stored list's (or it has none).

"Due" is not computed here: each type's ``job_due()`` QuerySet method
(``syncapp/models/freshness.py``) is the one definition the admin, metrics,
commands and API share. This module only picks, from those, the top-most needing
node of each branch: its sync cascades down (``plan_due_jobs(root=node)`` after it
finishes), so children are always listed after their parent. Every query here is
one statement whatever the tree size.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from ..models import Directory, ObjectSyncConfig
from ..models.config import ObjectType
from ..models.tree import TYPES, type_of
from .jobs import PlannedJob

_OTHER_REASONS = {ObjectType.PROJECT: "changed upstream or a child is due"}


@dataclass
class Plan:
    jobs: list[PlannedJob] = field(default_factory=list)

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs:
            counts[job.object_type] = counts.get(job.object_type, 0) + 1
        return counts


def job_enabled(configs, object_type: str) -> bool:
    """A type's job runs on schedule while any configuration row it serves is enabled."""
    return any(configs[served].enabled for served in TYPES[object_type].serves)


def plan_due_jobs(*, now=None, root=None, lookahead=timedelta(0), configs=None) -> Plan:
    """The jobs the scheduler (root=None) or a finished sync of `root` should queue.

    `lookahead` plans work that falls due before the next tick, so that a tick
    period never stretches an interval. `root` is a Directory, Project or Phase.
    """
    now = now or timezone.now()
    configs = configs or ObjectSyncConfig.objects.as_map()
    rule = {"now": now, "configs": configs, "lookahead": lookahead}
    root_type = type_of(root) if root is not None else TYPES[ObjectType.DIRECTORY]
    if root_type.name == ObjectType.ELEVATION:
        raise TypeError("cannot plan below an elevation")
    plan = Plan()

    scope_dirs = None
    if root_type.name == ObjectType.DIRECTORY:
        plan.jobs, scope_dirs = _plan_directories(root, rule)

    # Below directories, type by type, parents first: a row whose ancestor (inside the
    # root) has a job of its own is left to that job's cascade.
    order = list(TYPES)
    for mirrored in list(TYPES.values())[max(order.index(root_type.name), 1):]:
        if not job_enabled(configs, mirrored.name):
            continue
        rows = mirrored.model.objects.job_due(**rule)
        if scope_dirs is not None:
            rows = rows.filter(**{f"{mirrored.to_directory}id__in": scope_dirs})
        else:
            rows = rows.filter(mirrored.below_q(root))
        for ancestor in list(TYPES.values())[max(order.index(root_type.name), 1):order.index(mirrored.name)]:
            if job_enabled(configs, ancestor.name):
                due_above = ancestor.model.objects.job_due(**rule).values("pk")
                rows = rows.exclude(**{f"{mirrored.lookup_to(ancestor)}__in": due_above})
        if mirrored.children == ():
            for pk, name in rows.values_list("id", "name"):
                plan.jobs.append(PlannedJob(mirrored.name, pk, name, "parts list outdated"))
            continue
        rows = rows.annotate(listing_overdue=_flag(mirrored.model.objects.listing_overdue_q(**rule)))
        for pk, name, listed_at, overdue in rows.values_list("id", "name", "listed_at", "listing_overdue"):
            plan.jobs.append(PlannedJob(mirrored.name, pk, name, _reason(mirrored, listed_at, overdue)))
    return plan


def _plan_directories(root, rule) -> tuple[list[PlannedJob], list[int]]:
    """The top-most directories whose job is due, and the directories none of them covers (one statement)."""
    mirrored = TYPES[ObjectType.DIRECTORY]
    enabled = job_enabled(rule["configs"], ObjectType.DIRECTORY)
    dirs = Directory.objects.live().order_by("path").annotate(
        job_is_due=_flag(Directory.objects.job_due_q(**rule)),
        listing_overdue=_flag(Directory.objects.listing_overdue_q(**rule)))
    if root is not None:
        dirs = dirs.filter(Q(pk=root.pk) | mirrored.under_path_q(root.path))
    jobs, needing_paths, uncovered = [], [], []
    for dir_id, path, listed_at, due, overdue in dirs.values_list("id", "path", "listed_at", "job_is_due",
                                                                 "listing_overdue"):
        if any(_is_under(path, p) for p in needing_paths):
            continue
        if enabled and due:
            needing_paths.append(path)
            jobs.append(PlannedJob(ObjectType.DIRECTORY, dir_id, path or "(root)", _reason(mirrored, listed_at, overdue)))
        else:
            uncovered.append(dir_id)
    return jobs, uncovered


def _is_under(path: str, ancestor: str) -> bool:
    return ancestor == "" or path == ancestor or path.startswith(ancestor + "/")


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _reason(mirrored, listed_at, listing_overdue: bool) -> str:
    """Which part of ``job_due()`` holds, in words (sync_plan shows it)."""
    if listed_at is None:
        return "never listed"
    if listing_overdue:
        return "listing due"
    return _OTHER_REASONS.get(mirrored.name, "a child is due")
