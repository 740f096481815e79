"""The audit trail in the admin: read-only for everyone, filtered by who, what and which object.

Every audited object's page keeps Django's *History* button; ``AuditHistory`` makes it open
this trail filtered to the object (Django's own history knows only admin form edits).
"""

from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from ..models import AuditEntry
from .display import time_column
from .runs import ReadOnlyAdmin


class AuditHistory:
    """ModelAdmin mixin: the object page's *History* opens the audit trail of that object."""

    def history_view(self, request, object_id, extra_context=None):
        if not request.user.has_perm("syncapp.view_auditentry"):
            return super().history_view(request, object_id, extra_context)
        opts = self.model._meta
        query = urlencode({"object_type": f"{opts.app_label}.{opts.model_name}", "object_id": object_id})
        return HttpResponseRedirect(f"{reverse('admin:syncapp_auditentry_changelist')}?{query}")


def object_url(entry: AuditEntry) -> str | None:
    if not entry.object_type:
        return None
    try:
        model = apps.get_model(entry.object_type)
        opts = model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[entry.object_id])
    except (LookupError, NoReverseMatch, ValueError):
        return None


def _short(value) -> str:
    text = "-" if value is None else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included (no add, change or delete): the trail is evidence."""

    list_display = ["at_short", "actor", "source", "action", "object_link", "change_list", "address"]
    list_filter = ["action", "source", "actor", "object_type"]
    search_fields = ["object_repr", "object_id", "actor"]
    date_hierarchy = "at"
    list_per_page = 100
    fields = ["at", "actor", "user", "source", "address", "action", "object_type", "object_id", "object_link",
              "change_list", "details"]
    at_short = time_column("at", "when")

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def lookup_allowed(self, lookup, value, request=None):
        # The object pages' History links filter on these two plain fields.
        return lookup in ("object_type", "object_id") or super().lookup_allowed(lookup, value, request)

    @admin.display(description="object", ordering="object_repr")
    def object_link(self, entry):
        url = object_url(entry)
        if url is None:
            return entry.object_repr or "-"
        return format_html('<a href="{}">{}</a>', url, entry.object_repr or entry.object_id)

    @admin.display(description="changes (old → new)")
    def change_list(self, entry):
        if not entry.changes:
            return "-"
        return format_html_join(
            "", '<div class="audit-change"><code>{}</code>: {} → {}</div>',
            ((name, _short(pair[0]), _short(pair[1])) for name, pair in entry.changes.items()
             if isinstance(pair, (list, tuple)) and len(pair) == 2),
        )
