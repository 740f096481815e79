"""The pure parser: exact elevation matching, schema drift, damaged and hostile files."""

import re

import pytest

from syncapp.partslists.parse import PartsListInvalid, parse_parts_list_file
from syncapp.simulator.catalog import guid_from
from syncapp.simulator.partslist import corrupt_parts_list

from .conftest import ELEVATION_GUID, edited, parts_file

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def tagged(data: bytes) -> bytes:
    # Each Elevations row says which one it is, so a wrong match cannot go unnoticed.
    return edited(data, "UPDATE Elevations SET SystemLongName = 'row of ' || Name")


def test_it_reads_the_facts_and_the_bill_of_materials():
    parsed = parse_parts_list_file(parts_file(), "P1")
    assert parsed.facts["system_code"] == "CS 77"
    assert (parsed.facts["width_output"], parsed.facts["width_unit"]) == ("1800", "mm")
    assert (parsed.facts["height_output"], parsed.facts["height_unit"]) == ("2100", "mm")
    assert parsed.facts["auto_description"].startswith("Window")
    assert parsed.articles and parsed.profiles and parsed.glass
    assert {u["name"] for u in parsed.u_values} == {"Uw", "Uf", "Ug", "Psi"}
    assert all(isinstance(a["amount"], float) for a in parsed.articles)
    assert all(isinstance(p["length"], float) and isinstance(p["price"], float) for p in parsed.profiles)
    assert parsed.warnings == []


def test_it_matches_the_elevation_name_exactly_never_as_a_prefix():
    data = tagged(parts_file("P1", extra_elevation_names=["P10", "P11"]))
    assert parse_parts_list_file(data, "P1").facts["system_long_name"] == "row of P1"
    assert parse_parts_list_file(data, "P10").facts["system_long_name"] == "row of P10"
    data = tagged(parts_file("P10", extra_elevation_names=["P1"]))
    assert parse_parts_list_file(data, "P1").facts["system_long_name"] == "row of P1"


@pytest.mark.parametrize("name", ["P", "p1", "P1 ", "P%"])
def test_it_refuses_a_name_that_only_resembles_a_row(name):
    data = parts_file("P1", extra_elevation_names=["P10"])
    with pytest.raises(PartsListInvalid, match="no row of table Elevations is named exactly") as raised:
        parse_parts_list_file(data, name)
    assert "'P1', 'P10'" in raised.value.message


def test_it_picks_among_rows_of_the_same_name_by_the_elevation_guid():
    other = guid_from("other")
    data = edited(
        tagged(parts_file("P1")),
        ("INSERT INTO Elevations (ElevationID, Name, SystemCode, SystemName, Width_Output, Height_Output, "
         "SystemLongName) VALUES (?, 'P1', 'X', 'X', 1, 1, 'the second P1')", ("{" + other.upper() + "}",)),
    )
    assert parse_parts_list_file(data, "P1", elevation_guid=other).facts["system_long_name"] == "the second P1"
    assert parse_parts_list_file(data, "P1", elevation_guid=ELEVATION_GUID).facts["system_long_name"] == "row of P1"
    assert parse_parts_list_file(data, "P1").facts["system_long_name"] == "row of P1"  # first row wins


def test_it_normalises_guids_to_the_api_form():
    parsed = parse_parts_list_file(parts_file(), "P1")
    assert parsed.glass[0]["glass_id"] == guid_from(ELEVATION_GUID, "glass", 0)
    assert all(GUID.match(g["glass_id"]) for g in parsed.glass)


def test_it_ignores_unknown_tables_and_columns():
    plain = parse_parts_list_file(parts_file(), "P1")
    drifted = parse_parts_list_file(parts_file(drift="extra_columns"), "P1")
    assert drifted.facts == plain.facts
    assert drifted.articles == plain.articles
    assert drifted.warnings == []


def test_it_tolerates_missing_optional_tables_with_empty_rows_and_a_warning():
    parsed = parse_parts_list_file(parts_file(drift="missing_optional"), "P1")
    assert parsed.glass == [] and parsed.u_values == []
    assert parsed.articles and parsed.profiles
    assert parsed.warnings == ["table Glass is missing", "table UValue is missing"]


