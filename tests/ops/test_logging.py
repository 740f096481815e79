"""Log output: one JSON object per line with LOG_FORMAT=json, and never a password or token."""

import io
import json
import logging

import pytest

from syncapp.logging import JsonFormatter, RedactSecretsFilter, SkipProbeAccessFilter

from ..conftest import manage

PASSWORD = "Upstream-Pw-7731"


def emit(record_factory, *, settings_password=PASSWORD) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.ops.redaction")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        record_factory(logger)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.fixture
def upstream_password(settings):
    settings.LOGIKAL_PASSWORD = PASSWORD
    return PASSWORD


def test_the_configured_password_is_redacted_wherever_it_appears(upstream_password):
    def log(logger):
        logger.info("login as demo with %s", PASSWORD, extra={"body": {"username": "demo", "password": PASSWORD}})
        try:
            raise RuntimeError(f"upstream said: bad password {PASSWORD}")
        except RuntimeError:
            logger.exception("call failed")

    output = emit(log)
    assert PASSWORD not in output
    first, second = (json.loads(line) for line in output.splitlines())
    assert first["message"] == "login as demo with ***"
    assert first["body"] == {"username": "demo", "password": "***"}
    assert "bad password ***" in second["exception"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer 3f2a9c1e-77aa-4e0b-9d1c-0a1b2c3d4e5f", "3f2a9c1e-77aa-4e0b-9d1c-0a1b2c3d4e5f"),
        ("headers={'authorization': 'Bearer abc.def.ghi'}", "abc.def.ghi"),
        ('{"username": "u", "password": "hunter22"}', "hunter22"),
        ('{"data": {"username": "u", "token": "8d0c5a0e-1111-2222-3333-444455556666"}}',
         "8d0c5a0e-1111-2222-3333-444455556666"),
        ("connecting to postgresql://sync:db-pass-99@db.internal:25060/defaultdb", "db-pass-99"),
        ("GET /metrics?token=tok-123456", "tok-123456"),
    ],
)
def test_credential_shaped_text_is_redacted_even_when_its_value_is_not_configured(text, secret):
    output = emit(lambda logger: logger.warning(text))
    assert secret not in output
    assert "***" in json.loads(output)["message"]


def test_ordinary_words_and_object_guids_survive_redaction(upstream_password):
    text = "sync project 5d9e6a42-0f1b-4c55-9a1e-3b7d2c8e9f00 'Tokens & passwords handbook' outcome=success"
    assert json.loads(emit(lambda logger: logger.info(text)))["message"] == text


def test_json_lines_keep_a_multi_line_traceback_on_one_line():
    def log(logger):
        try:
            {}["missing"]
        except KeyError:
            logger.error("first line\nsecond line", exc_info=True)

    output = emit(log)
    assert output.count("\n") == 1
    payload = json.loads(output)
    assert payload["message"] == "first line\nsecond line"
    assert payload["level"] == "error" and "KeyError" in payload["exception"]


@pytest.mark.parametrize(
    ("path", "status", "kept"),
    [("/healthz", "200", False), ("/readyz", "200", False), ("/readyz", "503", True), ("/admin/", "200", True)],
)
def test_the_access_log_leaves_out_successful_probes_only(path, status, kept):
    # As gunicorn logs it: one dict of "atoms" as the %-argument.
    atoms = {"h": "10.0.0.1", "r": f"GET {path} HTTP/1.1", "U": path, "s": status}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', (atoms,), None)
    assert SkipProbeAccessFilter().filter(record) is kept


def test_log_format_json_makes_every_line_of_a_real_process_a_json_object(process_env):
    env = dict(process_env, LOG_FORMAT="json", LOGIKAL_PASSWORD=PASSWORD)
    script = (
        "import logging; logging.getLogger('syncapp.sync').info("
        f"'sync project 7 trigger=forced outcome=success password={PASSWORD}', extra={{"
        "'object_type': 'project', 'object_id': 7, 'trigger': 'forced', 'outcome': 'success',"
        "'duration_ms': 12, 'api_calls': 3})"
    )
    result = manage("shell", "-c", script, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    (sync_line,) = [line for line in lines if line["logger"] == "syncapp.sync"]
    assert sync_line["level"] == "info"
    assert {k: sync_line[k] for k in ("object_type", "object_id", "trigger", "outcome", "duration_ms", "api_calls")} == {
        "object_type": "project", "object_id": 7, "trigger": "forced", "outcome": "success",
        "duration_ms": 12, "api_calls": 3,
    }
    assert PASSWORD not in result.stderr


@pytest.mark.slow
def test_a_full_sync_logs_one_json_line_per_job_and_never_a_password_or_token(clean_queue, process_env, tmp_path):
    from syncapp.models import SyncRun
    from syncapp.simulator import Simulator, SimulatorConfig, serve
    from syncapp.sync.tick import scheduler_tick

    from ..sync.harness import running_worker, wait_idle, worker_env

    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, parts_list_size="small", username="sync-user",
                                    password=PASSWORD))
    tokens = []
    login = sim.sessions.login

    def recording_login(username):
        session = login(username)
        tokens.append(session.token)
        return session

    sim.sessions.login = recording_login
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path, LOG_FORMAT="json", LOG_LEVEL="debug",
                         LOGIKAL_USERNAME="sync-user", LOGIKAL_PASSWORD=PASSWORD)
        with running_worker(env, tmp_path) as worker:
            scheduler_tick()
            wait_idle(workers=[worker])
        output = worker.output()

    assert tokens, "the worker never logged in"
    assert PASSWORD not in output
    assert not [token for token in tokens if token.lower() in output.lower()]
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    sync_lines = [line for line in lines if line["logger"] == "syncapp.sync" and "duration_ms" in line]
    runs = SyncRun.objects.exclude(outcome="running")
    assert len(sync_lines) == runs.count() > 10
    for line in sync_lines:
        assert {"object_type", "object_id", "trigger", "outcome", "duration_ms", "api_calls"} <= set(line)
