"""Following forced sync jobs to the end: their Procrastinate status, their SyncRuns, their subtree.

A forced sync with a subtree queues the children's jobs only when the parent's
job has run (in the same transaction as the parent's writes), so the set of
jobs to wait for grows while we wait. New forced subtree jobs are adopted when
their object lies below the root we forced; the wait is over when every adopted
job is finished and no unfinished one is left to adopt.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from ..models import SyncRun
from ..models.tree import MODELS, TYPES
from ..sync.lanes import is_lane

FINISHED = {"succeeded", "failed", "cancelled", "aborted"}


@dataclass
class Progress:
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.running == 0 and self.waiting == 0

    def line(self, elapsed_s: float) -> str:
        return (f"{self.succeeded + self.failed}/{self.total} jobs finished: {self.succeeded} done, "
                f"{self.failed} failed, {self.running} running, {self.waiting} waiting ({elapsed_s:.0f} s)")


def _subtree_filters(root) -> dict[str, Q]:
    """Per object type, the condition "below root" (root itself included)."""
    filters = {name: mirrored.below_q(root) for name, mirrored in TYPES.items()}
    return {name: q for name, q in filters.items() if q is not None}


class JobFollower:
    def __init__(self, root, job_ids: list[int], *, subtree: bool):
        self.root = root
        self.subtree = subtree
        self.job_ids: set[int] = set(job_ids)
        self.seen: set[int] = set(job_ids)  # every job id examined for adoption
        self.first_id = min(job_ids) if job_ids else None
        self.handed_on: dict[int, int] = {}  # failed attempt's job -> the job that continued it

    def _adopt_children(self) -> None:
        from procrastinate.contrib.django.models import ProcrastinateJob

        if not self.subtree or self.first_id is None:
            return
        new_jobs = (ProcrastinateJob.objects.filter(task_name="sync_object", id__gt=self.first_id,
                                                    args__trigger="forced", args__subtree=True)
                    .exclude(id__in=list(self.seen)).values_list("id", "args__object_type", "args__object_id"))
        candidates: dict[str, dict[int, int]] = {}
        for job_id, object_type, object_id in new_jobs:
            self.seen.add(job_id)
            candidates.setdefault(object_type, {})[object_id] = job_id
        filters = _subtree_filters(self.root)
        for object_type, by_object in candidates.items():
            if object_type not in filters:
                continue
            below = MODELS[object_type].objects.filter(filters[object_type], pk__in=list(by_object))
            self.job_ids.update(by_object[pk] for pk in below.values_list("pk", flat=True))

    def unfinished_reasons(self, limit: int = 5) -> list[str]:
        """Why the jobs still open are not done: what each waits for or has been running since."""
        from django.utils import timezone
        from procrastinate.contrib.django.models import ProcrastinateJob

        from ..stats import workers_alive

        now = timezone.now()
        reasons = [] if workers_alive() else ["no worker is running (start one: manage.py sync_worker)"]
        jobs = ProcrastinateJob.objects.filter(pk__in=self.job_ids, status__in=["todo", "doing"]).order_by("id")
        for job in jobs[:limit]:
            what = f"{job.args.get('object_type')} {_label(job.args)} (job {job.id})"
            if job.status == "doing":
                reasons.append(f"{what}: running for {_ago(_started(job), now)}")
            elif job.scheduled_at and job.scheduled_at > now:
                at = timezone.localtime(job.scheduled_at)
                attempt = job.args.get("attempt") or job.attempts + 1  # a retry job carries its number
                reasons.append(f"{what}: attempt {attempt} is scheduled for {at:%H:%M:%S}")
            elif ProcrastinateJob.objects.filter(lock=job.lock, status="doing").exists():
                waits_for = "its directory's lane (syncapp/sync/lanes.py)" if is_lane(job.lock) else "the same object"
                reasons.append(f"{what}: waiting for another sync of {waits_for} to finish")
            else:
                reasons.append(f"{what}: waiting for a free worker")
        more = jobs.count() - limit
        if more > 0:
            reasons.append(f"... and {more} more")
        return reasons

    def _follow_continuations(self) -> None:
        """A failed attempt handed on to another job (its retry, or one that already waited): follow
        that job instead, along the whole chain."""
        while True:
            hand_ons = dict(SyncRun.objects.filter(job_id__in=self.job_ids, next_job_id__isnull=False)
                            .values_list("job_id", "next_job_id"))
            if not hand_ons:
                return
            self.job_ids.difference_update(hand_ons)
            self.job_ids.update(hand_ons.values())
            self.seen.update(hand_ons.values())
            self.handed_on.update(hand_ons)

    def poll(self) -> Progress:
        from procrastinate.contrib.django.models import ProcrastinateJob

        self._follow_continuations()
        self._adopt_children()
        statuses = dict(ProcrastinateJob.objects.filter(id__in=list(self.job_ids)).values_list("id", "status"))
        progress = Progress(total=len(self.job_ids))
        for job_id in self.job_ids:
            status = statuses.get(job_id, "succeeded")  # pruned rows are long finished
            if status == "succeeded":
                progress.succeeded += 1
            elif status in FINISHED:
                progress.failed += 1
            elif status == "doing":
                progress.running += 1
            else:
                progress.waiting += 1
        if progress.failed:
            failed_runs = SyncRun.objects.filter(job_id__in=self.job_ids).exclude(error="").filter(
                outcome__in=["failed", "retrying"]
            ).order_by("-started_at")
            progress.errors = [f"{run.object_type} {run.object_label}: {run.error}" for run in failed_runs[:5]]
        return progress


def _label(args: dict) -> str:
    model = MODELS.get(args.get("object_type"))
    obj = model.objects.filter(pk=args.get("object_id")).first() if model else None
    return str(obj) if obj is not None else f"#{args.get('object_id')}"


def _started(job):
    """When the job's current attempt started (its last 'started' event)."""
    event = job.procrastinateevent_set.filter(type="started").order_by("-at").first()
    return event.at if event else None


def _ago(moment, now) -> str:
    if moment is None:
        return "a moment"
    seconds = int((now - moment).total_seconds())
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"
