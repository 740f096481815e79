"""Deployment files: the App Platform spec, the Procfile, gunicorn's config, production settings."""

import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from ..conftest import ROOT

SPEC = yaml.safe_load((ROOT / ".do" / "app.yaml").read_text())

SMALLEST_INSTANCE = "apps-s-1vcpu-0.5gb"


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="sync.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres",
        LOGIKAL_API_BASE_URL="http://logikal.example.com/MbioeService.svc/api/v3",
        DJANGO_SETTINGS_MODULE="project.settings",
    )
    env.update(overrides)
    return env


def components():
    return [*SPEC.get("services", []), *SPEC.get("workers", []), *SPEC.get("jobs", [])]


def env_entries():
    yield from SPEC.get("envs", [])
    for component in components():
        yield from component.get("envs", [])


# --- The App Platform spec -------------------------------------------------------

def test_the_spec_names_the_app_its_region_and_its_three_components():
    assert SPEC["name"] == "logikal-sync"
    assert isinstance(SPEC["region"], str) and SPEC["region"]
    assert [s["name"] for s in SPEC["services"]] == ["web"]
    assert [w["name"] for w in SPEC["workers"]] == ["worker"]
    assert [(j["name"], j["kind"]) for j in SPEC["jobs"]] == [("migrate", "PRE_DEPLOY")]


def test_every_component_has_a_source_a_command_and_the_smallest_instance():
    for component in components():
        assert component["environment_slug"] == "python", component["name"]
        assert component["github"]["repo"] and component["github"]["branch"], component["name"]
        assert component["run_command"], component["name"]
        assert component["instance_size_slug"] == SMALLEST_INSTANCE, component["name"]
        assert component["instance_count"] == 1, component["name"]


def test_the_commands_are_the_procfiles():
    entries = procfile()
    assert SPEC["services"][0]["run_command"] == entries["web"]
    assert SPEC["workers"][0]["run_command"] == entries["worker"]
    assert SPEC["jobs"][0]["run_command"] == entries["release"]


def test_the_web_service_is_health_checked_on_healthz_and_routed():
    web = SPEC["services"][0]
    assert web["health_check"]["http_path"] == "/healthz"
    assert web["http_port"] == 8080
    rules = SPEC["ingress"]["rules"]
    assert [(r["component"]["name"], r["match"]["path"]["prefix"]) for r in rules] == [("web", "/")]


def test_the_only_database_is_postgresql_and_nothing_mentions_redis():
    assert [(d["name"], d["engine"]) for d in SPEC["databases"]] == [("db", "PG")]
    # Comments may say "no Redis"; the spec itself (keys and values) must not name it.
    assert not re.search(r"redis|celery|valkey", yaml.safe_dump(SPEC), re.IGNORECASE)


def test_database_url_is_bound_to_the_database_component():
    values = {e["key"]: e.get("value") for e in env_entries()}
    assert values["DATABASE_URL"] == "${db.DATABASE_URL}"


def test_background_sync_is_set_explicitly():
    values = {e["key"]: e.get("value") for e in env_entries()}
    assert values["BACKGROUND_SYNC_ENABLED"] in ("true", "false")


@pytest.mark.parametrize("key", ["SECRET_KEY", "LOGIKAL_PASSWORD", "METRICS_TOKEN"])
def test_secrets_are_typed_secret_and_carry_no_value(key):
    (entry,) = [e for e in env_entries() if e["key"] == key]
    assert entry["type"] == "SECRET"
    assert not entry.get("value")


def test_every_env_entry_is_well_formed():
    for entry in env_entries():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", entry["key"])
        assert entry.get("scope", "RUN_AND_BUILD_TIME") in ("RUN_TIME", "BUILD_TIME", "RUN_AND_BUILD_TIME")
        assert entry.get("type", "GENERAL") in ("GENERAL", "SECRET")


# --- Procfile and gunicorn -------------------------------------------------------

def test_the_procfile_declares_release_web_and_worker():
    entries = procfile()
    assert set(entries) == {"release", "web", "worker"}
    assert entries["release"] == "python manage.py migrate --noinput"
    assert entries["worker"] == "python manage.py sync_worker"
    assert "collectstatic --noinput" in entries["web"]
    assert "gunicorn --config project/gunicorn.py project.wsgi" in entries["web"]


def load_gunicorn_config(**env) -> dict:
    saved = dict(os.environ)
    try:
        for key in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_MAX_REQUESTS"):
            os.environ.pop(key, None)
        os.environ.update(env)
        return runpy.run_path(str(ROOT / "project" / "gunicorn.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_gunicorn_defaults_fit_a_small_instance():
    config = load_gunicorn_config()
    assert config["bind"] == "0.0.0.0:8000"
    assert (config["workers"], config["threads"], config["worker_class"]) == (2, 4, "gthread")
    assert config["preload_app"] is True
    assert config["max_requests"] == 1000 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["accesslog"] == "-"


def test_gunicorn_takes_port_and_sizes_from_the_environment():
    config = load_gunicorn_config(PORT="5123", WEB_CONCURRENCY="1", GUNICORN_THREADS="8", GUNICORN_MAX_REQUESTS="0")
    assert config["bind"] == "0.0.0.0:5123"
    assert (config["workers"], config["threads"]) == (1, 8)
    assert (config["max_requests"], config["max_requests_jitter"]) == (0, 0)


# --- Production settings ---------------------------------------------------------

def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_short_metrics_token():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=production_env(METRICS_TOKEN="short"),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "METRICS_TOKEN: use at least 16 random characters" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_the_procfile_web_command_serves_probes_and_static_files_in_production(transactional_db):
    from ..conftest import database_url

    port = free_port()
    env = production_env(PORT=str(port), DATABASE_URL=database_url(), WEB_CONCURRENCY="1", GUNICORN_THREADS="2",
                         SECURE_SSL_REDIRECT="true", PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    web = subprocess.Popen(["sh", "-c", procfile()["web"]], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert web.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert health.status_code == 200  # plain HTTP, internal host: no redirect, no DisallowedHost
        static = httpx.get(f"{base}/static/admin/css/base.css", headers={"Host": "sync.example.com",
                                                                          "X-Forwarded-Proto": "https"}, timeout=5)
        assert static.status_code == 200 and "text/css" in static.headers["content-type"]
        admin = httpx.get(f"{base}/admin/login/", headers={"Host": "sync.example.com"}, timeout=5)
        assert admin.status_code == 301 and admin.headers["location"].startswith("https://")
    finally:
        os.killpg(web.pid, 15)
        output, _ = web.communicate(timeout=30)
    assert "Booting worker" in output, output
