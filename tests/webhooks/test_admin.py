"""Webhook endpoints in the admin: the secret shown once, refusals, rotation, and deliveries with their state."""

import json
import re

import pytest
from django.contrib.auth.models import User
from standardwebhooks import Webhook

from syncapp.models import AuditEntry, Elevation, WebhookDelivery, WebhookEndpoint
from syncapp.sync.changes import record_content_changes

from ..sync import factories
from .test_delivery import deliver_now

pytestmark = pytest.mark.django_db(transaction=True)


def secret_on(page) -> str:
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    return re.search(r'<code id="webhook-secret"[^>]*>([^<]+)</code>', page.content.decode()).group(1)


def test_staff_register_an_endpoint_see_its_secret_once_rotate_it_and_follow_its_deliveries(
        client, receiver, hooks_client, settings):
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    form = {"client": hooks_client.pk, "url": receiver.url, "events": ["elevation.changed"], "directory": ""}
    secret = secret_on(client.post("/admin/syncapp/webhookendpoint/add/", form))
    endpoint = WebhookEndpoint.objects.get()
    assert secret not in client.get(f"/admin/syncapp/webhookendpoint/{endpoint.pk}/change/").content.decode()

    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=1)
    elevation = Elevation.objects.get(phase__project=project)
    record_content_changes(Elevation, [elevation], fields=["name"])
    deliver_now(endpoint)
    (got,) = receiver.wait_for(1)
    Webhook(secret).verify(got.body, got.headers)
    listing = client.get("/admin/syncapp/webhookdelivery/").content.decode()
    assert got.headers["webhook-id"] in listing and "delivered" in listing

    new = secret_on(client.post("/admin/syncapp/webhookendpoint/",
                                {"action": "rotate_selected", "_selected_action": [endpoint.pk]}))
    assert new != secret
    trail = list(AuditEntry.objects.filter(object_type="syncapp.webhookendpoint").order_by("pk"))
    assert [(e.action, e.actor) for e in trail] == [("webhook_create", "boss"), ("webhook_change", "boss")]
    assert trail[1].details["secret"] == "rotated"
    assert not any(s in json.dumps([e.details, e.changes]) for e in trail for s in (secret, new))

    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    receiver.answers = [500]
    record_content_changes(Elevation, [elevation], fields=["amount"])
    deliver_now(endpoint)
    later = receiver.wait_for(2)[1]
    Webhook(new).verify(later.body, later.headers)
    Webhook(secret).verify(later.body, later.headers)  # both sign during the overlap
    listing = client.get("/admin/syncapp/webhookendpoint/").content.decode()
    assert "paused: Paused after 1 failed attempts in a row" in listing and "HTTP 500" in listing
    failed = WebhookDelivery.objects.exclude(status="delivered").get()
    page = client.get(f"/admin/syncapp/webhookdelivery/{failed.pk}/change/").content.decode()
    assert "HTTP 500" in page and json.loads(later.body)["data"]["fields"] == ["amount"]

    client.post(f"/admin/syncapp/webhookendpoint/{endpoint.pk}/delete/", {"post": "yes"})
    assert not WebhookEndpoint.objects.exists()
    assert AuditEntry.objects.filter(action="webhook_delete", object_id=str(endpoint.pk)).count() == 1


def test_the_admin_refuses_a_client_without_the_scope_and_a_private_address(client, receiver, settings):
    from syncapp.api.clients import create_api_client

    client.force_login(User.objects.create_superuser("boss", password="pw"))
    reader = create_api_client(name="reader", scopes="read").client
    page = client.post("/admin/syncapp/webhookendpoint/add/",
                       {"client": reader.pk, "url": receiver.url, "events": ["elevation.changed"]})
    assert page.status_code == 200 and b"webhooks" in page.content and b"scope" in page.content
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    hooks = create_api_client(name="hooks", scopes="webhooks").client
    page = client.post("/admin/syncapp/webhookendpoint/add/",
                       {"client": hooks.pk, "url": "http://192.168.1.20/hook", "events": ["elevation.changed"]})
    assert page.status_code == 200 and b"private, loopback or reserved" in page.content
    assert not WebhookEndpoint.objects.exists()
