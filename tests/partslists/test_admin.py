"""The parts-list admin: parsed rows visible, read-only, and a re-parse action behind force_sync."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.urls import reverse

from syncapp.models import PartsList, PartsListArticle, PartsListGlass, PartsListProfile, PartsListUValue
from syncapp.partslists.apply import parse_stored_parts_list
from syncapp.partslists.store import store_parts_list

from .conftest import CHANGED, parts_file

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:syncapp_partslist_changelist")


def staff(*codenames: str) -> User:
    user = User.objects.create_user("_".join(codenames) or "nobody", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="syncapp", codename__in=codenames))
    return user


def queued_parses() -> list[tuple[int, str, str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (args->>'parts_list_id')::bigint, lock, queueing_lock, priority FROM procrastinate_jobs "
                       "WHERE task_name = 'parse_parts_list' AND status = 'todo' ORDER BY id")
        return cursor.fetchall()


@pytest.fixture
def parsed(elevation) -> PartsList:
    parts_list = store_parts_list(elevation=elevation, data=parts_file(), source_changed_date=CHANGED).parts_list
    parse_stored_parts_list(parts_list.pk)
    return PartsList.objects.get(pk=parts_list.pk)


def reparse(client, *parts_lists):
    return client.post(CHANGELIST, {"action": "reparse", "_selected_action": [p.pk for p in parts_lists]}, follow=True)


def test_the_parts_list_page_shows_facts_and_parsed_rows_read_only(client, parsed):
    client.force_login(staff("view_partslist", "view_elevation"))
    page = client.get(reverse("admin:syncapp_partslist_change", args=[parsed.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "CS 77" in html and "Schüco AWS 75.SI+" in html
    for model, field in ((PartsListArticle, "article_code"), (PartsListProfile, "article_code"),
                         (PartsListGlass, "name"), (PartsListUValue, "name")):
        row = model.objects.filter(parts_list=parsed).first()
        assert row is not None and str(getattr(row, field)) in html
    assert 'name="_save"' not in html  # nothing to save: the page is read-only


def test_the_changelist_filters_by_status_and_finds_by_name_or_sha(client, parsed):
    client.force_login(staff("view_partslist"))
    assert client.get(CHANGELIST, {"parse_status__exact": "parsed"}).context["cl"].result_count == 1
    assert client.get(CHANGELIST, {"parse_status__exact": "invalid"}).context["cl"].result_count == 0
    assert client.get(CHANGELIST, {"q": "P1"}).context["cl"].result_count == 1
    assert client.get(CHANGELIST, {"q": parsed.sha256[:12]}).context["cl"].result_count == 1
    assert client.get(CHANGELIST, {"q": "P10"}).context["cl"].result_count == 0


def test_reparse_queues_a_locked_job_and_the_file_is_parsed_again(client, parsed):
    client.force_login(staff("view_partslist", "force_sync"))
    response = reparse(client, parsed)
    assert "Queued 1 parse job." in [str(m) for m in response.context["messages"]]
    [(parts_list_id, lock, queueing_lock, priority)] = queued_parses()
    assert (parts_list_id, lock, queueing_lock) == (parsed.pk, f"parse:{parsed.pk}", f"parse:{parsed.pk}")
    assert priority > 100
    assert PartsList.objects.get(pk=parsed.pk).parse_status == "pending"

    again = reparse(client, parsed)
    assert "Queued 0 parse jobs; 1 already queued." in [str(m) for m in again.context["messages"]]
    assert len(queued_parses()) == 1

    assert parse_stored_parts_list(parsed.pk) == "parsed"
    assert PartsList.objects.get(pk=parsed.pk).parsed_at > parsed.parsed_at


def test_reparse_needs_the_force_sync_permission(client, parsed):
    client.force_login(staff("view_partslist"))
    page = client.get(CHANGELIST)
    assert "reparse" not in page.content.decode()
    response = reparse(client, parsed)
    assert response.status_code in (200, 403)
    assert queued_parses() == []
    assert PartsList.objects.get(pk=parsed.pk).parse_status == "parsed"


def test_nobody_can_add_change_or_delete_parts_lists_in_the_admin(client, parsed):
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    assert client.get(reverse("admin:syncapp_partslist_add")).status_code == 403
    assert client.post(reverse("admin:syncapp_partslist_delete", args=[parsed.pk]), {"post": "yes"}).status_code == 403
    assert PartsList.objects.filter(pk=parsed.pk).exists()


def test_the_elevation_page_shows_the_parts_list_as_staff_read_it(client, parsed):
    client.force_login(staff("view_partslist", "view_elevation"))
    html = client.get(reverse("admin:syncapp_elevation_change", args=[parsed.elevation_id])).content.decode()
    facts = html[html.index('id="parts-list-facts"'):html.index('id="parts-list-articles"')]
    assert "1,800" in facts and "2,100" in facts and "CS 77" in facts  # width, height, system
    assert "Glass" in facts and "U-values" in facts
    articles = html[html.index('id="parts-list-articles"'):html.index('id="parts-list-profiles"')]
    for article in PartsListArticle.objects.filter(parts_list=parsed):
        assert article.article_code in articles
        assert f'<td class="num">{int(article.amount)}</td>' in articles  # "4", never "4.0"
    assert "object (" not in html  # no "PartsListArticle object (2305)" anywhere
    # Facts before the tables, hashes only in the collapsed technical section.
    assert html.index('id="parts-list-facts"') < html.index('id="parts-list-articles"') < html.index(
        'id="parts-list-profiles"') < html.index('id="parts-list-technical"')
    assert html.index(parsed.sha256) > html.index('<details class="module" id="parts-list-technical"')


def test_the_parts_list_page_shows_the_same_sheet_without_row_objects(client, parsed):
    client.force_login(staff("view_partslist", "view_elevation"))
    html = client.get(reverse("admin:syncapp_partslist_change", args=[parsed.pk])).content.decode()
    assert 'id="parts-list-articles"' in html and "object (" not in html
