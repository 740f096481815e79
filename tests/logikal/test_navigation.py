"""Routes of the navigation cursor, and a session learning what the server allows (both modes)."""

import pytest

from syncapp.logikal import errors
from syncapp.logikal.http import Transport
from syncapp.logikal.navigation import LatencyBook, MoveBook, Need, best_route, reuse_routes
from syncapp.logikal.session import Credentials, Session
from syncapp.logikal.values import Place

from .conftest import requests_of

P, Q = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
A, B = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
E1, E2 = "eeeeeeee-eeee-eeee-eeee-eeeeeeeeee01", "eeeeeeee-eeee-eeee-eeee-eeeeeeeeee02"


def actions(route):
    return [(s.action, s.level, s.identifier) for s in route.steps]


def plan(cursor, target, moves=None, logged_in=True):
    return best_route(cursor, target, logged_in=logged_in, moves=moves or MoveBook(), latency=LatencyBook())


def test_a_fresh_session_selects_each_directory_prefix_from_the_root():
    route = plan(None, Place("Demo/Sub 1/Sub 2", P, A), logged_in=False)
    assert route.fresh
    assert actions(route) == [("login", None, None), ("select", "directory", "Demo"),
                              ("select", "directory", "Demo/Sub 1"), ("select", "directory", "Demo/Sub 1/Sub 2"),
                              ("select", "project", P), ("select", "phase", A)]


def test_moving_down_the_directory_tree_selects_only_the_missing_prefixes():
    route = plan(Place("Demo"), Place("Demo/Sub 1/Sub 2"))
    assert actions(route) == [("select", "directory", "Demo/Sub 1"), ("select", "directory", "Demo/Sub 1/Sub 2")]


def test_moving_sideways_between_directories_starts_again_from_the_root_prefix():
    route = plan(Place("Demo/Sub 1"), Place("Archive/2023"))
    assert not route.fresh
    assert actions(route) == [("select", "directory", "Archive"), ("select", "directory", "Archive/2023")]


def test_the_root_and_other_directories_are_out_of_reach_once_a_project_is_selected():
    assert reuse_routes(Place("Demo"), Place(""), moves=MoveBook(), latency=LatencyBook()) == []
    assert reuse_routes(Place("Demo", P), Place("Archive"), moves=MoveBook(), latency=LatencyBook()) == []
    assert reuse_routes(Place("Demo", P), Place("Demo"), moves=MoveBook(), latency=LatencyBook()) == []
    assert plan(Place("Demo", P), Place("Archive", Q)).fresh


def test_a_sibling_phase_is_one_select_away_because_it_was_observed_to_work():
    route = plan(Place("Demo", P, A), Place("Demo", P, B, E1))
    assert actions(route) == [("select", "phase", B), ("select", "elevation", E1)]
    assert route.untried == (("select", "phase", "phase"),)


def test_an_untried_move_is_preferred_over_a_login_and_a_refused_one_is_never_planned():
    moves = MoveBook()
    route = plan(Place("Demo", P, A, E1), Place("Demo", P, A, E2), moves)
    assert actions(route) == [("select", "elevation", E2)]
    moves.learn(("select", "elevation", "elevation"), False)
    assert actions(plan(Place("Demo", P, A, E1), Place("Demo", P, A, E2), moves)) == [
        ("select", "phase", A), ("select", "elevation", E2)]
    moves.learn(("select", "phase", "elevation"), False)
    moves.learn(("select", "project", "elevation"), False)
    assert plan(Place("Demo", P, A, E1), Place("Demo", P, A, E2), moves).fresh


def test_a_sibling_project_in_another_directory_needs_a_fresh_session():
    assert plan(Place("Demo", P), Place("Archive", Q)).steps[0].action == "logout"


# -- a session against the simulator ---------------------------------------------------------------
@pytest.fixture
def session(sim_server):
    _, server = sim_server
    transport = Transport(server.base_url, connect_timeout_s=2, read_timeout_s=5, backoff_s=0.01)
    made = Session(transport=transport, credentials=Credentials("demo", "demo"), moves=MoveBook(),
                   latency=LatencyBook())
    yield made
    made.logout()
    transport.close()


