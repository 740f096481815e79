"""The reads behind the API, as QuerySets: a fixed number of SQL statements whatever the size.

Freshness comes from the models' own ``with_freshness()`` (the admin's definition); the
sync configs are read once per request and passed in, so it adds no query per type.
"""

from collections import defaultdict
from types import SimpleNamespace

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from ..models import (
    Directory,
    Elevation,
    ObjectSyncConfig,
    PartsListArticle,
    PartsListGlass,
    PartsListProfile,
    PartsListUValue,
    Phase,
    Project,
)


class Row(SimpleNamespace):
    """A row read with values(): attribute access without building a model instance for each."""


def sync_configs() -> dict:
    return ObjectSyncConfig.objects.as_map()


def count_of(queryset, outer: str):
    """A correlated COUNT(*) of `queryset` per outer row (0 when none), evaluated only for the rows returned."""
    counted = queryset.order_by().values(outer).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _live(queryset, include_removed: bool):
    return queryset if include_removed else queryset.filter(removed_at__isnull=True)


def directory_subtree_q(path: str, lookup: str = "directory__path") -> Q:
    if path == "":
        return Q()
    return Q(**{lookup: path}) | Q(**{f"{lookup}__startswith": path + "/"})


PROJECT_FIELDS = (
    "pk", "guid", "name", "job_number", "offer_number", "person_in_charge", "estimated", "is_deleted",
    "created_date", "changed_date", "first_seen_at", "synced_at", "last_attempt_at", "last_error", "removed_at",
    "content_changed_at", "tree_changed_at", "live_phases_count", "live_elevations_count", "freshness",
    "effective_interval", "effective_staleness",
)


def projects(configs, *, include_removed: bool = False, details: bool = False):
    """Projects with freshness, directory path and live child counts (kept on the row), by primary key.

    Read as values: a page of 500 would otherwise build 1,000 model instances.
    """
    queryset = _live(Project.objects.with_freshness(config=configs["project"]), include_removed).order_by("pk")
    return queryset.values(*PROJECT_FIELDS, *(("details",) if details else ()), directory_path=F("directory__path"))


def as_rows(values) -> list[Row]:
    return [Row(**row) for row in values]


def project_page(configs, *, after: int, limit: int, directory: str | None, search: str | None,
                 changed_since, include_removed: bool) -> list:
    """One page of the project listing: up to `limit` rows after primary key `after` (one statement)."""
    queryset = projects(configs, include_removed=include_removed).filter(pk__gt=after)
    if directory is not None:
        queryset = queryset.filter(directory_subtree_q(directory))
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(job_number__icontains=search))
    if changed_since is not None:
        # tree_changed_at: the project or anything below it (see syncapp.sync.changes).
        queryset = queryset.filter(tree_changed_at__gte=changed_since)
    return as_rows(queryset[:limit])


def phases_of(project, configs, *, include_removed: bool) -> list:
    queryset = Phase.objects.with_freshness(config=configs["phase"]).filter(project_id=project.pk)
    return list(_live(queryset, include_removed).order_by("name", "pk"))


ELEVATION_FIELDS = (
    "pk", "phase_id", "guid", "name", "amount", "automatic_description", "system_description", "model_description",
    "user_description", "width", "height", "type", "state", "is_in_recycle_bin", "created_date", "changed_date",
    "thumbnail", "first_seen_at", "synced_at", "last_attempt_at", "last_error", "removed_at", "content_changed_at",
    "freshness", "effective_interval", "effective_staleness",
)
PARTS_LIST_FIELDS = (
    "id", "file", "sha256", "downloaded_at", "parse_status", "parse_error", "parsed_sha256", "parsed_at",
    "parse_warnings", "auto_description", "auto_description_short", "width_output", "width_unit", "height_output",
    "height_unit", "weight_output", "weight_unit", "area_output", "area_unit", "system_code", "system_name",
    "system_long_name", "color_base_long", "articles_count", "profiles_count",
)
CONTEXT_FIELDS = {"phase_guid": "phase__guid", "phase_name": "phase__name", "project_guid": "phase__project__guid",
                  "project_name": "phase__project__name", "directory_path": "phase__project__directory__path"}


def elevations(configs, *, include_removed: bool, context: bool = False, **filters) -> list[Row]:
    """Elevations with freshness and their parts list's facts and row counts, in one statement.

    Read as values, not model instances: for a project of 100 elevations that halves the time.
    """
    queryset = _live(Elevation.objects.with_freshness(config=configs["elevation"]), include_removed).filter(**filters)
    names = [*ELEVATION_FIELDS, *(f"parts_list__{name}" for name in PARTS_LIST_FIELDS)]
    extra = {alias: F(path) for alias, path in CONTEXT_FIELDS.items()} if context else {}
    rows = []
    for values in queryset.order_by("name", "pk").values(*names, **extra):
        stored = {name: values.pop(f"parts_list__{name}") for name in PARTS_LIST_FIELDS}
        values["parts_list"] = Row(pk=stored["id"], **stored) if stored["id"] is not None else None
        rows.append(Row(**values))
    return rows


ROW_FIELDS = {
    "glass": ("parts_list_id", "glass_id", "name"),
    "u_values": ("parts_list_id", "name", "u", "u_unit"),
    "articles": ("parts_list_id", "article_code", "description", "amount", "color"),
    "profiles": ("parts_list_id", "article_code", "description", "length", "color", "price"),
}
ROW_MODELS = {"glass": PartsListGlass, "u_values": PartsListUValue, "articles": PartsListArticle,
              "profiles": PartsListProfile}


def parts_list_rows(elevation_rows, include: set[str]) -> dict[str, dict[int, list]]:
    """{"glass": {parts_list_id: [rows]}, ...}: one statement per kind of row, for all the elevations at once."""
    ids = [e.parts_list.pk for e in elevation_rows if e.parts_list is not None]
    kinds = ["glass", "u_values", *sorted(include)]
    found: dict[str, dict[int, list]] = {kind: defaultdict(list) for kind in kinds}
    if not ids:
        return found
    for kind in kinds:
        model = ROW_MODELS[kind]
        # Plain dicts: building a model instance per row would cost more than the query.
        for row in model.objects.filter(parts_list_id__in=ids).order_by("pk").values(*ROW_FIELDS[kind]):
            found[kind][row.pop("parts_list_id")].append(row)
    return found


def project_by_guid(guid, configs, *, details: bool = False) -> Row | None:
    rows = as_rows(projects(configs, include_removed=True, details=details).filter(guid=guid)[:1])
    return rows[0] if rows else None


def elevation_by_guid(guid, configs) -> Row | None:
    """Elevation GUIDs are unique per phase; a GUID seen twice (moved between phases) prefers the live row."""
    rows = elevations(configs, include_removed=True, context=True, guid=guid)
    return min(rows, key=lambda row: (row.removed_at is not None, -row.pk), default=None)


def directories(configs, *, include_removed: bool = False) -> list:
    queryset = Directory.objects.with_freshness(config=configs["directory"]).select_related("parent")
    queryset = _live(queryset, include_removed).annotate(
        projects_count=count_of(Project.objects.filter(directory=OuterRef("pk"), removed_at__isnull=True), "directory"),
        subdirectories_count=count_of(Directory.objects.filter(parent=OuterRef("pk"), removed_at__isnull=True), "parent"),
    )
    return list(queryset.order_by("path"))
