"""The mirror's consumers: /api/v2 (django-ninja, OpenAPI), the old middleware's /api/v1, API clients.

Views are thin; reads live in ``queries`` (QuerySets), secrets in ``keys`` and ``clients``,
authentication and its failure limit in ``auth`` and ``throttle``, usage counts in ``usage``.
"""
