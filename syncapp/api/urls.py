from django.urls import path

from .v1 import api as v1_api
from .v2 import api as v2_api

urlpatterns = [
    path("api/v2/", v2_api.urls),
    path("api/v1/", v1_api.urls),
]
