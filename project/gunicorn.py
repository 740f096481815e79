"""gunicorn settings for the `web` process (Procfile), sized for a 512 MB instance.

Threads, not processes, carry the concurrency: the admin and the probes spend
their time waiting on PostgreSQL, and each extra process costs a full copy of
Django (~60 MB) while a thread costs almost nothing. The app is loaded once in
the master and forked (preload_app), so workers share its pages until they
write to them.

Environment (all optional):
  PORT               port to bind on 0.0.0.0 (default 8000; set by the platform)
  WEB_CONCURRENCY    worker processes (default 2; Heroku-style platforms set it)
  GUNICORN_THREADS   threads per worker (default 4)
  GUNICORN_TIMEOUT   seconds a request may take before its worker is restarted (default 30)
  GUNICORN_MAX_REQUESTS  requests after which a worker is replaced (default 1000, 0 = never)
  LOG_FORMAT         text or json, as for the Django logs
"""

import os

from project.env import env_choice, env_int
from syncapp.logging import LOG_FILTERS, LOG_FORMATTERS

bind = f"0.0.0.0:{env_int('PORT', 8000, minimum=1, maximum=65535)}"
workers = env_int("WEB_CONCURRENCY", 2, minimum=1, maximum=32)
threads = env_int("GUNICORN_THREADS", 4, minimum=1, maximum=64)
worker_class = "gthread"
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
graceful_timeout = 20
keepalive = 5

# Replacing workers now and then bounds any slow growth of memory; the jitter keeps
# all workers from restarting at the same moment.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max(1, max_requests // 10) if max_requests else 0

preload_app = True
# The heartbeat file lives in memory: a container's overlay disk can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The platform's router terminates TLS and sets X-Forwarded-Proto.
forwarded_allow_ips = "*"

accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

_format = env_choice("LOG_FORMAT", "text", ("text", "json"))
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": LOG_FORMATTERS,
    "filters": {**LOG_FILTERS, "skip_probes": {"()": "syncapp.logging.SkipProbeAccessFilter"}},
    "handlers": {
        # Order matters: probes are dropped while the access record still has its fields.
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": _format,
            "filters": ["skip_probes", "redact_secrets"],
        },
        "error": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": _format,
            "filters": ["redact_secrets"],
        },
    },
    # gunicorn merges this over its own defaults, whose root logger names a handler we replaced.
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
    },
}


def pre_fork(server, worker):
    # Loading the app may have opened a database connection in the master; a
    # socket shared by several forked workers corrupts the protocol stream.
    from django.db import connections

    connections.close_all()
