"""Builders for the parts-list tests: mirror rows and simulator-generated files."""

import sqlite3
import uuid
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from syncapp.models import Directory, Elevation, Phase, Project
from syncapp.simulator.partslist import build_parts_list

ELEVATION_GUID = "15782e4d-0a1b-4c2d-8e3f-405162738495"
CHANGED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def parts_file(name: str = "P1", guid: str = ELEVATION_GUID, *, seed: int = 0, **kwargs) -> bytes:
    """A small simulator file (10-30 KB) for the elevation ``name``."""
    kwargs.setdefault("size", "small")
    return build_parts_list({"name": name, "guid": guid, "system_code": "CS 77", "width": 1800.0, "height": 2100.0},
                            seed=seed, **kwargs)


def edited(data: bytes, *statements: tuple) -> bytes:
    """The file after running SQL statements on it (for shapes the generator does not make)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(data)
        for statement in statements:
            conn.execute(*statement) if isinstance(statement, tuple) else conn.execute(statement)
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def make_elevation(name: str = "P1", guid: str = ELEVATION_GUID) -> Elevation:
    root = Directory.objects.get(path="")
    project = Project.objects.create(guid=uuid.uuid4(), directory=root, name=f"Project of {name}")
    phase = Phase.objects.create(project=project, guid=uuid.uuid4(), name="Phase")
    return Elevation.objects.create(phase=phase, guid=guid, name=name, changed_date=CHANGED,
                                    synced_at=timezone.now())


@pytest.fixture
def elevation(db) -> Elevation:
    return make_elevation()
