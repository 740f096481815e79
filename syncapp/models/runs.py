"""Records of executed work: one SyncRun per sync job, one SchedulerTick per tick."""

from django.db import models
from django.db.models import F, Q

from .config import ObjectType


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    FORCED = "forced", "Forced"
    CASCADE = "cascade", "Cascade"


class Outcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    RETRYING = "retrying", "Failed, will retry"


FAILURE_OUTCOMES = (Outcome.FAILED, Outcome.RETRYING)


class SyncRunQuerySet(models.QuerySet):
    def failures(self):
        return self.filter(outcome__in=FAILURE_OUTCOMES)

    def open_failures(self):
        """Failures no later sync of the same object has made good (yet)."""
        return self.failures().filter(resolved_at__isnull=True)

    def resolve_failures_of(self, object_type: str, object_id: int, *, at) -> int:
        """Mark the open failures of one object resolved: its sync has just succeeded."""
        return self.open_failures().filter(object_type=object_type, object_id=object_id).update(resolved_at=at)


class SyncRun(models.Model):
    object_type = models.CharField("object type", max_length=20, choices=ObjectType.choices)
    object_id = models.BigIntegerField("object id")
    object_label = models.CharField("object", max_length=1024, blank=True)
    trigger = models.CharField("trigger", max_length=10, choices=Trigger.choices)
    outcome = models.CharField("outcome", max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    job_id = models.BigIntegerField("job id", null=True, blank=True)
    attempt = models.PositiveSmallIntegerField("attempt", default=1)
    worker = models.CharField("worker", max_length=255, blank=True)
    started_at = models.DateTimeField("started", db_index=True)
    finished_at = models.DateTimeField("finished", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)
    api_calls = models.PositiveIntegerField("API calls", default=0)
    api_calls_by_endpoint = models.JSONField("API calls by endpoint", default=dict, blank=True)
    logins = models.PositiveIntegerField("logins", default=0)
    created = models.PositiveIntegerField("created", default=0)
    updated = models.PositiveIntegerField("updated", default=0)
    unchanged = models.PositiveIntegerField("unchanged", default=0)
    removed = models.PositiveIntegerField("removed", default=0)
    jobs_deferred = models.PositiveIntegerField("child jobs queued", default=0)
    error = models.TextField("error (details)", blank=True)
    error_summary = models.CharField(
        "error", max_length=200, blank=True, default="",
        help_text="What went wrong, in short (syncapp.logikal.plain_words); the details are below.",
    )
    resolved_at = models.DateTimeField(
        "resolved", null=True, blank=True,
        help_text="For a failure: when a later sync of the same object succeeded.",
    )
    next_job_id = models.BigIntegerField(
        "continued by job", null=True, blank=True,
        help_text="For a failure that will be retried: the job that carries its work on (its retry, or a newer "
                  "job for the same object that was already waiting).",
    )

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(name="syncrun_object_idx", fields=["object_type", "object_id", "-started_at"]),
            # The dashboard's open problems: few rows among many runs.
            models.Index(name="syncrun_open_failure_idx", fields=["-started_at"],
                         condition=Q(outcome__in=["failed", "retrying"], resolved_at__isnull=True)),
            # Every worker's rescue looks for runs left "running" by a job that is over (few rows).
            models.Index(name="syncrun_running_idx", fields=["job_id"], condition=Q(outcome="running")),
        ]
        constraints = [
            models.CheckConstraint(name="syncrun_outcome_known", condition=Q(outcome__in=Outcome.values)),
            models.CheckConstraint(
                name="syncrun_finished_after_start",
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("started_at")),
            ),
            models.CheckConstraint(
                name="syncrun_finished_unless_running",
                condition=Q(outcome="running") | Q(finished_at__isnull=False),
            ),
            models.CheckConstraint(
                name="syncrun_only_failures_continue",
                condition=Q(next_job_id__isnull=True) | Q(outcome__in=["failed", "retrying"]),
            ),
            models.CheckConstraint(
                name="syncrun_only_failures_resolve",
                condition=Q(resolved_at__isnull=True) | Q(outcome__in=["failed", "retrying"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_label} ({self.outcome})"


class SchedulerTick(models.Model):
    ticked_at = models.DateTimeField("ticked", db_index=True)
    background_enabled = models.BooleanField("background sync enabled")
    jobs_deferred = models.PositiveIntegerField("jobs queued", default=0)
    duration_ms = models.PositiveIntegerField("duration (ms)", default=0)
    statements = models.PositiveIntegerField("SQL statements", default=0)

    class Meta:
        ordering = ["-ticked_at"]
        get_latest_by = "ticked_at"

    def __str__(self) -> str:
        return f"tick at {self.ticked_at:%Y-%m-%d %H:%M:%S}"
