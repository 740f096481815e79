"""One clear line instead of a traceback when a command meets a database that is not ready."""

from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DatabaseError


@contextmanager
def database_errors_as_command_error():
    try:
        yield
    except DatabaseError as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        hint = " (has `manage.py migrate` run?)" if "does not exist" in first_line else ""
        raise CommandError(f"database error: {first_line}{hint}") from None
