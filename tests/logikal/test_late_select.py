"""A select whose answer timed out may still run on the server later; it must never make a listing answer
for another place (seen in the flaky-upstream fault test: projects of one directory mirrored under another)."""

import time

from syncapp.logikal import errors
from syncapp.logikal.values import Place


def test_a_timed_out_select_landing_late_never_changes_where_a_listing_answers_for(upstreams, one_sim_server):
    sim, server = one_sim_server
    nested = next(d.path for d in sim.iter_directories() if "/" in d.path and sim.projects_in(d.path))
    parent = nested.rsplit("/", 1)[0]
    assert {p.id for p in sim.projects_in(parent)} != {p.id for p in sim.projects_in(nested)}
    upstream = upstreams(server, read_timeout_s=0.5, max_sessions=1)
    # The first select (of the parent, on the way down) hangs past the client's read timeout and is then
    # carried out by the server all the same.
    sim.set_faults(timeout={"path": "/directories/select", "count": 1, "seconds": 1.5})
    try:
        first = {str(p.id) for p in upstream.list_projects(nested)}
    except errors.UpstreamTimeout:
        first = None  # given up: the job would fail and be retried
    time.sleep(1.5)  # the late select has now landed on the server
    again = {str(p.id) for p in upstream.list_projects(nested)}
    expected = {str(p.id) for p in sim.projects_in(nested)}
    assert first in (None, expected)
    assert again == expected


def test_a_session_whose_cursor_is_not_where_it_believes_is_caught_by_the_selected_project(
        upstreams, one_sim_server):
    sim, server = one_sim_server
    places = [(path, p) for path in ["", *(d.path for d in sim.iter_directories())] for p in sim.projects_in(path)]
    (first_path, first), (other_path, other) = places[0], places[1]
    upstream = upstreams(server, max_sessions=1)
    assert upstream.get_project(first_path, str(first.id)).id == str(first.id)
    # The session now believes it stands at `other` while the server's cursor is still at `first`.
    (session,) = upstream.pool._idle
    session.cursor = Place.of(other_path, str(other.id))
    logins = session.logins
    assert upstream.get_project(other_path, str(other.id)).id == str(other.id)
    assert session.logins == logins + 1  # it started afresh instead of trusting the answer
