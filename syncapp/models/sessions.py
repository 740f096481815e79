"""Upstream session slots and request counters, shared by all worker processes.

A lease row is a slot under the global cap LOGIKAL_MAX_SESSIONS. Tokens are
never stored: a slot says who holds a session, not how to use it. Leases
expire unless renewed, so a killed worker frees its slots by itself.

Slots are counted per upstream (``scope``: a hash of the API URL and user), so a
benchmark or test against its own simulator never competes with the real server's
sessions. A process waiting for a slot says so in UpstreamSessionWaiter; holders
then give up their idle sessions instead of keeping them until they time out.
"""

from django.db import models
from django.db.models import F, Q


class UpstreamSessionLease(models.Model):
    scope = models.CharField(
        "upstream", max_length=64, default="", help_text="Which LogiKal server and user the slot counts against (a hash)."
    )
    slot = models.PositiveSmallIntegerField("slot")
    holder = models.CharField("holder", max_length=255, blank=True, help_text="host:pid:nonce of the process holding the slot.")
    acquired_at = models.DateTimeField("acquired", null=True, blank=True)
    renewed_at = models.DateTimeField("renewed", null=True, blank=True)
    expires_at = models.DateTimeField("expires", null=True, blank=True, db_index=True)
    busy = models.BooleanField(
        "busy", default=False,
        help_text="A job is using this session now; an idle one stays logged in for the next job.",
    )
    cursor = models.CharField("cursor", max_length=1024, blank=True, help_text="Where the session is (for display only).")

    class Meta:
        verbose_name = "upstream session"
        verbose_name_plural = "upstream sessions"
        ordering = ["scope", "slot"]
        constraints = [
            models.UniqueConstraint(name="lease_unique_slot_per_scope", fields=["scope", "slot"]),
            models.CheckConstraint(
                name="lease_held_has_expiry",
                condition=Q(holder="") | (Q(expires_at__isnull=False) & Q(acquired_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="lease_expiry_after_acquire",
                condition=Q(expires_at__isnull=True) | Q(expires_at__gte=F("acquired_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"slot {self.slot} ({self.holder or 'free'})"


class UpstreamSessionWaiter(models.Model):
    """A process waiting for a free slot; rows expire unless the waiter keeps refreshing them."""

    scope = models.CharField("upstream", max_length=64)
    holder = models.CharField("process", max_length=255, help_text="host:pid:nonce of the waiting process.")
    since = models.DateTimeField("waiting since")
    expires_at = models.DateTimeField("expires", db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(name="waiter_unique_process_per_scope", fields=["scope", "holder"]),
            models.CheckConstraint(name="waiter_expiry_after_since", condition=Q(expires_at__gte=F("since"))),
        ]

    def __str__(self) -> str:
        return f"{self.holder} waiting since {self.since:%H:%M:%S}"


class UpstreamRequestCount(models.Model):
    """Requests by endpoint template and outcome per hour, summed across processes."""

    hour = models.DateTimeField("hour")
    endpoint = models.CharField("endpoint", max_length=128)
    status = models.CharField("status", max_length=16, help_text="HTTP status or an error class such as 'timeout'.")
    count = models.PositiveBigIntegerField("count", default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(name="requestcount_unique_bucket", fields=["hour", "endpoint", "status"])
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.status}: {self.count}"


class UpstreamLatency(models.Model):
    """Seconds per request kind (endpoint template), a moving average over all processes' requests.

    Each process keeps its own average in memory (``LatencyBook``) and merges it in here at most
    every ``flush_every_s`` (with its request counters), never per request. The capacity estimate
    (``syncapp/sync/capacity.py``) and new processes' route costs start from these figures.
    """

    endpoint = models.CharField("endpoint", max_length=128, unique=True)
    seconds = models.FloatField("seconds", help_text="Moving average of successful requests' durations.")
    samples = models.PositiveBigIntegerField("requests measured", default=0)
    updated_at = models.DateTimeField("updated")

    class Meta:
        verbose_name = "upstream latency"
        ordering = ["endpoint"]
        constraints = [models.CheckConstraint(name="latency_seconds_not_negative", condition=Q(seconds__gte=0))]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.seconds:.3f} s"
