"""Who may call what: keys, v1 tokens, scopes, revocation, the failed-authentication limit, logs, metrics."""

import logging
from datetime import timedelta

from syncapp.api.clients import create_api_client, revoke_api_client, rotate_api_client_key
from syncapp.models import ApiClient, ApiRequestCount

from .conftest import assert_error

READS = ["/api/v2/projects", "/api/v2/directories", "/api/v1/odoo/projects", "/api/v1/odoo/stats"]


def test_no_key_or_a_wrong_one_is_401_with_a_json_error(mirror, http):
    for path in READS:
        detail = assert_error(http().get(path), 401, "NOT_AUTHENTICATED")
        assert "Bearer" in detail["message"]
        assert_error(http("lsk_not-a-real-key").get(path), 401, "INVALID_TOKEN")
    response = http().get("/api/v2/projects", headers={"Authorization": "Basic b2RvbzpzZWNyZXQ="})
    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert response.headers["www-authenticate"].startswith("Bearer")


def queued_jobs() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs")
        return cursor.fetchone()[0]


def test_each_scope_opens_only_its_endpoints(mirror, keys, http):
    project = mirror.projects[0]
    jobs_before = queued_jobs()
    for path in READS + [f"/api/v2/projects/{project.guid}"]:
        assert http(keys.reader).get(path).status_code == 200
        detail = assert_error(http(keys.syncer).get(path), 403, "INSUFFICIENT_SCOPE")
        assert "'read'" in detail["message"] and "odoo-syncer" in detail["message"]
    for path in (f"/api/v2/projects/{project.guid}/sync", f"/api/v1/sync/force/project/{project.guid}"):
        detail = assert_error(http(keys.reader).post(path), 403, "INSUFFICIENT_SCOPE")
        assert "'sync'" in detail["message"]
    assert queued_jobs() == jobs_before


def test_a_revoked_key_and_its_tokens_stop_working_at_once(mirror, keys, http):
    client = http(keys.both)
    token = http().post("/api/v1/client-auth/login", json={"client_id": "odoo", "client_secret": keys.both}).json()
    with_token = http(token["access_token"])
    assert client.get("/api/v2/projects").status_code == 200
    assert with_token.get("/api/v1/odoo/projects").status_code == 200
    assert revoke_api_client(ApiClient.objects.get(name="odoo")) is True
    assert_error(client.get("/api/v2/projects"), 401, "INVALID_TOKEN")
    assert_error(with_token.get("/api/v1/odoo/projects"), 401, "INVALID_TOKEN")
    login = http().post("/api/v1/client-auth/login", json={"client_id": "odoo", "client_secret": keys.both})
    assert_error(login, 401, "INVALID_CREDENTIALS")


def test_a_new_key_replaces_the_old_one(mirror, keys, http):
    issued = rotate_api_client_key(ApiClient.objects.get(name="odoo-reader"))
    assert_error(http(keys.reader).get("/api/v2/projects"), 401, "INVALID_TOKEN")
    assert http(issued.key).get("/api/v2/projects").status_code == 200


def test_keys_are_stored_only_as_digests(transactional_db):
    issued = create_api_client(name="erp", scopes=["read"])
    row = ApiClient.objects.get(name="erp")
    assert issued.key.startswith("lsk_") and len(issued.key) > 40
    assert issued.key not in (row.key_hash, row.key_prefix) and issued.key.startswith(row.key_prefix)
    assert len(row.key_hash) == 64


def test_too_many_failures_from_one_address_are_refused_for_the_cool_off(mirror, keys, http, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(seconds=600)
    for _ in range(3):
        assert_error(http("lsk_guess").get("/api/v2/projects"), 401, "INVALID_TOKEN")
    refused = http("lsk_guess").get("/api/v2/projects")
    assert_error(refused, 429, "TOO_MANY_FAILED_ATTEMPTS")
    assert 0 < int(refused.headers["retry-after"]) <= 600
    # Locked means locked: even the right key waits (the limit stops guessing, whatever the guess).
    assert_error(http(keys.reader).get("/api/v2/projects"), 429, "TOO_MANY_FAILED_ATTEMPTS")
    login = http().post("/api/v1/client-auth/login", json={"client_id": "odoo", "client_secret": keys.both})
    assert_error(login, 429, "TOO_MANY_FAILED_ATTEMPTS")


def test_the_cool_off_ends_and_old_failures_are_forgotten(mirror, keys, http, settings):
    from syncapp.models import ApiAuthFailure

    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        http("lsk_guess").get("/api/v2/projects")
    assert http(keys.reader).get("/api/v2/projects").status_code == 429
    row = ApiAuthFailure.objects.get()
    ApiAuthFailure.objects.filter(pk=row.pk).update(
        last_failure_at=row.last_failure_at - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert http(keys.reader).get("/api/v2/projects").status_code == 200
    http("lsk_guess").get("/api/v2/projects")  # a failure after the cool-off starts a new count
    assert ApiAuthFailure.objects.get().failures == 1


def test_every_request_is_logged_with_its_client_and_counted_in_metrics(mirror, keys, http, settings, caplog):
    settings.METRICS_TOKEN = "metrics-token-for-tests"
    with caplog.at_level(logging.INFO, logger="syncapp.api"):
        http(keys.reader).get("/api/v2/projects")
        http(keys.reader).get("/api/v2/directories")
        http(keys.syncer).get("/api/v2/projects")
        http().get("/api/v2/projects")
    lines = [r for r in caplog.records if r.name == "syncapp.api"]
    assert [(r.client, r.status) for r in lines] == [("odoo-reader", 200), ("odoo-reader", 200),
                                                     ("odoo-syncer", 403), ("-", 401)]
    assert all(keys.reader not in r.getMessage() for r in lines)
    counts = {(r.client_name, r.status): r.count for r in ApiRequestCount.objects.all()}
    assert counts == {("odoo-reader", 200): 2, ("odoo-syncer", 403): 1, ("", 401): 1}
    assert ApiClient.objects.get(name="odoo-reader").last_used_at is not None
    metrics = http().get("/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"}).text
    assert 'logikal_api_requests_total{client="odoo-reader",status="200"} 2.0' in metrics
    assert 'logikal_api_requests_total{client="",status="401"} 1.0' in metrics
