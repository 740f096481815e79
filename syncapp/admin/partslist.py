"""Parts lists in the admin: read-only, with the parsed rows and a re-parse action.

`PartsListInline` is for the Elevation admin (facts and parse status of its parts list);
the tabular inlines show the parsed rows on the parts list's own page.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html

from ..models import PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from ..models.partslist import ParseStatus

FORCE_SYNC_PERMISSION = "syncapp.force_sync"
REPARSE_PRIORITY_BOOST = 100  # a re-parse staff asked for runs before routine parses

FACT_FIELDS = (
    "auto_description", "auto_description_short",
    ("width_output", "width_unit"), ("height_output", "height_unit"),
    ("weight_output", "weight_unit"), ("area_output", "area_unit"),
    ("system_code", "system_name"), "system_long_name", "color_base_long",
)
STATUS_FIELDS = (
    ("parse_status", "parse_started_at", "parsed_at"), "parse_error", "parse_warnings",
    ("sha256", "parsed_sha256"), ("size_bytes", "downloaded_at", "source_changed_date"), "file",
)


class ReadOnlyInline:
    extra = 0
    can_delete = False
    # Who may see the page may see its rows: no separate view permission per row model.
    view_permissions = ("syncapp.view_partslist",)

    def has_view_permission(self, request, obj=None):
        return any(request.user.has_perm(permission) for permission in self.view_permissions)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartsListInline(ReadOnlyInline, admin.StackedInline):
    """The elevation's parts list: status and facts (add to the Elevation admin's inlines)."""

    model = PartsList
    fk_name = "elevation"
    view_permissions = ("syncapp.view_partslist", "syncapp.view_elevation")
    show_change_link = True
    verbose_name_plural = "parts list"
    fieldsets = (("Parse", {"fields": STATUS_FIELDS}), ("Elevation facts from the file", {"fields": FACT_FIELDS}))
    readonly_fields = [f for group in (*STATUS_FIELDS, *FACT_FIELDS) for f in (group if isinstance(group, tuple) else (group,))]


class PartsListGlassInline(ReadOnlyInline, admin.TabularInline):
    model = PartsListGlass
    fields = readonly_fields = ("glass_id", "name")


class PartsListArticleInline(ReadOnlyInline, admin.TabularInline):
    model = PartsListArticle
    fields = readonly_fields = ("article_code", "description", "amount", "color")


class PartsListProfileInline(ReadOnlyInline, admin.TabularInline):
    model = PartsListProfile
    fields = readonly_fields = ("article_code", "description", "length", "color", "price")


class PartsListUValueInline(ReadOnlyInline, admin.TabularInline):
    model = PartsListUValue
    verbose_name_plural = "U-values"
    fields = readonly_fields = ("name", "u", "u_unit")


def _row_count(model):
    rows = model.objects.filter(parts_list=OuterRef("pk")).order_by().values("parts_list").annotate(n=Count("pk"))
    return Subquery(rows.values("n"), output_field=IntegerField())


@admin.register(PartsList)
class PartsListAdmin(admin.ModelAdmin):
    list_display = ("elevation_link", "parse_status", "article_count", "profile_count", "size_bytes",
                    "short_sha256", "downloaded_at", "parsed_at")
    list_filter = ("parse_status",)
    search_fields = ("elevation__name", "^sha256", "^parsed_sha256")
    search_help_text = "Elevation name, or the start of a SHA-256."
    list_select_related = ("elevation",)
    show_full_result_count = False
    ordering = ("-downloaded_at",)
    fieldsets = (
        (None, {"fields": ("elevation_link",)}),
        ("Parse", {"fields": STATUS_FIELDS}),
        ("Elevation facts from the file", {"fields": FACT_FIELDS}),
    )
    inlines = (PartsListGlassInline, PartsListArticleInline, PartsListProfileInline, PartsListUValueInline)
    actions = ("reparse",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            article_rows=_row_count(PartsListArticle), profile_rows=_row_count(PartsListProfile)
        )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PartsList._meta.concrete_fields] + ["elevation_link"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_force_sync_permission(self, request) -> bool:
        return request.user.has_perm(FORCE_SYNC_PERMISSION)

    @admin.display(description="elevation", ordering="elevation__name")
    def elevation_link(self, obj):
        url = reverse("admin:syncapp_elevation_change", args=[obj.elevation_id])
        return format_html('<a href="{}">{}</a>', url, obj.elevation.name)

    @admin.display(description="articles", ordering="article_rows")
    def article_count(self, obj):
        return obj.article_rows or 0

    @admin.display(description="profiles", ordering="profile_rows")
    def profile_count(self, obj):
        return obj.profile_rows or 0

    @admin.display(description="SHA-256")
    def short_sha256(self, obj):
        return obj.sha256[:12]

    @admin.action(description="Re-parse the stored file of the selected parts lists", permissions=["force_sync"])
    def reparse(self, request, queryset):
        from ..models import ObjectSyncConfig
        from ..partslists.jobs import defer_parse_jobs

        # Django hides the action without the permission; a crafted POST is refused here.
        if not self.has_force_sync_permission(request):
            raise PermissionDenied("Re-parsing needs the force sync permission.")
        ids = list(queryset.exclude(sha256="").values_list("pk", flat=True))
        skipped = queryset.filter(sha256="").count()
        priority = ObjectSyncConfig.objects.as_map()["parts_list"].priority + REPARSE_PRIORITY_BOOST
        with transaction.atomic():
            # Pending makes the job parse again even when this content was parsed before.
            PartsList.objects.filter(pk__in=ids).update(parse_status=ParseStatus.PENDING, parse_error="")
            queued = defer_parse_jobs(ids, priority=priority)
        text = f"Queued {len(queued)} parse job{'' if len(queued) == 1 else 's'}"
        if len(ids) > len(queued):
            text += f"; {len(ids) - len(queued)} already queued"
        if skipped:
            text += f"; {skipped} without a stored file skipped"
        self.message_user(request, text + ".", messages.SUCCESS if queued or not ids else messages.WARNING)
