"""Admin pages of the mirror tree: directories > projects > phases > elevations, linked both ways."""

from django.contrib import admin

from ..models import Directory, Elevation, Phase, Project
from .common import admin_link, parent_column, plural, report, titled
from .forcing import set_excluded
from .mirror import MirrorAdmin
from .partslist_pages import PartsListExports, elevation_sheet_context


@admin.register(Directory)
class DirectoryAdmin(MirrorAdmin):
    list_display = [
        "path_display", "freshness_badge", "synced_short", "subdirectory_count", "project_count", "short_error",
    ]
    parent_link = parent_column("parent", "parent")
    child_counts = {
        "subdirectory_count": (Directory, "parent", "subdirectories"),
        "project_count": (Project, "directory", "projects"),
    }
    list_display_links = ["path_display"]
    list_select_related = ["parent"]
    list_filter = MirrorAdmin.list_filter + [("excluded", titled("excluded by staff")),
                                             ("effectively_excluded", titled("excluded (itself or above)"))]
    search_fields = ["path", "name"]
    actions = MirrorAdmin.actions + ["exclude_action", "include_action"]
    fieldsets = [
        (None, {"fields": ["path", "name", "parent_link", "subdirectory_count", "project_count"]}),
        ("Exclusion", {"fields": ["excluded", "effectively_excluded"]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
        MirrorAdmin.technical_fieldset,
    ]

    def has_exclude_permission(self, request) -> bool:
        # Exclusion changes what is synced, so it takes the change permission on directories.
        return request.user.has_perm("syncapp.change_directory")

    @admin.display(description="path", ordering="path")
    def path_display(self, obj):
        return str(obj)

    @admin.action(description="Exclude the selected directories (with their subtrees) from sync",
                  permissions=["exclude"])
    def exclude_action(self, request, queryset):
        self._set_excluded(request, queryset, True, "Excluded {} from sync (subtrees included).")

    @admin.action(description="Include the selected directories (with their subtrees) in sync again",
                  permissions=["exclude"])
    def include_action(self, request, queryset):
        self._set_excluded(request, queryset, False, "Included {} in sync again (subtrees included).")

    def _set_excluded(self, request, queryset, excluded: bool, done: str) -> None:
        self.require(request, "exclude")
        n = set_excluded(request, queryset, excluded)
        report(self, request, done.format(plural(n, "directory", "directories")))


@admin.register(Project)
class ProjectAdmin(PartsListExports, MirrorAdmin):
    list_display = [
        "name", "job_number", "freshness_badge", "synced_short", "directory_link", "phase_count", "short_error",
    ]
    directory_link = parent_column("directory", "directory", ordering="directory__path")
    child_counts = {"phase_count": (Phase, "project", "phases")}
    list_select_related = ["directory"]
    list_filter = MirrorAdmin.list_filter + [("is_deleted", titled("deleted in LogiKal")),
                                             ("estimated", titled("estimate (LogiKal flag)"))]
    search_fields = ["name", "job_number", "offer_number", "directory__path"]
    fieldsets = [
        (None, {"fields": ["name", "guid", "directory_link", "phase_count"]}),
        ("LogiKal", {"fields": [
            "job_number", "offer_number", "person_in_charge", "estimated", "is_deleted",
            "created_date", "changed_date",
        ]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
        ("Technical details", {"classes": ["collapse"], "fields": ["last_error", "listed_changed_date", "details"]}),
    ]


@admin.register(Phase)
class PhaseAdmin(PartsListExports, MirrorAdmin):
    list_display = [
        "name", "project_link", "freshness_badge", "synced_short", "elevation_count", "short_error",
    ]
    project_link = parent_column("project", "project", ordering="project__name")
    child_counts = {"elevation_count": (Elevation, "phase", "elevations")}
    list_select_related = ["project"]
    search_fields = ["name", "project__name", "project__job_number"]
    fieldsets = [
        (None, {"fields": ["name", "guid", "description", "project_link", "elevation_count"]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
        MirrorAdmin.technical_fieldset,
    ]


@admin.register(Elevation)
class ElevationAdmin(PartsListExports, MirrorAdmin):
    list_display = [
        "name", "phase_link", "project_link", "freshness_badge", "synced_short", "short_error",
    ]
    list_select_related = ["phase__project"]
    list_filter = MirrorAdmin.list_filter + [("is_in_recycle_bin", titled("in LogiKal's recycle bin"))]
    search_fields = ["name", "phase__name", "phase__project__name", "phase__project__job_number"]
    # An elevation's subtree is its parts list, which its own sync fetches anyway.
    actions = ["force_sync_action"]
    # The first fieldset says which elevation this is; the parts list follows it
    # (templates/admin/syncapp/elevation/change_form.html), then the rest.
    fieldsets = [
        (None, {"fields": ["name", "phase_link", "project_link", "thumbnail"]}),
        ("From LogiKal", {"fields": [
            "amount", "is_in_recycle_bin", "automatic_description", "system_description", "model_description",
            "user_description", "width", "height", "type", "state", "created_by_user", "created_date",
            "changed_date",
        ]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields}),
        ("Technical details", {"classes": ["collapse"], "fields": [
            "guid", "version_id", "surface_of_base_element", "surface_of_insertions",
            "is_element_pricelist_elevation", "element_pricelist_id", "last_error",
        ]}),
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {}, **elevation_sheet_context(request, object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="phase", ordering="phase__name")
    def phase_link(self, obj):
        return admin_link(obj.phase, obj.phase.name)

    @admin.display(description="project", ordering="phase__project__name")
    def project_link(self, obj):
        return admin_link(obj.phase.project)
