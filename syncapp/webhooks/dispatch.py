"""From the change feed to deliveries: each active endpoint takes the changes after its own position.

Runs on the `webhooks` queue (``syncapp.tasks``), nudged when a sync commits changes and once
a minute as a backstop. Only database work here: the network is ``deliver``'s.
Deliveries are created in feed order under the endpoint's row lock, with the endpoint's
position moved in the same transaction, so each change becomes one delivery per endpoint.
"""

import time

from django.db import connection, transaction

from ..models import WebhookDelivery, WebhookEndpoint
from ..models.webhooks import WebhookEvent

BATCH = 1000
V2 = "/api/v2"

_EVENT_OF_KIND = {"created": "changed", "updated": "changed", "restored": "changed", "removed": "removed"}

_CHANGES = """
    SELECT c.xid::text::bigint, c.id, c.at, c.kind, c.object_type, c.object_key, c.project_guid, c.fields
    FROM syncapp_change c
    WHERE (c.xid, c.id) > (%s::text::xid8, %s) AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
      AND c.object_type <> 'directory'
      AND (%s::text IS NULL OR c.directory_id IN (
            SELECT d.id FROM syncapp_directory d WHERE d.path = %s OR d.path LIKE %s))
    ORDER BY c.xid, c.id
    LIMIT %s
"""


def event_of(kind: str, object_type: str) -> str:
    if kind == "parts_list_parsed":
        return WebhookEvent.PARTS_LIST_PARSED
    return f"{object_type}.{_EVENT_OF_KIND[kind]}"


def _url(object_type: str, key: str, project) -> str:
    if object_type == "elevation":
        return f"{V2}/elevations/{key}"
    return f"{V2}/projects/{project}"


def payload(row) -> dict:
    xid, change_id, at, kind, object_type, key, project, fields = row
    return {
        "type": event_of(kind, object_type), "timestamp": at.isoformat(),
        "data": {"cursor": f"{xid}-{change_id}", "kind": kind, "object_type": object_type, "id": key,
                 "project": str(project) if project else None, "fields": list(fields),
                 "url": _url(object_type, key, project)},
    }


def _directory_filter(endpoint) -> list:
    path = endpoint.directory.path if endpoint.directory_id else ""
    if path == "":
        return [None, None, None]
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [path, path, escaped + "/%"]


def dispatch_endpoint(endpoint_id: int) -> int:
    """Turn the endpoint's next visible changes into deliveries; returns how many were created."""
    with transaction.atomic():
        endpoint = (WebhookEndpoint.objects.select_for_update().order_by()
                    .filter(pk=endpoint_id, active=True, paused_at__isnull=True).first())
        if endpoint is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(_CHANGES, [str(endpoint.feed_xid), endpoint.feed_change_id,
                                      *_directory_filter(endpoint), BATCH])
            rows = cursor.fetchall()
        if not rows:
            return 0
        wanted = set(endpoint.events)
        deliveries = []
        for row in rows:
            body = payload(row)
            if body["type"] in wanted:
                deliveries.append(WebhookDelivery(
                    endpoint=endpoint, message_id=f"msg_{endpoint.pk}_{body['data']['cursor']}", event=body["type"],
                    object_key=row[5], payload=body, committed_at=row[2]))
        WebhookDelivery.objects.bulk_create(deliveries)
        endpoint.feed_xid, endpoint.feed_change_id = rows[-1][0], rows[-1][1]
        endpoint.save(update_fields=["feed_xid", "feed_change_id"])
        return len(deliveries) if len(rows) < BATCH else len(deliveries) + dispatch_endpoint(endpoint_id)


def changes_in_flight() -> bool:
    """Whether the feed holds rows not visible yet (their transactions, or older ones, still open)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM syncapp_change "
                       "WHERE xid >= pg_snapshot_xmin(pg_current_snapshot()))")
        return cursor.fetchone()[0]


def dispatch_all(on_created, *, settle_s: float = 5.0) -> dict[int, int]:
    """Dispatch every active endpoint; while changes are still in flight, wait a little and go again.

    `on_created(endpoint_id)` is called (after the commit) for each endpoint that got
    deliveries. Returns endpoint id -> deliveries created. The wait is what brings out a
    change that became visible only when an older transaction ended, within a fraction of a
    second instead of at the next nudge.
    """
    created: dict[int, int] = {}
    deadline = time.monotonic() + settle_s
    while True:
        for endpoint_id in WebhookEndpoint.objects.filter(active=True, paused_at__isnull=True).values_list(
                "pk", flat=True):
            count = dispatch_endpoint(endpoint_id)
            if count:
                created[endpoint_id] = created.get(endpoint_id, 0) + count
                on_created(endpoint_id)
        if time.monotonic() >= deadline or not changes_in_flight():
            return created
        time.sleep(0.05)


def endpoints_due() -> list[int]:
    """Active endpoints with a delivery waiting whose retry time has come (or that was never tried)."""
    from django.db.models import Q
    from django.utils import timezone

    from ..models.webhooks import DeliveryStatus

    due = (WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()),
                   endpoint__active=True, endpoint__paused_at__isnull=True))
    return sorted(set(due.values_list("endpoint_id", flat=True)))
