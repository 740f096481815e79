"""Parsing stored files into the database: atomic replacement, kept data on bad files, recovery."""

from datetime import timedelta

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from syncapp.models import PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from syncapp.partslists import apply
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.parse import parse_parts_list_file
from syncapp.partslists.store import store_parts_list
from syncapp.simulator.partslist import corrupt_parts_list

from .conftest import CHANGED, edited, make_elevation, parts_file

pytestmark = pytest.mark.django_db


def stored(elevation, data) -> PartsList:
    return store_parts_list(elevation=elevation, data=data, source_changed_date=CHANGED).parts_list


def rows(parts_list) -> dict[str, list]:
    return {
        "glass": list(PartsListGlass.objects.filter(parts_list=parts_list).order_by("pk").values_list("glass_id", "name")),
        "articles": list(PartsListArticle.objects.filter(parts_list=parts_list).order_by("pk")
                         .values_list("article_code", "description", "amount", "color")),
        "profiles": list(PartsListProfile.objects.filter(parts_list=parts_list).order_by("pk")
                         .values_list("article_code", "description", "length", "color", "price")),
        "u_values": list(PartsListUValue.objects.filter(parts_list=parts_list).order_by("pk")
                         .values_list("name", "u", "u_unit")),
    }


def expected_rows(data: bytes, name="P1") -> dict[str, list]:
    parsed = parse_parts_list_file(data, name)
    return {
        "glass": [(g["glass_id"], g["name"]) for g in parsed.glass],
        "articles": [(a["article_code"], a["description"], a["amount"], a["color"]) for a in parsed.articles],
        "profiles": [(p["article_code"], p["description"], p["length"], p["color"], p["price"]) for p in parsed.profiles],
        "u_values": [(u["name"], u["u"], u["u_unit"]) for u in parsed.u_values],
    }


def test_it_stores_the_facts_and_every_row_of_the_file(elevation):
    data = parts_file()
    parts_list = stored(elevation, data)
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    parts_list.refresh_from_db()
    assert (parts_list.parse_status, parts_list.parsed_sha256, parts_list.parse_error) == ("parsed", parts_list.sha256, "")
    assert (parts_list.system_code, parts_list.system_name) == ("CS 77", "Schüco AWS 75.SI+")
    assert (parts_list.width_output, parts_list.height_output, parts_list.area_unit) == ("1800", "2100", "m²")
    assert rows(parts_list) == expected_rows(data)


def test_it_takes_the_facts_from_the_exactly_named_row_in_the_database_too(db):
    p1, p10 = make_elevation("P1"), make_elevation("P10", guid="0f0e0d0c-0000-4000-8000-000000000010")
    data = edited(parts_file("P1", extra_elevation_names=["P10"]), "UPDATE Elevations SET SystemLongName = 'row of ' || Name")
    for elevation in (p1, p10):
        parse_stored_parts_list(stored(elevation, data).pk)
    assert PartsList.objects.get(elevation=p1).system_long_name == "row of P1"
    assert PartsList.objects.get(elevation=p10).system_long_name == "row of P10"


def test_a_new_file_replaces_the_rows_instead_of_adding_to_them(elevation):
    parse_stored_parts_list(stored(elevation, parts_file(seed=1)).pk)
    second = parts_file(seed=2)
    parts_list = stored(elevation, second)
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    assert rows(parts_list) == expected_rows(second)


def test_an_invalid_newer_file_keeps_the_earlier_rows_and_facts(elevation):
    parts_list = stored(elevation, parts_file(seed=1))
    parse_stored_parts_list(parts_list.pk)
    good = PartsList.objects.get(pk=parts_list.pk)
    before = rows(parts_list)

    stored(elevation, corrupt_parts_list(parts_file(seed=2), "corrupt"))
    assert parse_stored_parts_list(parts_list.pk) == "invalid"
    parts_list.refresh_from_db()
    assert "malformed" in parts_list.parse_error
    assert parts_list.sha256 != good.sha256
    assert (parts_list.parsed_sha256, parts_list.parsed_at, parts_list.system_code) == (
        good.parsed_sha256, good.parsed_at, good.system_code)
    assert rows(parts_list) == before


