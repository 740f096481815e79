"""Forced syncs asked for over the API: queue (idempotent while one waits), then follow.

The job and the request's row commit together, so a second POST for the same object
while the first job still waits finds that row and answers with the same status URL.
Progress follows the root job and every forced job queued below it
(``syncapp.management.job_progress.JobFollower``).
"""

from django.db import transaction
from django.db.models import Count, F, Sum

from ..management.job_progress import JobFollower
from ..models import ApiSyncRequest, SyncRun
from ..models.tree import MODELS
from ..sync.force import ForceSyncRefused, force_sync
from ..sync.jobs import queueing_lock, waiting_jobs
from .errors import ApiError

def status_url(request_row: ApiSyncRequest) -> str:
    return f"/api/v2/sync-requests/{request_row.id}"


def _waiting_forced_job(obj) -> int | None:
    lock = queueing_lock(obj.OBJECT_TYPE, obj.pk, "forced")
    return waiting_jobs([lock]).get(lock)


def request_sync(obj, client) -> tuple[ApiSyncRequest, bool]:
    """Queue a forced sync of `obj` with its subtree; returns (request, created). 409 when refused."""
    if obj.removed_at is not None:
        raise ApiError(409, "SYNC_REFUSED", f"{obj.OBJECT_TYPE} '{obj}' was removed upstream; nothing to sync")
    with transaction.atomic():
        for _attempt in range(2):  # the waiting job may start between our two looks: then queue anew
            try:
                result = force_sync(obj, subtree=True)
            except ForceSyncRefused as refused:
                raise ApiError(409, "SYNC_REFUSED", str(refused)) from None
            job_ids = result.job_ids or [job for job in [_waiting_forced_job(obj)] if job]
            if job_ids:
                break
        else:
            raise ApiError(503, "SYNC_NOT_QUEUED", "The sync could not be queued; try again.")
        if not result.job_ids:
            existing = (ApiSyncRequest.objects.filter(object_type=obj.OBJECT_TYPE, object_id=obj.pk,
                                                      job_ids__contains=job_ids)
                        .order_by("-created_at").first())
            if existing is not None:
                return existing, False
        row = ApiSyncRequest.objects.create(client=client, object_type=obj.OBJECT_TYPE, object_id=obj.pk,
                                            object_label=str(obj)[:1024], job_ids=job_ids, subtree=True)
    return row, True


def follower_for(request_row: ApiSyncRequest) -> JobFollower:
    root = MODELS[request_row.object_type].objects.get(pk=request_row.object_id)
    return JobFollower(root, list(request_row.job_ids), subtree=request_row.subtree)


def overall_status(progress) -> str:
    if progress.finished:
        return "failed" if progress.failed else "succeeded"
    return "running" if progress.running or progress.succeeded or progress.failed else "waiting"


def describe(request_row: ApiSyncRequest, progress, obj) -> dict:
    return {
        "id": request_row.id, "status": overall_status(progress), "status_url": status_url(request_row),
        "object": {"type": request_row.object_type, "guid": obj.guid, "name": obj.name},
        "subtree": request_row.subtree, "created_at": request_row.created_at,
        "jobs": {"total": progress.total, "succeeded": progress.succeeded, "failed": progress.failed,
                 "running": progress.running, "waiting": progress.waiting},
        "errors": progress.errors,
    }


def run_counts(job_ids) -> dict[tuple[str, str], dict]:
    """{(object_type, outcome): {"runs": n, "listed": children listed}} over the followed jobs' runs."""
    rows = (SyncRun.objects.filter(job_id__in=list(job_ids)).values("object_type", "outcome")
            .annotate(runs=Count("pk"), listed=Sum(F("created") + F("updated") + F("unchanged"))))
    return {(r["object_type"], r["outcome"]): {"runs": r["runs"], "listed": r["listed"] or 0} for r in rows}
