"""Running one sync job: load the object, sync it, record a SyncRun and one log line.

The runner owns the transaction, the same for every type (``syncapp.models.tree`` names each
type's module): `fetch` talks to LogiKal outside any transaction; then, in ONE transaction,
`apply` writes what was fetched, the cascade queues the child jobs, and the run's success is
recorded. The child jobs can start the moment it commits, and their parent's run is already
finished by then; a crash anywhere before the commit leaves nothing of the sync behind. A
sync module cannot forget a step: it has none of these steps to remember.
"""

import logging
import time
from datetime import datetime

from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from ..logikal.plain_words import summarize
from ..models import ObjectSyncConfig, SyncRun
from ..models.runs import Outcome, Trigger
from ..models.tree import get_type, type_of
from . import retry
from .cascade import cascade_from
from .context import SyncContext
from .recovery import INTERRUPTED_ERROR

logger = logging.getLogger("syncapp.sync")
# A job's return value and log line when there is nothing to sync (removed, excluded, already
# done): a skipped job writes no run, so it is not one of the run outcomes.
SKIPPED = "skipped"



def load_object(object_type: str, object_id: int):
    mirrored = get_type(object_type)
    return mirrored.model.objects.select_related(*mirrored.select_related).filter(pk=object_id).first()


def skip_reason(obj, *, trigger: str, include_excluded: bool, deferred_at: str | None) -> str | None:
    if obj is None:
        return "object no longer exists"
    if obj.removed_at is not None:
        return "removed upstream"
    if not include_excluded and type_of(obj).directory_of(obj).effectively_excluded:
        return "excluded"
    if trigger != Trigger.FORCED and deferred_at:
        done = type_of(obj).last_done(obj)
        if done is not None and done > datetime.fromisoformat(deferred_at):
            return "already synced since this job was queued"
    return None


def close_earlier_attempts(object_type: str, object_id: int, job_id: int) -> int:
    """Close runs of this job left "running" by an earlier attempt that never recorded its end.

    A worker that lost the database mid-sync cannot write its outcome; its job is retried
    (Procrastinate runs one attempt of a job at a time), so such a run is over by now.
    """
    return SyncRun.objects.filter(
        object_type=object_type, object_id=object_id, job_id=job_id, outcome=Outcome.RUNNING
    ).update(outcome=Outcome.FAILED, error=INTERRUPTED_ERROR,
             finished_at=Greatest(F("started_at"), Value(timezone.now(), output_field=DateTimeField())))


def run_sync_job(*, object_type: str, object_id: int, trigger: str, subtree: bool = False,
                 include_excluded: bool = False, deferred_at: str | None = None, job_id: int | None = None,
                 attempt: int = 1, worker: str = "", upstream=None, job: retry.JobRef | None = None) -> str:
    """Sync one object; returns the outcome.

    With `job` (a worker's job), a failure that may be retried is handed on to another job
    (`retry.continue_failed_attempt`) and the outcome is "retrying"; a final failure raises.
    Without it (a direct call), every failure raises.
    """
    close_old_connections()  # a worker thread may hold a connection from before a DB restart
    if job is not None:
        job_id = job.id
    if job_id is not None:
        close_earlier_attempts(object_type, object_id, job_id)
    obj = load_object(object_type, object_id)
    reason = skip_reason(obj, trigger=trigger, include_excluded=include_excluded, deferred_at=deferred_at)
    if reason:
        logger.info("sync skipped %s %s: %s", object_type, object_id, reason,
                    extra={"object_type": object_type, "object_id": object_id, "trigger": trigger,
                           "outcome": SKIPPED})
        return SKIPPED
    if upstream is None:
        from ..logikal import get_upstream

        upstream = get_upstream()
    configs = ObjectSyncConfig.objects.as_map()
    started = timezone.now()
    run = SyncRun.objects.create(
        object_type=object_type, object_id=object_id, object_label=str(obj)[:1024], trigger=trigger,
        job_id=job_id, attempt=attempt, worker=worker[:255], started_at=started,
    )
    ctx = SyncContext(now=started, trigger=trigger, upstream=upstream, configs=configs, subtree=subtree,
                      include_excluded=include_excluded, run=run)
    mirrored = type_of(obj)
    if subtree and mirrored.children:
        # A burst of child jobs follows: log sessions in now, in the background, instead of
        # one by one as the children arrive (a login costs seconds).
        upstream.warm_up()
    clock = time.monotonic()
    calls = fetched = None
    try:
        with upstream.track() as calls:
            fetched = mirrored.syncer.fetch(obj, ctx)
        with transaction.atomic():
            # Two jobs of one object can overlap when one holds a directory lane and the other the
            # object's lock (syncapp/sync/lanes.py): their writes take turns on the object's row.
            list(mirrored.model.objects.select_for_update().filter(pk=obj.pk).values_list("pk"))
            result = mirrored.syncer.apply(obj, fetched, ctx)
            if mirrored.children:
                result.jobs_deferred += cascade_from(obj, ctx, relist_children=result.relist_children,
                                                     listed_children=result.listed_children)
            result.warnings.extend(result.outcome.warnings)
            _write_success(obj, run, result, calls, clock)
    except BaseException as error:
        if hasattr(fetched, "discard"):
            fetched.discard()  # files put in storage for a transaction that did not commit
        if not isinstance(error, Exception):
            raise
        will_retry = retry.will_retry(error, attempt=attempt, config=configs[object_type])
        continued = _record_failure(obj, run, error, calls, clock, will_retry,
                                    job=job, attempt=attempt, config=configs[object_type])
        if continued is None:
            raise
        return Outcome.RETRYING
    _log(run, Outcome.SUCCESS, clock, calls, counts=result.outcome.counts(), warnings=result.warnings)
    for child_run, child_calls, counts in result.child_runs:
        _log(child_run, Outcome.SUCCESS, None, child_calls, duration_ms=child_run.duration_ms, counts=counts)
    return Outcome.SUCCESS


