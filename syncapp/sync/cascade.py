"""After a sync: queue the children it found changed or due (or all of them, when forced with subtree)."""

from ..models.tree import type_of
from ..models.runs import Trigger
from .jobs import PlannedJob, defer_sync_jobs
from .planner import changed_field, place_fields, plan_due_jobs


def cascade_from(obj, ctx, *, relist_children: bool = False, listed_children=frozenset()) -> int:
    """Queue child jobs on the current transaction; returns how many were queued.

    `relist_children`: the object changed upstream, so each live child is listed again
    now, whether or not its own interval has passed, except `listed_children` ((type, id) of
    children this sync listed itself, in its own session: see ``walk.py``).
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
        skip = planned | set(listed_children)
        jobs = jobs + [job for job in _all_children(obj, ctx.include_excluded)
                       if (job.object_type, job.object_id) not in skip]
    result = defer_sync_jobs(jobs, trigger=Trigger.CASCADE, configs=ctx.configs)
    return len(result.job_ids)


def _all_children(obj, include_excluded: bool) -> list[PlannedJob]:
    jobs = []
    for rows in type_of(obj).live_children_of(obj):
        child = type_of(rows.model)
        rows = rows.with_work()
        if not include_excluded:
            rows = rows.exclude(rows.excluded_q())
        changed = changed_field(child)
        if changed is None:  # a directory: no project above it, so no changedDate and no lane
            jobs += [PlannedJob(child.name, pk, text, "forced subtree")
                     for pk, text in rows.values_list("pk", child.label_field)]
            continue
        for pk, text, stamp, directory, project in rows.values_list("pk", child.label_field, changed,
                                                                    *place_fields(child)):
            jobs.append(PlannedJob(child.name, pk, text, "forced subtree", changed=stamp, directory_id=directory,
                                   project_id=project))
    return jobs
