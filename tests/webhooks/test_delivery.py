"""Signing, order, retries with backoff, pausing, address and redirect rules: delivered to a local receiver."""

import json
import time

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from syncapp.harness.feed import wait_feed_settled
from syncapp.models import Elevation, WebhookDelivery, WebhookEndpoint
from syncapp.sync.changes import record_content_changes
from syncapp.webhooks.deliver import deliver_endpoint
from syncapp.webhooks.dispatch import dispatch_all
from syncapp.webhooks.endpoints import WebhookEndpointError, create_endpoint, resume_endpoint, rotate_secret

from ..sync import factories

pytestmark = pytest.mark.django_db(transaction=True)
EVERYTHING = ["elevation.changed", "elevation.removed", "elevation.parts_list_parsed", "project.changed",
              "phase.changed"]


def deliver_now(endpoint) -> None:
    """What the webhooks queue does, in this process: dispatch the feed, send the endpoint's deliveries."""
    wait_feed_settled()
    dispatch_all(lambda endpoint_id: None, settle_s=0)
    deliver_endpoint(endpoint.pk, budget_s=20)


def elevations(n=3):
    _, (project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=n)
    return list(Elevation.objects.filter(phase__project=project).order_by("pk"))


def test_each_delivery_is_signed_and_verifies_with_the_package(receiver, hooks_client):
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    (elevation,) = elevations(1)
    record_content_changes(Elevation, [elevation], fields=["name"])
    deliver_now(issued.endpoint)
    (got,) = receiver.wait_for(1)
    body = Webhook(issued.secret).verify(got.body, got.headers)
    assert body["type"] == "elevation.changed" and body["data"]["id"] == str(elevation.guid)
    assert body["data"]["fields"] == ["name"]
    with pytest.raises(WebhookVerificationError):
        Webhook(issued.secret).verify(got.body.replace(b"name", b"nam3"), got.headers)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert got.headers["webhook-id"] == delivery.message_id


def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(receiver, hooks_client, settings):
    old = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    new = rotate_secret(old.endpoint)
    assert new.secret != old.secret
    (elevation,) = elevations(1)
    record_content_changes(Elevation, [elevation], fields=["name"])
    deliver_now(old.endpoint)
    (got,) = receiver.wait_for(1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old.secret).verify(got.body, got.headers)
    Webhook(new.secret).verify(got.body, got.headers)

    WebhookEndpoint.objects.filter(pk=old.endpoint.pk).update(previous_secret_until=timezone.now())
    record_content_changes(Elevation, [elevation], fields=["amount"])
    deliver_now(old.endpoint)
    later = receiver.wait_for(2)[1]
    Webhook(new.secret).verify(later.body, later.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old.secret).verify(later.body, later.headers)


def test_changes_of_one_object_arrive_in_the_order_they_were_made(receiver, hooks_client):
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=EVERYTHING)
    rows = elevations(3)
    made = []
    for round_ in range(5):
        for elevation in rows:
            with transaction.atomic():
                record_content_changes(Elevation, [elevation], fields=[f"f{round_}"])
            made.append((str(elevation.guid), f"f{round_}"))
    deliver_now(issued.endpoint)
    got = [json.loads(r.body)["data"] for r in receiver.wait_for(15)]
    for elevation in rows:
        assert [d["fields"][0] for d in got if d["id"] == str(elevation.guid)] == [f"f{i}" for i in range(5)]


