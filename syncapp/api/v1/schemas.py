"""The old middleware's shapes, field for field, as its Odoo module reads them.

Datetimes are strings `YYYY-MM-DD HH:MM:SS` in UTC; ids are LogiKal GUIDs (lower case).
"""

from ..schemas import Schema


class GlassSpecification(Schema):
    glass_id: str
    name: str | None


class Elevation(Schema):
    id: str
    name: str
    description: str | None
    phase_id: str | None
    thumbnail_url: str | None
    width: float | None
    height: float | None
    depth: float | None
    created_at: str | None
    auto_description: str | None
    auto_description_short: str | None
    width_out: float | None
    width_unit: str | None
    height_out: float | None
    height_unit: str | None
    weight_out: float | None
    weight_unit: str | None
    area_output: float | None
    area_unit: str | None
    system_code: str | None
    system_name: str | None
    system_long_name: str | None
    color_base_long: str | None
    parts_count: int | None
    has_parts_data: bool
    parts_synced_at: str | None
    parse_status: str
    data_quality_score: float | None
    glass_specifications: list[GlassSpecification]
    last_sync_date: str | None
    last_update_date: str | None


class Phase(Schema):
    id: str
    name: str
    description: str | None
    project_id: str | None
    status: str | None
    elevations_count: int
    elevations: list[Elevation]
    created_at: str | None


class ProjectSummary(Schema):
    id: str
    name: str
    description: str | None
    status: str | None
    phases_count: int
    total_elevations: int
    created_at: str | None


class Project(ProjectSummary):
    phases: list[Phase]


class ProjectList(Schema):
    projects: list[ProjectSummary]
    count: int
    summary: dict


class ProjectComplete(Schema):
    project: Project
    phases_with_elevations: list[dict]
    summary: dict


class Search(Schema):
    results: list[ProjectSummary]
    query: str
    count: int


class Stats(Schema):
    total_projects: int
    total_phases: int
    total_elevations: int
    projects: list[dict]


class LoginRequest(Schema):
    client_id: str
    client_secret: str


class LoginResponse(Schema):
    access_token: str
    token_type: str
    expires_in: int
    client_info: dict


class ForceSyncResponse(Schema):
    success: bool
    message: str
    project_id: str
    directory_id: str | None
    phases_synced: int
    elevations_synced: int
    parts_lists_synced: int
    parts_lists_failed: int
    duration_seconds: float
    status: str
    status_url: str
