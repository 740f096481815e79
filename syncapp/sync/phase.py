"""Sync of a phase: its elevation listing (the runner cascades to changed elevations)."""

from dataclasses import dataclass

from ..models import Elevation, Phase
from .context import SyncResult
from .reconcile import apply_listing
from .tombstone import tombstone_elevations
from .trust import ListingVerdict, judge_listing, record_evidence

# ElevationInfo attribute -> Elevation field, for the plain values.
_ELEVATION_FIELDS = {
    "name": "name",
    "amount": "amount",
    "is_in_recycle_bin": "is_in_recycle_bin",
    "automatic_description": "automatic_description",
    "system_description": "system_description",
    "model_description": "model_description",
    "user_description": "user_description",
    "surface_of_base_element": "surface_of_base_element",
    "surface_of_insertions": "surface_of_insertions",
    "created_by_user": "created_by_user",
    "created_date": "created_date",
    "changed_date": "changed_date",
    "width": "width",
    "height": "height",
    "is_element_pricelist_elevation": "is_element_pricelist_elevation",
    "element_pricelist_id": "element_pricelist_id",
    "type": "type",
    "state": "state",
    "version_id": "version_id",
}
_TEXT_FIELDS = {
    "automatic_description", "system_description", "model_description", "user_description", "created_by_user",
    "element_pricelist_id", "type", "state", "version_id", "name",
}
_JSON_FIELDS = {"surface_of_base_element", "surface_of_insertions"}


def elevation_fields(info) -> dict:
    fields = {}
    for attribute, field_name in _ELEVATION_FIELDS.items():
        value = getattr(info, attribute, None)
        if field_name in _TEXT_FIELDS:
            value = "" if value is None else str(value)
        elif field_name in _JSON_FIELDS:
            value = _as_json(value)
        elif field_name in ("is_in_recycle_bin", "is_element_pricelist_elevation"):
            value = bool(value)
        fields[field_name] = value
    return fields


def _as_json(value):
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return {"value": str(value)}


@dataclass(frozen=True)
class ElevationListing:
    infos: list
    verdict: ListingVerdict | None  # what it says about the project's changedDate (syncapp.sync.trust)


def fetch(phase: Phase, ctx) -> ElevationListing:
    project = phase.project
    infos = ctx.upstream.list_elevations(project.directory.path, str(project.guid), str(phase.guid))
    return ElevationListing(infos, judge_listing(phase, infos, project=project, upstream=ctx.upstream))


def apply(phase: Phase, fetched: ElevationListing, ctx) -> SyncResult:
    result = SyncResult()
    infos = fetched.infos
    # The project joined (not locked) for the warnings' "elevations of <project> / <phase>".
    phase = Phase.objects.select_related("project").select_for_update(of=("self",)).get(pk=phase.pk)
    existing = {str(e.guid): e for e in Elevation.objects.filter(phase=phase)}
    listed = {str(info.id): elevation_fields(info) for info in infos}
    result.outcome = apply_listing(
        model=Elevation, existing=existing, listed=listed, key_field="guid", parent_fields={"phase": phase},
        now=ctx.now, what=f"elevations of {phase}", tombstone=tombstone_elevations,
    )
    phase.listed_at = ctx.now
    record_evidence(phase, fetched.verdict, ctx.now)
    phase.save(update_fields=["listed_at", "listed_project_changed_date"])
    return result
