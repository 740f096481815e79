"""Sending one endpoint's deliveries, oldest first, one at a time (so in order per object).

Runs on the `webhooks` queue (``syncapp.tasks``); one sender per endpoint at a time, held by
a PostgreSQL advisory lock (not Procrastinate's job lock: a job waiting behind a job lock is
only picked up at the next poll, seconds later, instead of at once). The HTTP call
happens outside any transaction and with a timeout; its outcome is written afterwards in a
short one. A failed delivery is retried after a growing wait and holds the ones behind it
back (order first); after WEBHOOK_PAUSE_AFTER_FAILURES failures in a row the endpoint is
paused with the reason, until staff resume it.
"""

import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..models import WebhookDelivery, WebhookEndpoint
from ..models.webhooks import DeliveryStatus
from .addresses import AddressRefused, check_url, same_origin
from .signing import signed_headers

logger = logging.getLogger("syncapp.webhooks")

MAX_REDIRECTS = 3
RESPONSE_KEPT = 2000
SLEEP_UNDER_S = 3.0  # a retry due sooner than this is waited for in the job; later ones get a job of their own
RUN_BUDGET_S = 30.0  # then the job hands over (another endpoint's job may be waiting for the slot)
BATCH = 100


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None, response: str = ""):
        super().__init__(message)
        self.status, self.response = status, response


def backoff(attempts: int) -> timedelta:
    seconds = settings.WEBHOOK_RETRY_BASE_S * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_S))


def signing_secrets(endpoint, now) -> list[str]:
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        found.append(endpoint.previous_secret)
    return found


def post(client: httpx.Client, url: str, body: str, headers: dict) -> httpx.Response:
    """POST, following redirects only to the same scheme, host and port; each hop's address checked."""
    for _hop in range(MAX_REDIRECTS + 1):
        check_url(url)
        response = client.post(url, content=body.encode(), headers=headers)
        if not response.is_redirect:
            return response
        target = str(response.next_request.url) if response.next_request else ""
        if not target or not same_origin(url, target):
            raise DeliveryFailed(f"redirect to another host refused: {target or '(none)'}", response.status_code)
        url = target
    raise DeliveryFailed(f"more than {MAX_REDIRECTS} redirects", response.status_code)


def attempt(client: httpx.Client, delivery, endpoint) -> None:
    """One HTTP attempt; raises DeliveryFailed unless the receiver answered 2xx."""
    body = json.dumps(delivery.payload, separators=(",", ":"))
    headers = signed_headers(delivery.message_id, body, signing_secrets(endpoint, timezone.now()))
    try:
        response = post(client, endpoint.url, body, headers)
    except AddressRefused as refused:
        raise DeliveryFailed(f"address refused: {refused}") from None
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}"[:1000]) from None
    text = response.text[:RESPONSE_KEPT]
    if not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code, text)
    delivery.last_status_code, delivery.last_response = response.status_code, text


def _succeeded(delivery, endpoint, now) -> None:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED, attempts=F("attempts") + 1, last_attempt_at=now, delivered_at=now,
            last_status_code=delivery.last_status_code, last_response=delivery.last_response, last_error="",
            next_attempt_at=None)
        if endpoint.consecutive_failures:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            endpoint.consecutive_failures = 0


def _failed(delivery, endpoint, failure: DeliveryFailed, now) -> None:
    attempts = delivery.attempts + 1
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.RETRYING, attempts=attempts, last_attempt_at=now, last_error=str(failure),
            last_status_code=failure.status, last_response=failure.response, next_attempt_at=now + backoff(attempts))
        failures = endpoint.consecutive_failures + 1
        update = {"consecutive_failures": failures}
        if failures >= settings.WEBHOOK_PAUSE_AFTER_FAILURES:
            update.update(paused_at=now, pause_reason=(
                f"Paused after {failures} failed attempts in a row; the last, at {now:%Y-%m-%d %H:%M:%S} UTC, "
                f"for {delivery.event} ({delivery.message_id}): {failure}"))
            logger.warning("webhook endpoint %s paused: %s", endpoint.pk, update["pause_reason"])
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**update)


LOCK_NAMESPACE = 0x77656268  # "webh": advisory locks of endpoint senders


def _advisory(function: str, endpoint_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_NAMESPACE, endpoint_id])
        return cursor.fetchone()[0]


def _head_due(endpoint_id: int) -> bool:
    """Whether the endpoint's oldest open delivery is due now or soon (and the endpoint is sending)."""
    head = (WebhookDelivery.objects.filter(endpoint_id=endpoint_id, endpoint__active=True,
                                           endpoint__paused_at__isnull=True)
            .exclude(status=DeliveryStatus.DELIVERED).order_by("pk").values_list("next_attempt_at", flat=True)[:1])
    for next_attempt_at in head:
        return next_attempt_at is None or (next_attempt_at - timezone.now()).total_seconds() <= SLEEP_UNDER_S
    return False


def deliver_endpoint(endpoint_id: int, *, budget_s: float = RUN_BUDGET_S) -> bool:
    """Send the endpoint's due deliveries, unless another sender has it; True when the budget ran out first.

    After letting the lock go, it looks once more: a delivery queued while it was finishing,
    whose own job found the lock still taken, is sent by this sender, not left behind.
    """
    while True:
        if not _advisory("pg_try_advisory_lock", endpoint_id):
            return False
        try:
            more = _send_due(endpoint_id, budget_s)
        finally:
            _advisory("pg_advisory_unlock", endpoint_id)
        if more:
            return True
        if not _head_due(endpoint_id):
            return False


def _send_due(endpoint_id: int, budget_s: float) -> bool:
    """Send due deliveries in order until none is due or the budget is spent (then True).

    One HTTP client (its connections kept alive) for the whole run; the endpoint is read again
    after every failure and every batch, so a pause or a change by staff takes effect at once.
    """
    started = time.monotonic()
    with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_S, follow_redirects=False) as client:
        while time.monotonic() - started < budget_s:
            endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True, paused_at__isnull=True).first()
            if endpoint is None:
                return False
            batch = list(WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
                         .exclude(status=DeliveryStatus.DELIVERED).order_by("pk")[:BATCH])
            if not batch:
                return False
            for delivery in batch:
                wait = (delivery.next_attempt_at - timezone.now()).total_seconds() if delivery.next_attempt_at else 0
                if wait > SLEEP_UNDER_S:
                    return False  # the dispatcher's minute backstop wakes this endpoint again when it is due
                if wait > 0:
                    time.sleep(wait)
                try:
                    attempt(client, delivery, endpoint)
                except DeliveryFailed as failure:
                    logger.info("webhook %s to endpoint %s failed (attempt %d): %s", delivery.message_id,
                                endpoint_id, delivery.attempts + 1, failure)
                    _failed(delivery, endpoint, failure, timezone.now())
                    break  # read the endpoint and the head again: it may be paused now, and the head waits
                _succeeded(delivery, endpoint, timezone.now())
    return True
