"""Admin pages of the mirror tree: directories > projects > phases > elevations, linked both ways."""

from django.contrib import admin

from ..models import Directory, Elevation, Phase, Project
from .common import admin_link, changelist_link, plural, report, subquery_count
from .forcing import set_excluded
from .mirror import MirrorAdmin
from .partslist import PartsListInline


@admin.register(Directory)
class DirectoryAdmin(MirrorAdmin):
    list_display = [
        "path_display", "freshness_badge", "synced_at", "listed_at", "parent_link",
        "subdirectory_count", "project_count", "excluded", "failure_count", "short_error",
    ]
    list_display_links = ["path_display"]
    list_select_related = ["parent"]
    list_filter = MirrorAdmin.list_filter + ["excluded", "effectively_excluded"]
    search_fields = ["path", "name"]
    actions = MirrorAdmin.actions + ["exclude_action", "include_action"]
    fieldsets = [
        (None, {"fields": ["path", "name", "parent_link", "subdirectory_count", "project_count"]}),
        ("Exclusion", {"fields": ["excluded", "effectively_excluded"]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            n_subdirectories=subquery_count(Directory, "parent"),
            n_projects=subquery_count(Project, "directory"),
        )

    def has_exclude_permission(self, request) -> bool:
        # Exclusion changes what is synced, so it takes the change permission on directories.
        return request.user.has_perm("syncapp.change_directory")

    @admin.display(description="path", ordering="path")
    def path_display(self, obj):
        return str(obj)

    @admin.display(description="parent")
    def parent_link(self, obj):
        return admin_link(obj.parent)

    @admin.display(description="subdirectories")
    def subdirectory_count(self, obj):
        return changelist_link(Directory, obj.n_subdirectories, parent__id__exact=obj.pk)

    @admin.display(description="projects")
    def project_count(self, obj):
        return changelist_link(Project, obj.n_projects, directory__id__exact=obj.pk)

    @admin.action(description="Exclude the selected directories (with their subtrees) from sync",
                  permissions=["exclude"])
    def exclude_action(self, request, queryset):
        self.require(request, "exclude")
        n = set_excluded(queryset, True)
        report(self, request, f"Excluded {plural(n, 'directory', 'directories')} from sync (subtrees included).")

    @admin.action(description="Include the selected directories (with their subtrees) in sync again",
                  permissions=["exclude"])
    def include_action(self, request, queryset):
        self.require(request, "exclude")
        n = set_excluded(queryset, False)
        report(self, request, f"Included {plural(n, 'directory', 'directories')} in sync again (subtrees included).")


@admin.register(Project)
class ProjectAdmin(MirrorAdmin):
    list_display = [
        "name", "job_number", "freshness_badge", "synced_at", "changed_date", "directory_link",
        "phase_count", "is_deleted", "failure_count", "short_error",
    ]
    list_select_related = ["directory"]
    list_filter = MirrorAdmin.list_filter + ["is_deleted", "estimated"]
    search_fields = ["name", "job_number", "offer_number", "directory__path"]
    fieldsets = [
        (None, {"fields": ["name", "guid", "directory_link", "phase_count"]}),
        ("LogiKal", {"fields": [
            "job_number", "offer_number", "person_in_charge", "estimated", "is_deleted",
            "created_date", "changed_date", "listed_changed_date", "details",
        ]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_phases=subquery_count(Phase, "project"))

    @admin.display(description="directory", ordering="directory__path")
    def directory_link(self, obj):
        return admin_link(obj.directory)

    @admin.display(description="phases")
    def phase_count(self, obj):
        return changelist_link(Phase, obj.n_phases, project__id__exact=obj.pk)


@admin.register(Phase)
class PhaseAdmin(MirrorAdmin):
    list_display = [
        "name", "freshness_badge", "synced_at", "listed_at", "project_link", "elevation_count",
        "failure_count", "short_error",
    ]
    list_select_related = ["project"]
    search_fields = ["name", "project__name", "project__job_number"]
    fieldsets = [
        (None, {"fields": ["name", "guid", "description", "project_link", "elevation_count"]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields + ["listed_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_elevations=subquery_count(Elevation, "phase"))

    @admin.display(description="project", ordering="project__name")
    def project_link(self, obj):
        return admin_link(obj.project)

    @admin.display(description="elevations")
    def elevation_count(self, obj):
        return changelist_link(Elevation, obj.n_elevations, phase__id__exact=obj.pk)


@admin.register(Elevation)
class ElevationAdmin(MirrorAdmin):
    list_display = [
        "name", "freshness_badge", "synced_at", "changed_date", "phase_link", "project_link",
        "is_in_recycle_bin", "failure_count", "short_error",
    ]
    list_select_related = ["phase__project"]
    list_filter = MirrorAdmin.list_filter + ["is_in_recycle_bin"]
    search_fields = ["name", "phase__name", "phase__project__name", "phase__project__job_number"]
    # An elevation's subtree is its parts list, which its own sync fetches anyway.
    actions = ["force_sync_action"]
    inlines = [PartsListInline]
    fieldsets = [
        (None, {"fields": ["name", "guid", "version_id", "phase_link", "project_link", "thumbnail"]}),
        ("LogiKal", {"fields": [
            "amount", "is_in_recycle_bin", "automatic_description", "system_description", "model_description",
            "user_description", "surface_of_base_element", "surface_of_insertions", "created_by_user",
            "created_date", "changed_date", "width", "height", "is_element_pricelist_elevation",
            "element_pricelist_id", "type", "state",
        ]}),
        ("Sync", {"fields": MirrorAdmin.sync_fields}),
    ]

    @admin.display(description="phase", ordering="phase__name")
    def phase_link(self, obj):
        return admin_link(obj.phase, obj.phase.name)

    @admin.display(description="project", ordering="phase__project__name")
    def project_link(self, obj):
        return admin_link(obj.phase.project)
