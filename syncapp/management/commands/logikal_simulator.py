"""Run the LogiKal simulator as an HTTP server until Ctrl-C or SIGTERM.

    python manage.py logikal_simulator --port 8765 --dataset demo --latency real
"""

from __future__ import annotations

import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError

from syncapp.simulator import FaultConfig, Simulator, SimulatorConfig, serve
from syncapp.simulator.config import DATASETS, LATENCY_MODES, NAVIGATION_MODES, PARTS_LIST_SIZES
from syncapp.simulator.edit_mix import EditMixConfig


class Command(BaseCommand):
    help = "Serve a fake LogiKal MBIOE v3 API (for demos, tests and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--dataset", choices=DATASETS, default="demo")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--latency", choices=LATENCY_MODES, default="none",
                            help="'real' sleeps as production servers do (login ~5 s)")
        parser.add_argument("--latency-scale", type=float, default=1.0)
        parser.add_argument("--navigation", choices=NAVIGATION_MODES, default="strict")
        parser.add_argument("--max-sessions", type=int, default=None, help="concurrent sessions per user")
        parser.add_argument("--token-idle-expiry", type=float, default=None, metavar="SECONDS")
        parser.add_argument("--parts-list-size", choices=PARTS_LIST_SIZES, default=None)
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 500/503")
        parser.add_argument("--no-touch-bumps-project", action="store_true",
                            help="touching an elevation leaves its project's changedDate alone")
        parser.add_argument("--edit-mix", action="store_true",
                            help="edit the data set as a drawing office would: about --edit-share of the projects "
                            "a day, mostly recently changed ones")
        parser.add_argument("--edit-share", type=float, default=0.05, help="share of projects edited a day (0.05)")
        parser.add_argument("--edit-rate", type=float, default=1.0,
                            help="pace multiplier of the edit mix (24: a day's edits an hour)")

    def handle(self, *args, **options):
        try:
            faults = FaultConfig(server_error={"rate": options["error_rate"]} if options["error_rate"] else None)
            config = SimulatorConfig(
                dataset=options["dataset"], seed=options["seed"], navigation=options["navigation"],
                latency=options["latency"], latency_scale=options["latency_scale"],
                max_sessions=options["max_sessions"], token_idle_expiry_s=options["token_idle_expiry"],
                username=options["username"], password=options["password"],
                parts_list_size=options["parts_list_size"],
                touch_bumps_project=not options["no_touch_bumps_project"], faults=faults,
                edit_mix=EditMixConfig(share_per_day=options["edit_share"], rate=options["edit_rate"],
                                       seed=options["seed"]) if options["edit_mix"] else None,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

        started = time.monotonic()
        sim = Simulator(config)
        try:
            server = serve(sim, host=options["host"], port=options["port"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from None

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"LogiKal simulator ({options['dataset']}, seed {options['seed']}, "
                          f"{options['navigation']} navigation, latency {options['latency']}) ready in "
                          f"{time.monotonic() - started:.2f} s")
        self.stdout.write(f"API base URL: {server.base_url}")
        self.stdout.write(f"Control:      {server.root_url}/_sim/stats")
        self.stdout.write(f"Credentials:  {config.username} / {'*' * len(config.password)}")
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            server.stop()
            self.stdout.write("LogiKal simulator stopped.")
