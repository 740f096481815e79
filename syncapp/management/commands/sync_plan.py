"""`manage.py sync_plan`: what the next scheduler tick would queue, and why, without queueing anything."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.models import ObjectSyncConfig
from syncapp.stats import next_tick_at
from syncapp.sync.capacity import capacity_text
from syncapp.sync.capacity_data import current_estimate
from syncapp.sync.planner import count_due, plan_tick
from syncapp.sync.tick import tick_period


class Command(BaseCommand):
    help = (
        "Dry run of the scheduler: list the sync jobs the next tick would queue (most recently changed projects "
        "first), with the reason for each, planned exactly as the tick plans, with its look-ahead; count what is "
        "due in all and what already waits; estimate the upstream capacity the schedule needs. Queues nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of a list.")

    def handle(self, *args, **options):
        with database_errors_as_command_error():
            self._handle(**options)

    def _handle(self, **options):
        now = timezone.now()
        lookahead = tick_period(now=now)
        configs = ObjectSyncConfig.objects.as_map()
        cap = settings.SCHEDULER_MAX_JOBS_PER_TICK
        batch = plan_tick(now=now, lookahead=lookahead, configs=configs, cap=cap)
        counts = count_due(now=now, lookahead=lookahead, configs=configs)
        due = {t: c["due"] for t, c in counts.items() if c["due"]}
        waiting = sum(c["waiting"] for c in counts.values())
        later = sum(due.values()) - waiting - len(batch)
        capacity = current_estimate(now).as_dict()
        jobs = [{"object_type": job.object_type, "object_id": job.object_id, "label": job.label, "reason": job.reason,
                 "project_changed_at": job.changed.isoformat() if job.changed else None} for job in batch]
        enabled = settings.BACKGROUND_SYNC_ENABLED
        next_tick = next_tick_at(now)
        if options["json"]:
            self.stdout.write(json.dumps({
                "generated_at": now.isoformat(), "next_tick_at": next_tick.isoformat(), "background_sync_enabled": enabled,
                "lookahead_s": lookahead.total_seconds(), "max_jobs_per_tick": cap, "jobs": jobs,
                "count_by_type": due, "waiting_by_type": {t: c["waiting"] for t, c in counts.items() if c["waiting"]},
                "later_ticks": later, "capacity": capacity,
            }, indent=2))
            return
        wait = max(0, int((next_tick - now).total_seconds()))
        self.stdout.write(f"The next tick runs at {timezone.localtime(next_tick):%H:%M:%S %Z} "
                          f"(in {wait // 60} min {wait % 60} s; SCHEDULER_CRON={settings.SCHEDULER_CRON!r}).")
        if not enabled:
            self.stdout.write("Background sync is disabled: the next tick queues nothing. Were it enabled:")
        if not due:
            self.stdout.write("Nothing is due: the next tick would queue no job.")
        else:
            by_type = ", ".join(f"{n} {t}" for t, n in due.items())
            self.stdout.write(f"The next tick would queue {len(batch)} job{'s' if len(batch) != 1 else ''}, most "
                              f"recently changed projects first; {waiting} more due but already waiting. "
                              f"Due: {by_type}.")
        if later > 0:
            self.stdout.write(f"{later} due jobs pass SCHEDULER_MAX_JOBS_PER_TICK={cap} and wait for later ticks.")
        width = max((len(job["label"]) for job in jobs), default=0)
        for job in jobs:
            self.stdout.write(f"  {job['object_type']:<10} {job['object_id']:>7}  {job['label']:<{width}}  {job['reason']}")
        text = capacity_text(capacity)
        self.stdout.write(f"Capacity: {text['summary']}")
        if text["warning"]:
            self.stdout.write(f"WARNING: {text['warning']}")
        self.stdout.write(text["backlog"])
