"""Staff sessions that end when idle, and the Content-Security-Policy header.

Login protection itself is django-axes (settings AXES_*); the other security headers
(Referrer-Policy, X-Content-Type-Options, Cross-Origin-Opener-Policy) come from Django's
SecurityMiddleware. Probes never reach this code: ProbeMiddleware answers them first.
"""

import time

from django.conf import settings
from django.contrib.auth import logout

LAST_ACTIVITY_KEY = "_last_activity"
# A page that refreshes itself sends this header: its fetches are not someone at work, so they
# neither keep an idle session alive nor write the session.
BACKGROUND_HEADER = "HTTP_X_BACKGROUND_REFRESH"
# The last activity is written at most this often: a session write per request would be a
# database write per page view for nothing (the idle limit is hours).
ACTIVITY_WRITE_EVERY_S = 60


def is_background(request) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


class IdleSessionMiddleware:
    """Log out a session that saw no activity for SESSION_IDLE_TIMEOUT_S.

    The cookie's own age is the same limit (SESSION_COOKIE_AGE), renewed whenever the
    activity is written; this server-side check is what holds when a cookie is kept anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT_S:
                logout(request)  # flushes the session; the admin then asks for a login
            elif last is None or (now - last >= ACTIVITY_WRITE_EVERY_S and not is_background(request)):
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send CONTENT_SECURITY_POLICY on every page that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
