"""A Procrastinate worker that never leaves a job ``doing`` while it lives on.

Procrastinate runs each job in an asyncio task and writes the job's end at its close. When that
write fails (the database connection broke, a failover, the queueing-lock collision of an
in-place retry: procrastinate#1446) the task's exception is never retrieved, the job stays
``doing`` and the worker keeps heartbeating, so no stalled-job rescue ever touches it. Here:

- `GuardedJobManager`: an in-place retry refused by the queueing-lock index (a newer job for
  the same work waits) ends the job instead (``failed``): the waiting job carries the work.
- `GuardedWorker`: any other failure to write a job's end stops the worker, which then exits
  non-zero (`sync_worker`); its supervisor starts a fresh one and the rescue settles the job.
- `rescue_loop`: every worker settles stalled jobs itself (`syncapp.sync.rescue`), and compares
  the jobs the database says it runs with the ones it really runs (a watchdog): a job held in
  the database but not running here, twice in a row, is settled at once.
"""

import asyncio
import concurrent.futures
import logging

from django.conf import settings
from procrastinate import exceptions, manager, worker
from procrastinate.jobs import Status

logger = logging.getLogger("syncapp.worker")


class GuardedJobManager(manager.JobManager):
    async def retry_job(self, job, retry_at=None, priority=None, queue=None, lock=None) -> None:
        try:
            await super().retry_job(job, retry_at=retry_at, priority=priority, queue=queue, lock=lock)
        except exceptions.UniqueViolation as error:
            if error.constraint_name != manager.QUEUEING_LOCK_CONSTRAINT:
                raise
            logger.warning("Job %s (%s) not retried: a newer job waits under its queueing lock %s and carries "
                           "the work", job.id, job.task_name, job.queueing_lock)
            await self.finish_job(job, status=Status.FAILED, delete_job=False)


class GuardedWorker(worker.Worker):
    """Stops (and `sync_worker` exits 1) when a job's end could not be written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lost_job_status: BaseException | None = None

    async def _process_job(self, context):
        try:
            await super()._process_job(context)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure here leaves the job row wrong
            if self.lost_job_status is None:
                self.lost_job_status = error
            logger.error("Could not record the end of job %s (%s: %s); stopping this worker so that a fresh one "
                         "starts and the job is rescued", context.job.id, type(error).__name__,
                         " ".join(str(error).split())[:200])
            self.stop()

    def running_job_ids(self) -> set[int]:
        return {context.job.id for context in self._running_jobs.values() if context.job.id}


def make_worker(app, **options) -> GuardedWorker:
    """Like `App._worker`: the app's worker defaults, overridden by `options`."""
    app.perform_import_paths()
    return GuardedWorker(app=app, **{**app.worker_defaults, **options})


def guard_job_manager(app) -> None:
    app.job_manager = GuardedJobManager(app.connector)


async def rescue_loop(guarded: GuardedWorker, *, interval: float | None = None) -> None:
    """Settle stalled jobs and this worker's orphans every `interval` seconds, until cancelled."""
    from syncapp.sync.rescue import rescue_jobs, rescue_stalled_jobs

    interval = interval or max(5.0, settings.STALLED_JOB_SECONDS / 3)
    loop = asyncio.get_running_loop()
    # One thread of its own: Django's connection is per thread, and the jobs' threads stay free.
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescue")
    suspects: set[int] = set()
    try:
        while True:
            await asyncio.sleep(interval)
            try:
                await loop.run_in_executor(executor, rescue_stalled_jobs, settings.STALLED_JOB_SECONDS)
                if guarded.worker_id is None:
                    continue
                held = await loop.run_in_executor(executor, _held_by, guarded.worker_id)
                orphans = held - guarded.running_job_ids()  # read after the query: a job fetched since is running
                confirmed = orphans & suspects  # twice in a row: not a job that was just finishing
                suspects = orphans - confirmed
                if confirmed:
                    logger.error("Jobs %s are 'doing' under this worker but nothing runs them; settling them",
                                 sorted(confirmed))
                    await loop.run_in_executor(executor, rescue_jobs, sorted(confirmed))
            except Exception as error:  # noqa: BLE001 - the next round tries again
                logger.warning("Stalled-job rescue failed (%s: %s); trying again in %.0f s", type(error).__name__,
                               " ".join(str(error).split())[:200], interval)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _held_by(worker_id: int) -> set[int]:
    from django.db import close_old_connections
    from procrastinate.contrib.django.models import ProcrastinateJob

    close_old_connections()
    return set(ProcrastinateJob.objects.filter(status="doing", worker_id=worker_id).values_list("id", flat=True))
