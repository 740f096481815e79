"""Errors in the staff's words: one short line per error class, endpoint and status."""

import httpx
import pytest
from django.db import OperationalError

from syncapp.logikal import errors
from syncapp.logikal.http import ALLOWED, error_for
from syncapp.logikal.plain_words import ACTIONS, SUMMARY_MAX_CHARS, summarize


def answered(status: int, endpoint: str = "GET /phases", message: str = "Internal Server Error") -> errors.UpstreamError:
    """The error the client raises for this answer (the real mapping, not a hand-made error)."""
    response = httpx.Response(status, json={"message": message, "errors": ["(simulated fault)"]})
    return error_for(response, endpoint)


@pytest.mark.parametrize(("status", "endpoint", "summary"), [
    (500, "GET /phases", "LogiKal server error while listing phases"),
    (503, "GET /elevations/selected/parts-list", "LogiKal server error while downloading the parts list"),
    (429, "GET /projects", "LogiKal asked us to slow down while listing projects"),
    (404, "POST /projects/select", "LogiKal no longer has it (not found while opening a project)"),
    (403, "GET /elevations/selected/parts-list", "Our LogiKal user has no permission for downloading the parts list"),
    (403, "POST /auth", "LogiKal has no free session for our user (its session limit is reached)"),
    (401, "POST /auth", "LogiKal refused the configured login (check LOGIKAL_USERNAME and LOGIKAL_PASSWORD)"),
    (401, "GET /elevations", "LogiKal ended the session while listing elevations"),
    (409, "GET /phases", "Locked by another LogiKal user while listing phases"),
    (405, "GET /phases", "LogiKal would not let the session move there while listing phases"),
    (400, "GET /directories", "LogiKal rejected the request while listing directories"),
    (418, "GET /version", "LogiKal error 418 while checking the server version"),
])
def test_each_answer_reads_as_what_happened_and_where(status, endpoint, summary):
    assert summarize(answered(status, endpoint)) == summary


def test_transfer_and_schema_problems_and_our_own_limits_are_named():
    assert summarize(errors.UpstreamTimeout("GET /phases: read timeout", endpoint="GET /phases")) == \
        "LogiKal did not answer in time while listing phases"
    assert summarize(errors.UpstreamUnavailable("cannot connect", endpoint="GET /projects")) == \
        "Could not reach LogiKal while listing projects"
    cut = errors.MalformedResponse("bad JSON", field="body", endpoint="GET /elevations", retryable=True)
    assert summarize(cut) == "LogiKal's answer arrived cut short while listing elevations"
    wrong = errors.MalformedResponse("x", field="elevations[3].changedDate", endpoint="GET /elevations")
    assert summarize(wrong) == ("LogiKal answered in an unexpected form while listing elevations "
                                "(field elevations[3].changedDate)")
    assert summarize(errors.SessionSlotTimeout("no slot")) == \
        "Waited too long for a free LogiKal session (all allowed sessions were busy)"
    assert summarize(errors.UpstreamClosed("closed")) == "Stopped because the worker was shutting down"
    assert summarize(errors.SessionUncertain("maybe open")) == \
        "A LogiKal session that may still be open had to expire first (session limit kept)"
    assert summarize(OperationalError("server closed the connection")) == \
        "Database error (connection lost or statement refused)"
    assert summarize(KeyError("x")) == "Unexpected error in the sync (KeyError); see the details"


def test_the_servers_own_text_never_reaches_the_summary_and_it_stays_short():
    hostile = answered(500, message="<script>alert(1)</script>" + "x" * 5000)
    assert "script" not in summarize(hostile) and "x" * 10 not in summarize(hostile)
    assert all(len(summarize(answered(status, endpoint))) <= SUMMARY_MAX_CHARS
               for status in (500, 404, 409) for endpoint in ALLOWED)


def test_every_endpoint_the_client_may_call_has_words():
    assert set(ACTIONS) == set(ALLOWED)
