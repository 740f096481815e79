"""Parsing the API's payloads: dates, GUIDs, typed models, and malformed answers named by field."""

from datetime import UTC, datetime

import pytest

from syncapp.logikal.errors import MalformedResponse
from syncapp.logikal.responses import (
    parse_directories,
    parse_elevations,
    parse_login,
    parse_phases,
    parse_projects,
    parse_selected_project,
)
from syncapp.logikal.values import Place, guid_or_none, normalize_guid, normalize_path, parse_timestamp
from syncapp.simulator import Simulator, SimulatorConfig
from syncapp.simulator.serializers import elevation_data, phase_data, project_data

GUID = "15782e4d-7f3a-4c1b-9d2e-0a1b2c3d4e5f"


def test_it_reads_unix_seconds_as_aware_utc():
    assert parse_timestamp(1_704_067_200) == datetime(2024, 1, 1, tzinfo=UTC)


def test_it_reads_values_above_1e10_as_milliseconds():
    assert parse_timestamp(1_704_067_200_000) == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_timestamp(1_704_067_200_500).microsecond == 500_000


def test_it_reads_a_missing_or_zero_date_as_none():
    assert parse_timestamp(None) is None
    assert parse_timestamp(0) is None


@pytest.mark.parametrize("value", ["1704067200", True, -5, [1]])
def test_it_refuses_dates_that_are_not_timestamps(value):
    with pytest.raises((TypeError, ValueError)):
        parse_timestamp(value)


def test_it_normalises_guids_to_lower_case_without_braces():
    assert normalize_guid("{15782E4D-7F3A-4C1B-9D2E-0A1B2C3D4E5F}") == GUID
    assert normalize_guid(" 15782E4D-7F3A-4C1B-9D2E-0A1B2C3D4E5F ") == GUID


@pytest.mark.parametrize("value", ["15782e4d7f3a4c1b9d2e0a1b2c3d4e5f", "not-a-guid", "", 42])
def test_it_refuses_anything_but_a_hyphenated_guid(value):
    with pytest.raises((TypeError, ValueError)):
        normalize_guid(value)


def test_a_typed_guid_is_read_by_the_same_rule_everywhere():
    # The admin search, the commands' object lookup and the API's GUID parameters all use it.
    assert str(guid_or_none(" {15782E4D-7F3A-4C1B-9D2E-0A1B2C3D4E5F} ")) == GUID
    for value in ("15782e4d7f3a4c1b9d2e0a1b2c3d4e5f", "Project 7", "", None, 42):
        assert guid_or_none(value) is None


def test_it_normalises_directory_paths_and_refuses_empty_segments():
    assert normalize_path("/Demo Odoo/Sublevel 1 Testing/") == "Demo Odoo/Sublevel 1 Testing"
    assert normalize_path("") == ""
    with pytest.raises(ValueError):
        normalize_path("Demo//Sub")


def test_a_place_validates_caller_input_with_one_clear_error():
    place = Place.of("Demo Odoo", "{" + GUID.upper() + "}", GUID)
    assert place.project_id == GUID and place.level == "phase"
    with pytest.raises(ValueError, match="project_id"):
        Place.of("Demo Odoo", "P1")
    with pytest.raises(ValueError, match="needs its project"):
        Place("Demo Odoo", None, GUID)


@pytest.fixture(scope="module")
def demo():
    sim = Simulator(SimulatorConfig(dataset="demo", parts_list_size="small"))
    project = sim.find_project("DOS22309")
    phase = sim.phases_of(project.id)[0]
    return sim, project, phase


def test_it_parses_every_documented_elevation_field(demo):
    sim, project, phase = demo
    raw = [elevation_data(e) for e in sim.elevations_of(project.id, phase.id)]
    raw[0]["someFutureField"] = {"x": 1}
    parsed = parse_elevations(raw)
    first, source = parsed[0], sim.elevations_of(project.id, phase.id)[0]
    assert len(parsed) == 13
    assert first.id == source.id and first.name == source.name
    assert first.changed_date == datetime.fromtimestamp(source.changed_date, tz=UTC)
    assert first.surface_of_base_element.color_outside == source.color_outside
    assert first.width == source.width and first.type == source.type and first.version_id == source.version_id
    assert first.raw["someFutureField"] == {"x": 1}


def test_it_parses_projects_and_phases_with_their_ids_normalised(demo):
    sim, project, _ = demo
    raw = project_data(project) | {"id": "{" + project.id.upper() + "}"}
    [parsed] = parse_projects([raw])
    assert parsed.id == project.id and parsed.job_number == "DOS22309" and parsed.is_deleted is False
    phases = parse_phases([phase_data(p) for p in sim.phases_of(project.id)])
    assert [p.name for p in phases] == ["Posities zonder levering", "Fase 1 (DEMO)"]
    details = parse_selected_project(project_data(project))
    assert details.name == "DOS22309" and details.raw["name"] == "DOS22309"


def test_it_names_a_missing_used_field(demo):
    sim, project, phase = demo
    raw = [elevation_data(e) for e in sim.elevations_of(project.id, phase.id)]
    del raw[3]["changedDate"]
    with pytest.raises(MalformedResponse) as caught:
        parse_elevations(raw)
    assert caught.value.field == "elevations[3].changedDate"
    assert caught.value.retryable is False


def test_it_names_a_field_of_the_wrong_type(demo):
    _, project, _ = demo
    raw = project_data(project) | {"isDeleted": "no"}
    with pytest.raises(MalformedResponse, match=r"projects\[0\]\.isDeleted"):
        parse_projects([raw])
    with pytest.raises(MalformedResponse) as caught:
        parse_phases([{"id": "P-1", "name": "x"}])
    assert caught.value.field == "phases[0].id"


def test_it_refuses_a_listing_that_is_not_a_list():
    with pytest.raises(MalformedResponse) as caught:
        parse_directories({"name": "Demo"})
    assert caught.value.field == "data"


def test_it_tolerates_absent_optional_fields():
    [parsed] = parse_directories([{"name": "Demo", "path": "Demo", "extra": 1}])
    assert parsed.path == "Demo"
    [phase] = parse_phases([{"id": GUID, "name": "Fase 1"}])
    assert phase.description is None


def test_a_malformed_login_answer_never_shows_the_token():
    with pytest.raises(MalformedResponse) as caught:
        parse_login({"username": "demo", "token": 12345})
    assert "12345" not in str(caught.value)
    assert parse_login({"username": "demo", "token": " abc "}) == "abc"
