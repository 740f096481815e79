"""The reads behind the API, as QuerySets: a fixed number of SQL statements whatever the size.

Freshness comes from the models' own ``with_freshness()`` (the admin's definition); the
sync configs are read once per request and passed in, so it adds no query per type.
"""

from collections import defaultdict

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


def projects(configs, *, include_removed: bool = False):
    """Projects with freshness, directory and live child counts, in keyset order (primary key)."""
    queryset = Project.objects.with_freshness(config=configs["project"]).select_related("directory")
    return _live(queryset, include_removed).annotate(
        phases_count=count_of(Phase.objects.filter(project=OuterRef("pk"), removed_at__isnull=True), "project"),
        elevations_count=count_of(
            Elevation.objects.filter(phase__project=OuterRef("pk"), removed_at__isnull=True), "phase__project"
        ),
    ).order_by("pk")


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
    return list(queryset[:limit])


def phases_of(project, configs, *, include_removed: bool) -> list:
    queryset = Phase.objects.with_freshness(config=configs["phase"]).filter(project=project)
    return list(_live(queryset, include_removed).order_by("name", "pk"))


def elevations(configs, *, include_removed: bool):
    """Elevations with freshness, their parts list (joined) and its row counts."""
    queryset = Elevation.objects.with_freshness(config=configs["elevation"]).select_related("parts_list")
    return _live(queryset, include_removed).annotate(
        articles_count=count_of(PartsListArticle.objects.filter(parts_list=OuterRef("parts_list__id")), "parts_list"),
        profiles_count=count_of(PartsListProfile.objects.filter(parts_list=OuterRef("parts_list__id")), "parts_list"),
    ).order_by("name", "pk")


ROW_MODELS = {"glass": PartsListGlass, "u_values": PartsListUValue, "articles": PartsListArticle,
              "profiles": PartsListProfile}


def parts_list_rows(elevation_rows, include: set[str]) -> dict[str, dict[int, list]]:
    """{"glass": {parts_list_id: [rows]}, ...}: one statement per kind of row, for all the elevations at once."""
    ids = [e.parts_list.pk for e in elevation_rows if _parts_list(e) is not None]
    kinds = ["glass", "u_values", *sorted(include)]
    found: dict[str, dict[int, list]] = {kind: defaultdict(list) for kind in kinds}
    if not ids:
        return found
    for kind in kinds:
        for row in ROW_MODELS[kind].objects.filter(parts_list_id__in=ids).order_by("pk"):
            found[kind][row.parts_list_id].append(row)
    return found


def _parts_list(elevation):
    try:
        return elevation.parts_list
    except Elevation.parts_list.RelatedObjectDoesNotExist:
        return None


def project_by_guid(guid, configs):
    return projects(configs, include_removed=True).filter(guid=guid).first()


def elevation_by_guid(guid, configs):
    """Elevation GUIDs are unique per phase; a GUID seen twice (moved between phases) prefers the live row."""
    queryset = elevations(configs, include_removed=True).select_related("phase__project__directory")
    return queryset.filter(guid=guid).order_by(F("removed_at").asc(nulls_first=True), "-pk").first()


def directories(configs, *, include_removed: bool = False) -> list:
    queryset = Directory.objects.with_freshness(config=configs["directory"]).select_related("parent")
    queryset = _live(queryset, include_removed).annotate(
        projects_count=count_of(Project.objects.filter(directory=OuterRef("pk"), removed_at__isnull=True), "directory"),
        subdirectories_count=count_of(Directory.objects.filter(parent=OuterRef("pk"), removed_at__isnull=True), "parent"),
    )
    return list(queryset.order_by("path"))
