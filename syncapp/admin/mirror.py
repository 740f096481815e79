"""The base of the read-only mirror admins: freshness badge and filter, cheap lists, force-sync actions."""

import uuid
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from ..models import ObjectSyncConfig
from ..models.freshness import Freshness
from .common import EstimatedCountPaginator, PermissionCheckedActions, freshness_badge, report
from .forcing import force_objects


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


class MirrorAdmin(PermissionCheckedActions, admin.ModelAdmin):
    """Mirrored objects belong to the sync: staff look, force and exclude, never edit."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Facet counts would count the whole table per filter option.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 100
    list_filter = [FreshnessFilter]
    actions = ["force_sync_action", "force_sync_subtree_action"]
    sync_fields = [
        "freshness_badge", "synced_at", "last_attempt_at", "failure_count", "last_error",
        "removed_at", "missing_since", "first_seen_at", "runs_link",
    ]

    def get_queryset(self, request):
        config = ObjectSyncConfig.objects.as_map()[self.model.OBJECT_TYPE]
        return super().get_queryset(request).with_freshness(config=config)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        # A whole GUID is an indexed equality match, not a text scan of every row.
        try:
            guid = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        if hasattr(self.model, "guid"):
            return queryset.filter(guid=guid), False
        return queryset.none(), False

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    @admin.display(description="freshness", ordering="freshness")
    def freshness_badge(self, obj):
        return freshness_badge(obj.freshness)

    @admin.display(description="last error")
    def short_error(self, obj):
        if not obj.last_error:
            return ""
        return format_html('<span title="{}">{}</span>', obj.last_error, Truncator(obj.last_error).chars(60))

    @admin.display(description="sync runs")
    def runs_link(self, obj):
        query = urlencode({"object_type__exact": self.model.OBJECT_TYPE, "object_id": obj.pk})
        return format_html('<a href="{}?{}">runs of this object</a>', reverse("admin:syncapp_syncrun_changelist"), query)

    @admin.action(description="Force sync of the selected objects", permissions=["force_sync"])
    def force_sync_action(self, request, queryset):
        self.require(request, "force_sync")
        report(self, request, force_objects(queryset, subtree=False).message())

    @admin.action(description="Force sync of the selected objects with their subtrees", permissions=["force_sync"])
    def force_sync_subtree_action(self, request, queryset):
        self.require(request, "force_sync")
        report(self, request, force_objects(queryset, subtree=True).message())
