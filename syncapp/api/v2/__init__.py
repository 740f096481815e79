"""/api/v2: the project's own API (django-ninja). Docs at /api/v2/docs, schema at /api/v2/openapi.json.

The docs page is django-ninja's Swagger UI served from our own static files (ninja is in
INSTALLED_APPS), so it loads nothing from a CDN; the online validator badge is off.
"""

from ninja import NinjaAPI, Swagger

from ..errors import install_error_handlers
from . import changes, directories, elevations, projects, sync

DESCRIPTION = """Read the LogiKal mirror and ask for forced syncs.

Authenticate with `Authorization: Bearer <API key>` (create a key with `manage.py api_client create NAME
--scopes read,sync`, or in the admin). Scopes: `read` for every GET, `sync` for POST .../sync
(`webhooks`: the client may own webhook endpoints, registered in the admin).
Errors: `{"detail": {"code", "message", "details"}}`. Every object carries `verified_at`, `state` and
`last_error`; responses carry `ETag` and `Last-Modified` and answer 304 to conditional requests.
"""

api = NinjaAPI(
    title="logikal-sync API", version="2", description=DESCRIPTION, urls_namespace="api-v2",
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api, validation_status=400)
for module in (projects, elevations, directories, changes, sync):
    api.add_router("", module.router)
