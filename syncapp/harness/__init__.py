"""Test support shared by the test suite and the benchmarks.

Scratch databases, child processes that die with their parent, worker processes and the
waits of a live run, and a large mirror built straight in the database. Nothing in the
product imports it: it is here (not under ``tests/``) because ``manage.py benchmark`` runs
from an installed checkout too.
"""
