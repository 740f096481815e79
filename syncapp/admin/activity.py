"""What is being done about an object right now: its waiting or running sync job.

Read from Procrastinate's own table through its Django model (read-only): the job holding
the object's lock (``doing``; on a directory lane, the running job under its queueing lock), or
else one waiting under its queueing lock (``todo``; forced jobs queue under a lock of their own).
Every lookup hits one of Procrastinate's partial indexes, so the annotation costs four index
probes per row on the page.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from ..sync.jobs import object_lock
from .display import short_time_text


@dataclass(frozen=True)
class Activity:
    job_id: int
    status: str  # "todo" or "doing"
    scheduled_at: datetime | None
    attempts: int  # attempts already made

    @classmethod
    def from_annotation(cls, value):
        if not value:
            return None
        scheduled = value.get("scheduled_at")
        # A retry queued as a job of its own carries its attempt number in its arguments;
        # Procrastinate's in-place retry counts attempts on the job.
        made = (value["attempt"] - 1) if isinstance(value.get("attempt"), int) else (value.get("attempts") or 0)
        return cls(value["id"], value["status"], datetime.fromisoformat(scheduled) if scheduled else None, made)

    def retry_text(self, max_attempts: int, now=None) -> str:
        """ "retrying at 06:24 (attempt 2 of 5)": the attempt to come, of the configured maximum."""
        attempt = f"attempt {self.attempts + 1} of {max_attempts}"
        if self.status == "doing":
            return f"retrying now ({attempt})"
        if self.scheduled_at and self.scheduled_at > (now or timezone.now()):
            return f"retrying at {short_time_text(self.scheduled_at, now)} ({attempt})"
        return f"retry waiting for a worker ({attempt})"

    def label(self, now=None) -> str:
        if self.status == "doing":
            return "running"
        if self.scheduled_at and self.scheduled_at > (now or timezone.now()):
            verb = "retry" if self.attempts else "queued for"
            return f"{verb} at {short_time_text(self.scheduled_at, now)}"
        return "queued"


JOB_SHAPE = JSONObject(id="id", status="status", scheduled_at="scheduled_at", attempts="attempts",
                       attempt="args__attempt")


def active_job_subquery(object_type: str):
    """A JSON object {id, status, scheduled_at, attempts} of the object's running or waiting job."""
    # object_lock with an empty id gives the lock's prefix ("sync:project:").
    lock = Concat(Value(object_lock(object_type, "")), Cast(OuterRef("pk"), CharField()), output_field=CharField())
    forced = Concat(lock, Value(":forced"), output_field=CharField())
    # A scheduled job on a directory lane (syncapp/sync/lanes.py) runs under the lane's lock: it is
    # found by its queueing lock among the running jobs (the partial index of running jobs with a
    # worker holds only those, a few rows).
    running_on_lane = Q(status="doing", worker_id__isnull=False, queueing_lock=lock)
    jobs = ProcrastinateJob.objects.filter(
        Q(status="doing", lock=lock) | running_on_lane | Q(status="todo", queueing_lock=lock)
        | Q(status="todo", queueing_lock=forced)
    ).order_by("-status", "scheduled_at")  # the enum orders todo before doing: running first
    return Subquery(jobs.values(job=JOB_SHAPE)[:1])


def with_activity(queryset, object_type: str):
    return queryset.annotate(active_job=active_job_subquery(object_type))


def activity_of(obj) -> Activity | None:
    return Activity.from_annotation(getattr(obj, "active_job", None))
