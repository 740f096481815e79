"""Jobs left ``doing`` with no code running them: ended, merged or retried, never wedged.

A job stays ``doing`` when its worker died (SIGKILL, a crash, a lost container) or could not
write the job's end (its database connection broke). Procrastinate's recipe retries such a job
in place, which collides with the queueing-lock index when a newer job for the same work waits
(procrastinate#1446): the rescue then crashes and the job stays ``doing``. Each job here is
settled in a transaction of its own, under a row lock (two rescuers never settle one job twice):

1. **repaired**: the attempt had recorded its end on its SyncRun (it died between that commit and
   Procrastinate's status update): the job gets the status its run says.
2. **merged**: a job already waits under its queueing lock: that one carries the work; the stalled
   job ends ``failed`` and its run records the job that continues it.
3. **failed**: a sync job that used up its attempts ends, its run says why.
4. **retried**: otherwise it goes back to ``todo`` in place (Procrastinate's own retry); a job
   queued under its queueing lock meanwhile turns this into a merge.

It runs inside every worker (`syncapp.worker_guard`), so a stalled rescue job cannot stall it.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import DateTimeField, DurationField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Greatest, Now
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ..models import ObjectSyncConfig, SyncRun
from ..models.runs import Outcome
from .recovery import INTERRUPTED_ERROR
from .retry import job_args, waiting_job

logger = logging.getLogger("syncapp.rescue")

SYNC_TASK = "sync_object"

_COLUMNS = ("id", "task_name", "queueing_lock", "args", "attempts")


@dataclass(frozen=True)
class Rescued:
    job_id: int
    action: str  # "repaired", "merged", "failed" or "retried"
    into: int | None = None  # merged: the job that carries the work

    def line(self, task_name: str) -> str:
        text = {"repaired": "ended as its run recorded", "merged": f"merged into waiting job {self.into}",
                "failed": "failed: no attempts left", "retried": "retried in place"}[self.action]
        return f"Stalled job {self.job_id} ({task_name}) {text}"


def _stalled(seconds: float):
    """Jobs ``doing`` under a worker silent for `seconds`, or under none (it was pruned)."""
    silent_since = Now() - Value(timedelta(seconds=seconds), output_field=DurationField())
    return ProcrastinateJob.objects.filter(status="doing").filter(
        Q(worker__isnull=True) | Q(worker__last_heartbeat__lt=silent_since))


def stalled_job_ids(seconds: float) -> list[int]:
    return list(_stalled(seconds).order_by("id").values_list("id", flat=True))


def rescue_stalled_jobs(seconds: float) -> list[Rescued]:
    close_old_connections()  # after a failover the thread's connection is dead
    rescued = rescue_jobs(stalled_job_ids(seconds), stalled_for=seconds)
    close_orphaned_runs()
    return rescued


def close_orphaned_runs() -> int:
    """Runs left "running" by a job that is over (its attempt could not record its end: the
    database went away); the job was retried, merged or failed meanwhile."""
    running_job = ProcrastinateJob.objects.filter(id=OuterRef("job_id"), status="doing")
    return SyncRun.objects.filter(~Exists(running_job), outcome=Outcome.RUNNING, job_id__isnull=False).update(
        outcome=Outcome.FAILED, error=INTERRUPTED_ERROR, finished_at=Greatest(F("started_at"), Now()))


def rescue_jobs(job_ids, *, stalled_for: float | None = None) -> list[Rescued]:
    """Settle each job (one transaction each; a failure is logged and leaves the job for the next
    round). `stalled_for`: settle a job only while its worker is still silent that long (None: the
    caller knows no code runs it)."""
    done = []
    for job_id in job_ids:
        try:
            with transaction.atomic():
                rescued = _rescue_one(job_id, stalled_for)
        except DatabaseError as error:
            logger.warning("Could not settle stalled job %s (%s); the next round tries again", job_id,
                           " ".join(str(error).split())[:200])
            continue
        if rescued is not None:
            done.append(rescued)
    return done


def _locked_job(job_id: int, stalled_for: float | None):
    jobs = ProcrastinateJob.objects.filter(status="doing") if stalled_for is None else _stalled(stalled_for)
    # SKIP LOCKED: a job another rescuer holds is its to settle. Only the job row is locked.
    return jobs.filter(id=job_id).select_for_update(skip_locked=True, of=("self",)).values_list(*_COLUMNS).first()


# _finish and _retry_in_place call Procrastinate's own SQL functions, as its job manager does: it has
# no synchronous finish, and its synchronous retry would hide the unique violation we catch.
def _finish(job_id: int, status: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT procrastinate_finish_job_v1(%s, %s::procrastinate_job_status, false)",
                       [job_id, status])


def _retry_in_place(job_id: int) -> bool:
    """Back to ``todo`` now; False when a job under the same queueing lock waits (the index refused)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT procrastinate_retry_job_v2(%s, now(), NULL, NULL, NULL)", [job_id])
    except IntegrityError:
        return False
    return True


