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

Only the top-most needing node of each branch gets a job: its sync cascades down
(``plan_due_jobs(root=node)`` after it finishes), so children are always listed
after their parent. Every query here is one statement whatever the tree size.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from ..models import Directory, Elevation, ObjectSyncConfig, PartsList, Phase, Project
from ..models.config import ObjectType
from .jobs import PlannedJob


@dataclass
class Plan:
    jobs: list[PlannedJob] = field(default_factory=list)
    statements: int = 0

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self.jobs:
            counts[job.object_type] = counts.get(job.object_type, 0) + 1
        return counts


def _minutes(config) -> timedelta:
    return timedelta(minutes=config.interval_minutes)


def _listing_due_q(cutoff) -> Q:
    return Q(listed_at__isnull=True) | Q(listed_at__lt=cutoff)


def plan_due_jobs(*, now=None, root=None, lookahead=timedelta(0), configs=None) -> Plan:
    """The jobs the scheduler (root=None) or a finished sync of `root` should queue.

    `lookahead` plans work that falls due before the next tick, so that a tick
    period never stretches an interval. `root` is a Directory, Project or Phase.
    """
    now = now or timezone.now()
    plan = Plan()
    if configs is None:
        configs = ObjectSyncConfig.objects.as_map()
        plan.statements += 1
    horizon = now + lookahead
    enabled = {t: configs[t].enabled for t in configs}

    # Each listing must run as often as the most demanding type it verifies.
    dir_cutoff = horizon - min(_minutes(configs[ObjectType.DIRECTORY]), _minutes(configs[ObjectType.PROJECT]))
    project_cutoff = horizon - _minutes(configs[ObjectType.PHASE])
    phase_cutoff = horizon - _minutes(configs[ObjectType.ELEVATION])
    dir_listing_enabled = enabled[ObjectType.DIRECTORY] or enabled[ObjectType.PROJECT]

    directory_root, project_root, phase_root = _split_root(root)
    blocked_dirs: set[int] = set()

    # 1. Directories (few): top-most needing ones; their subtrees are blocked below.
    if project_root is None and phase_root is None:
        dirs = Directory.objects.live().order_by("path")
        if directory_root is not None:
            dirs = dirs.filter(Q(pk=directory_root.pk) | Q(path__startswith=_subtree_prefix(directory_root)))
        needing_paths: list[str] = []
        rows = list(dirs.values_list("id", "path", "listed_at"))
        plan.statements += 1
        for dir_id, path, listed_at in rows:
            if any(_is_under(path, p) for p in needing_paths):
                blocked_dirs.add(dir_id)
                continue
            if dir_listing_enabled and (listed_at is None or listed_at < dir_cutoff):
                needing_paths.append(path)
                blocked_dirs.add(dir_id)
                plan.jobs.append(PlannedJob(ObjectType.DIRECTORY, dir_id, path or "(root)", _reason(listed_at)))
        scope_dirs = [dir_id for dir_id, _, _ in rows if dir_id not in blocked_dirs]
    else:
        scope_dirs = None

    project_needs = Q(listed_at__isnull=True) | Q(listed_at__lt=project_cutoff) | Q(
        changed_date__gt=F("listed_changed_date")
    ) | Q(listed_changed_date__isnull=True, changed_date__isnull=False)
    project_needs_via_phase = _prefix_q(project_needs, "project__")
    phase_needs = _listing_due_q(phase_cutoff)

    # 2. Projects.
    if phase_root is None and enabled[ObjectType.PHASE]:
        projects = Project.objects.live().filter(project_needs)
        projects = projects.filter(pk=project_root.pk) if project_root else projects.filter(directory_id__in=scope_dirs)
        for pid, name, listed_at in projects.values_list("id", "name", "listed_at"):
            plan.jobs.append(PlannedJob(ObjectType.PROJECT, pid, name, _reason(listed_at, "changed upstream")))
        plan.statements += 1

    # 3. Phases whose project needs no job of its own.
    if enabled[ObjectType.ELEVATION]:
        phases = Phase.objects.live().filter(phase_needs)
        if phase_root is not None:
            phases = phases.filter(pk=phase_root.pk)
        else:
            phases = _scope_children(phases, "project__", project_root, scope_dirs)
            if enabled[ObjectType.PHASE]:
                phases = phases.exclude(project_needs_via_phase)
        for pid, name, listed_at in phases.values_list("id", "name", "listed_at"):
            plan.jobs.append(PlannedJob(ObjectType.PHASE, pid, name, _reason(listed_at)))
        plan.statements += 1

    # 4. Elevations whose parts list is missing or older than the elevation.
    if enabled[ObjectType.PARTS_LIST]:
        stored = PartsList.objects.filter(elevation=OuterRef("pk"), downloaded_at__isnull=False).filter(
            Q(source_changed_date__gte=OuterRef("changed_date")) | Q(elevation__changed_date__isnull=True)
        )
        elevations = Elevation.objects.live().filter(is_in_recycle_bin=False).exclude(Exists(stored))
        if phase_root is not None:
            elevations = elevations.filter(phase=phase_root)
        else:
            elevations = _scope_children(elevations, "phase__project__", project_root, scope_dirs)
            if enabled[ObjectType.PHASE]:
                elevations = elevations.exclude(_prefix_q(project_needs, "phase__project__"))
        if enabled[ObjectType.ELEVATION]:
            elevations = elevations.exclude(_prefix_q(phase_needs, "phase__"))
        for eid, name in elevations.values_list("id", "name"):
            plan.jobs.append(PlannedJob(ObjectType.ELEVATION, eid, name, "parts list outdated"))
        plan.statements += 1
    return plan


def _split_root(root):
    if root is None:
        return None, None, None
    if isinstance(root, Directory):
        return root, None, None
    if isinstance(root, Project):
        return None, root, None
    if isinstance(root, Phase):
        return None, None, root
    raise TypeError(f"cannot plan below a {type(root).__name__}")


def _scope_children(queryset, to_project: str, project_root, scope_dirs):
    if project_root is not None:
        return queryset.filter(**{f"{to_project}pk": project_root.pk})
    return queryset.filter(**{f"{to_project}directory_id__in": scope_dirs})


def _subtree_prefix(directory) -> str:
    return "" if directory.path == "" else directory.path + "/"


def _is_under(path: str, ancestor: str) -> bool:
    return ancestor == "" or path == ancestor or path.startswith(ancestor + "/")


def _prefix_q(q: Q, prefix: str) -> Q:
    """The same condition, evaluated on a related object."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefix_q(child, prefix))
        else:
            key, value = child
            if isinstance(value, F):
                value = F(prefix + value.name)
            clone.children.append((prefix + key, value))
    return clone


def _reason(listed_at, changed: str | None = None) -> str:
    if listed_at is None:
        return "never listed"
    return "listing due" if changed is None else f"listing due or {changed}"
