"""JSON shapes of the API's data objects (field names and types as the MBIOE v3 spec documents them).

GUIDs lower case without braces; dates Unix seconds; sizes mm as numbers.
"""

from __future__ import annotations

from . import catalog
from .model import Directory, Elevation, Phase, Project

SERVICE_VERSION = "12.2.6.59"


def directory_data(directory: Directory) -> dict:
    return {"name": directory.name, "path": directory.path}


def project_data(project: Project) -> dict:
    return {
        "id": project.id, "name": project.name,
        "createdDate": project.created_date, "changedDate": project.changed_date,
        "isDeleted": project.is_deleted, "jobNumber": project.job_number, "offerNumber": project.offer_number,
        "personInCharge": project.person_in_charge, "estimated": project.estimated,
    }


def phase_data(phase: Phase) -> dict:
    return {"id": phase.id, "name": phase.name, "description": phase.description}


def surface_data(inside: str, outside: str) -> dict:
    names = dict(catalog.SURFACES)
    name = outside if inside == outside else f"{outside} / {inside}"
    return {"name": f"{name} {names.get(outside, '')}".strip(), "colorInside": inside, "colorOutside": outside}


def elevation_data(elevation: Elevation) -> dict:
    code, system_name, _, _, _ = elevation.system
    fields = max(1, round(elevation.width / 900))
    return {
        "id": elevation.id, "versionId": elevation.version_id, "name": elevation.name,
        "amount": elevation.amount, "isInRecycleBin": elevation.is_in_recycle_bin,
        "automaticDescription": f"{elevation.type} {fields}-field {elevation.width:.0f} x {elevation.height:.0f} mm",
        "systemDescription": system_name, "modelDescription": elevation.model_description,
        "userDescription": elevation.user_description,
        "surfaceOfBaseElement": surface_data(elevation.color_inside, elevation.color_outside),
        "surfaceOfInsertions": surface_data(elevation.insertion_color_inside, elevation.insertion_color_outside),
        "createdByUser": elevation.created_by,
        "createdDate": elevation.created_date, "changedDate": elevation.changed_date,
        "width": elevation.width, "height": elevation.height,
        "isElementPricelistElevation": elevation.is_element_pricelist,
        "elementPricelistId": elevation.element_pricelist_id,
        "type": elevation.type, "state": elevation.state,
    }


def version_data() -> dict:
    return {"componentVersions": [
        {"name": "MbioeService", "version": SERVICE_VERSION, "description": "LogiKal MBIOE REST service (simulated)"},
        {"name": "LogiKal", "version": "12.2.6", "description": "Project centre (logikal-sync simulator)"},
        {"name": "Database", "version": "12.2", "description": "In-memory data set"},
    ]}
