"""Shared fixtures: real PostgreSQL always (the machine's when DATABASE_URL is set, embedded otherwise)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROCRASTINATE_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _database_fixture(request) -> str | None:
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        return "transactional_db"
    if marker or "db" in request.fixturenames:
        return "db"
    return None


@pytest.fixture(autouse=True)
def _sync_defaults(request):
    """Transactional tests flush every table, data-migration rows included: put them back."""
    fixture = _database_fixture(request)
    if fixture:
        request.getfixturevalue(fixture)
        from syncapp.defaults import ensure_defaults

        ensure_defaults()


def database_url() -> str:
    """A URL for the test database, for processes the tests start themselves."""
    from syncapp.harness.database import database_url as current_database_url

    return current_database_url()


@pytest.fixture
def clean_queue(transactional_db):
    """Empty Procrastinate's tables before and after a test that runs real workers."""
    from django.db import connection

    def truncate():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(PROCRASTINATE_TABLES)} RESTART IDENTITY CASCADE")

    truncate()
    yield
    truncate()


@pytest.fixture
def process_env(transactional_db):
    """Environment for child processes (workers, web) pointed at the test database."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url()
    env["DJANGO_SETTINGS_MODULE"] = "project.settings"
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("LOG_LEVEL", "info")
    return env


def manage(*args: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, **kwargs
    )
