"""`manage.py benchmark NAME`: one JSON object per line on stdout, progress on stderr.

Ctrl-C or SIGTERM (as `timeout` sends it) stops a run cleanly: its worker and simulator
processes are stopped and its scratch database is dropped before the command exits 130.
"""

import importlib
import json
import pkgutil
import sys
from contextlib import closing

from django.core.management.base import BaseCommand, CommandError

import syncapp.benchmarks
from syncapp.harness.processes import sigterm_stops_the_run


def _benchmarks() -> dict:
    found = {}
    for info in pkgutil.iter_modules(syncapp.benchmarks.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"syncapp.benchmarks.{info.name}")
        if hasattr(module, "run"):
            found[info.name.replace("_", "-")] = module
    return found


class Command(BaseCommand):
    help = "Run a benchmark and print its figures as JSON lines (see `benchmark NAME --help`)."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", metavar="NAME", required=True)
        for name, module in sorted(_benchmarks().items()):
            sub = subparsers.add_parser(name, help=getattr(module, "HELP", ""), description=module.__doc__)
            sub.set_defaults(module=module)
            module.add_arguments(sub)

    def handle(self, *args, benchmark, module, **options):
        def progress(text: str) -> None:
            sys.stderr.write(f"[{benchmark}] {text}\n")
            sys.stderr.flush()

        try:
            with sigterm_stops_the_run(), closing(module.run(options, progress)) as results:
                for figures in results:
                    self.stdout.write(json.dumps({"benchmark": benchmark, **figures}))
                    self.stdout.flush()
        except (ValueError, RuntimeError) as error:
            raise CommandError(f"benchmark {benchmark}: {error}") from error
        except KeyboardInterrupt as stop:
            raise CommandError(f"benchmark {benchmark}: stopped by {stop or 'SIGINT'}; its processes are stopped "
                               "and its scratch database is dropped", returncode=130) from None
