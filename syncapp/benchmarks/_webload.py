"""Staff browsing the admin (and Prometheus scraping) while a benchmark's sync runs: latency and errors per path."""

import re
import threading
import time
from collections import Counter, defaultdict

import httpx

ADMIN_USER = "bench"
ADMIN_PASSWORD = "bench-password-4471"  # a throwaway superuser in a throwaway database
METRICS_TOKEN = "bench-metrics-token-0123456789"
# Every admin list, the dashboard (page, fragment, JSON), /metrics and /readyz.
WEB_PATHS = (
    "/admin/",
    "/admin/dashboard/",
    "/admin/dashboard/?fragment=1",
    "/admin/dashboard/data.json",
    "/admin/syncapp/directory/",
    "/admin/syncapp/project/",
    "/admin/syncapp/phase/",
    "/admin/syncapp/elevation/",
    "/admin/syncapp/partslist/",
    "/admin/syncapp/syncrun/",
    "/admin/syncapp/syncrun/?problem=open",
    "/admin/syncapp/objectsyncconfig/",
    "/admin/syncapp/schedulertick/",
    "/admin/syncapp/upstreamsessionlease/",
    "/admin/procrastinate/procrastinatejob/",
    "/admin/auth/user/",
    "/metrics",
    "/readyz",
)
P99_TARGET_MS = 2000
LOGIN = "/admin/login/"


def expected_outcome(path: str) -> str:
    """The login form redirects on success; every page answers 200 (a 302 would mean logged out)."""
    return "302" if path == LOGIN else "200"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


class WebLoad:
    """A few staff members clicking through every admin list while the sync runs."""

    def __init__(self, base: str, *, clients: int):
        self.base = base
        self.clients = clients
        self.statuses: Counter = Counter()  # (path, "200" | "ReadTimeout" | ...) -> n
        self.latencies_ms: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=90)

    def _record(self, path: str, outcome: str, elapsed_ms: float | None) -> None:
        with self._lock:
            self.statuses[(path, outcome)] += 1
            if elapsed_ms is not None:
                self.latencies_ms[path].append(elapsed_ms)

    def _client(self, index: int) -> None:
        # The web runs with production settings: cookies are Secure and the app believes the
        # request is HTTPS (X-Forwarded-Proto), so cookies are carried by hand over plain HTTP.
        headers = {"X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1{self.base[self.base.rfind(':'):]}/"}
        cookies: dict[str, str] = {}
        with httpx.Client(base_url=self.base, timeout=60, headers=headers) as client:
            try:
                self._log_in(client, cookies)
            except (httpx.HTTPError, RuntimeError) as error:
                self._record(LOGIN, type(error).__name__, None)
            step = index
            while not self._stop.is_set():
                path = WEB_PATHS[step % len(WEB_PATHS)]
                step += 1
                extra = {"Authorization": f"Bearer {METRICS_TOKEN}"} if path == "/metrics" else {}
                started = time.monotonic()
                try:
                    response = client.get(path, headers={**extra, "Cookie": _cookie_header(cookies)})
                    self._record(path, str(response.status_code), (time.monotonic() - started) * 1000)
                except httpx.HTTPError as error:
                    self._record(path, type(error).__name__, None)
                self._stop.wait(0.2)

    def _log_in(self, client, cookies) -> None:
        page = client.get("/admin/login/")
        _remember(page, cookies)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            raise RuntimeError("no CSRF token on the login page")
        response = client.post(
            "/admin/login/?next=/admin/",
            data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Cookie": _cookie_header(cookies)},
        )
        _remember(response, cookies)
        self._record(LOGIN, str(response.status_code), None)
        if "sessionid" not in cookies:
            raise RuntimeError(f"login failed ({response.status_code})")

    def figures(self) -> dict:
        """Per path: requests, errors (any other answer than expected), outcomes and latency percentiles; then the totals."""
        paths = {}
        for path in sorted({path for path, _ in self.statuses}):
            outcomes = {outcome: n for (p, outcome), n in sorted(self.statuses.items()) if p == path}
            times = self.latencies_ms.get(path, [])
            paths[path] = {
                "requests": sum(outcomes.values()),
                "errors": sum(n for outcome, n in outcomes.items() if outcome != expected_outcome(path)),
                "outcomes": outcomes,
                **({"p50_ms": round(percentile(times, 0.5)), "p95_ms": round(percentile(times, 0.95)),
                    "p99_ms": round(percentile(times, 0.99)), "max_ms": round(max(times))} if times else {}),
            }
        every = [ms for path, times in self.latencies_ms.items() for ms in times]
        slowest = max((f["p99_ms"] for f in paths.values() if "p99_ms" in f), default=0)
        return {
            "web_requests": sum(f["requests"] for f in paths.values()),
            "web_errors": sum(f["errors"] for f in paths.values()),
            "web_p50_ms": round(percentile(every, 0.5)) if every else None,
            "web_p99_ms": round(percentile(every, 0.99)) if every else None,
            "web_slowest_path_p99_ms": slowest,
            "web_p99_target_ms": P99_TARGET_MS,
            "web_every_path_within_target": bool(paths) and slowest <= P99_TARGET_MS,
            "web_paths": paths,
        }

    def errors(self) -> list[str]:
        return [f"{path}: {n} x {outcome}" for (path, outcome), n in sorted(self.statuses.items())
                if outcome != expected_outcome(path)]


def _remember(response, cookies: dict) -> None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
