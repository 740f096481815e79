"""Answer probe and metrics requests before the rest of the middleware stack runs.

Platform health checks (App Platform, Kubernetes, load balancers) call the
container with its internal address as the Host header, which ALLOWED_HOSTS
rightly rejects with a 400. These endpoints reveal nothing that depends on the
host name (metrics are token-protected), so they are served here, first in
MIDDLEWARE, without host validation, sessions, CSRF or an HTTPS redirect.
"""

from . import views

PROBES = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.metrics,
}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PROBES.get(request.path_info)
        if view is not None:
            return view(request)
        return self.get_response(request)
