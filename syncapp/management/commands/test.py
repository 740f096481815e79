"""`manage.py test`: the project's test suite, run with pytest on real PostgreSQL."""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the test suite with pytest (extra arguments go to pytest, e.g. `-k freshness -x`). "
        "Uses DATABASE_URL when set, the embedded PostgreSQL otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("pytest_args", nargs="*", help="Arguments passed to pytest.")

    def run_from_argv(self, argv):
        # Pass everything after `test` to pytest untouched (pytest flags look like ours).
        args = argv[2:]
        if args and args[0] in ("-h", "--help"):
            return super().run_from_argv(argv)
        self.handle(pytest_args=args)

    def handle(self, *args, pytest_args=(), **options):
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
        command = [sys.executable, "-m", "pytest", *pytest_args]
        result = subprocess.run(command, cwd=settings.BASE_DIR, env=env)
        sys.exit(result.returncode)
