"""`manage.py sync_worker`: the Procfile's worker process.

Runs the sync, scheduler, parser, maintenance and webhooks queues with Procrastinate,
queues a first scheduler tick at start (so a fresh deploy does not wait for the
cron), and logs out of every upstream session on the way out.

Exit status: 0 after SIGTERM/SIGINT (or an emptied queue with --one-shot). A
worker that stops without being asked — Procrastinate stops it when its database
connection breaks (a PostgreSQL restart or failover), or that could not record
the end of a job (`syncapp.worker_guard`) — exits with status 1 and one line
saying so, so that a supervisor (Procfile platform, systemd, `manage.py up`)
starts a fresh one; jobs it left running are settled by the stalled-job rescue
that every worker runs.
"""

import asyncio
import logging
import os
import signal
import socket

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from procrastinate import exceptions as procrastinate_exceptions
from procrastinate.contrib.django import app

from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.worker_guard import guard_job_manager, make_worker, rescue_loop

logger = logging.getLogger("syncapp.worker")

QUEUES = ["scheduler", "sync", "parser", "maintenance", "webhooks"]
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = ("Run the sync worker: sync, scheduler, parser, maintenance and webhooks queues plus the periodic tick. "
            "Exits 0 when stopped by SIGTERM/SIGINT, 1 when it stopped on its own (for example a lost "
            "database connection), so that a supervisor restarts it.")

    def add_arguments(self, parser):
        parser.add_argument("--queues", default=",".join(QUEUES), help="Comma-separated queues (default: all of them).")
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
        if not queues:
            raise CommandError(f"--queues names no queue; choose from {', '.join(QUEUES)}")
        unknown = set(queues) - set(QUEUES)
        if unknown:
            raise CommandError(f"unknown queue(s): {', '.join(sorted(unknown))}; choose from {', '.join(QUEUES)}")
        concurrency = options["concurrency"]
        if concurrency is not None and not 1 <= concurrency <= 64:
            raise CommandError(f"--concurrency must be between 1 and 64, got {concurrency}")
        concurrency = concurrency or settings.WORKER_CONCURRENCY
        shutdown = options["shutdown_timeout"]
        if not 0 <= shutdown < float("inf"):  # also refuses nan
            raise CommandError(f"--shutdown-timeout must be a number of seconds >= 0, got {shutdown}")
        name = options["name"] or f"{socket.gethostname()}:{os.getpid()}"
        if settings.BACKGROUND_SYNC_ENABLED:
            logger.info("Background sync is enabled")
        else:
            logger.info("Background sync is disabled, skipping scheduled sync")
        if "scheduler" in queues and not options["no_initial_tick"]:
            with database_errors_as_command_error():
                self._queue_initial_tick()
        wait = not options["one_shot"]
        try:
            # The Django connector cannot LISTEN; the worker gets a psycopg pool of its own.
            with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
                plain_manager = worker_app.job_manager
                guard_job_manager(worker_app)
                try:
                    stopped_by, lost = asyncio.run(self._run(worker_app, queues=queues, concurrency=concurrency,
                                                             name=name, wait=wait, shutdown=shutdown))
                finally:
                    worker_app.job_manager = plain_manager
        except (procrastinate_exceptions.ConnectorException, psycopg.Error, DatabaseError, OSError) as error:
            raise CommandError(f"worker {name} stopped: lost the database ({_first_line(error)}); "
                               "exiting so that a supervisor starts a fresh worker") from None
        finally:
            self._close_upstream()
        if lost is not None:
            raise CommandError(f"worker {name} stopped: could not record the end of a job ({_first_line(lost)}); "
                               "exiting so that a supervisor starts a fresh worker")
        if wait and stopped_by is None:
            # Procrastinate ends a worker whose listener, heartbeat or poll failed; that is
            # almost always the database connection. Say so, and fail, so it gets restarted.
            raise CommandError(f"worker {name} stopped without being asked (most likely its database connection "
                               "broke; see the log above); exiting so that a supervisor starts a fresh worker")

    async def _run(self, worker_app, *, queues, concurrency, name, wait, shutdown):
        """Run until the queues are done (one-shot), a stop signal, or a failure; returns the signal, if any."""
        async with worker_app.open_async():
            guarded = make_worker(
                worker_app, queues=queues, concurrency=concurrency, name=name, wait=wait,
                shutdown_graceful_timeout=shutdown, listen_notify=True, install_signal_handlers=False,
                fetch_job_polling_interval=settings.WORKER_POLL_INTERVAL_S,
            )
            run = asyncio.ensure_future(guarded.run())
            rescue = asyncio.ensure_future(rescue_loop(guarded)) if wait else None
            received = []
            loop = asyncio.get_running_loop()

            def on_signal(signum):
                received.append(signal.Signals(signum).name)
                for sig in STOP_SIGNALS:  # a second signal stops the hard way
                    loop.remove_signal_handler(sig)
                logger.info("Received %s, stopping after the running jobs", received[0])
                run.cancel()  # Procrastinate turns this into its graceful shutdown

            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, on_signal, sig)
            try:
                await run
            except asyncio.CancelledError:
                if not received:
                    raise
            finally:
                for sig in STOP_SIGNALS:
                    loop.remove_signal_handler(sig)
                if rescue is not None:
                    rescue.cancel()
                    await asyncio.gather(rescue, return_exceptions=True)
            return (received[0] if received else None), guarded.lost_job_status

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


def _first_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]
