"""content_changed_at and tree_changed_at: stamped where a listing changes rows, and bubbled to the project."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from syncapp.models import Elevation, PartsList, Project
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.store import store_parts_list
from syncapp.sync.reconcile import apply_listing
from syncapp.sync.tombstone import tombstone_elevations, tombstone_projects

from ..partslists.conftest import parts_file
from ..sync import factories

pytestmark = pytest.mark.django_db(transaction=True)


def stamps(model, rows) -> dict:
    return dict(model.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "content_changed_at"))


def tree_stamp(project) -> object:
    return Project.objects.values_list("tree_changed_at", flat=True).get(pk=project.pk)


def test_a_listing_stamps_created_updated_removed_and_restored_rows_only():
    _, (project, other) = factories.fresh_tree(n_projects=2, n_phases=1, n_elevations=4)
    phase = project.phases.get()
    e1, e2, e3, e4 = phase.elevations.order_by("pk")
    Elevation.objects.filter(pk=e4.pk).update(removed_at=timezone.now(), missing_since=timezone.now())
    # absent once already, long enough ago for this listing to confirm it
    Elevation.objects.filter(pk=e3.pk).update(missing_since=timezone.now() - timedelta(hours=1))
    before, project_before, other_before = stamps(Elevation, [e1, e2, e3, e4]), tree_stamp(project), tree_stamp(other)
    time.sleep(0.01)
    existing = {str(e.guid): e for e in Elevation.objects.filter(phase=phase)}
    new_guid = str(uuid.uuid4())
    listed = {str(e1.guid): {"name": e1.name}, str(e2.guid): {"name": "renamed"}, str(e4.guid): {"name": e4.name},
              new_guid: {"name": "new"}}
    outcome = apply_listing(model=Elevation, existing=existing, listed=listed, parent_fields={"phase": phase},
                            key_field="guid", now=timezone.now(), what="test", tombstone=tombstone_elevations)
    assert (len(outcome.created), len(outcome.updated), len(outcome.unchanged), len(outcome.removed)) == (1, 2, 1, 1)
    after = stamps(Elevation, [e1, e2, e3, e4])
    assert after[e1.pk] == before[e1.pk]  # verified, not changed
    for changed in (e2, e3, e4):  # renamed, removed, restored
        assert after[changed.pk] > before[changed.pk]
    created = Elevation.objects.get(guid=new_guid)
    assert created.content_changed_at > project_before
    assert tree_stamp(project) > project_before and tree_stamp(other) == other_before
    # The live counts the listings read are kept in the same statement: e3 removed, e4 restored, one new.
    assert Project.objects.values_list("live_elevations_count", "live_phases_count").get(pk=project.pk) == (4, 1)


def test_a_removed_project_stamps_its_whole_subtree():
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=2, n_elevations=2)
    before = stamps(Elevation, Elevation.objects.filter(phase__project=project))
    time.sleep(0.01)
    tombstone_projects([project], timezone.now())
    after = stamps(Elevation, Elevation.objects.filter(phase__project=project))
    assert all(after[pk] > stamp for pk, stamp in before.items())


def test_a_parsed_parts_list_changes_the_elevation_and_its_project(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=1)
    elevation = Elevation.objects.get(phase__project=project)
    Elevation.objects.filter(pk=elevation.pk).update(name="P1")
    elevation.refresh_from_db()
    PartsList.objects.filter(elevation=elevation).delete()
    stored = store_parts_list(elevation=elevation, data=parts_file("P1", str(elevation.guid)),
                              source_changed_date=elevation.changed_date)
    before, project_before = elevation.content_changed_at, tree_stamp(project)
    assert parse_stored_parts_list(stored.parts_list.pk) == "parsed"
    elevation.refresh_from_db()
    assert elevation.content_changed_at > before and tree_stamp(project) > project_before
