"""Webhooks through the real path: a sync in a worker process writes changes, the worker's webhooks queue delivers them."""

import json
from collections import defaultdict

import pytest
from standardwebhooks import Webhook

from syncapp.harness.feed import wait_feed_settled
from syncapp.harness.processes import wait_for
from syncapp.models import Change, Elevation, WebhookDelivery
from syncapp.simulator import Simulator, SimulatorConfig, serve
from syncapp.sync.tick import scheduler_tick
from syncapp.webhooks.endpoints import create_endpoint

from ..sync.harness import running_worker, wait_idle, worker_env

pytestmark = pytest.mark.slow


def test_a_sync_in_a_worker_reaches_the_receiver_signed_and_in_order_per_object(
        clean_queue, process_env, tmp_path, receiver, hooks_client):
    sim = Simulator(SimulatorConfig(dataset="demo", seed=1, navigation="strict", parts_list_size="small"))
    issued = create_endpoint(client=hooks_client, url=receiver.url,
                             events=["elevation.changed", "elevation.parts_list_parsed"])
    with serve(sim) as server:
        env = worker_env(process_env, server, tmp_path, WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true")
        with running_worker(env, tmp_path) as worker:
            scheduler_tick()
            wait_idle(workers=[worker])
            elevations = Elevation.objects.count()
            wait_feed_settled()
            # Created, a thumbnail stored, a parts list parsed: every elevation change of the sync.
            expected = Change.objects.filter(object_type="elevation").count()
            assert expected >= 2 * elevations
            got = receiver.wait_for(expected, timeout=120)
            wait_for(lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(), timeout=30,
                     what="the deliveries recorded")

    per_object = defaultdict(list)
    for request in got:
        body = Webhook(issued.secret).verify(request.body, request.headers)
        per_object[body["data"]["id"]].append((body["type"], body["data"]["cursor"]))
    assert len(per_object) == elevations
    for events in per_object.values():
        assert events[0][0] == "elevation.changed"  # created first, its parts list parsed after
        cursors = [tuple(int(part) for part in cursor.split("-")) for _type, cursor in events]
        assert cursors == sorted(cursors)
    assert len({r.headers["webhook-id"] for r in got}) == len(got)
    assert len(got) == expected == WebhookDelivery.objects.count()
    assert json.loads(got[0].body)["data"]["url"].startswith("/api/v2/elevations/")
