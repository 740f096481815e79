"""Storing downloaded files: content-addressed storage, no re-parse of known content, bad files refused."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from syncapp.models import PartsList, PartsListArticle
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.store import store_parts_list, stored_name
from syncapp.simulator.partslist import corrupt_parts_list

from .conftest import CHANGED, parts_file

pytestmark = pytest.mark.django_db


def stored_files(elevation) -> list[str]:
    folder = f"parts-lists/{elevation.pk}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def test_it_stores_the_file_by_content_and_asks_for_a_parse(elevation):
    data = parts_file()
    result = store_parts_list(elevation=elevation, data=data, source_changed_date=CHANGED)
    sha = hashlib.sha256(data).hexdigest()
    assert (result.needs_parse, result.changed) == (True, True)
    row = PartsList.objects.get(elevation=elevation)
    assert (row.sha256, row.size_bytes, row.source_changed_date, row.parse_status) == (sha, len(data), CHANGED, "pending")
    assert row.downloaded_at is not None
    assert row.file.name == stored_name(elevation.pk, sha)
    with default_storage.open(row.file.name, "rb") as handle:
        assert handle.read() == data


def test_a_redownload_of_parsed_content_needs_no_parse(elevation):
    data = parts_file()
    store_parts_list(elevation=elevation, data=data, source_changed_date=CHANGED)
    row = PartsList.objects.get(elevation=elevation)
    assert parse_stored_parts_list(row.pk) == "parsed"
    parsed_at = PartsList.objects.get(pk=row.pk).parsed_at
    article_ids = set(PartsListArticle.objects.filter(parts_list=row).values_list("pk", flat=True))

    later = CHANGED + timedelta(hours=1)
    result = store_parts_list(elevation=elevation, data=data, source_changed_date=later)
    assert (result.needs_parse, result.changed) == (False, False)
    row.refresh_from_db()
    assert (row.parse_status, row.parsed_at, row.source_changed_date) == ("parsed", parsed_at, later)
    assert parse_stored_parts_list(row.pk) == "parsed"  # a stray job changes nothing either
    assert set(PartsListArticle.objects.filter(parts_list=row).values_list("pk", flat=True)) == article_ids
    assert len(stored_files(elevation)) == 1


@pytest.mark.parametrize(("variant", "expected"), [
    ("not_sqlite", "not a SQLite 3 database"),
    ("truncated", "truncated"),
    ("oversized", "more than the limit of 131,072 bytes"),
])
def test_a_refused_download_keeps_the_earlier_file_and_rows(elevation, settings, variant, expected):
    settings.PARTS_LIST_MAX_BYTES = 128 * 1024
    good = parts_file()
    store_parts_list(elevation=elevation, data=good, source_changed_date=CHANGED)
    row = PartsList.objects.get(elevation=elevation)
    parse_stored_parts_list(row.pk)
    before = PartsList.objects.get(pk=row.pk)
    articles = PartsListArticle.objects.filter(parts_list=row).count()

    bad = corrupt_parts_list(parts_file(seed=2), variant, size=256 * 1024)
    result = store_parts_list(elevation=elevation, data=bad, source_changed_date=CHANGED + timedelta(hours=1))
    assert (result.needs_parse, result.changed) == (False, False)
    row.refresh_from_db()
    assert row.parse_status == "invalid"
    assert expected in row.parse_error and "previous file and its parsed rows are kept" in row.parse_error
    # The stored file, its rows and facts are those of the good download; the date is not
    # advanced, so the next elevation sync downloads again.
    assert (row.sha256, row.parsed_sha256, row.file.name) == (before.sha256, before.parsed_sha256, before.file.name)
    assert (row.system_code, row.source_changed_date) == ("CS 77", CHANGED)
    assert PartsListArticle.objects.filter(parts_list=row).count() == articles
    assert stored_files(elevation) == [f"{before.sha256}.sqlite"]

    # The good content again heals the row without a parse.
    result = store_parts_list(elevation=elevation, data=good, source_changed_date=CHANGED + timedelta(hours=2))
    row.refresh_from_db()
    assert (result.needs_parse, row.parse_status, row.parse_error) == (False, "parsed", "")


def test_a_first_download_that_is_refused_leaves_an_invalid_row_without_a_file(elevation):
    result = store_parts_list(elevation=elevation, data=b"<html>502</html>", source_changed_date=CHANGED)
    row = result.parts_list
    assert (row.parse_status, row.sha256, row.file.name, row.source_changed_date) == ("invalid", "", "", None)
    assert parse_stored_parts_list(row.pk) == "invalid"


def test_a_failed_transaction_removes_the_file_it_wrote(elevation):
    with pytest.raises(ValidationError):
        store_parts_list(elevation=elevation, data=parts_file(), source_changed_date="not a date")
    assert stored_files(elevation) == []
    assert not PartsList.objects.filter(elevation=elevation).exists()


def test_a_newer_file_replaces_an_unparsed_one_but_the_parsed_file_stays(elevation, django_capture_on_commit_callbacks):
    first, second, third = parts_file(seed=1), parts_file(seed=2), parts_file(seed=3)
    sha = {n: hashlib.sha256(d).hexdigest() for n, d in (("first", first), ("second", second), ("third", third))}
    with django_capture_on_commit_callbacks(execute=True):
        store_parts_list(elevation=elevation, data=first, source_changed_date=CHANGED)
        parse_stored_parts_list(PartsList.objects.get(elevation=elevation).pk)
        store_parts_list(elevation=elevation, data=second, source_changed_date=CHANGED)
    assert stored_files(elevation) == sorted([f"{sha['first']}.sqlite", f"{sha['second']}.sqlite"])
    with django_capture_on_commit_callbacks(execute=True):
        store_parts_list(elevation=elevation, data=third, source_changed_date=CHANGED)
    assert stored_files(elevation) == sorted([f"{sha['first']}.sqlite", f"{sha['third']}.sqlite"])
    with django_capture_on_commit_callbacks(execute=True):
        assert parse_stored_parts_list(PartsList.objects.get(elevation=elevation).pk) == "parsed"
    assert stored_files(elevation) == [f"{sha['third']}.sqlite"]


def test_it_refuses_data_that_is_not_bytes(elevation):
    with pytest.raises(TypeError):
        store_parts_list(elevation=elevation, data="U1FMaXRl", source_changed_date=CHANGED)
    assert not PartsList.objects.exists()
