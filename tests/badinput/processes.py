"""Running many short `manage.py` processes at once: bad-input cases each need a fresh process."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from ..conftest import ROOT


def run_manage(args, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def run_all(cases: dict, *, base_env: dict, timeout: float = 60) -> dict:
    """{key: (args, env overrides)} -> {key: CompletedProcess}, run side by side."""

    def one(item):
        key, (args, overrides) = item
        env = {k: v for k, v in base_env.items() if k not in overrides}
        env.update({k: v for k, v in overrides.items() if v is not None})
        return key, run_manage(args, env, timeout)

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() * 2 or 2)) as pool:
        return dict(pool.map(one, cases.items()))
