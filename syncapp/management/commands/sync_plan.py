"""`manage.py sync_plan`: what the next scheduler tick would queue, and why, without queueing anything."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.models import ObjectSyncConfig
from syncapp.stats import next_tick_at
from syncapp.sync.jobs import queueing_lock, waiting_jobs
from syncapp.sync.planner import plan_due_jobs
from syncapp.sync.tick import tick_period


def waiting_locks(jobs) -> set[str]:
    """Queueing locks of the planned jobs that already wait in the queue (the tick would skip them)."""
    return set(waiting_jobs(queueing_lock(job.object_type, job.object_id, "scheduled") for job in jobs))


class Command(BaseCommand):
    help = (
        "Dry run of the scheduler: list the sync jobs the next tick would queue, with the reason for each "
        "(planned exactly as the tick plans, with its look-ahead). Queues nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of a list.")

    def handle(self, *args, **options):
        with database_errors_as_command_error():
            self._handle(**options)

    def _handle(self, **options):
        now = timezone.now()
        lookahead = tick_period(now=now)
        plan = plan_due_jobs(now=now, lookahead=lookahead, configs=ObjectSyncConfig.objects.as_map())
        waiting = waiting_locks(plan.jobs)
        cap = settings.SCHEDULER_MAX_JOBS_PER_TICK  # the tick takes the first `cap` jobs, parents first
        jobs = [
            {"object_type": job.object_type, "object_id": job.object_id, "label": job.label, "reason": job.reason,
             "already_queued": queueing_lock(job.object_type, job.object_id, "scheduled") in waiting,
             "later_tick": index >= cap}
            for index, job in enumerate(plan.jobs)
        ]
        enabled = settings.BACKGROUND_SYNC_ENABLED
        next_tick = next_tick_at(now)
        if options["json"]:
            self.stdout.write(json.dumps({
                "generated_at": now.isoformat(), "next_tick_at": next_tick.isoformat(), "background_sync_enabled": enabled,
                "lookahead_s": lookahead.total_seconds(), "max_jobs_per_tick": cap, "jobs": jobs,
                "count_by_type": plan.count_by_type(),
            }, indent=2))
            return
        new = sum(not job["already_queued"] and not job["later_tick"] for job in jobs)
        later = sum(job["later_tick"] for job in jobs)
        wait = max(0, int((next_tick - now).total_seconds()))
        self.stdout.write(f"The next tick runs at {timezone.localtime(next_tick):%H:%M:%S %Z} "
                          f"(in {wait // 60} min {wait % 60} s; SCHEDULER_CRON={settings.SCHEDULER_CRON!r}).")
        if not enabled:
            self.stdout.write("Background sync is disabled: the next tick queues nothing. Were it enabled:")
        if not jobs:
            self.stdout.write("Nothing is due: the next tick would queue no job.")
            return
        by_type = ", ".join(f"{n} {t}" for t, n in plan.count_by_type().items())
        waiting_count = sum(job["already_queued"] and not job["later_tick"] for job in jobs)
        self.stdout.write(f"The next tick would queue {new} job{'s' if new != 1 else ''}; "
                          f"{waiting_count} more due but already waiting. Planned: {by_type}.")
        if later:
            self.stdout.write(f"{later} planned jobs pass SCHEDULER_MAX_JOBS_PER_TICK={cap} and wait for later ticks.")
        width = max(len(job["label"]) for job in jobs)
        for job in jobs:
            note = "  [already queued]" if job["already_queued"] else ""
            note += "  [later tick]" if job["later_tick"] else ""
            self.stdout.write(f"  {job['object_type']:<10} {job['object_id']:>7}  {job['label']:<{width}}  "
                              f"{job['reason']}{note}")
