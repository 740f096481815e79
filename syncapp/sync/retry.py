"""Retries: exponential backoff with a cap and jitter; permanent upstream errors fail at once.

The retry decision is taken by the worker's event loop, where the database must
not be queried, so it reads the per-type settings that the last sync run loaded.
"""

import random

from procrastinate.retry import BaseRetryStrategy, RetryDecision

_configs: dict = {}
# Before any run has loaded the configs (a fresh worker): the model's field defaults.
_FALLBACK = (5, 10, 600)


def remember_configs(configs: dict) -> None:
    _configs.update(configs)


def is_retryable(error: BaseException) -> bool:
    # Upstream errors say for themselves; unknown errors (DB hiccups, bugs) get retried.
    retryable = getattr(error, "retryable", None)
    return True if retryable is None else bool(retryable)


def backoff_seconds(attempt: int, *, base: int, cap: int) -> int:
    """Delay before retry number `attempt` (1 = first retry): full jitter over half the window."""
    window = min(cap, base * (2 ** (attempt - 1)))
    return max(1, int(random.uniform(window / 2, window)))


def _settings(object_type: str) -> tuple[int, int, int]:
    config = _configs.get(object_type)
    if config is None:
        return _FALLBACK
    return config.max_attempts, config.retry_base_seconds, config.retry_max_seconds


def will_retry(error: BaseException, *, attempt: int, config) -> bool:
    return is_retryable(error) and attempt < config.max_attempts


class SyncRetryStrategy(BaseRetryStrategy):
    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        object_type = job.task_kwargs.get("object_type", "")
        max_attempts, base, cap = _settings(object_type)
        attempt = job.attempts + 1  # attempts done so far, this one included
        if not is_retryable(exception) or attempt >= max_attempts:
            return None
        return RetryDecision(retry_in={"seconds": backoff_seconds(attempt, base=base, cap=cap)})
