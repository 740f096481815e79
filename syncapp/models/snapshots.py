"""Periodic freshness snapshots: the history behind the dashboard's freshness-over-time line."""

from django.db import models


class FreshnessSnapshot(models.Model):
    """Counts per type and freshness state at one moment (taken every few minutes by a periodic task).

    Freshness is a function of time, so it cannot be rebuilt afterwards from sync
    runs: an object verified through its parent's listing has no run of its own.
    """

    taken_at = models.DateTimeField("taken", unique=True)
    counts = models.JSONField("counts", default=dict, help_text='{"directory": {"fresh": 3, "stale": 1, ...}, ...}')

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"freshness at {self.taken_at:%Y-%m-%d %H:%M}"
