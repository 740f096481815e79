"""Webhooks: endpoints staff register for an API client, and each delivery of a change to one.

Deliveries come from the change feed (``syncapp.webhooks.dispatch``), are sent in feed
order per endpoint (so in order per object) and signed as Standard Webhooks says
(``syncapp.webhooks.signing``). Secrets must be kept in clear to sign with; they are shown
to staff once, when created or rotated.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from .api import ApiClient
from .mirror import Directory


class WebhookEvent(models.TextChoices):
    PROJECT_CHANGED = "project.changed", "project changed (created, updated, restored)"
    PROJECT_REMOVED = "project.removed", "project removed upstream"
    PHASE_CHANGED = "phase.changed", "phase changed (created, updated, restored)"
    PHASE_REMOVED = "phase.removed", "phase removed upstream"
    ELEVATION_CHANGED = "elevation.changed", "elevation changed (created, updated, restored)"
    ELEVATION_REMOVED = "elevation.removed", "elevation removed upstream"
    PARTS_LIST_PARSED = "elevation.parts_list_parsed", "parts list parsed"


class WebhookEndpoint(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhook_endpoints",
                               verbose_name="API client", help_text="Needs the webhooks scope.")
    url = models.URLField("URL", max_length=2000, help_text="https:// (or http://) address that receives POSTs.")
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices), verbose_name="events",
                        help_text="What to send.")
    directory = models.ForeignKey(Directory, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="only below directory",
                                  help_text="Only changes in this directory's subtree (empty: everywhere).")
    secret = models.CharField("signing secret", max_length=100, editable=False)
    previous_secret = models.CharField("previous secret", max_length=100, blank=True, default="", editable=False)
    previous_secret_until = models.DateTimeField(
        "previous secret valid until", null=True, blank=True, editable=False,
        help_text="After a rotation both secrets sign each delivery until then.")
    active = models.BooleanField("active", default=True)
    paused_at = models.DateTimeField("paused", null=True, blank=True, editable=False)
    pause_reason = models.TextField("why paused", blank=True, default="", editable=False)
    consecutive_failures = models.PositiveIntegerField("consecutive failures", default=0, editable=False)
    # How far this endpoint has taken changes from the feed (syncapp.changefeed positions).
    feed_xid = models.BigIntegerField("feed transaction", default=0, editable=False)
    feed_change_id = models.BigIntegerField("feed change", default=0, editable=False)
    created_at = models.DateTimeField("created", auto_now_add=True)

    class Meta:
        verbose_name = "webhook endpoint"
        ordering = ["client__name", "url"]
        constraints = [
            models.CheckConstraint(name="webhookendpoint_known_events", condition=(
                Q(events__contained_by=WebhookEvent.values) & ~Q(events=[]))),
            models.CheckConstraint(name="webhookendpoint_http_url", condition=Q(url__regex=r"^https?://")),
            models.CheckConstraint(name="webhookendpoint_paused_has_reason",
                                   condition=Q(paused_at__isnull=True) | ~Q(pause_reason="")),
            models.CheckConstraint(name="webhookendpoint_secret_format", condition=Q(secret__startswith="whsec_")),
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    RETRYING = "retrying", "retrying"
    DELIVERED = "delivered", "delivered"


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField("webhook-id", max_length=64, unique=True)
    event = models.CharField("event", max_length=40, choices=WebhookEvent.choices)
    object_key = models.CharField("object", max_length=1024)
    payload = models.JSONField("payload")
    status = models.CharField("status", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField("attempts", default=0)
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)
    last_attempt_at = models.DateTimeField("last attempt", null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("last HTTP status", null=True, blank=True)
    last_response = models.TextField("last response (start)", blank=True, default="")
    last_error = models.TextField("last error", blank=True, default="")
    committed_at = models.DateTimeField("change committed by", help_text="The change's statement time.")
    created_at = models.DateTimeField("queued", auto_now_add=True)
    delivered_at = models.DateTimeField("delivered", null=True, blank=True)

    class Meta:
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        ordering = ["-id"]
        indexes = [models.Index(name="webhookdelivery_open", fields=["endpoint", "id"],
                                condition=~Q(status="delivered"))]
        constraints = [
            models.CheckConstraint(name="webhookdelivery_delivered_has_time",
                                   condition=~Q(status="delivered") | Q(delivered_at__isnull=False)),
        ]
