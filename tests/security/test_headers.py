"""Security headers on every page, a policy without inline script, idle staff sessions ending."""

import re
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from syncapp.security import LAST_ACTIVITY_KEY

pytestmark = pytest.mark.django_db

PAGES = ["/admin/", "/admin/dashboard/", "/admin/dashboard/?fragment=1", "/api/v2/docs"]


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("staff", password="a-long-test-password"))
    return client


def responses(staff_client):
    yield "/admin/login/", Client().get("/admin/login/")
    for path in PAGES:
        yield path, staff_client.get(path)


def test_every_page_sends_the_policy_and_the_headers(staff_client):
    for path, response in responses(staff_client):
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert re.search(r"script-src 'self'(;|$)", policy), policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_no_page_has_an_inline_script(staff_client):
    for path, response in responses(staff_client):
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
        assert not re.search(r"\son[a-z]+=", html), path  # no event-handler attributes either


def test_an_idle_session_ends_and_asks_for_a_login(staff_client, settings):
    assert staff_client.get("/admin/").status_code == 200
    session = staff_client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT_S - 5
    session.save()
    response = staff_client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert staff_client.get("/admin/").status_code == 302  # logged out for good, not only once


def test_the_dashboard_refresh_does_not_keep_an_idle_session_alive(staff_client, settings):
    staff_client.get("/admin/")
    session = staff_client.session
    long_ago = int(time.time()) - settings.SESSION_IDLE_TIMEOUT_S + 120
    session[LAST_ACTIVITY_KEY] = long_ago
    session.save()
    refresh = staff_client.get("/admin/dashboard/?fragment=1", HTTP_X_BACKGROUND_REFRESH="1")
    assert refresh.status_code == 200
    assert staff_client.session[LAST_ACTIVITY_KEY] == long_ago  # the refresh is not activity
    staff_client.get("/admin/")  # a click is
    assert staff_client.session[LAST_ACTIVITY_KEY] > long_ago


def test_idle_limit_default_is_eight_hours_and_the_cookie_agrees(settings):
    assert settings.SESSION_IDLE_TIMEOUT_S == 8 * 3600
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_S
