"""The parts-list generator produces real SQLite files that agree with their elevation."""

import sqlite3

import pytest

from syncapp.simulator.partslist import (
    CORRUPT_VARIANTS,
    ElevationFacts,
    PartsListCache,
    build_parts_list,
    corrupt_parts_list,
)

FACTS = ElevationFacts(
    name="P1", guid="15782e4d-0a1b-4c2d-8e3f-405162738495", system_code="CS 77", system_name="Reynaers CS 77",
    width=1800.0, height=2100.0, color_inside="RAL 9016", color_outside="RAL 7016",
    project_name="DOS22309", project_guid="a4c1d1e2-0000-4000-8000-000000000001", job_number="DOS22309",
)


def open_db(data: bytes, tmp_path) -> sqlite3.Connection:
    # Through a real file, as the parser will do it.
    path = tmp_path / "parts.sqlite"
    path.write_bytes(data)
    return sqlite3.connect(path)


def table_columns(conn, table):
    return [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]


def table_names(conn):
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_it_builds_a_realistic_sqlite_file_with_71_tables(tmp_path):
    data = build_parts_list(FACTS, seed=3)
    assert data.startswith(b"SQLite format 3\x00")
    assert 0.7 * 1024 * 1024 <= len(data) <= 1.7 * 1024 * 1024
    conn = open_db(data, tmp_path)
    names = table_names(conn)
    assert len(names) == 71
    assert {"Projects", "Phases", "Elevations", "Articles", "Profiles", "Glass", "Insertions", "LabourTimes",
            "LabourCosts", "CalcDetailItems", "MountingLines", "UValue", "Colors", "ElevationCE", "Suppliers",
            "Manufacturers"} <= names


def test_it_has_the_documented_columns(tmp_path):
    conn = open_db(build_parts_list(FACTS, size="small"), tmp_path)
    assert {"Name", "AutoDescription", "AutoDescriptionShort", "Width_Output", "Width_Unit", "Height_Output",
            "Height_Unit", "Weight_Output", "Weight_Unit", "Area_Output", "Area_Unit", "SystemCode", "SystemName",
            "SystemLongName", "ColorBase_Long"} <= set(table_columns(conn, "Elevations"))
    assert {"GlassID", "Name"} <= set(table_columns(conn, "Glass"))
    assert {"ArticleCode", "Description", "Amount", "Color"} <= set(table_columns(conn, "Articles"))
    assert {"ArticleCode", "Description", "Length", "Color", "Price"} <= set(table_columns(conn, "Profiles"))
    assert table_columns(conn, "UValue") == ["Name", "U", "U_Unit"]


def test_it_agrees_with_the_elevation_and_braces_guids(tmp_path):
    conn = open_db(build_parts_list(FACTS, size="small"), tmp_path)
    row = conn.execute("SELECT ElevationID, SystemCode, SystemName, Width_Output, Height_Output "
                       "FROM Elevations WHERE Name = ?", ("P1",)).fetchone()
    assert row == ("{15782E4D-0A1B-4C2D-8E3F-405162738495}", "CS 77", "Reynaers CS 77", 1800.0, 2100.0)
    assert conn.execute("SELECT Name, JobNumber FROM Projects").fetchone() == ("DOS22309", "DOS22309")
    glass_ids = [r[0] for r in conn.execute("SELECT GlassID FROM Glass")]
    assert glass_ids and all(g.startswith("{") and g.endswith("}") and g == g.upper() for g in glass_ids)


def test_it_adds_rows_for_extra_elevation_names(tmp_path):
    conn = open_db(build_parts_list(FACTS, extra_elevation_names=["P10", "P11"], size="small"), tmp_path)
    assert [r[0] for r in conn.execute("SELECT Name FROM Elevations ORDER BY Name")] == ["P1", "P10", "P11"]


