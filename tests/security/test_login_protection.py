"""Admin logins are limited per user and address (django-axes); the API shares the limit; probes are untouched."""

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

PASSWORD = "a-long-test-password"
WRONG = "wrong-Secret-4711"
LOGIN = "/admin/login/"


def attempt(password: str, *, username: str = "staff", address: str = "203.0.113.5"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return client, response


@pytest.fixture
def staff(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    return User.objects.create_superuser("staff", password=PASSWORD)


def lock_out(username="staff", address="203.0.113.5"):
    for _ in range(3):
        _, response = attempt(WRONG, username=username, address=address)
        assert response.status_code in (200, 429)
    return attempt(PASSWORD, username=username, address=address)[1]


def test_the_right_password_works_before_the_limit(staff):
    for _ in range(2):
        assert attempt(WRONG)[1].status_code == 200  # the form again, with its error
    _, response = attempt(PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/"


def test_after_the_limit_even_the_right_password_is_refused_for_that_user_and_address(staff):
    refused = lock_out()
    assert refused.status_code == 429
    assert b"Too many failed logins" in refused.content and b"axes_reset" in refused.content
    # Per user AND address: the same user elsewhere, and another user here, still log in.
    assert attempt(PASSWORD, address="198.51.100.9")[1].status_code == 302
    User.objects.create_superuser("other", password=PASSWORD)
    assert attempt(PASSWORD, username="other")[1].status_code == 302
    assert AccessAttempt.objects.get(username="staff", ip_address="203.0.113.5").failures_since_start >= 3


def test_the_cool_off_ends_the_lockout(staff, settings):
    from datetime import timedelta

    lock_out()
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=901))
    settings.AXES_COOLOFF_TIME = timedelta(seconds=900)
    assert attempt(PASSWORD)[1].status_code == 302


def test_axes_reset_unlocks(staff):
    assert lock_out().status_code == 429
    call_command("axes_reset")
    assert attempt(PASSWORD)[1].status_code == 302


def test_an_administrator_unlocks_in_the_admin_by_deleting_the_attempt(staff):
    assert lock_out().status_code == 429
    admin = User.objects.create_superuser("boss", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and b"203.0.113.5" in listing.content
    record = AccessAttempt.objects.get()
    response = client.post(f"/admin/axes/accessattempt/{record.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert attempt(PASSWORD)[1].status_code == 302


def test_failures_and_the_lockout_are_logged_without_the_password(staff, caplog):
    with caplog.at_level(logging.INFO):
        lock_out()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Locking out" in text and "login failure" in text
    assert "staff" in text and "203.0.113.5" in text
    assert WRONG not in text and PASSWORD not in text
    assert WRONG not in repr([vars(record) for record in caplog.records])


def test_probes_answer_from_a_locked_out_address(staff):
    assert lock_out().status_code == 429
    probe = Client(REMOTE_ADDR="203.0.113.5")
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/readyz").status_code in (200, 503)  # readiness has its own reasons; never 429
    assert probe.get("/readyz").status_code != 429


def test_admin_logins_and_api_keys_share_one_failure_limit(settings):
    from syncapp.api import throttle

    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        throttle.record_failure("192.0.2.1")
    assert throttle.seconds_locked("192.0.2.1") > 0
    settings.AXES_FAILURE_LIMIT = 3  # one setting moves both
    assert throttle.seconds_locked("192.0.2.1") == 0


pytestmark = pytest.mark.django_db
