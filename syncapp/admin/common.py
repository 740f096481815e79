"""Pieces shared by the sync admin pages: badges, a cheap paginator, permission checks."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from ..models.freshness import Freshness

FORCE_SYNC_PERMISSION = "syncapp.force_sync"

# Colours chosen to read on the admin's light and dark themes alike.
BADGE_COLOURS = {
    Freshness.FRESH: "#2e7d32",
    Freshness.DUE: "#9e7700",
    Freshness.STALE: "#c62828",
    Freshness.NEVER: "#6d4c9f",
    Freshness.FAILING: "#b71c1c",
    Freshness.REMOVED: "#616161",
    Freshness.EXCLUDED: "#455a64",
}


def freshness_badge(state: str):
    label = Freshness(state).label if state in Freshness.values else state
    colour = BADGE_COLOURS.get(state, "#616161")
    return format_html(
        '<span class="sync-badge sync-badge-{}" style="background:{};color:#fff;padding:1px 7px;'
        'border-radius:9px;font-size:11px;white-space:nowrap">{}</span>',
        state, colour, label,
    )


def admin_link(obj, text=None):
    """A link to the admin change page of ``obj``, or a dash for None."""
    if obj is None:
        return "-"
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else str(obj))


def changelist_link(model, count: int | None, **filters):
    """A count linking to the changelist of ``model`` filtered by ``filters``."""
    if not count:
        return "0"
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), count)


def subquery_count(model, fk_name: str):
    """Children per row as a correlated subquery.

    Unlike ``annotate(Count(...))`` (a join plus GROUP BY over the whole table
    before LIMIT), PostgreSQL evaluates this only for the rows of the page.
    """
    children = (
        model.objects.filter(**{fk_name: OuterRef("pk")}).order_by().values(fk_name).annotate(n=Count("pk")).values("n")
    )
    return Subquery(children, output_field=IntegerField())


def parent_column(attribute: str, description: str, ordering: str | None = None):
    """A list column linking to the row's ``attribute`` (a parent) in the admin."""

    @admin.display(description=description, ordering=ordering)
    def column(self, obj):
        return admin_link(getattr(obj, attribute))

    column.__name__ = f"{attribute}_link"
    return column


def child_count_column(name: str, model, fk_name: str, description: str):
    """A list column: the row's ``model`` children (annotated as ``n_<name>`` by `MirrorAdmin`),
    linking to their changelist."""

    @admin.display(description=description)
    def column(self, obj):
        return changelist_link(model, getattr(obj, f"n_{name}"), **{f"{fk_name}__id__exact": obj.pk})

    column.__name__ = name
    return column


class EstimatedCountPaginator(Paginator):
    """Counts at most CAP rows; a changelist of 100,000 rows never runs an exact count(*).

    Past the cap the page links stop at CAP / per_page; search and filters
    reach the rest.
    """

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        # count() of a sliced queryset is SELECT count(*) FROM (... LIMIT n). Only the primary
        # key is selected: the list's per-row annotations (child counts, the active job) would
        # otherwise be computed for every one of those rows; filters on an annotation keep it.
        return self.object_list.order_by().values("pk")[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class ViewOnly:
    """An admin mixin: staff look at these rows; the sync, not a person, writes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PermissionCheckedActions:
    """ModelAdmin mixin: actions declare ``allowed_permissions`` and are refused without them.

    Django hides an action whose permission check fails; ``require`` repeats the
    check inside the action so a crafted POST is refused as well.
    """

    def has_force_sync_permission(self, request) -> bool:
        return request.user.has_perm(FORCE_SYNC_PERMISSION)

    def require(self, request, permission: str) -> None:
        if not getattr(self, f"has_{permission}_permission")(request):
            raise PermissionDenied(f"You do not have the {permission.replace('_', ' ')} permission.")


def titled(title: str, base=admin.BooleanFieldListFilter):
    """A field's list filter under a title staff understand ("By estimated" says nothing)."""
    return type(f"Titled{base.__name__}", (base,), {"__init__": _init_with_title(base, title)})


def _init_with_title(base, title):
    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        self.title = title

    return __init__


def report(modeladmin, request, text: str, *, warning: bool = False) -> None:
    modeladmin.message_user(request, text, messages.WARNING if warning else messages.SUCCESS)


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural_form or singular + 's')}"