def _rescue_one(job_id: int, stalled_for: float | None) -> Rescued | None:
    row = _locked_job(job_id, stalled_for)
    if row is None:
        return None  # finished meanwhile, being settled by another rescuer, or its worker spoke again
    _, task_name, queueing_lock, args, attempts = row
    args = job_args(args)
    is_sync = task_name == SYNC_TASK
    if is_sync:
        recorded = _recorded_end(job_id)
        if recorded is not None:
            _finish(job_id, recorded)
            return _logged(Rescued(job_id, "repaired"), task_name)
    waiting = waiting_job(queueing_lock) if queueing_lock else None
    if waiting is None and is_sync and _attempts_used(args, attempts):
        _finish(job_id, "failed")
        _close_sync_runs(job_id, args, attempts, outcome=Outcome.FAILED)
        return _logged(Rescued(job_id, "failed"), task_name)
    if waiting is None:
        if _retry_in_place(job_id):
            if is_sync:
                _close_sync_runs(job_id, args, attempts, outcome=Outcome.FAILED)
            return _logged(Rescued(job_id, "retried"), task_name)
        waiting = waiting_job(queueing_lock)  # queued between our look and the retry
    _finish(job_id, "failed")
    if is_sync:
        _close_sync_runs(job_id, args, attempts, outcome=Outcome.RETRYING, next_job_id=waiting[0])
    return _logged(Rescued(job_id, "merged", waiting[0]), task_name)


def _logged(rescued: Rescued, task_name: str) -> Rescued:
    logger.warning(rescued.line(task_name))
    return rescued


def _recorded_end(job_id: int) -> str | None:
    """The job status its latest run recorded, if that attempt got as far as recording its end."""
    run = SyncRun.objects.filter(job_id=job_id).order_by("-started_at", "-pk").first()
    if run is None or run.outcome == Outcome.RUNNING or run.error == INTERRUPTED_ERROR:
        return None  # no run, or the attempt was cut short (or cut short before, and retried since)
    if run.outcome == Outcome.FAILED:
        return "failed"
    if run.outcome == Outcome.RETRYING and run.next_job_id is None:
        return None  # a failure whose hand-on did not commit: not an end
    return "succeeded"


def _attempt(args: dict, attempts: int) -> int:
    first = args.get("attempt") if isinstance(args.get("attempt"), int) else 1
    return first + attempts


def _attempts_used(args: dict, attempts: int) -> bool:
    config = ObjectSyncConfig.objects.filter(object_type=args.get("object_type")).first()
    limit = config.max_attempts if config is not None else 5
    return _attempt(args, attempts) >= limit


def _close_sync_runs(job_id: int, args: dict, attempts: int, *, outcome: str, next_job_id: int | None = None) -> None:
    """Close the interrupted attempt's run, or record one when it died before writing it."""
    now = timezone.now()
    closed = SyncRun.objects.filter(job_id=job_id, outcome=Outcome.RUNNING).update(
        outcome=outcome, finished_at=Greatest(F("started_at"), Value(now, output_field=DateTimeField())),
        error=INTERRUPTED_ERROR, next_job_id=next_job_id)
    if closed or next_job_id is None:
        return
    from .runner import load_object  # the runner imports this package's modules

    obj = load_object(args.get("object_type"), args.get("object_id"))
    SyncRun.objects.create(
        object_type=args.get("object_type"), object_id=args.get("object_id"), object_label=str(obj or "")[:1024],
        trigger=args.get("trigger", ""), job_id=job_id, attempt=_attempt(args, attempts), started_at=now,
        finished_at=now, outcome=outcome, error=INTERRUPTED_ERROR, next_job_id=next_job_id)
