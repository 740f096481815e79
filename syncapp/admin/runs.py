"""Read-only records: sync runs (linked to their Procrastinate job), scheduler ticks, session slots."""

from django.contrib import admin
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from procrastinate.contrib.django.models import ProcrastinateJob

from ..models import ObjectSyncConfig, SchedulerTick, SyncRun, UpstreamSessionLease
from ..models.tree import MODELS
from .activity import JOB_SHAPE, Activity
from .common import EstimatedCountPaginator, ViewOnly
from .display import error_cell, short_time_text, time_column

OUTCOME_COLOURS = {"success": "#2e7d32", "failed": "#b71c1c", "retrying": "#c62828", "running": "#1565c0"}


class ReadOnlyAdmin(ViewOnly, admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER


class ProblemFilter(admin.SimpleListFilter):
    title = "problem"
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return [("open", "open (not fixed since)"), ("resolved", "resolved by a later sync")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open_failures()
        if self.value() == "resolved":
            return queryset.failures().filter(resolved_at__isnull=False)
        return queryset


def with_retry_job(queryset):
    """The run's job when it waits for its next attempt, and the type's attempt limit (for "attempt 2 of 5")."""
    # A failure continued by another job (its retry, or a job that already waited): that job.
    job = ProcrastinateJob.objects.filter(pk=Coalesce(OuterRef("next_job_id"), OuterRef("job_id")), status="todo")
    limit = ObjectSyncConfig.objects.filter(object_type=OuterRef("object_type")).values("max_attempts")[:1]
    return queryset.annotate(retry_job=Subquery(job.values(job=JOB_SHAPE)[:1]),
                             type_max_attempts=Subquery(limit, output_field=IntegerField()))


def outcome_text(run, now=None) -> str:
    """ "Failed, will retry — resolved 06:31", "Failed — retrying at 06:24 (attempt 2 of 5)"."""
    text = run.get_outcome_display()
    if run.resolved_at:
        return f"{text} — resolved {short_time_text(run.resolved_at, now)}"
    job = Activity.from_annotation(getattr(run, "retry_job", None))
    if run.outcome == "retrying" and job is not None:
        return f"Failed — {job.retry_text(getattr(run, 'type_max_attempts', None) or run.attempt + 1, now)}"
    return text


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_short", "object_link", "trigger", "outcome_badge", "duration", "short_error"]
    list_display_links = ["started_short"]
    list_filter = [ProblemFilter, "outcome", "object_type", "trigger"]
    search_fields = ["object_label", "error", "worker"]
    list_per_page = 100
    readonly_fields = ["object_link", "job_link", "outcome_badge"]
    fieldsets = [
        (None, {"fields": ["object_type", "object_link", "trigger", "outcome_badge", "error_summary",
                           "resolved_at"]}),
        ("Job", {"fields": ["job_link", "attempt", "worker", "started_at", "finished_at", "duration_ms"]}),
        ("Work", {"fields": [
            "api_calls", "api_calls_by_endpoint", "logins", "created", "updated", "unchanged", "removed",
            "jobs_deferred",
        ]}),
        ("Technical details", {"fields": ["error", "object_id", "object_label"]}),
    ]
    started_short = time_column("started_at", "started")

    def get_queryset(self, request):
        return with_retry_job(super().get_queryset(request))

    @admin.display(description="object", ordering="object_label")
    def object_link(self, run):
        model = MODELS.get(run.object_type)
        label = f"{run.get_object_type_display()} {run.object_label or f'#{run.object_id}'}"
        if model is None or not run.object_id:  # object id 0: a "sync all" chunk, not one object
            return label
        url = reverse(f"admin:syncapp_{model._meta.model_name}_change", args=[run.object_id])
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, run):
        colour = "#2e7d32" if run.resolved_at else OUTCOME_COLOURS.get(run.outcome, "inherit")
        return format_html('<span class="sync-outcome sync-outcome-{}{}" style="color:{};font-weight:bold">{}</span>',
                           run.outcome, " sync-resolved" if run.resolved_at else "", colour, outcome_text(run))

    @admin.display(description="took", ordering="duration_ms")
    def duration(self, run):
        if run.duration_ms is None:
            return "-"
        return f"{run.duration_ms / 1000:.1f} s" if run.duration_ms < 60_000 else f"{run.duration_ms / 60_000:.1f} min"

    @admin.display(description="job", ordering="job_id")
    def job_link(self, run):
        if run.job_id is None:
            return "-"
        try:
            url = reverse("admin:procrastinate_procrastinatejob_change", args=[run.job_id])
        except NoReverseMatch:  # Procrastinate's admin not installed
            return str(run.job_id)
        return format_html('<a href="{}">{}</a>', url, run.job_id)

    @admin.display(description="error")
    def short_error(self, run):
        return error_cell(run.error_summary, run.error)


@admin.register(SchedulerTick)
class SchedulerTickAdmin(ReadOnlyAdmin):
    list_display = ["ticked_short", "background_enabled", "jobs_deferred", "duration_ms", "statements"]
    list_filter = ["background_enabled"]
    ticked_short = time_column("ticked_at", "ticked")


@admin.register(UpstreamSessionLease)
class UpstreamSessionLeaseAdmin(ReadOnlyAdmin):
    list_display = ["slot", "state", "holder", "acquired_short", "renewed_short", "cursor"]
    acquired_short = time_column("acquired_at", "logged in")
    renewed_short = time_column("renewed_at", "renewed")

    @admin.display(description="state")
    def state(self, lease):
        if not lease.holder or (lease.expires_at and lease.expires_at < timezone.now()):
            return "free"
        return "busy" if lease.busy else "idle (logged in, waiting for a job)"
