"""`manage.py force_sync TYPE IDENT`: queue a forced sync and, with --wait, follow it to the end."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from syncapp import audit
from syncapp.audit import command_actor
from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.management.job_progress import JobFollower
from syncapp.management.object_lookup import TYPES, NoSingleMatch, describe, find_object, full_path
from syncapp.sync.force import ForceSyncRefused, force_sync
from syncapp.sync.jobs import queueing_lock

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Queue a forced sync of one mirrored object, optionally with its subtree. IDENT is a GUID, a path "
        "or a name: a directory by its path (\"Demo/Sub 1\", \"/\" for the root); a project by GUID, job number, "
        "name or \"Directory/Project\"; a phase by GUID (plus --project for the null GUID) or \"PROJECT/PHASE\"; "
        "an elevation by GUID or \"PROJECT/PHASE/ELEVATION\". A name that matches several objects lists them "
        "and exits with status 1. With --wait, shows progress on stderr until every job is finished; exits "
        "non-zero if any failed or the timeout passed."
    )

    def add_arguments(self, parser):
        parser.add_argument("type", choices=TYPES, metavar="TYPE", help=f"One of {', '.join(TYPES)}.")
        parser.add_argument("ident", metavar="IDENT", help="GUID, path or name of the object.")
        parser.add_argument("--project", help="Narrow a phase or elevation to this project (GUID, job number, name).")
        parser.add_argument("--subtree", action="store_true", help="Also sync everything below the object.")
        parser.add_argument("--include-excluded", action="store_true",
                            help="Sync the object (and subtree) even where staff excluded it.")
        parser.add_argument("--wait", action="store_true", help="Wait until the jobs are finished, showing progress.")
        parser.add_argument("--timeout", type=float, default=600.0, metavar="S",
                            help="With --wait: give up after S seconds (default 600).")

    def handle(self, *args, **options):
        with database_errors_as_command_error():
            self._handle(**options)

    def _handle(self, **options):
        object_type, ident, subtree, timeout = options["type"], options["ident"], options["subtree"], options["timeout"]
        if not 0 < timeout < float("inf"):  # also refuses nan, which would wait forever
            raise CommandError("--timeout must be a positive number of seconds")
        try:
            obj = find_object(object_type, ident, project=options["project"])
        except NoSingleMatch as error:
            for candidate in error.candidates:
                self.stderr.write(f"  {describe(candidate)}")
            raise CommandError(str(error)) from None
        try:
            result = force_sync(obj, subtree=subtree, include_excluded=options["include_excluded"])
        except ForceSyncRefused as error:
            if obj.removed_at is None and type(obj).objects.filter(pk=obj.pk).filter(type(obj).objects.excluded_q()):
                raise CommandError(f"refused: {object_type} {full_path(obj)} is excluded from sync by staff (itself "
                                   "or a directory above it); pass --include-excluded to sync it anyway") from None
            raise CommandError(f"refused: {error}") from None

        audit.record(command_actor("force_sync"),
                     audit.AuditAction.FORCE_SYNC_SUBTREE if subtree else audit.AuditAction.FORCE_SYNC, obj,
                     details={"include_excluded": options["include_excluded"], "queued": len(result.job_ids)})
        what = f"{object_type} {full_path(obj)}" + (" with its subtree" if subtree else "")
        if result.job_ids:
            self.stdout.write(f"Queued a forced sync of {what} (job {', '.join(map(str, result.job_ids))}).")
        else:
            self.stdout.write(f"A forced sync of {what} is already queued.")
        if not options["wait"]:
            return
        job_ids = result.job_ids or self._waiting_job_ids(result.already_queued)
        self._follow(obj, job_ids, subtree=subtree, timeout=timeout)

    def _waiting_job_ids(self, planned) -> list[int]:
        locks = [queueing_lock(p.object_type, p.object_id, "forced") for p in planned]
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM procrastinate_jobs WHERE queueing_lock = ANY(%s) AND status = 'todo'", [locks])
            return [row[0] for row in cursor.fetchall()]

    def _follow(self, obj, job_ids, *, subtree: bool, timeout: float) -> None:
        follower = JobFollower(obj, job_ids, subtree=subtree)
        interactive = sys.stderr.isatty()
        started = time.monotonic()
        last_line = None
        while True:
            progress = follower.poll()
            elapsed = time.monotonic() - started
            line = progress.line(elapsed)
            if interactive:
                self.stderr.write(f"\r{line}\x1b[K", ending="")
            elif line.split(" (")[0] != (last_line or "").split(" (")[0]:
                self.stderr.write(line)  # a new line only when the counts change
            self.stderr.flush()
            last_line = line
            if progress.finished or elapsed >= timeout:
                break
            time.sleep(POLL_SECONDS)
        if interactive:
            self.stderr.write("")
        for error in progress.errors:
            self.stderr.write(f"  {error}")
        if not progress.finished:
            unfinished = progress.running + progress.waiting
            for reason in follower.unfinished_reasons():
                self.stderr.write(f"  {reason}")
            raise CommandError(f"timed out after {timeout:g} s with {unfinished} of {progress.total} jobs unfinished")
        if progress.failed:
            raise CommandError(f"{progress.failed} of {progress.total} sync jobs failed")
        self.stdout.write(f"Done: {progress.succeeded} sync job{'s' if progress.succeeded != 1 else ''} finished.")
