"""Benchmarks run by `manage.py benchmark NAME`.

Each module here is one benchmark: it defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(options, progress) -> Iterable[dict]``; every
dict it yields is printed as one JSON line with ``"benchmark": NAME`` first.
Figures carry their unit in the name (``wall_s``, ``p50_ms``, ``rss_mb``).
``progress(text)`` writes human-readable progress to stderr.
"""
