"""Queueing webhook work on the `webhooks` queue: at most one waiting dispatcher, one waiting sender per endpoint.

No Procrastinate job locks: a job held back by one is only picked up at the next poll.
Dispatchers running side by side are safe (each endpoint's row is locked while its
deliveries are made); senders take an advisory lock per endpoint (``deliver``).

The dispatcher is nudged after every commit that wrote feed rows (while any endpoint is
active) and runs once a minute anyway; it also wakes the senders of endpoints with deliveries
due again (retries later than the sender waits for itself).
"""

import time

from django.db import transaction
from procrastinate import exceptions as procrastinate_exceptions

ENDPOINTS_CHECKED_EVERY_S = 5.0
_active = {"checked": -1e9, "any": False}


def defer_delivery(endpoint_id: int) -> None:
    from ..tasks import deliver_webhooks_task

    key = f"webhook-endpoint:{endpoint_id}"
    try:
        deliver_webhooks_task.configure(queueing_lock=key).defer(endpoint_id=endpoint_id)
    except procrastinate_exceptions.AlreadyEnqueued:
        pass  # a sender is already waiting; it will find this delivery too


def defer_dispatch() -> None:
    from ..tasks import dispatch_webhooks_task

    try:
        dispatch_webhooks_task.defer()
    except procrastinate_exceptions.AlreadyEnqueued:
        pass


def any_active_endpoint() -> bool:
    """Cached per process for a few seconds: syncs ask on every change they write."""
    now = time.monotonic()
    if now - _active["checked"] > ENDPOINTS_CHECKED_EVERY_S:
        from ..models import WebhookEndpoint

        _active["any"] = WebhookEndpoint.objects.filter(active=True, paused_at__isnull=True).exists()
        _active["checked"] = now
    return _active["any"]


def nudge_after_commit() -> None:
    """Called where feed rows are written: once the transaction commits, have them dispatched (once per transaction)."""
    if not any_active_endpoint():
        return
    connection = transaction.get_connection()
    if any(entry[1] is defer_dispatch for entry in connection.run_on_commit):
        return
    transaction.on_commit(defer_dispatch)
