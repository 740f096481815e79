"""After a sync: queue the children it found changed or due (or all of them, when forced with subtree)."""

from ..models import Directory, Elevation, Phase, Project
from ..models.config import ObjectType
from ..models.runs import Trigger
from .jobs import PlannedJob, defer_sync_jobs
from .planner import plan_due_jobs


def cascade_from(obj, ctx, *, relist_children: bool = False) -> int:
    """Queue child jobs on the current transaction; returns how many were queued.

    `relist_children`: the object changed upstream, so each live child is listed again
    now, whether or not its own interval has passed.
    """
    if ctx.subtree:
        planned = _all_children(obj, ctx.include_excluded)
        result = defer_sync_jobs(planned, trigger=Trigger.FORCED, subtree=True,
                                 include_excluded=ctx.include_excluded, configs=ctx.configs)
        return len(result.job_ids)
    if not ctx.configs[obj.OBJECT_TYPE].cascade:
        return 0
    plan = plan_due_jobs(now=ctx.now, root=obj, configs=ctx.configs)
    jobs = plan.jobs
    if relist_children:
        planned = {(job.object_type, job.object_id) for job in jobs}
        jobs = jobs + [job for job in _all_children(obj, ctx.include_excluded)
                       if (job.object_type, job.object_id) not in planned]
    result = defer_sync_jobs(jobs, trigger=Trigger.CASCADE, configs=ctx.configs)
    return len(result.job_ids)


def _all_children(obj, include_excluded: bool) -> list[PlannedJob]:
    def live(queryset):
        queryset = queryset.filter(removed_at__isnull=True)
        return queryset if include_excluded else queryset.exclude(queryset.excluded_q())

    if isinstance(obj, Directory):
        dirs = live(Directory.objects.filter(parent=obj))
        projects = live(Project.objects.filter(directory=obj))
        return [PlannedJob(ObjectType.DIRECTORY, d.pk, d.path, "forced subtree") for d in dirs] + [
            PlannedJob(ObjectType.PROJECT, p.pk, p.name, "forced subtree") for p in projects
        ]
    if isinstance(obj, Project):
        return [PlannedJob(ObjectType.PHASE, p.pk, p.name, "forced subtree") for p in live(Phase.objects.filter(project=obj))]
    if isinstance(obj, Phase):
        elevations = live(Elevation.objects.filter(phase=obj, is_in_recycle_bin=False))
        return [PlannedJob(ObjectType.ELEVATION, e.pk, e.name, "forced subtree") for e in elevations]
    return []
