"""A flaky, lying upstream: every object ends fresh or with a recorded error, and no row is lost.

Real worker processes sync the demo tree from the simulator over HTTP while its fault switches
fire: 5xx on a fifth of the requests, hangs past the client's read timeout, tokens expiring
mid-navigation, 409 locks, cut-short JSON, corrupt parts lists, transiently empty listings.
The mirror is then compared, field by field, with a clean sync of the same tree.
"""

import pytest
from django.utils import timezone

from syncapp.models import Directory, Elevation, Phase, Project, SyncRun
from syncapp.models.partslist import ParseStatus

from ..sync.factories import fixed_intervals
from ..sync.harness import running_worker, shift_back, wait_idle
from . import live, mirror

pytestmark = [pytest.mark.fault, pytest.mark.slow]

# 5xx on a fifth of all requests; the rarer faults capped, so that each fires a few times
# whatever the size of the run.
FLAKY = {
    "server_error": {"rate": 0.2},
    "timeout": {"rate": 0.1, "count": 3, "seconds": 3},  # the client gives up after 2 s
    "expire_token": {"rate": 0.1, "count": 4},
    "locked": {"rate": 0.1, "count": 4},
    "malformed_json": {"rate": 0.1, "count": 4},
}
SUSPICIOUS = "not removing until the next listing confirms"


def sync_once(worker) -> None:
    from syncapp.sync.tick import scheduler_tick

    scheduler_tick()
    wait_idle(150, workers=[worker])


def test_a_resync_through_a_flaky_upstream_with_empty_listings_loses_and_changes_no_row(
    clean_queue, process_env, tmp_path, tally
):
    with live.served_simulator() as (sim, server), \
            running_worker(live.fault_env(process_env, server, tmp_path), tmp_path) as worker:
        sync_once(worker)
        before = mirror.snapshot()
        reference = live.remember_reference(before)
        assert mirror.compare(reference, before).none

        fixed_intervals()  # the configured intervals, not the longer ones the demo's old projects earn
        shift_back(60)  # everything is due again: every listing is taken once more
        live.fast_retries()
        sim.set_faults(**FLAKY, empty_listing={"rate": 0.3, "count": 4})
        started = timezone.now()
        sync_once(worker)
        fired = sim.stats()["faults_fired"]

    tally.faults_injected += sum(fired.values())
    assert set(fired) == {*FLAKY, "empty_listing"}, fired
    diff = mirror.compare(before, mirror.snapshot())
    tally.rows_lost += len(diff.lost)
    assert diff.none, diff
    assert not any(model.objects.exclude(removed_at=None).exists() for model in (Directory, Project, Phase, Elevation))

    # Each empty answer where children existed left a warning and marks, never a tombstone.
    warned = SyncRun.objects.filter(started_at__gte=started, error__contains=SUSPICIOUS)
    marked = sum(model.objects.exclude(missing_since=None).count() for model in (Directory, Project, Phase, Elevation))
    assert warned.exists() and marked > 0
    assert mirror.unaccounted_objects(since=started) == []
    # The faults were felt: jobs failed and their retries succeeded.
    assert SyncRun.objects.filter(started_at__gte=started, outcome="retrying").exists()
    assert not SyncRun.objects.filter(outcome__in=["running", "failed"]).exists()


def test_a_first_sync_through_a_flaky_upstream_ends_like_a_clean_one(clean_queue, process_env, tmp_path, tally):
    reference = live.reference_snapshot(process_env, tmp_path)
    live.fast_retries()
    with live.served_simulator() as (sim, server):
        sim.set_faults(**FLAKY, parts_list={"count": 3, "variant": "corrupt"})
        started = timezone.now()
        live.full_sync(live.fault_env(process_env, server, tmp_path), tmp_path)
        fired = sim.stats()["faults_fired"]

    tally.faults_injected += sum(fired.values())
    assert set(fired) == {*FLAKY, "parts_list"}, fired
    # A corrupt download is a recorded error of its parts list, the rest is the clean result.
    # (A corrupt file whose answer was then cut short is downloaded again, whole.)
    invalid = mirror.invalid_parts_lists()
    assert 1 <= len(invalid) <= fired["parts_list"]
    assert all(message.strip() for message in invalid.values()), invalid
    diff = mirror.compare(reference, mirror.snapshot(), ignore_keys={("parts_list", guid) for guid in invalid})
    tally.rows_lost += len(diff.lost)
    assert diff.none, diff

    assert mirror.unaccounted_objects(since=started) == []
    assert SyncRun.objects.filter(outcome="retrying").exists()
    assert not SyncRun.objects.filter(outcome__in=["running", "failed"]).exists()
    parsed = Elevation.objects.filter(is_in_recycle_bin=False, parts_list__parse_status=ParseStatus.PARSED).count()
    assert parsed == Elevation.objects.filter(is_in_recycle_bin=False).count() - len(invalid)
