"""Make `python3 manage.py ...` work on a fresh clone with only Python 3.11+.

When Django cannot be imported, create `.venv` beside manage.py, install the
pinned development requirements into it (`requirements-dev.txt`, which includes the
production `requirements.txt`) and re-run the same command with its interpreter.
A hash of both files is kept in the venv, so a changed pin in either reinstalls.
Standard library only: this runs before anything is installed.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements-dev.txt"
PINNED_FILES = (ROOT / "requirements.txt", REQUIREMENTS)
STAMP = VENV / ".requirements.sha256"


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _requirements_hash() -> str:
    digest = hashlib.sha256()
    for path in PINNED_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _running_in_project_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_environment() -> None:
    """Re-exec under the project's venv when needed; return when ready."""
    if sys.version_info < (3, 11):
        sys.exit("logikal-sync needs Python 3.11 or newer")
    in_venv = _running_in_project_venv()
    up_to_date = STAMP.exists() and STAMP.read_text().strip() == _requirements_hash()
    if in_venv and up_to_date:
        return
    if not in_venv:
        try:
            import django  # noqa: F401

            return  # the caller brought their own environment
        except ImportError:
            pass
    if not _venv_python().exists():
        print(f"Creating a virtualenv in {VENV} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not up_to_date:
        print("Installing requirements-dev.txt (with requirements.txt) into .venv ...", file=sys.stderr)
        subprocess.run(
            [str(_venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            check=True,
        )
        STAMP.write_text(_requirements_hash())
    if not in_venv:
        python = str(_venv_python())
        os.execv(python, [python, *sys.argv])