@pytest.mark.parametrize(("drift", "status", "message"), [
    ("extra_columns", "parsed", ""),
    ("missing_optional", "parsed", ""),
    ("missing_required", "invalid", "required parts of the file are missing: column Elevations.SystemCode"),
])
def test_schema_drift_is_tolerated_or_reported(elevation, drift, status, message):
    parts_list = stored(elevation, parts_file(drift=drift))
    assert parse_stored_parts_list(parts_list.pk) == status
    parts_list.refresh_from_db()
    assert parts_list.parse_error == message
    if drift == "missing_optional":
        assert parts_list.parse_warnings == "table Glass is missing\ntable UValue is missing"
        assert rows(parts_list)["glass"] == [] and rows(parts_list)["articles"]


def test_an_overlong_value_is_cut_to_fit_not_fatal(elevation):
    data = edited(parts_file(), "UPDATE Elevations SET SystemCode = printf('%.300c', 'x')",
                  "UPDATE Glass SET Name = printf('%.1000c', 'g')")
    parts_list = stored(elevation, data)
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    parts_list.refresh_from_db()
    assert parts_list.system_code == "x" * 128
    assert {name for _, name in rows(parts_list)["glass"]} == {"g" * 255}


def test_a_parse_left_running_by_a_killed_process_counts_as_pending_and_completes(elevation):
    parts_list = stored(elevation, parts_file())
    # What a process killed right after claiming leaves behind.
    PartsList.objects.filter(pk=parts_list.pk).update(
        parse_status="parsing", parse_started_at=timezone.now() - timedelta(hours=1)
    )
    assert list(PartsList.objects.needing_parse()) == [parts_list]
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    assert not PartsList.objects.needing_parse().exists()
    assert not PartsList.objects.filter(parse_status="parsing").exists()


def test_a_running_parse_is_not_counted_as_stalled(elevation):
    parts_list = stored(elevation, parts_file())
    PartsList.objects.filter(pk=parts_list.pk).update(parse_status="parsing", parse_started_at=timezone.now())
    assert not PartsList.objects.needing_parse().exists()


def test_a_parse_overtaken_by_a_newer_file_discards_its_result(elevation):
    parts_list = stored(elevation, parts_file(seed=1))
    claim = apply._claim(parts_list.pk)
    newer = parts_file(seed=2)
    assert stored(elevation, newer).parse_status == "pending"
    assert apply._parse_claimed(claim) == "pending"  # the old file's rows are not written
    assert not PartsListArticle.objects.exists()
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    assert rows(parts_list) == expected_rows(newer)


def test_a_missing_stored_file_is_reported_not_raised(elevation):
    parts_list = stored(elevation, parts_file())
    default_storage.delete(parts_list.file.name)
    assert parse_stored_parts_list(parts_list.pk) == "invalid"
    parts_list.refresh_from_db()
    assert "is missing; force a sync of the elevation" in parts_list.parse_error


def remote_storage(monkeypatch, open_error=None):
    """Object storage as Django sees it: no local path; optionally unreachable."""

    local_path = default_storage.path

    def no_path(name):
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def remote_open(name, mode="rb"):
        if open_error is not None:
            raise open_error
        return File(open(local_path(name), mode))  # noqa: SIM115 - closed by the caller

    monkeypatch.setattr(default_storage, "path", no_path)
    monkeypatch.setattr(default_storage, "open", remote_open)


def test_it_reads_files_from_storage_without_local_paths(elevation, monkeypatch):
    data = parts_file()
    parts_list = stored(elevation, data)
    remote_storage(monkeypatch)
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    assert rows(parts_list) == expected_rows(data)


def test_an_unreachable_storage_puts_the_row_back_to_pending_for_the_retry(elevation, monkeypatch):
    parts_list = stored(elevation, parts_file())
    remote_storage(monkeypatch, open_error=ConnectionResetError("object storage went away"))
    with pytest.raises(ConnectionResetError):
        parse_stored_parts_list(parts_list.pk)
    parts_list.refresh_from_db()
    assert parts_list.parse_status == "pending"


def test_unknown_ids_and_rows_without_a_file_are_no_ops(elevation):
    assert parse_stored_parts_list(987654) == "missing"
    empty = PartsList.objects.create(elevation=elevation)
    assert parse_stored_parts_list(empty.pk) == "pending"
