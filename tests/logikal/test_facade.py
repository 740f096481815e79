"""The facade the sync engine uses: built from settings, read-only, and silent about secrets."""

import json
import logging
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from syncapp.benchmarks.force_sync import force_sync_bound_s, walk_project
from syncapp.logikal import Upstream, errors, get_upstream, reset_upstream
from syncapp.logikal.http import ALLOWED
from syncapp.models import UpstreamRequestCount, UpstreamSessionLease, UpstreamSessionWaiter
from syncapp.simulator import LATENCY_PROFILE

READ_AND_AUTH = set(ALLOWED)


@pytest.fixture
def settings_upstream(settings, one_sim_server, transactional_db):
    settings.LOGIKAL_API_BASE_URL = one_sim_server[1].base_url
    settings.LOGIKAL_USERNAME = settings.LOGIKAL_PASSWORD = "demo"
    yield
    reset_upstream()


def test_get_upstream_is_built_from_settings_once_per_process(settings, settings_upstream, one_sim_server):
    settings.LOGIKAL_MAX_SESSIONS = 3
    upstream = get_upstream()
    assert get_upstream() is upstream and upstream.max_sessions == 3
    assert upstream.list_directories("")[0].name == "Demo Odoo"
    reset_upstream()
    sim = one_sim_server[0]
    assert sim.stats()["current_sessions"] == 0  # reset logs out
    assert get_upstream() is not upstream


def test_get_upstream_without_a_server_url_is_a_configuration_error(settings):
    reset_upstream()
    settings.LOGIKAL_API_BASE_URL = None
    with pytest.raises(ImproperlyConfigured, match="LOGIKAL_API_BASE_URL"):
        get_upstream()


def test_a_whole_project_walk_calls_only_read_endpoints_and_login_logout(upstream, sim, dos):
    parts_lists = []
    job = walk_project(upstream, "Demo Odoo", "DOS22309", on_parts_list=lambda guid, data: parts_lists.append(data))
    pending = [job]
    while pending:
        pending.extend(pending.pop(0)() or [])
    for phase in sim.phases_of(dos.id):
        for elevation in sim.elevations_of(dos.id, phase.id)[:2]:
            image = upstream.get_thumbnail("Demo Odoo", dos.id, phase.id, elevation.id, width=120, height=80)
            assert image.startswith(b"\x89PNG")
    upstream.close()
    stats = sim.stats()
    assert len(parts_lists) == 17 and all(p.startswith(b"SQLite format 3\x00") for p in parts_lists)
    assert stats["mutations"] == 0
    assert set(stats["requests"]) <= READ_AND_AUTH
    assert stats["logouts"] == stats["logins"] and stats["current_sessions"] == 0


def test_listings_come_back_typed_with_dates_and_guids(upstream, sim, dos):
    [project] = [p for p in upstream.list_projects("Demo Odoo") if p.name == "DOS22309"]
    assert project.id == dos.id and project.changed_date.tzinfo is not None
    phases = upstream.list_phases("Demo Odoo", dos.id.upper())  # caller GUIDs are normalised too
    assert phases[0].id == "00000000-0000-0000-0000-000000000000"
    elevations = upstream.list_elevations("Demo Odoo", dos.id, phases[1].id)
    assert [e.name for e in elevations] == ["F1.01", "F1.02", "F1.03", "F1.04"]
    assert upstream.get_project("Demo Odoo", dos.id).job_number == "DOS22309"
    subdirectories = upstream.list_directories("Demo Odoo")
    assert [(d.name, d.path) for d in subdirectories] == [("Sublevel 1 Testing", "Demo Odoo/Sublevel 1 Testing")]


def test_bad_input_is_one_clear_error_before_any_request(upstream, sim, dos):
    with pytest.raises(ValueError, match="project_id"):
        upstream.list_phases("Demo Odoo", "DOS22309")
    with pytest.raises(ValueError, match="fmt"):
        phase = sim.phases_of(dos.id)[0]
        upstream.get_thumbnail("Demo Odoo", dos.id, phase.id, sim.elevations_of(dos.id, phase.id)[0].id, fmt="GIF")
    assert sim.stats()["total_requests"] == 0


