"""Parts lists in the admin: read-only, shown as staff read them, with a re-parse action.

The change page shows the same sheet as the elevation page (facts, articles and profiles as
tables, the technical details collapsed): ``templates/admin/syncapp/partslist_sheet.html``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from .. import audit
from ..models import PartsList, PartsListArticle, PartsListProfile
from ..models.partslist import ParseStatus
from .audit import AuditHistory
from .common import ViewOnly
from .display import time_column
from .partslist_pages import elevation_sheet_context, export_urls

FORCE_SYNC_PERMISSION = "syncapp.force_sync"
REPARSE_PRIORITY_BOOST = 100  # a re-parse staff asked for runs before routine parses


def _row_count(model):
    rows = model.objects.filter(parts_list=OuterRef("pk")).order_by().values("parts_list").annotate(n=Count("pk"))
    return Subquery(rows.values("n"), output_field=IntegerField())


@admin.register(PartsList)
class PartsListAdmin(AuditHistory, ViewOnly, admin.ModelAdmin):
    list_display = ("elevation_link", "parse_status", "article_count", "profile_count", "size",
                    "downloaded_short", "parsed_short")
    list_filter = ("parse_status",)
    search_fields = ("elevation__name", "^sha256", "^parsed_sha256")
    search_help_text = "Elevation name, or the start of a SHA-256."
    list_select_related = ("elevation",)
    show_full_result_count = False
    ordering = ("-downloaded_at",)
    fieldsets = ((None, {"fields": ("elevation_link",)}),)
    change_form_template = "admin/syncapp/partslist/change_form.html"
    actions = ("reparse",)
    downloaded_short = time_column("downloaded_at", "downloaded")
    parsed_short = time_column("parsed_at", "read")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        parts_list = PartsList.objects.filter(pk=object_id).only("elevation_id").first() \
            if str(object_id).isdigit() else None
        if parts_list is not None:
            extra_context = dict(extra_context or {}, **elevation_sheet_context(request, parts_list.elevation_id),
                                 parts_list_exports=export_urls("elevation", parts_list.elevation_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            article_rows=_row_count(PartsListArticle), profile_rows=_row_count(PartsListProfile)
        )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PartsList._meta.concrete_fields] + ["elevation_link"]

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

    @admin.display(description="size", ordering="size_bytes")
    def size(self, obj):
        return filesizeformat(obj.size_bytes) if obj.size_bytes else "-"

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
            # Every parts list staff asked to re-parse, queued now or already waiting.
            audit.record_many(request, audit.AuditAction.REPARSE,
                              PartsList.objects.filter(pk__in=ids).select_related("elevation"))
        text = f"Queued {len(queued)} parse job{'' if len(queued) == 1 else 's'}"
        if len(ids) > len(queued):
            text += f"; {len(ids) - len(queued)} already queued"
        if skipped:
            text += f"; {skipped} without a stored file skipped"
        self.message_user(request, text + ".", messages.SUCCESS if queued or not ids else messages.WARNING)
