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

The scheduler tick takes only a capped share, most recently changed project first
(``plan_tick``, ``syncapp/sync/backfill.py``); ``count_due`` counts the whole due set in SQL.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import BooleanField, Case, Count, F, Q, Value, When
from django.utils import timezone

from ..models import Directory, ObjectSyncConfig
from ..models.config import ObjectType
from ..models.tree import TYPES, type_of
from .backfill import backfill_sort_key
from .jobs import PlannedJob, queueing_lock, waiting_jobs, waiting_object_ids

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
    """The jobs the scheduler (root=None) or a finished sync of `root` should queue, all of them.

    `lookahead` plans work that falls due before the next tick, so that a tick
    period never stretches an interval. `root` is a Directory, Project or Phase.
    The scheduler tick itself takes only its capped share (``plan_tick``).
    """
    rule = _rule(now, lookahead, configs)
    root_type = type_of(root) if root is not None else TYPES[ObjectType.DIRECTORY]
    if root_type.name == ObjectType.ELEVATION:
        raise TypeError("cannot plan below an elevation")
    plan = Plan()
    scope_dirs = None
    if root_type.name == ObjectType.DIRECTORY:
        plan.jobs, scope_dirs = _plan_directories(root, rule)
    for mirrored in _types_below(root_type, rule["configs"]):
        plan.jobs += _planned(mirrored, _due_rows(mirrored, rule, root_type, root, scope_dirs), rule)
    return plan


def plan_tick(*, now=None, lookahead=timedelta(0), configs=None, cap: int) -> list[PlannedJob]:
    """What one scheduler tick queues: at most `cap` due jobs not already waiting, most recent first.

    The order is ``backfill_sort_key``'s: directories, then the work of the most recently changed
    projects. Each type's share is chosen in SQL (ORDER BY the project's changedDate, LIMIT cap),
    so a backlog of 100,000 elevations costs the same few statements as a backlog of ten.
    """
    rule = _rule(now, lookahead, configs)
    root_type = TYPES[ObjectType.DIRECTORY]
    directories, scope_dirs, waiting = _directories_and_waiting(rule)
    jobs = [j for j in directories if (j.object_type, j.object_id) not in waiting]
    for mirrored in _types_below(root_type, rule["configs"]):
        rows = _due_rows(mirrored, rule, root_type, None, scope_dirs).exclude(pk__in=waiting_object_ids(mirrored.name))
        order = [F(changed_field(mirrored)).desc(nulls_last=True), "pk"]
        jobs += _planned(mirrored, rows.order_by(*order)[:cap], rule)
    return sorted(jobs, key=backfill_sort_key)[:cap]


def count_due(*, now=None, lookahead=timedelta(0), configs=None) -> dict[str, dict[str, int]]:
    """Per type: the jobs due now as the tick plans them (``due``) and how many of them already wait
    in the queue (``waiting``), counted in SQL (one statement per type)."""
    rule = _rule(now, lookahead, configs)
    root_type = TYPES[ObjectType.DIRECTORY]
    directories, scope_dirs, waiting = _directories_and_waiting(rule)
    counts = {ObjectType.DIRECTORY: {"due": len(directories), "waiting": len(waiting)}}
    for mirrored in _types_below(root_type, rule["configs"]):
        rows = _due_rows(mirrored, rule, root_type, None, scope_dirs).order_by()
        counts[mirrored.name] = rows.aggregate(
            due=Count("pk"), waiting=Count("pk", filter=Q(pk__in=waiting_object_ids(mirrored.name))))
    return counts


def _directories_and_waiting(rule) -> tuple[list[PlannedJob], list[int], set[tuple[str, int]]]:
    """The whole tree's top-most due directories, the directories none covers, and which of the due
    ones already have a job waiting."""
    directories, scope_dirs = _plan_directories(None, rule)
    locks = {queueing_lock(j.object_type, j.object_id, "scheduled"): (j.object_type, j.object_id) for j in directories}
    return directories, scope_dirs, {locks[lock] for lock in waiting_jobs(locks)}


def _rule(now, lookahead, configs) -> dict:
    return {"now": now or timezone.now(), "configs": configs or ObjectSyncConfig.objects.as_map(),
            "lookahead": lookahead}


def _types_below(root_type, configs):
    """The enabled types below directories, from the root's own type down, parents first."""
    order = list(TYPES)
    for mirrored in list(TYPES.values())[max(order.index(root_type.name), 1):]:
        if job_enabled(configs, mirrored.name):
            yield mirrored


def _due_rows(mirrored, rule, root_type, root, scope_dirs):
    """Rows of `mirrored` whose job is due and that no due ancestor (inside the root) covers."""
    order = list(TYPES)
    rows = mirrored.model.objects.job_due(**rule)
    if scope_dirs is not None:
        rows = rows.filter(**{f"{mirrored.to_directory}id__in": scope_dirs})
    else:
        rows = rows.filter(mirrored.below_q(root))
    # A row whose ancestor has a job of its own is left to that job's cascade.
    for ancestor in list(TYPES.values())[max(order.index(root_type.name), 1):order.index(mirrored.name)]:
        if job_enabled(rule["configs"], ancestor.name):
            due_above = ancestor.model.objects.job_due(**rule).values("pk")
            rows = rows.exclude(**{f"{mirrored.lookup_to(ancestor)}__in": due_above})
    return rows


def changed_field(mirrored) -> str | None:
    """The lookup to the changedDate of the project a row belongs to (the backfill order); None above projects."""
    try:
        to_project = mirrored.lookup_to(TYPES[ObjectType.PROJECT])
    except ValueError:
        return None
    return f"{to_project}__changed_date" if to_project else "changed_date"


def place_fields(mirrored) -> tuple[str, str]:
    """The lookups of a row's directory id and project id (its lane: syncapp/sync/lanes.py); below directories only."""
    to_project = mirrored.lookup_to(TYPES[ObjectType.PROJECT])
    return f"{mirrored.to_directory}id", f"{to_project}__id" if to_project else "id"


def _planned(mirrored, rows, rule) -> list[PlannedJob]:
    place = place_fields(mirrored)
    if mirrored.children == ():
        return [PlannedJob(mirrored.name, pk, name, "parts list outdated", changed=changed, directory_id=directory,
                           project_id=project)
                for pk, name, changed, directory, project in rows.values_list("id", "name", changed_field(mirrored),
                                                                              *place)]
    rows = rows.annotate(listing_overdue=_flag(mirrored.model.objects.listing_overdue_q(**rule)))
    fields = ("id", "name", "listed_at", "listing_overdue", changed_field(mirrored), *place)
    return [PlannedJob(mirrored.name, pk, name, _reason(mirrored, listed_at, overdue), changed=changed,
                       directory_id=directory, project_id=project)
            for pk, name, listed_at, overdue, changed, directory, project in rows.values_list(*fields)]


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
