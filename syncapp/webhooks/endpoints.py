"""Registering, changing, rotating and removing webhook endpoints: one function each (the admin's way in).

Each returns the signing secret in clear when it makes one, exactly once, for staff to copy.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..models import ApiScope, WebhookEndpoint
from ..models.webhooks import WebhookEvent
from .addresses import AddressRefused, check_url
from .signing import new_secret


class WebhookEndpointError(ValueError):
    """A request about an endpoint that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class IssuedSecret:
    endpoint: WebhookEndpoint
    secret: str  # in clear: show it once


def check_endpoint(client, url: str, events) -> list[str]:
    """The endpoint's parts, checked: a client with the webhooks scope, an allowed URL, known events."""
    if client is None or not client.active or not client.has_scope(ApiScope.WEBHOOKS):
        raise WebhookEndpointError("the API client must be active and hold the 'webhooks' scope")
    try:
        check_url(url, resolve=False)  # no DNS lookup here: the admin's transaction is open
    except AddressRefused as refused:
        raise WebhookEndpointError(f"URL refused: {refused}") from None
    events = sorted(set(events or ()))
    unknown = [event for event in events if event not in WebhookEvent.values]
    if unknown or not events:
        raise WebhookEndpointError(f"choose events from {', '.join(WebhookEvent.values)}")
    return events


def _feed_start() -> tuple[int, int]:
    """A position before every change not yet visible: the endpoint gets every change from now on."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint - 1")
        return cursor.fetchone()[0], 2 ** 63 - 1


def create_endpoint(*, client, url: str, events, directory=None) -> IssuedSecret:
    events = check_endpoint(client, url, events)
    secret = new_secret()
    xid, change_id = _feed_start()
    endpoint = WebhookEndpoint.objects.create(client=client, url=url, events=events, directory=directory,
                                              secret=secret, feed_xid=xid, feed_change_id=change_id)
    return IssuedSecret(endpoint, secret)


def update_endpoint(endpoint, *, url: str, events, directory, active: bool) -> WebhookEndpoint:
    events = check_endpoint(endpoint.client, url, events)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url, events=events, directory=directory, active=active)
    endpoint.refresh_from_db()
    return endpoint


def rotate_secret(endpoint) -> IssuedSecret:
    """A new secret; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_HOURS."""
    secret = new_secret()
    with transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        current.previous_secret, current.secret = current.secret, secret
        current.previous_secret_until = timezone.now() + timedelta(hours=settings.WEBHOOK_SECRET_OVERLAP_HOURS)
        current.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return IssuedSecret(current, secret)


def resume_endpoint(endpoint) -> bool:
    """Unpause: the held deliveries go out again, oldest first, at once."""
    from ..models import WebhookDelivery
    from ..models.webhooks import DeliveryStatus

    with transaction.atomic():
        resumed = WebhookEndpoint.objects.filter(pk=endpoint.pk, paused_at__isnull=False).update(
            paused_at=None, pause_reason="", consecutive_failures=0)
        WebhookDelivery.objects.filter(endpoint=endpoint).exclude(status=DeliveryStatus.DELIVERED).update(
            next_attempt_at=None)
    if resumed:
        from .jobs import defer_delivery

        defer_delivery(endpoint.pk)
    return bool(resumed)


def delete_endpoint(endpoint) -> None:
    endpoint.delete()