def test_a_failing_receiver_is_retried_with_growing_waits_then_delivered(receiver, hooks_client):
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    (elevation,) = elevations(1)
    receiver.answers = [500, 503, 500]
    record_content_changes(Elevation, [elevation], fields=["name"])
    deliver_now(issued.endpoint)
    got = receiver.wait_for(4)
    gaps = [later.at - earlier.at for earlier, later in zip(got, got[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8  # 0.2 s doubling (WEBHOOK_RETRY_BASE_S)
    assert len({r.headers["webhook-id"] for r in got}) == 1  # the same message each time
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 4, 200)
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_an_endpoint_that_keeps_failing_is_paused_with_the_reason_and_resumes_in_order(receiver, hooks_client):
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    first, second = elevations(2)
    receiver.answers = [500] * 4
    record_content_changes(Elevation, [first], fields=["name"])
    record_content_changes(Elevation, [second], fields=["name"])
    deliver_now(issued.endpoint)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.paused_at is not None
    assert "4 failed attempts in a row" in endpoint.pause_reason and "HTTP 500" in endpoint.pause_reason
    assert len(receiver.received) == 4  # paused: nothing more is tried
    assert resume_endpoint(endpoint)
    deliver_endpoint(endpoint.pk, budget_s=20)
    got = [json.loads(r.body)["data"]["id"] for r in receiver.wait_for(6)]
    assert got[4:] == [str(first.guid), str(second.guid)]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_private_addresses_are_refused_unless_allowed(receiver, hooks_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    for url in (receiver.url, "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]:8080/"):
        with pytest.raises(WebhookEndpointError, match="private, loopback or reserved"):
            create_endpoint(client=hooks_client, url=url, events=["elevation.changed"])
    assert not WebhookEndpoint.objects.exists()
    # Registered while allowed, refused at delivery once the setting is off: recorded, nothing sent.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    (elevation,) = elevations(1)
    record_content_changes(Elevation, [elevation], fields=["name"])
    deliver_now(issued.endpoint)
    assert receiver.received == []
    assert "address refused" in WebhookDelivery.objects.get().last_error


def test_redirects_are_followed_on_the_same_host_only(receiver, hooks_client, settings):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    port = receiver.url.split(":")[2].split("/")[0]
    first, second = elevations(2)
    receiver.answers = [(307, {"location": "/moved"})]
    record_content_changes(Elevation, [first], fields=["name"])
    deliver_now(issued.endpoint)
    assert [r.path for r in receiver.wait_for(2)] == ["/hook", "/moved"]
    assert WebhookDelivery.objects.get().status == "delivered"

    receiver.answers = [(307, {"location": f"http://localhost:{port}/elsewhere"})]
    record_content_changes(Elevation, [second], fields=["name"])
    deliver_now(issued.endpoint)
    failed = WebhookDelivery.objects.exclude(status="delivered").get()
    assert "redirect to another host refused" in failed.last_error
    assert [r.path for r in receiver.received][2:] == ["/hook"]  # "localhost" is another host name: not followed


def test_only_the_chosen_events_and_directory_are_sent(receiver, hooks_client):
    inside = factories.directory("Inside", listed_minutes_ago=1)
    _, (in_project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=1, path="Inside/Sub")
    _, (out_project,) = factories.fresh_tree(n_projects=1, n_phases=1, n_elevations=1, path="Outside")
    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.removed"], directory=inside)
    for project in (in_project, out_project):
        elevation = Elevation.objects.get(phase__project=project)
        record_content_changes(Elevation, [elevation], fields=["name"])  # not an event it asked for
        record_content_changes(Elevation, [elevation], kind="removed")
    deliver_now(issued.endpoint)
    time.sleep(0.3)
    got = [json.loads(r.body) for r in receiver.received]
    assert [(b["type"], b["data"]["project"]) for b in got] == [("elevation.removed", str(in_project.guid))]


def test_an_endpoint_needs_a_client_with_the_webhooks_scope(receiver, transactional_db):
    from syncapp.api.clients import create_api_client

    reader = create_api_client(name="reader", scopes="read").client
    with pytest.raises(WebhookEndpointError, match="webhooks"):
        create_endpoint(client=reader, url=receiver.url, events=["elevation.changed"])
    with pytest.raises(WebhookEndpointError, match="choose events"):
        create_endpoint(client=create_api_client(name="h", scopes="webhooks").client, url=receiver.url,
                        events=["elevation.exploded"])
    assert not WebhookEndpoint.objects.exists()


def test_pruning_drops_old_delivered_webhooks_and_keeps_undelivered_ones(receiver, hooks_client, settings):
    from datetime import timedelta

    from syncapp.maintenance import prune_history

    issued = create_endpoint(client=hooks_client, url=receiver.url, events=["elevation.changed"])
    first, second = elevations(2)
    record_content_changes(Elevation, [first], fields=["name"])
    deliver_now(issued.endpoint)
    receiver.answers = [500] * 10
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 1
    record_content_changes(Elevation, [second], fields=["name"])
    deliver_now(issued.endpoint)
    old = timezone.now() - timedelta(days=settings.SYNC_RUN_RETENTION_DAYS + 1)
    WebhookDelivery.objects.update(created_at=old, committed_at=old)
    WebhookDelivery.objects.filter(status="delivered").update(delivered_at=old)
    assert prune_history()["webhook_deliveries"] == 1
    assert list(WebhookDelivery.objects.values_list("object_key", flat=True)) == [str(second.guid)]
