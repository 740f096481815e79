"""The one place that records "this mirrored object's content changed".

Called on the writer's transaction wherever mirrored rows are created, updated, removed,
restored, or get new parts-list facts or a new thumbnail. It stamps
``content_changed_at`` on the rows and bubbles the same stamp up to their project's
``tree_changed_at``, so a project's ``changed_since`` also catches changes below it
with one indexed range scan on projects (no join over elevations), and a change is
never visible without its project's stamp (same transaction).

The stamp is the database's ``statement_timestamp()``, not the job's start time:
network calls happen before the transaction opens, so the job's clock can be minutes
older than the commit. A stamp is therefore never older than its transaction's start,
which is what makes the API's ``next_changed_since`` watermark safe
(``syncapp.api.watermark``).

It also writes the change feed's rows (``syncapp.models.changes``): what kind of change,
which fields, on which object. Same transaction again, so a change and its feed row
commit together or not at all.
"""

from django.db import connection
from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce, Now

from ..models import ChangeKind, Directory, Elevation, Phase, Project
from ..webhooks.jobs import nudge_after_commit

# How each mirrored type reaches its project (None: not below a project).
_PROJECT_OF = {Directory: None, Project: "pk", Phase: "project_id", Elevation: "phase__project_id"}


def record_content_changes(model: type[Model], rows, *, kind: str = ChangeKind.UPDATED,
                           fields=()) -> int:
    """Stamp `rows` (model instances, primary keys or a queryset of `model`) as changed now.

    `kind` is what happened to all of them, `fields` the names of the fields that changed
    (updates). Returns how many rows were stamped. Four statements at most, whatever the
    number of rows.
    """
    return record_changes(model, [(pk, kind, fields) for pk in _ids(rows)])


def record_changes(model: type[Model], entries: list[tuple[int, str, list]]) -> int:
    """Like `record_content_changes`, with a kind and field names per row: (pk, kind, fields)."""
    if not entries:
        return 0
    ids = [pk for pk, _kind, _fields in entries]
    stamped = model.objects.filter(pk__in=ids).update(content_changed_at=Now())
    write_feed_rows(model, entries)
    nudge_after_commit()
    project_lookup = _PROJECT_OF[model]
    if project_lookup is not None:
        projects = model.objects.filter(pk__in=ids).values(project_lookup)
        recount_live_children(Project.objects.filter(pk__in=projects), tree_changed_at=Now())
    return stamped


def _live_count(queryset, outer: str):
    counted = queryset.filter(removed_at__isnull=True).order_by().values(outer).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def recount_live_children(projects, **also) -> int:
    """Set the projects' live phase and elevation counts from their rows (one statement).

    Called with every change below a project, so listings read the counts instead of
    counting 100 elevations per project per request.
    """
    return projects.update(
        live_phases_count=_live_count(Phase.objects.filter(project=OuterRef("pk")), "project"),
        live_elevations_count=_live_count(Elevation.objects.filter(phase__project=OuterRef("pk")), "phase__project"),
        **also,
    )


def _ids(rows) -> list[int]:
    if hasattr(rows, "values_list"):
        return list(rows.values_list("pk", flat=True))
    return [row if isinstance(row, int) else row.pk for row in rows]


# Per mirrored type: its feed name, its key, its project's GUID and its directory (joins from the row `o`).
_FEED_SOURCE = {
    Directory: ("directory", "o.path", "NULL::uuid", "o.id", "syncapp_directory o"),
    Project: ("project", "o.guid::text", "o.guid", "o.directory_id", "syncapp_project o"),
    Phase: ("phase", "o.guid::text", "p.guid", "p.directory_id",
            "syncapp_phase o JOIN syncapp_project p ON p.id = o.project_id"),
    Elevation: ("elevation", "o.guid::text", "p.guid", "p.directory_id",
                "syncapp_elevation o JOIN syncapp_phase ph ON ph.id = o.phase_id "
                "JOIN syncapp_project p ON p.id = ph.project_id"),
}


def write_feed_rows(model: type[Model], entries) -> None:
    """One INSERT .. SELECT for all `entries`; the object's key, project and directory come from its row."""
    object_type, key, project_guid, directory, source = _FEED_SOURCE[model]
    ids, kinds, fields = [], [], []
    for pk, kind, names in entries:
        ids.append(pk)
        kinds.append(str(kind))
        # Field names are identifiers (no commas), so a flat text array carries them per row.
        fields.append(",".join(sorted(names)) if kind in (ChangeKind.UPDATED, ChangeKind.RESTORED) else "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO syncapp_change (kind, object_type, object_pk, object_key, project_guid, directory_id, fields) "
            f"SELECT e.kind, %s, o.id, {key}, {project_guid}, {directory}, "
            f"CASE WHEN e.fields = '' THEN '{{}}'::varchar[] ELSE string_to_array(e.fields, ',')::varchar[] END "
            f"FROM unnest(%s::bigint[], %s::text[], %s::text[]) WITH ORDINALITY AS e(pk, kind, fields, n) "
            f"JOIN {source} ON o.id = e.pk ORDER BY e.n",
            [object_type, ids, kinds, fields],
        )
