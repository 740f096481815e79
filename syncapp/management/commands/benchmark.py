"""`manage.py benchmark NAME`: one JSON object per line on stdout, progress on stderr."""

import importlib
import json
import pkgutil
import sys

from django.core.management.base import BaseCommand, CommandError

import syncapp.benchmarks


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
            for figures in module.run(options, progress):
                self.stdout.write(json.dumps({"benchmark": benchmark, **figures}))
                self.stdout.flush()
        except (ValueError, RuntimeError) as error:
            raise CommandError(f"benchmark {benchmark}: {error}") from error
