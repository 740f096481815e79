"""The planner plans exactly what the admin calls due: one definition of freshness, held on random trees.

Each tree is built the way syncs leave it: a listing verifies the children it lists at the
moment it lists them (child ``synced_at`` = parent ``listed_at``), except children a
suspicious listing only noted missing, which keep their older verification. Every node gets a
random state: fresh, due, stale, never listed, failing, removed upstream, excluded. Each seed also
draws the activity rule (on or off per type, factor, maximum) and upstream dates from an hour to
months old, so objects carry intervals of their own; the checks below state those intervals with
the tests' own Python oracle (``interval_rule.py``), not with the SQL under test.
"""

import random
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from syncapp.models import Directory, Elevation, ObjectSyncConfig, PartsList, Phase, Project
from syncapp.models.freshness import Freshness
from syncapp.models.tree import TYPES, type_of
from syncapp.sync.planner import plan_due_jobs

from .interval_rule import listing_interval

pytestmark = pytest.mark.django_db

LISTED_MINUTES_AGO = [None, 1, 10, 20, 45, 100, 400, 2000]  # the default intervals are 15, 30 and 60 min
# Directories mostly fresh, so that due projects and phases are not all hidden behind a due directory's job.
DIRECTORY_LISTED_MINUTES_AGO = [None, 1, 1, 1, 10, 45, 100]
CHANGED_AGO = [timedelta(hours=1), timedelta(hours=20), timedelta(days=3), timedelta(days=90)]


class TreeBuilder:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.now = timezone.now()

    def ago(self, minutes):
        return None if minutes is None else self.now - timedelta(minutes=minutes)

    def state(self, parent, choices=LISTED_MINUTES_AGO):
        """(listed_at, extra fields) of one node; a removal upstream takes the whole subtree (tombstones)."""
        listed = self.ago(self.rng.choice(choices))
        extra = {"failure_count": self.rng.choice([0, 0, 0, 2])}
        if parent.removed_at is not None or self.rng.random() < 0.08:
            extra["removed_at"] = self.now
        return listed, extra

    def child_verified_at(self, parent_listed_at):
        """What the parent's last listing left on a child: its time, or (noted missing, or set by hand
        as no sync would) an older one."""
        if parent_listed_at is None:
            return None
        if self.rng.random() < 0.25:
            return parent_listed_at - timedelta(minutes=self.rng.choice([30, 90, 1500]))
        return parent_listed_at

    def missing_since(self, verified_at, parent_listed_at):
        """Half of the children left behind by their parent's listing were noted missing by it."""
        if verified_at is None or verified_at == parent_listed_at or self.rng.random() < 0.5:
            return None
        return parent_listed_at

    def configure(self):
        """The activity rule of this tree: on or off per type, with a random factor and maximum."""
        for object_type in ("project", "phase", "elevation"):
            ObjectSyncConfig.objects.filter(object_type=object_type).update(
                activity_based=self.rng.random() < 0.75, activity_factor=self.rng.choice([0.05, 0.1, 0.5]),
                max_interval_minutes=self.rng.choice([60, 1440]))

    def changed(self):
        return self.now - self.rng.choice(CHANGED_AGO)

    def build(self):
        self.configure()
        root = Directory.objects.get(path="")
        root.listed_at = self.ago(self.rng.choice([1, 1, 1, 45, 100]))
        root.synced_at = root.listed_at
        root.save()
        for d in range(3):
            self.directory(root, f"D{d}", depth=1)

    def directory(self, parent, path, depth):
        listed, extra = self.state(parent, DIRECTORY_LISTED_MINUTES_AGO)
        excluded = self.rng.random() < 0.1
        verified = self.child_verified_at(parent.listed_at)
        row = Directory.objects.create(path=path, name=path, parent=parent, listed_at=listed, synced_at=verified,
                                       missing_since=self.missing_since(verified, parent.listed_at), excluded=excluded,
                                       effectively_excluded=excluded or parent.effectively_excluded, **extra)
        if depth < 2:
            self.directory(row, f"{path}/S", depth + 1)
        for _ in range(self.rng.choice([0, 1, 2])):
            self.project(row)

    def project(self, directory):
        listed, extra = self.state(directory)
        changed = self.changed() if self.rng.random() < 0.9 else None
        listed_changed = self.rng.choice([changed, changed, changed - timedelta(hours=1) if changed else None, None])
        verified = self.child_verified_at(directory.listed_at)
        row = Project.objects.create(guid=uuid.uuid4(), directory=directory, name=f"P{uuid.uuid4().hex[:6]}",
                                     listed_at=listed, synced_at=verified,
                                     missing_since=self.missing_since(verified, directory.listed_at),
                                     changed_date=changed, listed_changed_date=listed_changed if listed else None,
                                     **extra)
        for _ in range(self.rng.choice([0, 1, 2]) if listed else 0):
            self.phase(row)

    def phase(self, project):
        listed, extra = self.state(project)
        verified = self.child_verified_at(project.listed_at)
        row = Phase.objects.create(project=project, guid=uuid.uuid4(), name="Phase", listed_at=listed,
                                   synced_at=verified, missing_since=self.missing_since(verified, project.listed_at),
                                   **extra)
        for _ in range(self.rng.choice([0, 1, 3]) if listed else 0):
            changed = self.changed()
            verified = self.child_verified_at(listed)
            elevation = Elevation.objects.create(
                phase=row, guid=uuid.uuid4(), name="E", changed_date=changed, synced_at=verified,
                missing_since=self.missing_since(verified, listed), failure_count=self.rng.choice([0, 0, 1]),
                removed_at=row.removed_at,
                is_in_recycle_bin=self.rng.random() < 0.1)
            if self.rng.random() < 0.8:
                source = changed if self.rng.random() < 0.8 else changed - timedelta(hours=1)
                PartsList.objects.create(elevation=elevation, source_changed_date=source, downloaded_at=listed)


