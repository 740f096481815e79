"""API tests talk HTTP to the live test server (pytest-django's `live_server`) with httpx."""

import re
import struct
import zlib
from dataclasses import dataclass, field

import httpx
import pydantic
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from syncapp.api import schemas as v2
from syncapp.api.clients import create_api_client
from syncapp.api.v1 import schemas as v1
from syncapp.models import Project, PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from syncapp.models.partslist import ParseStatus
from syncapp.sync.changes import recount_live_children

from ..sync import factories


def tiny_png(seed: int = 0) -> bytes:
    """A valid 1x1 PNG whose pixel depends on `seed`."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def give_facts(elevation, *, articles=3, profiles=2, glass=1, sha="a" * 64):
    """A parsed parts list with facts and rows, as a parse would leave it."""
    parts_list = PartsList.objects.get(elevation=elevation)
    name = default_storage.save(f"parts-lists/{elevation.pk}/{sha}.sqlite", ContentFile(b"SQLite format 3\x00" + sha.encode()))
    PartsList.objects.filter(pk=parts_list.pk).update(
        file=name, sha256=sha, size_bytes=80, parse_status=ParseStatus.PARSED, parsed_sha256=sha,
        parsed_at=timezone.now(), auto_description="Window, 2 sashes", auto_description_short="Window",
        width_output="1230", width_unit="mm", height_output="1480,5", height_unit="mm", weight_output="42.5",
        weight_unit="kg", area_output="1.82", area_unit="m²", system_code="AWS 75", system_name="AWS 75.SI+",
        system_long_name="Schüco AWS 75.SI+", color_base_long="RAL 9016", articles_count=articles,
        profiles_count=profiles,
    )
    PartsListArticle.objects.bulk_create(PartsListArticle(parts_list=parts_list, article_code=f"A{i}", description=f"Article {i}",
                                                          amount=i + 1.0, color="white") for i in range(articles))
    PartsListProfile.objects.bulk_create(PartsListProfile(parts_list=parts_list, article_code=f"P{i}", description=f"Profile {i}",
                                                          length=1000.0 + i, color="white", price=9.5) for i in range(profiles))
    PartsListGlass.objects.bulk_create(PartsListGlass(parts_list=parts_list, glass_id=f"G{i}", name=f"Glass {i}")
                                       for i in range(glass))
    PartsListUValue.objects.create(parts_list=parts_list, name="Uw", u=1.3, u_unit="W/m²K")
    return parts_list


def give_thumbnail(elevation, seed: int = 0):
    name = default_storage.save(f"thumbnails/{elevation.guid}.png", ContentFile(tiny_png(seed)))
    type(elevation).objects.filter(pk=elevation.pk).update(thumbnail=name)
    elevation.refresh_from_db()
    return name


@dataclass
class Mirror:
    directory: object
    projects: list = field(default_factory=list)


@pytest.fixture
def mirror(transactional_db):
    """Two projects under "Demo/Sub": 2 phases x 3 elevations each, parts lists parsed, thumbnails stored."""
    factories.directory("Demo", listed_minutes_ago=1)
    top, projects = factories.fresh_tree(n_projects=2, n_phases=2, n_elevations=3, path="Demo/Sub")
    for project in projects:
        for phase in project.phases.all():
            for index, elevation in enumerate(phase.elevations.all()):
                give_facts(elevation, sha=f"{elevation.pk:064x}")
                give_thumbnail(elevation, seed=index)
    recount_live_children(Project.objects.all())  # the factories write rows directly, not through a sync
    return Mirror(top, projects)


@dataclass
class Keys:
    reader: str
    syncer: str
    both: str


@pytest.fixture
def keys(transactional_db) -> Keys:
    return Keys(
        reader=create_api_client(name="odoo-reader", scopes="read").key,
        syncer=create_api_client(name="odoo-syncer", scopes="sync").key,
        both=create_api_client(name="odoo", scopes="read,sync").key,
    )


GUID = r"[0-9a-f-]{36}"
SHAPES = [
    (rf"/api/v2/projects", v2.ProjectPage), (rf"/api/v2/projects/{GUID}", v2.ProjectDetail),
    (rf"/api/v2/elevations/{GUID}", v2.ElevationDetail), (r"/api/v2/directories", v2.DirectoryTree),
    (r"/api/v2/changes", v2.ChangePage),
    (rf"/api/v2/sync-requests/{GUID}|/api/v2/.*/sync", v2.SyncRequest),
    (r"/api/v1/odoo/projects", v1.ProjectList), (r"/api/v1/odoo/projects/[^/]+", v1.Project),
    (r"/api/v1/odoo/projects/[^/]+/complete", v1.ProjectComplete), (r"/api/v1/odoo/projects/[^/]+/phases", list[v1.Phase]),
    (r"/api/v1/odoo/projects/[^/]+/phases/[^/]+/elevations", list[v1.Elevation]),
    (r"/api/v1/odoo/search", v1.Search), (r"/api/v1/odoo/stats", v1.Stats),
    (r"/api/v1/client-auth/login", v1.LoginResponse), (r"/api/v1/sync/force/project/[^/]+", v1.ForceSyncResponse),
]


def conforms(response: httpx.Response) -> None:
    """Every JSON answer of the API matches its declared schema exactly (no field more, none less)."""
    response.read()
    if response.status_code not in (200, 202) or not response.headers.get("content-type", "").startswith(
            "application/json"):
        return
    path = response.request.url.path
    if path.endswith("/openapi.json"):
        return
    for pattern, schema in SHAPES:
        if re.fullmatch(pattern, path):
            pydantic.TypeAdapter(schema).validate_python(response.json(), strict=False)
            return
    raise AssertionError(f"no schema known for {path}")


@pytest.fixture
def http(live_server):
    """httpx against the live server: http(key).get("/api/v2/..."); every JSON answer is checked against its schema."""
    clients = []

    def make(key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=live_server.url, headers=headers, timeout=30,
                              event_hooks={"response": [conforms]})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def assert_error(response, status: int, code: str):
    """Every refusal is JSON in one shape, with a message a person can act on."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert detail["code"] == code, detail
    assert detail["message"]
    return detail


@pytest.fixture(autouse=True)
def _usage_written_at_once(settings):
    """Counts reach the database on every request, so /metrics can be checked right away."""
    settings.API_USAGE_FLUSH_S = 0
