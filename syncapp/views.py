"""Operational endpoints: /healthz, /readyz and /metrics.

They are answered by ``syncapp.middleware.ProbeMiddleware`` before host
validation, sessions and CSRF (platform probes call with an internal IP as the
Host header), and are plain functions so that the middleware and the URLconf
share them.
"""

import hmac
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_readiness
from .metrics import render_metrics

logger = logging.getLogger(__name__)

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@never_cache
@require_GET
def healthz(request):
    """The process is up and serving; it does not touch the database on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """200 when the database answers, migrations are applied and the scheduler ticks; 503 with the reason otherwise."""
    readiness = check_readiness()
    if readiness.ready:
        return JsonResponse(readiness.as_json())
    logger.warning("Not ready: %s", readiness.reason)
    response = JsonResponse(readiness.as_json(), status=503)
    response._has_been_logged = True  # the line above says more than Django's "Service Unavailable: /readyz"
    return response


def _bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _plain(text: str, status: int, **headers) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics for the whole system, read from PostgreSQL; needs `Authorization: Bearer METRICS_TOKEN`."""
    expected = settings.METRICS_TOKEN
    if not expected:
        # Off until configured: an open /metrics would publish the mirror's shape to anyone.
        return _plain("Metrics are disabled: set METRICS_TOKEN to enable /metrics.", 503)
    given = _bearer_token(request)
    # compare_digest takes as long for a near miss as for a wild guess.
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        return _plain("A valid bearer token is required.", 401, WWW_Authenticate='Bearer realm="metrics"')
    try:
        body = render_metrics()
    except DatabaseError as error:
        logger.error("Metrics: database query failed: %s", error)
        return _plain("Metrics are unavailable: a database query failed (see the web log); try /readyz.", 503)
    return HttpResponse(body, content_type=PROMETHEUS_CONTENT_TYPE)