def call_figures(calls) -> dict:
    if calls is None:
        return {"api_calls": 0, "api_calls_by_endpoint": {}, "logins": 0}
    return {
        "api_calls": calls.total,
        "api_calls_by_endpoint": dict(calls.by_endpoint),
        "logins": calls.logins,
    }


def _write_success(obj, run, result, calls, clock) -> None:
    """The run's success and the object's cleared failure state, the last writes of the sync's transaction."""
    with transaction.atomic():
        clear_failure_state(obj, run)
        SyncRun.objects.filter(pk=run.pk).update(
            outcome=Outcome.SUCCESS, finished_at=timezone.now(), duration_ms=int((time.monotonic() - clock) * 1000),
            jobs_deferred=result.jobs_deferred, error="\n".join(result.warnings)[:10000],
            **result.outcome.counts(), **call_figures(calls),
        )


def clear_failure_state(obj, run) -> None:
    """A successful run of `obj`: its failure state cleared, its open failures resolved."""
    type(obj).objects.filter(pk=obj.pk).update(
        last_attempt_at=run.started_at, last_error="", last_error_summary="", failure_count=0
    )
    SyncRun.objects.resolve_failures_of(run.object_type, run.object_id, at=timezone.now())


def _record_failure(obj, run, error, calls, clock, will_retry: bool, *, job=None, attempt=1,
                    config=None) -> retry.Continuation | None:
    """Record the failed attempt and, when it will be retried, hand its work on in the same transaction.

    Returns the continuation, or None when the failure is final (or there is no job to continue).
    The database may have failed us mid-sync (a failover): the record is tried once more on a
    fresh connection before giving up.
    """
    message = describe_error(error)
    summary = summarize(error)  # the staff's short line, kept beside the technical text
    outcome = Outcome.RETRYING if will_retry else Outcome.FAILED
    for try_number in (1, 2):
        try:
            with transaction.atomic():
                continued = retry.continue_failed_attempt(job, attempt=attempt, config=config) \
                    if will_retry and job is not None else None
                type(obj).objects.filter(pk=obj.pk).update(
                    last_attempt_at=run.started_at, last_error=message, last_error_summary=summary,
                    failure_count=F("failure_count") + 1,
                )
                SyncRun.objects.filter(pk=run.pk).update(
                    outcome=outcome, finished_at=timezone.now(), duration_ms=int((time.monotonic() - clock) * 1000),
                    error=message, error_summary=summary, next_job_id=continued.job_id if continued else None,
                    **call_figures(calls),
                )
            break
        except DatabaseError:
            if try_number == 2:
                raise
            close_old_connections()
    fields = {"error": message}
    if continued is not None:
        fields["next_job_id"] = continued.job_id
        fields["next"] = (f"merged into waiting job {continued.job_id}" if continued.merged else
                          f"attempt {continued.attempt} of {config.max_attempts} at "
                          f"{timezone.localtime(continued.scheduled_at):%H:%M:%S} (job {continued.job_id})")
    _log(run, outcome, clock, calls, **fields)
    return continued


def describe_error(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:10000]


def _log(run, outcome, clock, calls, *, duration_ms: int | None = None, **fields) -> None:
    figures = call_figures(calls)
    if duration_ms is None:
        duration_ms = int((time.monotonic() - clock) * 1000)
    level = logging.INFO if outcome == Outcome.SUCCESS else logging.WARNING
    logger.log(
        level,
        "sync %s %s %r trigger=%s outcome=%s duration_ms=%d api_calls=%d%s",
        run.object_type, run.object_id, run.object_label, run.trigger, outcome, duration_ms, figures["api_calls"],
        "".join(f" {key}={fields[key]}" for key in ("error", "next") if fields.get(key)),
        extra={
            "object_type": run.object_type, "object_id": run.object_id, "object_label": run.object_label,
            "trigger": run.trigger, "outcome": outcome, "duration_ms": duration_ms, "api_calls": figures["api_calls"],
            "logins": figures["logins"], "job_id": run.job_id, **fields,
        },
    )
