"""Admin pages, one module per area; importing them registers them.

The dashboard lives at /admin/dashboard/ (``syncapp.admin.urls``) and is linked
from the admin index through the index template set here.
"""

from django.contrib import admin

from . import api, config, partslist, runs, tree  # noqa: F401 - registration side effects

admin.site.site_header = "LogiKal sync administration"
admin.site.site_title = "LogiKal sync"
admin.site.index_template = "admin/syncapp/index.html"
