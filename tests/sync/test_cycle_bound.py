"""The lower bound that `benchmark cycle` divides by, on a known tree (see its --help)."""

import pytest

from syncapp.benchmarks.cycle import check_options, lower_bound_s
from syncapp.simulator.config import SimulatorConfig

from . import factories as f

pytestmark = pytest.mark.django_db

L = SimulatorConfig(latency="real").latency_for


@pytest.fixture
def tree():
    """The root, "A" (two projects of 3 and 1 phases), "A/B" (one project of 2 phases), "C" (empty)."""
    a, c = f.directory("A"), f.directory("C")
    b = f.directory("A/B")
    for directory, phase_counts in ((a, (3, 1)), (b, (2,))):
        for count in phase_counts:
            project = f.project(directory)
            for _ in range(count):
                f.phase(project)
    f.phase(f.project(c, removed_at=f.ago(1)))  # removed: no work
    return a, b, c


def expected_parts():
    listing = 4 * (L("GET /directories") + L("GET /projects")) + 3 * L("POST /directories/select")
    walk = 3 * (L("POST /projects/select") + L("GET /projects/selected") + L("GET /phases")) \
        + 6 * (L("POST /phases/select") + L("GET /elevations"))
    login = L("POST /auth") + L("DELETE /auth")
    return listing, walk, login, L("POST /directories/select")


def test_the_strict_bound_pays_a_login_and_the_path_per_project(tree):
    listing, walk, login, select_dir = expected_parts()
    arrivals = 2 * (login + select_dir) + (login + 2 * select_dir)

    bound, counts = lower_bound_s("strict", 2, L)

    assert bound == pytest.approx((listing + walk + arrivals) / 2)
    assert counts == {"directories": 4, "directories_with_projects": 2, "projects": 3, "phases": 6}


def test_the_lenient_bound_pays_a_login_per_directory_holding_projects(tree):
    listing, walk, login, select_dir = expected_parts()
    arrivals = (login + select_dir) + (login + 2 * select_dir)

    bound, _ = lower_bound_s("lenient", 1, L)

    assert bound == pytest.approx(listing + walk + arrivals)


@pytest.mark.parametrize("options", [{"latency_scale": 0, "sessions": 4}, {"latency_scale": 1.5, "sessions": 4},
                                     {"latency_scale": 0.25, "sessions": 0}])
def test_nonsense_options_are_refused_with_one_message(options):
    with pytest.raises(ValueError, match="--latency-scale|--sessions"):
        check_options(options)
