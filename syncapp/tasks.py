"""Procrastinate tasks: thin wrappers that load ids and call the sync code."""

from procrastinate.contrib.django import app

from .maintenance import prune_history


@app.task(name="prune_history", queue="maintenance", pass_context=False)
def prune_history_task() -> dict:
    return prune_history()
