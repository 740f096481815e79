"""The base of the read-only mirror admins: freshness badge and filter, cheap lists, force-sync actions."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.db.models import IntegerField, Value
from django.utils.html import format_html

from ..logikal.values import guid_or_none
from ..models import ObjectSyncConfig
from ..models.freshness import Freshness
from .activity import activity_of, with_activity
from .common import (
    EstimatedCountPaginator,
    PermissionCheckedActions,
    ViewOnly,
    child_count_column,
    freshness_badge,
    report,
    subquery_count,
)
from .display import error_cell, time_column
from .durations import format_minutes
from .audit import AuditHistory
from .forcing import audit_forced, force_objects


class FreshnessFilter(admin.SimpleListFilter):
    title = "freshness"
    parameter_name = "freshness"

    def lookups(self, request, model_admin):
        return Freshness.choices

    def queryset(self, request, queryset):
        if self.value() in Freshness.values:
            # The queryset carries the `freshness` annotation (MirrorAdmin.get_queryset).
            return queryset.filter(freshness=self.value())
        return queryset


class MirrorAdmin(AuditHistory, PermissionCheckedActions, ViewOnly, admin.ModelAdmin):
    """Mirrored objects belong to the sync: staff look, force and exclude, never edit."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts would count the whole table per filter option.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_filter = [FreshnessFilter]
    actions = ["force_sync_action", "force_sync_subtree_action"]
    sync_fields = [
        "freshness_badge", "own_interval", "synced_at", "last_attempt_at", "failure_count", "last_error_summary",
        "removed_at", "missing_since", "first_seen_at", "runs_link",
    ]
    # Details one click away, out of the way of the facts.
    technical_fieldset = ("Technical details", {"classes": ["collapse"], "fields": ["last_error"]})
    synced_short = time_column("synced_at", "verified")
    # List columns that count a row's children, each linked to them: column name -> (child model,
    # its foreign key to the row, column title). Counted for the rows of the page only.
    child_counts: dict[str, tuple] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, (model, fk_name, description) in cls.__dict__.get("child_counts", {}).items():
            setattr(cls, name, child_count_column(name, model, fk_name, description))

    def get_queryset(self, request):
        config = ObjectSyncConfig.objects.as_map()[self.model.OBJECT_TYPE]
        queryset = super().get_queryset(request).with_freshness(config=config)
        queryset = queryset.annotate(**{f"n_{name}": subquery_count(model, fk_name)
                                        for name, (model, fk_name, _) in self.child_counts.items()})
        # Carried on the rows, not on this admin instance (shared by the web server's threads).
        queryset = queryset.annotate(max_attempts=Value(config.max_attempts, output_field=IntegerField()))
        return with_activity(queryset, self.model.OBJECT_TYPE)

    def get_search_results(self, request, queryset, search_term):
        # A whole GUID is an indexed equality match, not a text scan of every row.
        guid = guid_or_none(search_term)
        if guid is None:
            return super().get_search_results(request, queryset, search_term)
        if hasattr(self.model, "guid"):
            return queryset.filter(guid=guid), False
        return queryset.none(), False

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    @admin.display(description="state", ordering="freshness")
    def freshness_badge(self, obj):
        """The freshness badge, and beside it what is being done now (queued, running, retry at ...)."""
        activity = activity_of(obj)
        if activity is None:
            return freshness_badge(obj.freshness)
        return format_html('{}<span class="sync-marker sync-marker-{}" data-job="{}">{}</span>',
                           freshness_badge(obj.freshness), activity.status, activity.job_id, activity.label())

    @admin.display(description="verified every")
    def own_interval(self, obj):
        """The object's own interval and staleness threshold (longer for quiet objects, see the sync config)."""
        return (f"{format_minutes(obj.effective_interval.total_seconds() // 60)}, "
                f"stale after {format_minutes(obj.effective_staleness.total_seconds() // 60)}")

    @admin.display(description="last error")
    def short_error(self, obj):
        """In short words, with the retry to come when one waits: "... — retrying at 06:24 (attempt 2 of 5)"."""
        if not obj.last_error and not obj.last_error_summary:
            return ""
        activity = activity_of(obj)
        extra = ""
        if activity is not None and activity.attempts:
            extra = activity.retry_text(obj.max_attempts)
        elif obj.failure_count > 1:
            extra = f"{obj.failure_count} times in a row"
        return error_cell(obj.last_error_summary, obj.last_error, extra=extra)

    @admin.display(description="sync runs")
    def runs_link(self, obj):
        query = urlencode({"object_type__exact": self.model.OBJECT_TYPE, "object_id": obj.pk})
        return format_html('<a href="{}?{}">runs of this object</a>', reverse("admin:syncapp_syncrun_changelist"), query)

    @admin.action(description="Force sync of the selected objects", permissions=["force_sync"])
    def force_sync_action(self, request, queryset):
        self.require(request, "force_sync")
        tally = force_objects(queryset, subtree=False)
        audit_forced(request, tally)
        report(self, request, tally.message())

    @admin.action(description="Force sync of the selected objects with their subtrees", permissions=["force_sync"])
    def force_sync_subtree_action(self, request, queryset):
        self.require(request, "force_sync")
        tally = force_objects(queryset, subtree=True)
        audit_forced(request, tally)
        report(self, request, tally.message())
