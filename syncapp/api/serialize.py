"""Mirror rows (as the queries return them) -> the plain dicts of the v2 schemas."""

V2 = "/api/v2"


def freshness(obj, *, changed_field: str = "content_changed_at") -> dict:
    return {"verified_at": obj.synced_at, "state": obj.freshness, "last_error": obj.last_error,
            "removed_at": obj.removed_at, "changed_at": getattr(obj, changed_field),
            "verify_interval_s": int(obj.effective_interval.total_seconds())}


def project_summary(project) -> dict:
    return {
        **freshness(project),
        "guid": project.guid, "name": project.name, "job_number": project.job_number,
        "offer_number": project.offer_number, "person_in_charge": project.person_in_charge,
        "estimated": project.estimated, "deleted_upstream": project.is_deleted,
        "directory": project.directory_path, "created_upstream_at": project.created_date,
        "changed_upstream_at": project.changed_date, "tree_changed_at": project.tree_changed_at,
        "phases_count": project.live_phases_count, "elevations_count": project.live_elevations_count,
        "url": f"{V2}/projects/{project.guid}",
    }


def _measure(parts_list, name: str) -> dict:
    value = getattr(parts_list, f"{name}_output")
    return {"value": value, "unit": getattr(parts_list, f"{name}_unit")}


def parts_list(elevation, rows: dict) -> dict | None:
    stored = elevation.parts_list
    if stored is None:
        return None
    pk = stored.pk
    facts = {
        "status": stored.parse_status, "parse_error": stored.parse_error, "sha256": stored.sha256,
        "downloaded_at": stored.downloaded_at, "parsed_at": stored.parsed_at,
        "file_url": f"{V2}/elevations/{elevation.guid}/parts-list.sqlite" if stored.file else None,
        "auto_description": stored.auto_description, "auto_description_short": stored.auto_description_short,
        "width": _measure(stored, "width"), "height": _measure(stored, "height"),
        "weight": _measure(stored, "weight"), "area": _measure(stored, "area"),
        "system": {"code": stored.system_code, "name": stored.system_name, "long_name": stored.system_long_name},
        "color_base_long": stored.color_base_long,
        "glass": rows["glass"].get(pk, []),
        "u_values": [{"name": u["name"], "u": u["u"], "unit": u["u_unit"]} for u in rows["u_values"].get(pk, ())],
        "articles_count": stored.articles_count, "profiles_count": stored.profiles_count,
    }
    for kind in ("articles", "profiles"):  # null unless asked for with ?include=
        facts[kind] = rows[kind].get(pk, []) if kind in rows else None
    return facts


def elevation(row, rows: dict) -> dict:
    base = f"{V2}/elevations/{row.guid}"
    return {
        **freshness(row),
        "guid": row.guid, "name": row.name, "amount": row.amount,
        "automatic_description": row.automatic_description, "system_description": row.system_description,
        "model_description": row.model_description, "user_description": row.user_description,
        "width": row.width, "height": row.height, "type": row.type, "upstream_state": row.state,
        "is_in_recycle_bin": row.is_in_recycle_bin, "created_upstream_at": row.created_date,
        "changed_upstream_at": row.changed_date, "url": base,
        "thumbnail_url": f"{base}/thumbnail" if row.thumbnail else None,
        "parts_list": parts_list(row, rows),
    }


def phase(row, elevation_dicts: list[dict]) -> dict:
    live = sum(1 for e in elevation_dicts if e["removed_at"] is None)
    return {**freshness(row), "guid": row.guid, "name": row.name, "description": row.description,
            "elevations_count": live, "elevations": elevation_dicts}


def directory(row) -> dict:
    return {
        **freshness(row), "path": row.path, "name": row.name or "",
        "parent": row.parent.path if row.parent_id else None, "depth": row.depth,
        "excluded": row.effectively_excluded, "projects_count": row.projects_count,
        "subdirectories_count": row.subdirectories_count,
    }
