"""`manage.py sync_worker`: the Procfile's worker process.

Runs the sync, scheduler, parser and maintenance queues with Procrastinate,
queues a first scheduler tick at start (so a fresh deploy does not wait for the
cron), and logs out of every upstream session on the way out.
"""

import asyncio
import logging
import os
import socket

from django.conf import settings
from django.core.management.base import BaseCommand
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate.contrib.django import app

logger = logging.getLogger("syncapp.worker")

QUEUES = ["scheduler", "sync", "parser", "maintenance"]


class Command(BaseCommand):
    help = "Run the sync worker: sync, scheduler, parser and maintenance queues plus the periodic tick."

    def add_arguments(self, parser):
        parser.add_argument("--queues", default=",".join(QUEUES), help="Comma-separated queues (default: all four).")
        parser.add_argument("--concurrency", type=int, default=None,
                            help="Jobs run at once (default: WORKER_CONCURRENCY).")
        parser.add_argument("--name", default=None, help="Worker name in logs (default: host:pid).")
        parser.add_argument("--one-shot", action="store_true",
                            help="Exit once the queues are empty instead of waiting for new jobs.")
        parser.add_argument("--no-initial-tick", action="store_true", help="Do not queue a tick at start.")
        parser.add_argument("--shutdown-timeout", type=float, default=30.0,
                            help="Seconds SIGTERM waits for running jobs before aborting them (they are retried).")

    def handle(self, *args, **options):
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        unknown = set(queues) - set(QUEUES)
        if unknown:
            from django.core.management.base import CommandError

            raise CommandError(f"unknown queue(s): {', '.join(sorted(unknown))}; choose from {', '.join(QUEUES)}")
        concurrency = options["concurrency"] or settings.WORKER_CONCURRENCY
        name = options["name"] or f"{socket.gethostname()}:{os.getpid()}"
        if settings.BACKGROUND_SYNC_ENABLED:
            logger.info("Background sync is enabled")
        else:
            logger.info("Background sync is disabled, skipping scheduled sync")
        if "scheduler" in queues and not options["no_initial_tick"]:
            self._queue_initial_tick()
        try:
            # The Django connector cannot LISTEN; the worker gets a psycopg pool of its own.
            with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
                asyncio.run(self._run(worker_app, queues=queues, concurrency=concurrency, name=name,
                                      wait=not options["one_shot"], shutdown=options["shutdown_timeout"]))
        finally:
            self._close_upstream()

    async def _run(self, worker_app, *, queues, concurrency, name, wait, shutdown):
        async with worker_app.open_async():
            await worker_app.run_worker_async(
                queues=queues, concurrency=concurrency, name=name, wait=wait,
                shutdown_graceful_timeout=shutdown, listen_notify=True, install_signal_handlers=True,
            )

    def _queue_initial_tick(self) -> None:
        from syncapp.tasks import scheduler_tick_task

        try:
            scheduler_tick_task.defer()
        except procrastinate_exceptions.AlreadyEnqueued:
            pass  # another worker queued it; one tick is enough

    def _close_upstream(self) -> None:
        try:
            from syncapp.logikal import reset_upstream
        except ImportError:
            return
        reset_upstream()
