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

from django.db.models import Model
from django.db.models.functions import Now

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
        Project.objects.filter(pk__in=projects).update(tree_changed_at=Now())
    return stamped


def _ids(rows) -> list[int]:
    if hasattr(rows, "values_list"):
        return list(rows.values_list("pk", flat=True))
    return [row if isinstance(row, int) else row.pk for row in rows]
