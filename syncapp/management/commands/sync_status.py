"""`manage.py sync_status`: freshness per type; exit status 1 when anything live is past its staleness threshold."""

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.timesince import timesince

from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.models import ObjectSyncConfig
from syncapp.models.freshness import Freshness
from syncapp.stats import MIRROR_MODELS, staleness_summary
from syncapp.sync import blocked


def past_threshold(now) -> dict[str, int]:
    """Live objects never verified or verified longer ago than their type's staleness threshold.

    Counted with the QuerySet's own ``stale()``, whatever badge wins (a failing
    object that is also stale counts here).
    """
    configs = ObjectSyncConfig.objects.as_map()
    return {t: model.objects.stale(now, configs[t]).count() for t, model in MIRROR_MODELS.items()}


class Command(BaseCommand):
    help = (
        "Show freshness per object type: counts per state, the oldest verification, interval and staleness "
        "threshold. Exits with status 1 when any live object is past its staleness threshold (or never "
        "verified), 0 otherwise, so it can gate scripts and monitors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of a table.")

    def handle(self, *args, **options):
        with database_errors_as_command_error():
            self._handle(**options)

    def _handle(self, **options):
        now = timezone.now()
        summary = staleness_summary(now)
        stale = past_threshold(now)
        for object_type, row in summary.items():
            row["past_threshold"] = stale[object_type]
        ok = not any(stale.values())
        jobs, held_up = blocked.long_running_jobs(), blocked.blocked_objects()
        if options["json"]:
            self.stdout.write(json.dumps({
                "generated_at": now, "background_sync_enabled": settings.BACKGROUND_SYNC_ENABLED, "ok": ok,
                "types": summary, "jobs_running_too_long": [vars(job) for job in jobs],
                "objects_blocked": [vars(obj) for obj in held_up],
            }, cls=DjangoJSONEncoder, indent=2))
        else:
            self._table(summary, now)
            self._stuck(jobs, held_up)
            if ok:
                self.stdout.write("OK: every live object is within its staleness threshold.")
            else:
                parts = [f"{n} {t}{'s' if n != 1 else ''}" for t, n in stale.items() if n]
                self.stdout.write(f"STALE: {', '.join(parts)} past the staleness threshold.")
        if not ok:
            sys.stdout.flush()
            sys.exit(1)

    def _stuck(self, jobs, held_up) -> None:
        """Name the jobs running longer than STALLED_JOB_SECONDS and the objects they block."""
        limit = settings.STALLED_JOB_SECONDS
        for job in jobs:
            self.stdout.write(f"RUNNING TOO LONG: {job.what}: job {job.job_id} ({job.task_name}) running for "
                              f"{job.running_s:.0f} s (STALLED_JOB_SECONDS={limit})")
        for obj in held_up:
            self.stdout.write(f"BLOCKED: {obj.what}: job {obj.waiting_job_id} waits behind job "
                              f"{obj.blocking_job_id}, running for {obj.blocked_s:.0f} s")

    def _table(self, summary: dict, now) -> None:
        states = [state.value for state in Freshness]
        background = "on" if settings.BACKGROUND_SYNC_ENABLED else "OFF"
        self.stdout.write(f"Freshness at {now:%Y-%m-%d %H:%M:%S %Z} (background sync {background})\n")
        header = ["type", "schedule (min)", *states, "past threshold", "oldest verification"]
        rows = []
        for object_type, row in summary.items():
            schedule = f"{row['interval_minutes']}/{row['staleness_minutes']}" + ("" if row["enabled"] else " off")
            oldest = row["oldest_synced_at"]
            oldest_text = "-" if oldest is None else f"{oldest:%Y-%m-%d %H:%M} ({timesince(oldest, now)} ago)"
            rows.append([object_type, schedule, *(str(row["counts"][s]) for s in states),
                         str(row["past_threshold"]), oldest_text])
        widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]
        for line in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        self.stdout.write("")