def test_it_accepts_a_plain_dict_with_api_spellings():
    data = build_parts_list({"name": "W1", "id": "0f0e0d0c-0000-4000-8000-000000000000",
                             "systemCode": "FWS 50", "width": 900}, size="small")
    assert data.startswith(b"SQLite format 3")
    with pytest.raises(ValueError):
        build_parts_list({"name": "W1", "guid": "x", "colour": "red"})


def test_it_is_deterministic_per_seed():
    assert build_parts_list(FACTS, seed=1, size="small") == build_parts_list(FACTS, seed=1, size="small")
    assert build_parts_list(FACTS, seed=1, size="small") != build_parts_list(FACTS, seed=2, size="small")


def test_it_keeps_small_files_small(tmp_path):
    data = build_parts_list(FACTS, size="small")
    assert 10 * 1024 <= len(data) <= 30 * 1024
    assert "Elevations" in table_names(open_db(data, tmp_path))


def test_it_drifts_with_extra_tables_and_columns(tmp_path):
    conn = open_db(build_parts_list(FACTS, drift="extra_columns", size="small"), tmp_path)
    assert "SustainabilityData" in table_names(conn)
    assert "BimObjectID" in table_columns(conn, "Elevations")
    assert "SystemCode" in table_columns(conn, "Elevations")


def test_it_drifts_by_dropping_optional_tables(tmp_path):
    names = table_names(open_db(build_parts_list(FACTS, drift="missing_optional", size="small"), tmp_path))
    assert "UValue" not in names and "Glass" not in names and "Elevations" in names


def test_it_drifts_by_dropping_a_required_column(tmp_path):
    conn = open_db(build_parts_list(FACTS, drift="missing_required", size="small"), tmp_path)
    assert "SystemCode" not in table_columns(conn, "Elevations")
    assert "Name" in table_columns(conn, "Elevations")


def test_it_rejects_unknown_drift_and_size():
    with pytest.raises(ValueError):
        build_parts_list(FACTS, drift="surprise")
    with pytest.raises(ValueError):
        build_parts_list(FACTS, size="huge")


def read_everything(conn):
    for name in table_names(conn):
        conn.execute(f'SELECT * FROM "{name}"').fetchall()


@pytest.mark.parametrize("variant", ["corrupt", "truncated", "not_sqlite"])
def test_it_damages_files_so_that_reading_fails(variant, tmp_path):
    damaged = corrupt_parts_list(build_parts_list(FACTS, size="small"), variant)
    with pytest.raises(sqlite3.DatabaseError):
        read_everything(open_db(damaged, tmp_path))


def test_it_keeps_corrupt_and_truncated_files_looking_like_sqlite():
    data = build_parts_list(FACTS, size="small")
    assert corrupt_parts_list(data, "corrupt").startswith(b"SQLite format 3\x00")
    assert len(corrupt_parts_list(data, "truncated")) < len(data)


def test_it_pads_oversized_files_to_the_given_size_and_keeps_them_valid(tmp_path):
    data = corrupt_parts_list(build_parts_list(FACTS, size="small"), "oversized", size=200_000)
    assert len(data) == 200_000
    conn = open_db(data, tmp_path)
    read_everything(conn)
    assert conn.execute("SELECT Name FROM Elevations").fetchone() == ("P1",)


def test_it_rejects_unknown_corruption_variants():
    assert "oversized" in CORRUPT_VARIANTS
    with pytest.raises(ValueError):
        corrupt_parts_list(b"", "melted")


def test_it_caches_a_bounded_number_of_bytes():
    cache = PartsListCache(max_bytes=25)
    calls = []
    for key in ("a", "b", "a", "c"):
        cache.get_or_build((key,), lambda key=key: calls.append(key) or key.encode() * 10)
    assert calls == ["a", "b", "c"]  # "a" came from the cache the second time
    cache.get_or_build(("b",), lambda: calls.append("b2") or b"b" * 10)
    assert calls[-1] == "b2"  # "b", least recently used, was evicted to make room for "c"