@pytest.fixture
def dos_elevations(sim):
    project = sim.find_project("DOS22309")
    phases = sim.phases_of(project.id)
    return project, phases, {p.id: sim.elevations_of(project.id, p.id) for p in phases}


def test_it_learns_that_a_strict_server_refuses_a_sibling_elevation_and_recovers_with_a_fresh_login(
        session, sim, navigation, dos_elevations):
    project, phases, elevations = dos_elevations
    first, second, third = elevations[phases[0].id][:3]
    need = Need(Place("Demo Odoo", project.id, phases[0].id, first.id), "GET /elevations/selected/parts-list")
    for elevation in (first, second, third):
        need = Need(Place("Demo Odoo", project.id, phases[0].id, elevation.id), need.endpoint)
        assert session.call(need, "GET", "/elevations/selected/parts-list")  # base64 text
    stats, requests = sim.stats(), sim.stats()["requests"]
    if navigation == "strict":
        assert session.moves.allowed(("select", "elevation", "elevation")) is False
        assert requests["POST /elevations/select"].get("409") == 1  # tried once, then remembered
        assert stats["logins"] == 3
    else:
        assert session.moves.allowed(("select", "elevation", "elevation")) is True
        assert "409" not in requests["POST /elevations/select"]
        assert stats["logins"] == 1


def test_a_listing_from_below_its_level_is_tried_once_and_remembered(session, sim, navigation, dos_elevations):
    project, phases, elevations = dos_elevations
    e1, e2 = elevations[phases[0].id][:2]
    listing = Need(Place("Demo Odoo", project.id, phases[0].id), "GET /elevations", deeper_ok=True)
    session.navigate(Place("Demo Odoo", project.id, phases[0].id, e1.id))
    assert len(session.call(listing, "GET", "/elevations")) == 13
    session.navigate(Place("Demo Odoo", project.id, phases[0].id, e2.id))
    assert len(session.call(listing, "GET", "/elevations")) == 13
    learned = session.moves.allowed(("call", "GET /elevations", "elevation"))
    assert learned is (navigation == "lenient")
    assert sim.stats()["requests"]["GET /elevations"].get("405", 0) == (1 if navigation == "strict" else 0)


def test_an_expired_token_mid_navigation_is_replaced_and_the_navigation_replayed(session, sim, dos_elevations):
    project, phases, _ = dos_elevations
    sim.set_faults(expire_token={"count": 1, "path": "/phases/select"})
    need = Need(Place("Demo Odoo", project.id, phases[1].id), "GET /elevations", deeper_ok=True)
    result = session.call(need, "GET", "/elevations")
    assert [e["name"] for e in result] == ["F1.01", "F1.02", "F1.03", "F1.04"]
    requests = requests_of(sim)
    assert sim.stats()["logins"] == 2
    assert requests["POST /projects/select"] == 2  # replayed from the root after the new login
    assert sim.stats()["requests"]["POST /phases/select"] == {"200": 1, "401": 1}


def test_a_second_expiry_in_the_same_call_is_a_retryable_error(session, sim, dos_elevations):
    project, phases, _ = dos_elevations
    sim.set_faults(expire_token={"count": 2, "path": "/phases"})
    need = Need(Place("Demo Odoo", project.id), "GET /phases", deeper_ok=True)
    with pytest.raises(errors.SessionExpired) as caught:
        session.call(need, "GET", "/phases")
    assert caught.value.retryable is True


def test_an_unknown_project_is_a_permanent_error_and_the_cursor_stays(session, sim):
    session.navigate(Place("Demo Odoo"))
    with pytest.raises(errors.NotFound):
        session.navigate(Place("Demo Odoo", "99999999-9999-9999-9999-999999999999"))
    assert session.cursor == Place("Demo Odoo")
    assert requests_of(sim)["POST /projects/select"] == 1
