"""The parts list on the elevation page, and its exports from the elevation, phase and project pages.

``PartsListExports`` adds ``<id>/parts-lists.csv`` and ``<id>/parts-lists.xlsx`` to a mirror
admin; the files hold the parsed parts lists of everything below the object.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.text import slugify

from ..models import PartsList
from ..partslists.export import csv_chunks, xlsx_bytes
from ..partslists.sheet import read_sheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Which parts lists lie below an object, per mirror type.
BELOW = {"elevation": "elevation", "phase": "elevation__phase", "project": "elevation__phase__project"}


def export_urls(object_type: str, pk) -> dict[str, str]:
    return {fmt: reverse(f"admin:syncapp_{object_type}_parts_lists", args=[pk, fmt]) for fmt in ("csv", "xlsx")}


class PartsListExports:
    """ModelAdmin mixin: CSV and XLSX of the parsed parts lists below an object."""

    def get_urls(self):
        opts = self.model._meta
        own = [path("<path:object_id>/parts-lists.<str:fmt>", self.admin_site.admin_view(self.export_view),
                    name=f"{opts.app_label}_{opts.model_name}_parts_lists")]
        return own + super().get_urls()

    def export_view(self, request, object_id, fmt):
        if fmt not in ("csv", "xlsx"):
            raise Http404("CSV or XLSX only")
        if not (request.user.has_perm("syncapp.view_partslist") and self.has_view_permission(request)):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=object_id)
        # Every list with parsed rows (a newer file waiting for its parse still has the last rows).
        parts_lists = PartsList.objects.filter(**{BELOW[self.model.OBJECT_TYPE]: obj}).exclude(parsed_sha256="")
        name = slugify(f"parts-lists-{obj}")[:80] or "parts-lists"
        if fmt == "csv":
            response = StreamingHttpResponse(csv_chunks(parts_lists), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(xlsx_bytes(parts_lists), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {}, parts_list_exports=export_urls(self.model.OBJECT_TYPE, object_id))
        return super().change_view(request, object_id, form_url, extra_context)


def elevation_sheet_context(request, elevation_id) -> dict:
    """What the elevation page shows of its parts list: the sheet, or why there is none."""
    if not str(elevation_id).isdigit():
        return {}  # Django's change view answers the bad id itself
    parts_list = PartsList.objects.filter(elevation_id=elevation_id).first()
    if parts_list is None or not request.user.has_perm("syncapp.view_partslist"):
        return {"parts_list": parts_list, "sheet": None}
    sheet = read_sheet(parts_list) if parts_list.parsed_sha256 else None
    return {"parts_list": parts_list, "sheet": sheet,
            "parts_list_url": reverse("admin:syncapp_partslist_change", args=[parts_list.pk])}