def admin_due():
    """Every live object the admin's badge calls due, stale or never synced, or failing while past due."""
    configs = ObjectSyncConfig.objects.as_map()
    due = set()
    for name, mirrored in TYPES.items():
        rows = mirrored.model.objects.with_freshness(config=configs[name])
        due |= {(name, pk) for pk in rows.filter(freshness__in=[Freshness.DUE, Freshness.STALE, Freshness.NEVER])
                .values_list("pk", flat=True)}
        # A failing object's badge says "failing"; the same rows say whether it is due as well.
        due |= {(name, pk) for pk in mirrored.model.objects.due(config=configs[name]).filter(failure_count__gt=0)
                .values_list("pk", flat=True)}
        assert due >= {(name, pk) for pk in mirrored.model.objects.due(config=configs[name]).values_list("pk", flat=True)}
    return due


def verifiers(obj):
    """The object's own verifier (the parent listing it; the root lists itself) and every ancestor."""
    chain, mirrored = [], type_of(obj)
    parent = getattr(obj, mirrored.parent_field)
    if parent is None:
        return [obj]
    while parent is not None:
        chain.append(parent)
        parent = getattr(parent, type_of(parent).parent_field)
    return chain


@pytest.mark.parametrize("seed", range(24))
def test_the_plan_covers_every_object_the_admin_calls_due_and_nothing_else(seed):
    TreeBuilder(seed).build()
    plan = plan_due_jobs()
    planned = {(job.object_type, job.object_id) for job in plan.jobs}
    configs = ObjectSyncConfig.objects.as_map()

    # 1. Whatever the admin calls due, the plan will verify: its parent's listing, or an
    #    ancestor's (whose cascade reaches it). A child noted missing waits for its parent's
    #    regular listing instead: covered once that listing is past its interval.
    for name, pk in admin_due():
        obj = TYPES[name].model.objects.get(pk=pk)
        chain = verifiers(obj)
        covered = any((type_of(v).name, v.pk) in planned for v in chain)
        if obj.missing_since is not None:
            parent = chain[0]
            assert covered or parent.listed_at >= timezone.now() - listing_interval(parent, configs, timezone.now()), \
                (name, str(obj))
            continue
        assert covered, (name, str(obj), obj.synced_at)

    # 2. Every planned job serves something: a child the admin calls due, a listing never done
    #    or older than the interval it keeps (an empty parent), or a change upstream.
    due = admin_due()
    for object_type, pk in planned:
        mirrored = TYPES[object_type]
        obj = mirrored.model.objects.get(pk=pk)
        if object_type == "elevation":
            assert not PartsList.objects.filter(elevation=obj, source_changed_date__gte=obj.changed_date).exists()
            continue
        children = [(child.name, c) for child in mirrored.children for c in
                    child.model.objects.filter(**{child.parent_field: obj}).live().values_list("pk", flat=True)]
        reasons = [  # the last listing also finds new children: due after the shortest interval it keeps
            any(child in due for child in children),
            obj.listed_at is None,
            obj.listed_at is not None and obj.listed_at < timezone.now() - listing_interval(obj, configs, timezone.now()),
            object_type == "project" and obj.changed_date != obj.listed_changed_date,
            obj.parent_id is None if object_type == "directory" else False,  # the root verifies itself
        ]
        assert any(reasons), (object_type, str(obj))