def test_it_tolerates_a_missing_optional_column():
    data = edited(parts_file(), "ALTER TABLE Articles DROP COLUMN Color", "ALTER TABLE Elevations DROP COLUMN Area_Unit")
    parsed = parse_parts_list_file(data, "P1")
    assert {a["color"] for a in parsed.articles} == {""}
    assert parsed.facts["area_unit"] == ""
    assert parsed.warnings == ["column Elevations.Area_Unit is missing", "column Articles.Color is missing"]


def test_it_reports_missing_required_columns_by_name():
    with pytest.raises(PartsListInvalid, match=r"required .* missing: column Elevations\.SystemCode$"):
        parse_parts_list_file(parts_file(drift="missing_required"), "P1")


def test_it_names_every_missing_required_part():
    data = edited(parts_file(), "DROP TABLE Profiles", "ALTER TABLE Articles DROP COLUMN ArticleCode")
    with pytest.raises(PartsListInvalid) as raised:
        parse_parts_list_file(data, "P1")
    assert raised.value.message.endswith("missing: column Articles.ArticleCode, table Profiles")


@pytest.mark.parametrize(("variant", "expected"), [
    ("corrupt", r"damaged or unreadable \(SQLite: .*malformed"),
    ("truncated", r"^truncated: "),
    ("not_sqlite", r"^not a SQLite 3 database: the file starts with '<html><head><title>Runtime Error"),
    ("oversized", r"^the file is 262,144 bytes, more than the limit of 131,072 bytes$"),
])
def test_it_refuses_a_damaged_file_with_a_clear_message(variant, expected, tmp_path):
    data = corrupt_parts_list(parts_file(), variant, size=256 * 1024)
    with pytest.raises(PartsListInvalid, match=expected):
        parse_parts_list_file(data, "P1", max_bytes=128 * 1024)
    path = tmp_path / "parts.sqlite"
    path.write_bytes(data)
    with pytest.raises(PartsListInvalid, match=expected):
        parse_parts_list_file(path, "P1", max_bytes=128 * 1024)


def test_it_refuses_an_empty_file():
    with pytest.raises(PartsListInvalid, match="empty"):
        parse_parts_list_file(b"", "P1")


def test_it_caps_the_rows_read_per_table():
    data = parts_file()
    with pytest.raises(PartsListInvalid, match="table Articles has more than 5 rows"):
        parse_parts_list_file(data, "P1", max_rows=5)


def test_it_never_reads_a_view_posing_as_a_table():
    # A view could run any query the file's author likes; only real tables are read.
    data = edited(parts_file(), "DROP TABLE Articles",
                  "CREATE VIEW Articles AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                  "SELECT i AS ArticleCode FROM n")
    with pytest.raises(PartsListInvalid, match="missing: table Articles"):
        parse_parts_list_file(data, "P1")


def test_it_treats_hostile_table_and_column_names_as_unknown():
    data = edited(parts_file(),
                  'CREATE TABLE "Glass""; DROP TABLE Articles; --" ("Name"" FROM Elevations; --" TEXT)',
                  'ALTER TABLE Profiles ADD COLUMN "Price"" FROM sqlite_master; --" TEXT')
    parsed = parse_parts_list_file(data, "P1")
    assert parsed.articles and parsed.profiles and parsed.warnings == []


def test_it_cleans_values_postgres_cannot_hold_and_reads_decimal_commas():
    data = edited(parts_file(),
                  "UPDATE Articles SET Description = 'nul' || char(0) || 'byte', Amount = '1,5' WHERE ArticleID = 1",
                  "UPDATE Articles SET Amount = 'many', Color = CAST(x'ff41' AS TEXT) WHERE ArticleID = 2",
                  "UPDATE Profiles SET Length = 1e999 WHERE ProfileID = 1")
    parsed = parse_parts_list_file(data, "P1")
    first, second = parsed.articles[0], parsed.articles[1]
    assert (first["description"], first["amount"]) == ("nulbyte", 1.5)
    assert second["amount"] is None and second["color"] == "\ufffdA"
    assert parsed.profiles[0]["length"] is None
