"""Mirror rows -> the old middleware's dicts (see schemas.py for the field lists)."""

from datetime import UTC, datetime

from .schemas import Elevation

ELEVATION_KEYS = tuple(Elevation.model_fields)
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The old parser's statuses, from ours.
PARSE_STATUS = {"pending": "pending", "parsing": "in_progress", "parsed": "success", "invalid": "failed"}


def v1_datetime(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime(DATETIME_FORMAT) if moment else None


def _text(value: str | None) -> str | None:
    return value or None


def _number(text: str | None) -> float | None:
    """LogiKal writes outputs as text ("1230", "1,5"); the old API gave numbers."""
    if not text:
        return None
    cleaned = text.strip().replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def status_of(obj) -> str:
    if obj.removed_at is not None:
        return "removed"
    return "deleted" if getattr(obj, "is_deleted", False) else "active"


def _parse_status(stored) -> str:
    if stored is None:
        return "pending"
    if stored.parse_status == "parsed" and stored.parse_warnings:
        return "partial"
    return PARSE_STATUS.get(stored.parse_status, stored.parse_status)


def quality_score(values: dict, stored, glass: list) -> float:
    """How complete the elevation's facts are, in percent (the old middleware's weights)."""
    checks = [
        (10, values["name"]), (10, values["description"]), (10, values["auto_description"]),
        (5, values["auto_description_short"]), (5, values["width_out"] and values["width_unit"]),
        (5, values["height_out"] and values["height_unit"]), (5, values["weight_out"] and values["weight_unit"]),
        (5, values["area_output"] and values["area_unit"]), (5, values["system_code"] and values["system_name"]),
        (10, values["has_parts_data"]), (10, (values["parts_count"] or 0) > 0), (10, glass),
    ]
    score = sum(weight for weight, present in checks if present)
    status = values["parse_status"]
    score += 10 if status == "success" else 5 if status == "partial" else 0
    return float(score)  # the weights add up to 100


def elevation(row, phase_guid, glass_rows: dict) -> dict:
    stored = row.parts_list
    glass = [{"glass_id": g["glass_id"], "name": _text(g["name"])} for g in glass_rows.get(stored.pk, ())] if stored else []
    parsed = stored is not None and bool(stored.parsed_sha256)
    values = {
        "id": str(row.guid), "name": row.name, "description": _text(row.user_description or row.automatic_description),
        "phase_id": str(phase_guid), "thumbnail_url": f"/api/v1/elevations/{row.guid}/thumbnail",
        "width": row.width, "height": row.height, "depth": None, "created_at": v1_datetime(row.first_seen_at),
        "auto_description": _text(stored.auto_description) if stored else None,
        "auto_description_short": _text(stored.auto_description_short) if stored else None,
        "width_out": _number(stored.width_output) if stored else None,
        "width_unit": _text(stored.width_unit) if stored else None,
        "height_out": _number(stored.height_output) if stored else None,
        "height_unit": _text(stored.height_unit) if stored else None,
        "weight_out": _number(stored.weight_output) if stored else None,
        "weight_unit": _text(stored.weight_unit) if stored else None,
        "area_output": _number(stored.area_output) if stored else None,
        "area_unit": _text(stored.area_unit) if stored else None,
        "system_code": _text(stored.system_code) if stored else None,
        "system_name": _text(stored.system_name) if stored else None,
        "system_long_name": _text(stored.system_long_name) if stored else None,
        "color_base_long": _text(stored.color_base_long) if stored else None,
        "parts_count": stored.articles_count + stored.profiles_count if parsed else None,
        "has_parts_data": bool(stored and stored.file),
        "parts_synced_at": v1_datetime(stored.downloaded_at) if stored else None,
        "parse_status": _parse_status(stored),
        "glass_specifications": glass,
        "last_sync_date": v1_datetime(row.synced_at), "last_update_date": v1_datetime(row.changed_date),
    }
    values["data_quality_score"] = quality_score(values, stored, glass)
    return {key: values[key] for key in ELEVATION_KEYS}  # the old field order


def phase(row, project_guid, elevations: list[dict], *, elevations_count: int | None = None) -> dict:
    return {
        "id": str(row.guid), "name": row.name, "description": _text(row.description), "project_id": str(project_guid),
        "status": status_of(row), "elevations_count": len(elevations) if elevations_count is None else elevations_count,
        "elevations": elevations, "created_at": v1_datetime(row.first_seen_at),
    }


def project_summary(row) -> dict:
    return {
        "id": str(row.guid), "name": row.name, "description": _text((row.details or {}).get("description")),
        "status": status_of(row), "phases_count": row.live_phases_count, "total_elevations": row.live_elevations_count,
        "created_at": v1_datetime(row.first_seen_at),
    }
