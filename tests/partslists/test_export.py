"""Parts lists exported as CSV and XLSX: one elevation's, and all of a phase's or project's."""

import csv
import io
import uuid

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from syncapp.models import Elevation, PartsList, PartsListArticle, PartsListProfile, PartsListUValue
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.export import plain_number
from syncapp.partslists.sheet import PART_HEADINGS
from syncapp.partslists.store import store_parts_list

from .conftest import CHANGED, make_elevation, parts_file

pytestmark = pytest.mark.django_db


def parsed_list(elevation: Elevation, seed: int) -> PartsList:
    data = parts_file(elevation.name, str(elevation.guid), seed=seed)
    parts_list = store_parts_list(elevation=elevation, data=data, source_changed_date=CHANGED).parts_list
    assert parse_stored_parts_list(parts_list.pk) == "parsed"
    return PartsList.objects.get(pk=parts_list.pk)


@pytest.fixture
def two_lists():
    """A phase with two elevations (P1, P2), each with a parsed parts list from a known file."""
    first = make_elevation("P1")
    second = Elevation.objects.create(phase=first.phase, guid=uuid.uuid4(), name="P2")
    return parsed_list(first, seed=1), parsed_list(second, seed=2)


def expected_rows(parts_list: PartsList) -> list[tuple]:
    e = parts_list.elevation
    where = (e.phase.project.name, e.phase.name, e.name)
    rows = [(*where, "Article", a.article_code, a.description, a.color, a.amount, None, None)
            for a in PartsListArticle.objects.filter(parts_list=parts_list).order_by("pk")]
    rows += [(*where, "Profile", p.article_code, p.description, p.color, None, p.length, p.price)
             for p in PartsListProfile.objects.filter(parts_list=parts_list).order_by("pk")]
    return rows


@pytest.fixture
def client_with(client):
    def login(*codenames):
        user = User.objects.create_user("u_" + "_".join(codenames), password="pw", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="syncapp", codename__in=codenames))
        client.force_login(user)
        return client
    return login


def export(client, object_type: str, pk: int, fmt: str):
    return client.get(reverse(f"admin:syncapp_{object_type}_parts_lists", args=[pk, fmt]))


def test_numbers_are_written_plainly():
    assert [plain_number(v) for v in (4.0, 12.5, 0.1 + 0.2, 1800.0, None)] == ["4", "12.5", "0.3", "1800", ""]


def test_the_csv_of_an_elevation_holds_its_articles_and_profiles_as_they_were_parsed(client_with, two_lists):
    first, _ = two_lists
    response = export(client_with("view_elevation", "view_partslist"), "elevation", first.elevation_id, "csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="parts-lists-p1.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(rows[0]) == PART_HEADINGS
    expected = expected_rows(first)
    assert len(expected) > 10 and len(rows) == len(expected) + 1
    assert rows[1:] == [[plain_number(v) if isinstance(v, float) else ("" if v is None else v) for v in row]
                        for row in expected]
    amounts = [row[7] for row in rows[1:] if row[3] == "Article"]
    assert amounts and all(a.isdigit() for a in amounts)  # whole amounts as "4", never "4.0"


def test_the_xlsx_of_a_project_holds_every_elevation_with_numbers_as_numbers(client_with, two_lists):
    first, second = two_lists
    project = first.elevation.phase.project
    response = export(client_with("view_project", "view_partslist"), "project", project.pk, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Parts", "Elevations"]
    parts = [tuple(row) for row in book["Parts"].iter_rows(values_only=True)]
    assert parts[0] == PART_HEADINGS
    assert parts[1:] == expected_rows(first) + expected_rows(second)  # P1 before P2, articles before profiles
    price_cell = next(row for row in book["Parts"].iter_rows(min_row=2) if row[3].value == "Profile")[9]
    assert isinstance(price_cell.value, float) and price_cell.number_format == "#,##0.00"

    facts = list(book["Elevations"].iter_rows(values_only=True))
    assert [row[2] for row in facts[1:]] == ["P1", "P2"]
    p1 = dict(zip(facts[0], facts[1]))
    assert (p1["Width"], p1["Height"], p1["System"].split(" – ")[0]) == (1800, 2100, "CS 77")
    u = PartsListUValue.objects.filter(parts_list=first).order_by("pk").first()
    assert f"{u.name} {plain_number(u.u)} {u.u_unit}" in p1["U-values"]


def test_a_phase_export_takes_only_its_own_parsed_lists(client_with, two_lists):
    first, _ = two_lists
    elsewhere = make_elevation("P9", guid=str(uuid.uuid4()))
    parsed_list(elsewhere, seed=9)
    response = export(client_with("view_phase", "view_partslist"), "phase", first.elevation.phase_id, "csv")
    elevations = {row[2] for row in csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:]))}
    assert elevations == {"Elevation", "P1", "P2"}  # the heading, then both of this phase's


def test_exports_need_the_parts_list_view_permission_and_a_known_format(client_with, two_lists):
    first, _ = two_lists
    assert export(client_with("view_elevation"), "elevation", first.elevation_id, "csv").status_code == 403
    client = client_with("view_elevation", "view_partslist")
    assert export(client, "elevation", first.elevation_id, "pdf").status_code == 404
    assert export(client, "elevation", 999999, "csv").status_code == 404
