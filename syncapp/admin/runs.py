"""Read-only records: sync runs (linked to their Procrastinate job), scheduler ticks, session slots."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from ..models import SchedulerTick, SyncRun, UpstreamSessionLease
from ..stats import MIRROR_MODELS
from .common import EstimatedCountPaginator

OUTCOME_COLOURS = {"success": "#2e7d32", "failed": "#b71c1c", "retrying": "#c62828", "running": "#1565c0", "skipped": "#616161"}


class ReadOnlyAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at", "object_type", "object_link", "trigger", "outcome_badge", "duration_ms", "api_calls",
        "logins", "created", "updated", "unchanged", "removed", "jobs_deferred", "job_link", "short_error",
    ]
    list_display_links = ["started_at"]
    list_filter = ["object_type", "trigger", "outcome"]
    search_fields = ["object_label", "error", "worker"]
    list_per_page = 100
    readonly_fields = ["object_link", "job_link"]
    fieldsets = [
        (None, {"fields": ["object_type", "object_id", "object_link", "object_label", "trigger", "outcome"]}),
        ("Job", {"fields": ["job_link", "attempt", "worker", "started_at", "finished_at", "duration_ms"]}),
        ("Work", {"fields": [
            "api_calls", "api_calls_by_endpoint", "logins", "created", "updated", "unchanged", "removed",
            "jobs_deferred",
        ]}),
        ("Error", {"fields": ["error"]}),
    ]

    @admin.display(description="object", ordering="object_label")
    def object_link(self, run):
        model = MIRROR_MODELS.get(run.object_type)
        label = run.object_label or f"#{run.object_id}"
        if model is None:
            return label
        url = reverse(f"admin:syncapp_{model._meta.model_name}_change", args=[run.object_id])
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, run):
        return format_html(
            '<span style="color:{};font-weight:bold">{}</span>',
            OUTCOME_COLOURS.get(run.outcome, "inherit"), run.get_outcome_display(),
        )

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
        if not run.error:
            return ""
        return format_html('<span title="{}">{}</span>', run.error, Truncator(run.error).chars(80))


@admin.register(SchedulerTick)
class SchedulerTickAdmin(ReadOnlyAdmin):
    list_display = ["ticked_at", "background_enabled", "jobs_deferred", "duration_ms", "statements"]
    list_filter = ["background_enabled"]


@admin.register(UpstreamSessionLease)
class UpstreamSessionLeaseAdmin(ReadOnlyAdmin):
    list_display = ["slot", "holder", "acquired_at", "renewed_at", "expires_at", "cursor"]
