"""`manage.py up`: the whole system on one machine, for a first look and for development.

Migrates, makes sure a superuser exists, then runs as child processes: the
LogiKal simulator with the demo data set (when LOGIKAL_API_BASE_URL is unset),
a sync worker and the web server. All share one environment, so with
DATABASE_URL unset they all use the same embedded PostgreSQL. Ctrl-C or SIGTERM
stops everything it started, the embedded PostgreSQL included; if one child
dies, the rest are stopped too. The login is printed again once the first sync
is done, so it never scrolls away.
"""

import os
import re
import secrets
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from syncapp.management.up_children import Child, port_is_free
from syncapp.management.up_watch import Watcher

SIMULATOR_URL_LINE = re.compile(r"API base URL: (\S+)")
START_TIMEOUT_S = 90
WORKER_RESTARTS, WORKER_RESTART_WINDOW_S = 5, 600


def password_file() -> Path:
    """Where the first admin password is written (git-ignored .data/ by default)."""
    return Path(os.environ.get("ADMIN_PASSWORD_FILE") or Path(settings.BASE_DIR) / ".data" / "admin-password.txt")


class Command(BaseCommand):
    help = (
        "Run the whole system locally: migrate, ensure a superuser (credentials printed), start the LogiKal "
        "simulator with the demo data set when LOGIKAL_API_BASE_URL is unset, a sync worker and the web "
        "server. Uses the embedded PostgreSQL when DATABASE_URL is unset. Ctrl-C stops everything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="Port of the web server (default 8000).")
        parser.add_argument("--host", default="127.0.0.1", help="Address the web server listens on.")
        parser.add_argument("--no-simulator", action="store_true",
                            help="Do not start the simulator even when LOGIKAL_API_BASE_URL is unset.")
        parser.add_argument("--verbose", action="store_true",
                            help="Relay every line of the children (each job and request), not only warnings and errors.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("`up` is the development command; with DEBUG=false run the Procfile's processes")
        host, port = options["host"], options["port"]
        if not port_is_free(host, port):
            raise CommandError(f"port {port} on {host} is in use; pass --port")
        self._lock = threading.Lock()
        self.children: list[Child] = []
        self.stopping = threading.Event()
        self.verbose = options["verbose"]
        self.watcher = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stopping.set())
        try:
            self._start(host, port, use_simulator=not options["no_simulator"])
            failed = self._watch()
        finally:
            self.stopping.set()
            self._stop_all()
            self._release_database()
        if failed:
            raise CommandError(f"{failed} exited unexpectedly; everything else was stopped")
        self.say("Stopped.")

    def say(self, text: str) -> None:
        with self._lock:
            self.stdout.write(text)
            self.stdout.flush()

    def _start(self, host: str, port: int, *, use_simulator: bool) -> None:
        database = "embedded PostgreSQL in " + str(settings.DATABASES["default"]["HOST"]) \
            if settings.EMBEDDED_DATABASE else "DATABASE_URL"
        self.say(f"[up] Migrating ({database}) ...")
        call_command("migrate", interactive=False, verbosity=0)
        login = self._ensure_superuser()
        api_key = self._demo_api_key()

        env = dict(os.environ, PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="project.settings")
        upstream = settings.LOGIKAL_API_BASE_URL
        if upstream is None and use_simulator:
            upstream = self._start_simulator(env)
            env.update(LOGIKAL_API_BASE_URL=upstream, LOGIKAL_USERNAME="demo", LOGIKAL_PASSWORD="demo")
            upstream_text = f"LogiKal simulator, demo data set, at {upstream}"
        elif upstream is None:
            upstream_text = "none (LOGIKAL_API_BASE_URL unset and --no-simulator): syncs will fail"
        else:
            upstream_text = upstream
        # A person needs warnings and errors; each job and request only with --verbose.
        quiet = {} if self.verbose or "LOG_LEVEL" in os.environ else {"LOG_LEVEL": "warning"}
        self._spawn("worker", ["sync_worker"], dict(env, **quiet))
        self._spawn("web", ["runserver", "--noreload", "--skip-checks", f"{host}:{port}"], env)
        base = f"http://{host}:{port}"
        self._wait_for_web(f"{base}/admin/login/")
        if self.stopping.is_set():
            return
        lines = [
            f"  Admin:      {base}/admin/",
            f"  Dashboard:  {base}/admin/dashboard/",
            f"  Login:      {login}",
            f"  API docs:   {base}/api/v2/docs   (OpenAPI schema: {base}/api/v2/openapi.json)",
            f'  Try it:     curl -H "Authorization: Bearer {api_key}" {base}/api/v2/projects',
            f"  Upstream:   {upstream_text}",
            f"  Background sync: {'on' if settings.BACKGROUND_SYNC_ENABLED else 'off'}",
        ]
        self._banner("logikal-sync is running.", lines)
        expect_sync = settings.BACKGROUND_SYNC_ENABLED and upstream is not None
        self.watcher = Watcher(on_ready=lambda status: self._banner(f"logikal-sync is {status}", lines[:5]),
                               say=self.say, stopping=self.stopping, expect_sync=expect_sync)
        self.watcher.start()

    def _banner(self, headline: str, lines: list[str]) -> None:
        self.say("\n".join(["", headline, *lines, "Press Ctrl-C to stop.", ""]))

    def _ensure_superuser(self) -> str:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        existing = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing is not None:
            name = existing.get_username()
            saved = password_file()
            kept = f"the first password is in {saved} unless changed since; " if saved.exists() else ""
            return f"{name} (existing superuser; {kept}reset it with `manage.py changepassword {name}`)"
        password = secrets.token_urlsafe(12)
        user, _ = users.get_or_create(username="admin")
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        where = password_file()
        where.parent.mkdir(parents=True, exist_ok=True)
        where.touch(mode=0o600)
        where.write_text(f"admin\n{password}\n")
        return f"admin / {password}   (also in {where}; change it in the admin)"

    def _demo_api_key(self) -> str:
        """The `demo` API client (read, sync) with a fresh key each run: keys are shown once, never stored."""
        from syncapp.api.clients import create_api_client, rotate_api_client_key
        from syncapp.models import ApiClient

        existing = ApiClient.objects.filter(name="demo").first()
        if existing is not None:
            return rotate_api_client_key(existing).key
        return create_api_client(name="demo", scopes="read,sync").key

    def _spawn(self, name: str, args: list[str], env: dict, on_line=None) -> Child:
        child = Child(name, args, env, self.say, on_line, verbose=self.verbose)
        self.children.append(child)
        self.say(f"[up] started {name} (pid {child.pid})")
        return child

    def _start_simulator(self, env: dict) -> str:
        found = threading.Event()
        url = []

        def watch(line: str) -> None:
            match = SIMULATOR_URL_LINE.search(line)
            if match and not found.is_set():
                url.append(match.group(1))
                found.set()

        child = self._spawn("simulator", ["logikal_simulator", "--port", "0", "--dataset", "demo"], env, watch)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not found.wait(0.2):
            if child.exited() is not None:
                raise CommandError(f"the simulator exited with status {child.exited()} before it was ready")
            if self.stopping.is_set() or time.monotonic() > deadline:
                raise CommandError("the simulator did not start in time")
        return url[0]

    def _wait_for_web(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and not self.stopping.is_set():
            for child in self.children:
                if child.exited() is not None:
                    raise CommandError(f"{child.name} exited with status {child.exited()} during start-up")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        if not self.stopping.is_set():
            raise CommandError(f"the web server did not answer {url} within {START_TIMEOUT_S} s")

    def _watch(self) -> str | None:
        """Until Ctrl-C/SIGTERM (returns None) or a child dies (returns its name).

        A worker that exits with status 1 asks to be replaced (it lost the database, or could
        not record the end of a job): it is restarted, as a Procfile platform would, up to
        WORKER_RESTARTS times in WORKER_RESTART_WINDOW_S."""
        restarts: list[float] = []
        while not self.stopping.wait(0.5):
            for child in list(self.children):
                status = child.exited()
                if status is None:
                    continue
                now = time.monotonic()
                restarts = [at for at in restarts if now - at < WORKER_RESTART_WINDOW_S]
                if child.name == "worker" and status == 1 and len(restarts) < WORKER_RESTARTS:
                    restarts.append(now)
                    child.stop()  # joins its relay: its last lines are out
                    self.say("[up] worker exited with status 1 (see above); starting a fresh one")
                    fresh = self._spawn(child.name, child.args, child.env)
                    self.children.remove(fresh)
                    self.children[self.children.index(child)] = fresh  # keeps the order of stopping
                    continue
                self.say(f"[up] {child.name} exited with status {status}; stopping the rest")
                child.show_held_back()
                return child.name
        return None

    def _stop_all(self) -> None:
        if self.watcher is not None:
            self.watcher.join()
        # Web first (no new forced syncs), then the worker, then the simulator it talks to.
        for child in reversed(self.children):
            if child.exited() is None:
                self.say(f"[up] stopping {child.name} (pid {child.pid}) ...")
            child.stop()

    def _release_database(self) -> None:
        """Stop the embedded PostgreSQL when nothing else uses it (children killed by a signal included)."""
        if not settings.EMBEDDED_DATABASE:
            return
        from project.embedded_db import release_embedded_server

        if release_embedded_server(Path(settings.DATABASES["default"]["HOST"])):
            self.say("[up] stopped the embedded PostgreSQL")
        else:
            self.say("[up] the embedded PostgreSQL keeps running: another process still uses it")
