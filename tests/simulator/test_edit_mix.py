"""The simulator's realistic edit mix: its pace, its preference for recent projects, its dates."""

import time

import httpx
import pytest

from syncapp.simulator import serve
from syncapp.simulator.edit_mix import DAY_S, EditMixConfig

from .conftest import FrozenClock, make_sim


def test_the_pace_is_the_share_of_projects_a_day_times_the_rate():
    sim = make_sim(dataset="large", edit_mix={"share_per_day": 0.05})
    assert sim.edit_mix.edits_per_second() == pytest.approx(0.05 * 1000 / DAY_S)
    compressed = make_sim(dataset="large", edit_mix={"share_per_day": 0.05, "rate": 24})
    assert compressed.edit_mix.edits_per_second() == pytest.approx(0.05 * 1000 * 24 / DAY_S)  # a day an hour


def test_projects_are_picked_by_recency_weight():
    clock = FrozenClock()
    sim = make_sim(dataset="small", clock=clock, edit_mix={"recency_days": 7})
    projects = list(sim.iter_projects())
    ages_days = [0, 7, 70, 700]
    for project, age in zip(projects, ages_days):
        sim.touch_project(project.id, at=int(clock.now - age * DAY_S))
    weights = [1 / (1 + age / 7) for age in ages_days]
    picks = sim.edit_mix.pick_projects(40_000)
    for project, weight in zip(projects, weights):
        share = sum(1 for p in picks if p.id == project.id) / len(picks)
        assert share == pytest.approx(weight / sum(weights), abs=0.015), project.name
    # Today's project is edited about 100 times as often as last year's archive.
    counts = [sum(1 for p in picks if p.id == project.id) for project in projects]
    assert counts[0] > 50 * counts[3]


@pytest.mark.parametrize("bumps", [True, False])
def test_an_edit_moves_the_elevations_date_and_the_projects_only_when_configured(bumps):
    clock = FrozenClock()
    sim = make_sim(dataset="small", clock=clock, touch_bumps_project=bumps, edit_mix={"seed": 3})
    before = {p.id: p.changed_date for p in sim.iter_projects()}
    clock.advance(3600)
    touched = [sim.edit_mix.edit_once() for _ in range(20)]
    edited = set(sim.edit_mix.edited_projects)
    assert sim.edit_mix.edits == 20 and edited
    moved = {p.id for p in sim.iter_projects() if p.changed_date != before[p.id]}
    assert moved == (edited if bumps else set())
    for guid in touched:
        assert sim.elevation(guid).changed_date >= clock.now - 1  # saved "now" (or added now)


def test_a_served_simulator_edits_by_itself_and_stops_with_the_server():
    sim = make_sim(dataset="small", edit_mix={"share_per_day": 1, "rate": 200_000})
    rate = sim.edit_mix.edits_per_second()  # 1 x 4 projects x 200,000 / 86,400: about 9 a second
    with serve(sim) as server:
        deadline = time.monotonic() + 10
        while sim.edit_mix.edits < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        stats = httpx.get(f"{server.root_url}/_sim/stats", timeout=5).json()["data"]
    assert rate == pytest.approx(4 * 200_000 / DAY_S)
    assert stats["edit_mix"]["edits"] >= 5
    after = sim.edit_mix.edits
    time.sleep(0.5)
    assert sim.edit_mix.edits == after  # the thread ended with the server


@pytest.mark.parametrize("values", [{"share_per_day": 0}, {"rate": -1}, {"recency_days": 0}])
def test_a_bad_edit_mix_setting_is_refused(values):
    with pytest.raises(ValueError, match="edit"):
        EditMixConfig(**values)