def test_a_forbidden_parts_list_is_a_permanent_error(upstream, sim, dos):
    phase = sim.phases_of(dos.id)[0]
    elevation = sim.elevations_of(dos.id, phase.id)[0]
    sim.set_faults(forbidden={"count": 1, "path": "/parts-list"})
    with pytest.raises(errors.Forbidden) as caught:
        upstream.get_parts_list("Demo Odoo", dos.id, phase.id, elevation.id)
    assert caught.value.retryable is False
    assert sim.stats()["requests"]["GET /elevations/selected/parts-list"] == {"403": 1}


def test_no_password_or_token_reaches_logs_reprs_errors_or_the_database(simulators, transactional_db, caplog):
    password = "Pa55-word-SECRET-417"
    sim, server = simulators(navigation="strict", password=password)
    tokens = []
    login = sim.sessions.login

    def recording_login(username):
        session = login(username)
        tokens.append(session.token)
        return session

    sim.sessions.login = recording_login
    caplog.set_level(logging.DEBUG)
    seen = []
    upstream = Upstream(server.base_url, "demo", password, 2, backoff_s=0.01, heartbeat_s=0.1, poll_s=0.05)
    try:
        with upstream.track():
            project = sim.find_project("DOS22309")
            sim.set_faults(expire_token={"count": 1, "path": "/phases"}, server_error={"count": 1, "path": "/projects"})
            upstream.list_phases("Demo Odoo", project.id)
            with upstream.session_at("Demo Odoo", project.id) as here:
                seen += [repr(here), repr(here.session), repr(upstream), repr(upstream.pool)]
            sim.set_faults(locked={"count": 1, "path": "/phases"})
            with pytest.raises(errors.ResourceLocked) as locked:
                upstream.list_phases("Demo Odoo", project.id)
            seen += [str(locked.value), repr(locked.value)]
        wrong = Upstream(server.base_url, "demo", "not-" + password, 2, backoff_s=0.01)
        with pytest.raises(errors.LoginFailed) as failed:
            wrong.list_directories("")
        seen += [str(failed.value), repr(failed.value), repr(wrong), repr(wrong.pool._credentials)]
        wrong.close()
        seen.append(json.dumps(list(UpstreamSessionLease.objects.values()), default=str))
        seen.append(json.dumps(list(UpstreamSessionWaiter.objects.values()), default=str))
    finally:
        upstream.close()
    seen.append(json.dumps(list(UpstreamRequestCount.objects.values()), default=str))
    seen.append(caplog.text)
    assert len(tokens) >= 2 and sim.stats()["logins"] >= 2
    everything = "\n".join(seen)
    assert "LogiKal session" in caplog.text  # the logs do talk about sessions
    assert password not in everything
    for token in tokens:
        assert token not in everything and token.upper() not in everything


def test_the_benchmark_bound_follows_the_latency_profile():
    lenient = force_sync_bound_s(mode="lenient", sessions=4, directory_depth=1, elevations=17)
    strict = force_sync_bound_s(mode="strict", sessions=4, directory_depth=1, elevations=17)
    t_ids = sum(LATENCY_PROFILE[t] for t in ("POST /auth", "POST /directories/select", "GET /projects",
                                            "POST /projects/select", "GET /phases", "POST /phases/select",
                                            "GET /elevations"))
    per_elevation = LATENCY_PROFILE["POST /elevations/select"] + LATENCY_PROFILE["GET /elevations/selected/parts-list"]
    assert lenient == pytest.approx(t_ids + 5 * per_elevation)
    assert strict > lenient + 4 * LATENCY_PROFILE["POST /auth"]
    assert force_sync_bound_s(mode="lenient", sessions=17, directory_depth=1, elevations=17) == pytest.approx(
        t_ids + per_elevation)
    assert force_sync_bound_s(mode="strict", sessions=4, directory_depth=1, elevations=17, scale=0.5) == \
        pytest.approx(strict / 2)


def test_the_benchmark_prints_one_json_line_per_mode(transactional_db):
    out = StringIO()
    call_command("benchmark", "force-sync", "--path", "client", "--latency", "none", "--parts-list-size", "small", stdout=out,
                 stderr=StringIO())
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["mode"] for line in lines] == ["strict", "lenient"]
    for line in lines:
        assert line["benchmark"] == "force-sync" and line["parts_lists"] == 17 and line["errors"] == 0
        assert line["requests"]["GET /elevations/selected/parts-list"] == 17
        assert {"wall_s", "bound_s", "logins"} <= set(line)
    assert lines[1]["logins"] <= 4
