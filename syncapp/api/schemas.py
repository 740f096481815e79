"""The typed shapes of /api/v2 (pydantic through django-ninja; the OpenAPI schema comes from these).

Every mirrored object carries its freshness: ``verified_at`` (last verification against
LogiKal), ``state`` (the admin's badge: fresh, due, stale, never, failing, removed,
excluded), ``last_error`` and ``changed_at`` (the mirror's last content change).
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Plain pydantic models (ninja's Schema reads Django objects through a slower getter; ours get dicts)."""

    model_config = ConfigDict(extra="forbid")

State = Literal["fresh", "due", "stale", "never", "failing", "removed", "excluded"]


class Freshness(Schema):
    verified_at: datetime | None
    state: State
    last_error: str
    removed_at: datetime | None
    changed_at: datetime
    # The object's own interval in seconds (longer for objects quiet upstream: activity-based intervals).
    verify_interval_s: int


class Measure(Schema):
    value: str
    unit: str


class SystemInfo(Schema):
    code: str
    name: str
    long_name: str


class Glass(Schema):
    glass_id: str
    name: str


class UValue(Schema):
    name: str
    u: float | None
    unit: str


class Article(Schema):
    article_code: str
    description: str
    amount: float | None
    color: str


class Profile(Schema):
    article_code: str
    description: str
    length: float | None
    color: str
    price: float | None


class PartsList(Schema):
    status: Literal["pending", "parsing", "parsed", "invalid"]
    parse_error: str
    sha256: str
    downloaded_at: datetime | None
    parsed_at: datetime | None
    file_url: str | None
    auto_description: str
    auto_description_short: str
    width: Measure
    height: Measure
    weight: Measure
    area: Measure
    system: SystemInfo
    color_base_long: str
    glass: list[Glass]
    u_values: list[UValue]
    articles_count: int
    profiles_count: int
    articles: list[Article] | None = None
    profiles: list[Profile] | None = None


class Elevation(Freshness):
    guid: UUID
    name: str
    amount: int | None
    automatic_description: str
    system_description: str
    model_description: str
    user_description: str
    width: float | None
    height: float | None
    type: str
    upstream_state: str
    is_in_recycle_bin: bool
    created_upstream_at: datetime | None
    changed_upstream_at: datetime | None
    url: str
    thumbnail_url: str | None
    parts_list: PartsList | None


class Ref(Schema):
    guid: UUID
    name: str


class ElevationDetail(Elevation):
    project: Ref
    phase: Ref
    directory: str


class Phase(Freshness):
    guid: UUID
    name: str
    description: str
    elevations_count: int
    elevations: list[Elevation]


class ProjectSummary(Freshness):
    guid: UUID
    name: str
    job_number: str
    offer_number: str
    person_in_charge: str
    estimated: bool
    deleted_upstream: bool
    directory: str
    created_upstream_at: datetime | None
    changed_upstream_at: datetime | None
    tree_changed_at: datetime
    phases_count: int
    elevations_count: int
    url: str


class ProjectDetail(ProjectSummary):
    phases: list[Phase]


class ProjectPage(Schema):
    items: list[ProjectSummary]
    count: int
    next_cursor: str | None
    next_url: str | None
    next_changed_since: datetime


class Directory(Freshness):
    path: str
    name: str
    parent: str | None
    depth: int
    excluded: bool
    projects_count: int
    subdirectories_count: int


class DirectoryTree(Schema):
    items: list[Directory]
    count: int


class Change(Schema):
    cursor: str
    at: datetime
    kind: Literal["created", "updated", "removed", "restored", "parts_list_parsed"]
    object_type: Literal["directory", "project", "phase", "elevation"]
    id: str
    project: UUID | None
    fields: list[str]


class ChangePage(Schema):
    changes: list[Change]
    count: int
    next_cursor: str
    has_more: bool


class JobCounts(Schema):
    total: int
    succeeded: int
    failed: int
    running: int
    waiting: int


class SyncObject(Schema):
    type: Literal["project", "phase", "elevation"]
    guid: UUID
    name: str


class SyncRequest(Schema):
    id: UUID
    status: Literal["waiting", "running", "succeeded", "failed"]
    status_url: str
    object: SyncObject
    subtree: bool
    created_at: datetime
    jobs: JobCounts
    errors: list[str]


class Error(Schema):
    detail: dict
