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
"""

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce, Now

from ..models import Directory, Elevation, Phase, Project

# How each mirrored type reaches its project (None: not below a project).
_PROJECT_OF = {Directory: None, Project: "pk", Phase: "project_id", Elevation: "phase__project_id"}


def record_content_changes(model: type[Model], rows) -> int:
    """Stamp `rows` (model instances, primary keys or a queryset of `model`) as changed now.

    Returns how many rows were stamped. Two statements at most, whatever the number of rows.
    """
    ids = _ids(rows)
    if not ids:
        return 0
    stamped = model.objects.filter(pk__in=ids).update(content_changed_at=Now())
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
