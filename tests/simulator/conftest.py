"""Fixtures for the simulator tests (no database, no Django settings needed)."""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Lets `pytest tests/simulator -p no:django` import the project before pytest.ini exists.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
