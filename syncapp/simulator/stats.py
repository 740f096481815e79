"""Request counters, so tests and benchmarks can see exactly what a client asked for."""

from __future__ import annotations

import threading
from collections import defaultdict


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            self.logins = 0
            self.logouts = 0
            self.failed_logins = 0
            self.refused_logins = 0
            self.mutations = 0
            self.parts_list_bytes = 0
            self.latency_s = 0.0  # simulated latency served (what the requests cost their sessions)

    def count_request(self, template: str, status: int) -> None:
        with self._lock:
            self.requests[template][str(status)] += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict:
        with self._lock:
            requests = {t: dict(sorted(by_status.items())) for t, by_status in sorted(self.requests.items())}
            return {
                "requests": requests,
                "total_requests": sum(sum(s.values()) for s in requests.values()),
                "logins": self.logins,
                "logouts": self.logouts,
                "failed_logins": self.failed_logins,
                "refused_logins": self.refused_logins,
                "mutations": self.mutations,
                "parts_list_bytes": self.parts_list_bytes,
                "latency_s": round(self.latency_s, 3),
            }
