"""Fixtures for the staff interfaces: a small mirror tree in every freshness state, and staff users."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from syncapp.models import Directory, Elevation, Phase, Project
from syncapp.models.mirror import NULL_GUID

VIEW_PERMISSIONS = [
    "view_objectsyncconfig", "view_directory", "view_project", "view_phase", "view_elevation", "view_syncrun",
    "view_schedulertick", "view_upstreamsessionlease",
]


def minutes_ago(minutes: float):
    return timezone.now() - timedelta(minutes=minutes)


@dataclass
class Tree:
    root: Directory
    demo: Directory
    old: Directory
    archive: Directory
    gone: Directory
    alpha: Project
    beta: Project
    gamma: Project
    delta: Project
    alpha_default: Phase
    alpha_phase1: Phase
    beta_default: Phase
    e1: Elevation
    e2: Elevation
    beta_e1: Elevation


def make_tree() -> Tree:
    now = timezone.now()
    root = Directory.objects.get(path="")
    Directory.objects.filter(pk=root.pk).update(synced_at=now, listed_at=now)

    def directory(path, parent, **fields):
        fields.setdefault("synced_at", now)
        return Directory.objects.create(path=path, name=path.rsplit("/", 1)[-1], parent=parent, **fields)

    demo = directory("Demo", root, listed_at=now)
    old = directory("Demo/Old", demo, synced_at=minutes_ago(200))
    archive = directory("Archive", root, excluded=True, effectively_excluded=True)
    gone = directory("Gone", root, removed_at=now)

    def project(name, directory, **fields):
        fields.setdefault("synced_at", now)
        return Project.objects.create(guid=uuid.uuid4(), name=name, directory=directory, **fields)

    alpha = project("Alpha", demo, job_number="J-100")
    beta = project("Beta", demo, synced_at=None, job_number="J-200")
    gamma = project("Gamma", old, failure_count=2, last_error="LogiKalError: 503 Service Unavailable")
    delta = project("Delta", demo, synced_at=minutes_ago(20))

    alpha_default = Phase.objects.create(project=alpha, guid=NULL_GUID, name="Default", synced_at=now)
    alpha_phase1 = Phase.objects.create(project=alpha, guid=uuid.uuid4(), name="Phase 1", synced_at=now)
    beta_default = Phase.objects.create(project=beta, guid=NULL_GUID, name="Default", synced_at=now)

    def elevation(name, phase):
        return Elevation.objects.create(phase=phase, guid=uuid.uuid4(), name=name, synced_at=now)

    return Tree(
        root=root, demo=demo, old=old, archive=archive, gone=gone,
        alpha=alpha, beta=beta, gamma=gamma, delta=delta,
        alpha_default=alpha_default, alpha_phase1=alpha_phase1, beta_default=beta_default,
        e1=elevation("E1", alpha_phase1), e2=elevation("E2", alpha_phase1), beta_e1=elevation("E1", beta_default),
    )


@pytest.fixture
def tree(db) -> Tree:
    return make_tree()


def make_staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="syncapp", codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


@pytest.fixture
def viewer(db) -> User:
    return make_staff("viewer", *VIEW_PERMISSIONS)


@pytest.fixture
def editor(db) -> User:
    return make_staff("editor", *VIEW_PERMISSIONS, "change_objectsyncconfig", "change_directory")


@pytest.fixture
def forcer(db) -> User:
    return make_staff("forcer", *VIEW_PERMISSIONS, "force_sync")


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("boss", password="pw")


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def queued_sync_jobs() -> list[tuple[str, int, str]]:
    """(object_type, object_id, trigger) of every waiting sync job, read from Procrastinate's table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args->>'object_type', (args->>'object_id')::bigint, args->>'trigger' FROM procrastinate_jobs "
            "WHERE task_name = 'sync_object' AND status = 'todo' ORDER BY id"
        )
        return cursor.fetchall()
