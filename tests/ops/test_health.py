"""/healthz and /readyz: liveness without the database, readiness with its reasons."""

import json
import re
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.db import connection
from django.utils import timezone

from syncapp.health import tick_deadline
from syncapp.models import SchedulerTick

from ..conftest import ROOT

FOREIGN_HOST = "10.244.1.7:8080"  # how a platform probe addresses the container


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_in_fresh_process(path: str, database_url: str) -> tuple[int, dict]:
    """GET ``path`` through the full middleware stack in a new process with its own DATABASE_URL."""
    script = (
        "import django, json, os; django.setup(); from django.test import Client;"
        f"r = Client().get({path!r}, HTTP_HOST={FOREIGN_HOST!r});"
        "print(json.dumps({'status': r.status_code, 'body': r.content.decode()}))"
    )
    env = {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "project.settings", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["status"], json.loads(answer["body"])


def test_healthz_answers_ok_even_when_the_database_is_down():
    status, body = get_in_fresh_process("/healthz", f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere")
    assert (status, body) == (200, {"status": "ok"})


def test_readyz_reports_an_unreachable_database_with_503():
    status, body = get_in_fresh_process("/readyz", f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "failed"}
    assert body["reason"].startswith("database unreachable")


@pytest.mark.django_db
def test_probes_answer_a_host_name_that_allowed_hosts_rejects(client):
    assert client.get("/healthz", HTTP_HOST=FOREIGN_HOST).status_code == 200
    assert client.get("/admin/login/", HTTP_HOST=FOREIGN_HOST).status_code == 400


@pytest.mark.django_db
def test_readyz_is_ready_with_a_recent_tick(client, settings):
    settings.BACKGROUND_SYNC_ENABLED = True
    settings.SCHEDULER_CRON = "*/5 * * * *"
    SchedulerTick.objects.create(ticked_at=timezone.now() - timedelta(minutes=1), background_enabled=True)
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "scheduler": "ok"}
    assert "last_tick_at" in body


@pytest.mark.django_db
def test_readyz_fails_when_no_tick_was_ever_recorded(client, settings):
    settings.BACKGROUND_SYNC_ENABLED = True
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["scheduler"] == "failed"
    assert "no scheduler tick recorded yet" in response.json()["reason"]


@pytest.mark.django_db
def test_readyz_fails_when_the_last_tick_is_two_periods_old(client, settings):
    settings.BACKGROUND_SYNC_ENABLED = True
    settings.SCHEDULER_CRON = "*/5 * * * *"
    SchedulerTick.objects.create(ticked_at=timezone.now() - timedelta(minutes=12), background_enabled=True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert re.search(r"last scheduler tick was 7[12]\d s ago \(schedule '\*/5 \* \* \* \*'\)", response.json()["reason"])


@pytest.mark.django_db
def test_readyz_ignores_the_scheduler_when_background_sync_is_off(client, settings):
    settings.BACKGROUND_SYNC_ENABLED = False
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["scheduler"] == "skipped: background sync is disabled"


@pytest.mark.django_db
def test_readyz_fails_while_a_migration_is_not_applied(client, settings):
    settings.BACKGROUND_SYNC_ENABLED = False
    with connection.cursor() as cursor:
        # Rolled back with the test's transaction.
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'syncapp' AND name = "
            "(SELECT max(name) FROM django_migrations WHERE app = 'syncapp') RETURNING name"
        )
        (unapplied,) = cursor.fetchone()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "migrations": "failed"}
    assert f"syncapp.{unapplied}" in body["reason"]


@pytest.mark.parametrize(
    ("cron", "now", "deadline"),
    [
        # Every five minutes: the 12:05 tick may be missed, the 12:00 one may not.
        ("*/5 * * * *", "2026-03-02T12:07:00", "2026-03-02T11:59:00"),
        ("*/5 * * * *", "2026-03-02T12:09:59", "2026-03-02T11:59:00"),
        # Weekdays at 09:00, on a Monday afternoon: Monday's tick may be missed, Friday's may not.
        ("0 9 * * 1-5", "2026-03-02T15:00:00", "2026-02-27T08:59:00"),
    ],
)
def test_the_tick_deadline_follows_the_cron_schedule(cron, now, deadline):
    moment = datetime.fromisoformat(now).replace(tzinfo=dt_timezone.utc)
    assert tick_deadline(moment, cron) == datetime.fromisoformat(deadline).replace(tzinfo=dt_timezone.utc)
