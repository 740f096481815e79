#!/usr/bin/env python3
"""Django's command-line utility for logikal-sync.

On a fresh clone it first builds `.venv` from requirements.txt (project/bootstrap.py).
"""

import os
import sys


def main() -> None:
    from project.bootstrap import ensure_environment

    ensure_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    from project.env import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as error:
        # One clear line naming the variable, not a traceback.
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
