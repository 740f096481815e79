"""Admin pages, one module per area; importing them registers them.

The site itself (sections, the dashboard in the sidebar) is ``syncapp.admin_site``; the
dashboard lives at /admin/dashboard/ (``syncapp.admin.urls``).
"""

from . import api, audit, config, jobs, partslist, runs, tree, webhooks  # noqa: F401 - registration side effects
