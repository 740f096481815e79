"""A suspicious listing only notes an absence; only a listing taken long enough later confirms it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncapp.models import Elevation
from syncapp.sync.reconcile import REMOVAL_CONFIRM_AFTER, apply_listing
from syncapp.sync.tombstone import tombstone_elevations

from . import factories

pytestmark = pytest.mark.django_db


def list_elevations(phase, names: dict, now):
    existing = {str(e.guid): e for e in Elevation.objects.filter(phase=phase)}
    listed = {guid: {"name": name} for guid, name in names.items()}
    return apply_listing(model=Elevation, existing=existing, listed=listed, parent_fields={"phase": phase},
                         key_field="guid", now=now, what="phase", tombstone=tombstone_elevations)


def test_empty_answers_in_quick_succession_remove_nothing_and_a_later_one_confirms():
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=4)
    phase = project.phases.get()
    first = timezone.now()

    outcome = list_elevations(phase, {}, first)
    assert outcome.removed == [] and "not removing" in outcome.warnings[0]
    assert Elevation.objects.filter(phase=phase, removed_at=None, missing_since=first).count() == 4

    # A retry, a cascade or a forced sync meets the same hiccup a moment later: still nothing removed.
    outcome = list_elevations(phase, {}, first + REMOVAL_CONFIRM_AFTER - timedelta(seconds=1))
    assert outcome.removed == [] and "not removing" in outcome.warnings[0]
    assert not Elevation.objects.filter(phase=phase).exclude(removed_at=None).exists()
    assert Elevation.objects.filter(phase=phase, missing_since=first).count() == 4  # the mark keeps its time

    # The regular listing an interval later confirms what is really gone.
    later = first + REMOVAL_CONFIRM_AFTER + timedelta(minutes=10)
    outcome = list_elevations(phase, {}, later)
    assert len(outcome.removed) == 4 and outcome.warnings == []
    assert Elevation.objects.filter(phase=phase, removed_at=later).count() == 4


def test_a_noted_child_that_reappears_is_cleared_and_the_rest_wait_for_confirmation():
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=4)
    phase = project.phases.get()
    e1, e2, e3, e4 = phase.elevations.order_by("pk")
    first = timezone.now()
    list_elevations(phase, {}, first)

    outcome = list_elevations(phase, {str(e1.guid): e1.name}, first + timedelta(seconds=30))
    assert outcome.removed == []
    assert Elevation.objects.get(pk=e1.pk).missing_since is None
    assert set(Elevation.objects.filter(phase=phase, removed_at=None).exclude(missing_since=None)
               .values_list("pk", flat=True)) == {e2.pk, e3.pk, e4.pk}

    outcome = list_elevations(phase, {str(e1.guid): e1.name}, first + timedelta(hours=1))
    assert {row.pk for row in outcome.removed} == {e2.pk, e3.pk, e4.pk}
    assert Elevation.objects.get(pk=e1.pk).removed_at is None


def test_one_child_gone_from_a_large_family_is_removed_at_once():
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=4)
    phase = project.phases.get()
    keep = {str(e.guid): e.name for e in phase.elevations.order_by("pk")[:3]}
    outcome = list_elevations(phase, keep, timezone.now())
    assert len(outcome.removed) == 1 and outcome.warnings == []
