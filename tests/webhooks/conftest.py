"""Webhook tests: a local receiver over HTTP, endpoints of a client with the webhooks scope."""

import pytest

from syncapp.api.clients import create_api_client
from syncapp.harness.receiver import serve_receiver


@pytest.fixture(autouse=True)
def _loopback_allowed(settings):
    """The receiver listens on 127.0.0.1; production refuses such addresses."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_S = 0.2
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 4


@pytest.fixture
def receiver():
    with serve_receiver() as running:
        yield running


@pytest.fixture
def hooks_client(transactional_db):
    return create_api_client(name="erp-hooks", scopes="webhooks").client
