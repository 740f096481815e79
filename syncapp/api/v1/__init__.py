"""/api/v1: the old middleware's endpoints, so an existing Odoo module keeps working (see README)."""

from ninja import NinjaAPI, Swagger

from ..errors import install_error_handlers
from . import access, odoo

api = NinjaAPI(
    title="logikal-sync API, v1 compatibility", version="1", urls_namespace="api-v1",
    description="The old middleware's paths and shapes for the Odoo module. New clients: use /api/v2.",
    docs=Swagger(settings={"validatorUrl": None}),
)
# FastAPI answered bad input with 422; the old clients may look for it.
install_error_handlers(api, validation_status=422)
api.add_router("", access.router)
api.add_router("", odoo.router)
