"""Hours of steady state in minutes: freshness of edited objects and the capacity they need (issue 14).

The real path (scheduler tick -> jobs in PostgreSQL -> one `sync_worker` process running
--sessions jobs -> the simulator over HTTP at the production latency profile x --latency-scale S),
production's default configurations (activity-based intervals on), parts lists off, while the
simulator's edit mix (``syncapp/simulator/edit_mix.py``) edits --edit-share of the projects a day,
mostly recent ones, at --edit-rate times that pace.

Simulated time. The mirror and the simulator read the real clock, so instead of speeding it up
the run moves time: a step of --step-minutes D moves every stored time of the mirror and every
date of the simulator back (``syncapp/harness/clock.py``) by D minus the real time the last step
took, so each step starts exactly D simulated minutes after the one before. Then it applies the
edits that fell in those D minutes (a Poisson process, each stamped with its own simulated
moment), runs one scheduler tick (its look-ahead, and the worker's for a project's walk, is a
tick period of D: SCHEDULER_CRON "*/D", the worker's one that never fires: ``quiet_cron``) and
lets the worker drain the queue at scale S. The drain's wall time W stands for W / S at full
scale; the system keeps up when that fits in D (`drain.steps_over_step`). Times written during a
drain land W, not W / S, after the tick: a verification looks up to W / S older than it is, which
makes work come due early (it errs towards more load).

Before it: --history-days of the edit mix applied to the simulator alone (so the project centre
has the recent activity a running office has, and the activity rule its short intervals), a
first sync at --first-sync-latency-scale (not measured), then the projects' verifications
spread over their own intervals (``stagger_verifications``: a long-running service has them
spread; a first sync leaves all quiet projects due at the same moment a day later, the burst
`benchmark cycle` measures), then --warmup-steps unmeasured steps. Then --steps measured steps,
and unmeasured tail steps (edits go on) until every measured edit is either reflected or past
its threshold.

Figures (measured steps):
- detection latency: for each edit, the simulated time from its changedDate until the mirror
  shows it: the tick of the step that found it plus the full-scale lag of that step's listing
  ((its verification - the tick) / S). An edit is within threshold when that is at most the
  edited elevation's own staleness threshold with the activity rule, counted from the edit
  itself (an object just changed gets the configured threshold: 30 min by default);
  `share_within_promised_threshold` counts against the threshold the mirror applied to the object
  when the edit happened (from its previous change: up to 48 h for an old one), for comparison.
  Edits that can only be seen from the next tick on, so a real deployment does no worse.
- needed capacity: the session-seconds the upstream requests cost at full scale (count x the
  profile's latency) per simulated hour / (sessions x 3600), beside the capacity model's figure
  for the mirror at the end (``syncapp.sync.capacity_data.current_estimate`` at API.md's latencies);
  `drain_share`: the full-scale drain time (sum of W / S, local time included and inflated by 1 / S)
  over the simulated time.

Targets (issue 14, `large`, 4 sessions): share_within_threshold >= 0.99, needed_capacity < 0.80.
"""

import math
import os
import tempfile
import time

from ..harness.clock import SimulatorClock, shift_mirror, stagger_verifications
from ..harness.database import database_url, scratch_database
from ..harness.live import quiet_cron, running_worker, wait_idle, worker_env
from ..harness.processes import wait_for
from ._steady_edits import EditLog
from .cycle import _newest_worker

HELP = "Simulated hours of steady state with the edit mix: detection latency of edits, needed capacity."
TARGET_SHARE = 0.99
TARGET_CAPACITY = 0.80
SESSION_IDLE_S = 120  # LOGIKAL_SESSION_IDLE_S's default; the worker gets it x S


def add_arguments(parser):
    parser.add_argument("--dataset", default="large", choices=["demo", "small", "large"])
    parser.add_argument("--navigation", default="strict", choices=["strict", "lenient"])
    parser.add_argument("--sessions", type=int, default=4, help="LOGIKAL_MAX_SESSIONS (and the worker's concurrency).")
    parser.add_argument("--latency-scale", type=float, default=0.1, metavar="S",
                        help="Every simulator latency x S during the steps (default 0.1).")
    parser.add_argument("--first-sync-latency-scale", type=float, default=0.0, metavar="S0",
                        help="Latency x S0 for the unmeasured first sync (default 0: no latency).")
    parser.add_argument("--step-minutes", type=int, default=5, metavar="D",
                        help="Simulated minutes per step and per tick; divides 60 (default 5, production's tick).")
    parser.add_argument("--warmup-steps", type=int, default=12, help="Unmeasured steps after the first sync.")
    parser.add_argument("--steps", type=int, default=48, help="Measured steps (default 48: 4 h at D = 5).")
    parser.add_argument("--edit-share", type=float, default=0.05, help="Share of projects edited a day (0.05).")
    parser.add_argument("--edit-rate", type=float, default=24.0,
                        help="Pace multiplier of the edit mix (default 24: a day's edits an hour).")
    parser.add_argument("--history-days", type=float, default=3.0,
                        help="Simulated days of edits before the first sync (default 3).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600, help="Seconds a drain may take before the run fails.")


def check_options(options) -> None:
    """One clear error for options that cannot describe a run; nothing is started before it."""
    problems = []
    if not 0 < options["latency_scale"] <= 1:
        problems.append(f"--latency-scale must be in (0, 1], got {options['latency_scale']}")
    if not 0 <= options["first_sync_latency_scale"] <= 1:
        problems.append(f"--first-sync-latency-scale must be in [0, 1], got {options['first_sync_latency_scale']}")
    if not 1 <= options["sessions"] <= 64:
        problems.append(f"--sessions must be between 1 and 64, got {options['sessions']}")
    step = options["step_minutes"]
    if not (1 <= step <= 30 and 60 % step == 0):
        problems.append(f"--step-minutes must divide 60 and be at most 30 (a tick period), got {step}")
    if not 1 <= options["steps"] <= 10_000 or not 0 <= options["warmup_steps"] <= 10_000:
        problems.append("--steps must be 1-10000 and --warmup-steps 0-10000")
    if not 0 < options["edit_share"] <= 10 or not 0 < options["edit_rate"] <= 10_000:
        problems.append("--edit-share must be in (0, 10] and --edit-rate in (0, 10000]")
    if not 0 <= options["history_days"] <= 60:
        problems.append(f"--history-days must be between 0 and 60, got {options['history_days']}")
    if problems:
        raise ValueError("; ".join(problems))


def run(options, progress):
    from django.test import override_settings

    from syncapp.models import ObjectSyncConfig
    from syncapp.simulator import Simulator, SimulatorConfig, serve
    from syncapp.simulator.edit_mix import EditMix, EditMixConfig

    check_options(options)
    clock = SimulatorClock()
    sim = Simulator(SimulatorConfig(dataset=options["dataset"], latency="real",
                                    latency_scale=options["first_sync_latency_scale"],
                                    navigation=options["navigation"], parts_list_size="small", clock=clock))
    mix = EditMix(sim, EditMixConfig(share_per_day=options["edit_share"], rate=options["edit_rate"],
                                     seed=options["seed"]))
    tick_cron = f"*/{options['step_minutes']} * * * *"
    with (scratch_database("steady"), tempfile.TemporaryDirectory() as media, serve(sim) as server,
          # The tick runs here: it queues as the worker's own would (navigation: directory lanes).
          override_settings(SCHEDULER_CRON=tick_cron, LOGIKAL_MAX_SESSIONS=options["sessions"],
                            LOGIKAL_NAVIGATION=options["navigation"])):
        ObjectSyncConfig.objects.filter(object_type="parts_list").update(enabled=False)
        configs = ObjectSyncConfig.objects.as_map()
        log = EditLog(sim, clock, mix, configs["elevation"], start=time.time() - options["history_days"] * 86400)
        history = log.apply_until(time.time(), 0.0, measured=False)
        progress(f"{history} edits of history; first sync of {options['dataset']} ({options['navigation']})")
        env = worker_env(os.environ, base_url=server.base_url, database_url=database_url(), media_root=media,
                         LOGIKAL_MAX_SESSIONS=options["sessions"], SCHEDULER_CRON=quiet_cron(options["step_minutes"]),
                         LOGIKAL_NAVIGATION=options["navigation"],
                         LOGIKAL_SESSION_IDLE_S=max(5, round(SESSION_IDLE_S * options["latency_scale"])),
                         LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warning"))
        before = _newest_worker()
        with running_worker(env, media, name="steady", concurrency=options["sessions"]) as worker:
            wait_for(lambda: _newest_worker() > before, timeout=120, what="the worker to start", process=worker)
            started = time.perf_counter()
            first_sync_s = _drain(worker, options, progress)
            stagger_verifications(_now(), configs, seed=options["seed"])
            sim.config.latency_scale = options["latency_scale"]
            figures = Steps(sim, log, worker, options, progress).run()
        yield {**{k: options[k] for k in ("dataset", "navigation", "sessions", "latency_scale", "step_minutes",
                                          "warmup_steps", "steps", "edit_share", "edit_rate", "history_days")},
               "wall_s": round(time.perf_counter() - started, 1), "first_sync_wall_s": round(first_sync_s, 1),
               "history_edits": history, **figures}


def _now():
    from django.utils import timezone

    return timezone.now()


def _drain(worker, options, progress=None) -> float:
    """One scheduler tick and the worker's drain of what it queued (and what that cascaded); wall seconds."""
    from syncapp.sync.tick import scheduler_tick

    started = time.perf_counter()
    scheduler_tick()
    wait_idle(options["timeout"], workers=[worker], progress=progress)
    return time.perf_counter() - started


class Steps:
    """The stepped run after the first sync (see the module docstring)."""

    def __init__(self, sim, log, worker, options, progress):
        self.sim, self.log, self.worker, self.options, self.progress = sim, log, worker, options, progress
        self.step_s = options["step_minutes"] * 60
        self.scale = options["latency_scale"]
        self.shifted = 0.0  # simulated time = real clock + shifted
        self.drains: list[float] = []

    def now(self) -> float:
        return time.time() + self.shifted

    def advance(self, since: float) -> float:
        """Move every date back so that this step starts D simulated minutes after the last one."""
        back = max(0, math.floor(self.step_s - (time.time() - since)))
        shift_mirror(back)
        self.sim.shift_back(back)
        self.shifted += back
        return time.time()

    def step(self, since: float, *, measured: bool) -> float:
        started = self.advance(since)
        self.log.apply_until(self.now(), self.shifted, measured=measured)
        tick_wall = time.time()
        drain = _drain(self.worker, self.options)
        self.log.resolve(tick_wall=tick_wall, drain_s=drain, scale=self.scale, shifted_s=self.shifted)
        if measured:
            self.drains.append(drain)
        return started

    def run(self) -> dict:
        opts = self.options
        since = time.time()
        for k in range(opts["warmup_steps"]):
            since = self.step(since, measured=False)
        self.progress(f"warmed up ({opts['warmup_steps']} steps); measuring {opts['steps']} steps")
        self.sim.reset_stats()
        trust_before = _trust()
        for k in range(opts["steps"]):
            since = self.step(since, measured=True)
            if k % 12 == 11:
                self.progress(f"{k + 1} steps, {len(self.log.edits)} edits, {len(self.log.pending)} not reflected yet")
        stats = self.sim.stats()
        hours = (opts["steps"] * self.step_s) / 3600
        model = _model_share(opts)
        tail = 0
        while self.log.undecided(self.now() + self.step_s) and tail < 1000:
            since = self.step(since, measured=False)
            tail += 1
        figures = self.log.figures(self.now())
        figures["tail_steps"] = tail
        figures["simulated_hours"] = round(hours, 2)
        figures.update(self.capacity(stats, hours))
        figures["model"] = model
        # Production's default: auto. Once phase listings confirmed it 50 times, directory listings
        # vouch for unchanged projects and quiet projects cost no visits at all.
        figures["changed_date_trust"] = {"measurement_start": trust_before, "end": _trust()}
        figures["targets"] = {
            "share_within_threshold": {"target": f">= {TARGET_SHARE}", "value": figures["share_within_threshold"],
                                       "met": (figures["share_within_threshold"] or 0) >= TARGET_SHARE},
            "needed_capacity": {"target": f"< {TARGET_CAPACITY}", "value": figures["needed_capacity"],
                                "met": figures["needed_capacity"] < TARGET_CAPACITY},
        }
        return figures

    def capacity(self, stats, hours) -> dict:
        from syncapp.simulator.config import SimulatorConfig

        profile = SimulatorConfig(latency="real").latency_for  # full scale
        requests = {template: sum(by_status.values()) for template, by_status in stats["requests"].items()}
        session_s = sum(count * profile(template) for template, count in requests.items())
        full = [d / self.scale for d in self.drains]
        sessions = self.options["sessions"]
        return {
            "logins": stats["logins"], "requests_total": sum(requests.values()),
            "project_selects": requests.get("POST /projects/select", 0),
            "session_s_full_scale": round(session_s, 1), "session_s_per_hour": round(session_s / hours, 1),
            "needed_capacity": round(session_s / hours / (sessions * 3600), 4),
            "needed_sessions": round(session_s / hours / 3600, 3),
            "drain": {"mean_wall_s": round(sum(self.drains) / len(self.drains), 2),
                      "max_full_scale_min": round(max(full) / 60, 2),
                      "steps_over_step": sum(1 for d in full if d > self.step_s)},
            "drain_share": round(sum(full) / (hours * 3600), 4),
        }


def _trust() -> dict:
    from syncapp.models.trust import trust_state

    state = trust_state()
    return {"mode": state.mode, "vouching": state.trusted, "confirmations": state.evidence.confirmations,
            "violations": state.evidence.violations}


def _model_share(options) -> dict:
    """The capacity model's needed sessions for the mirror as it is, at API.md's full-scale latencies."""
    from syncapp.logikal.navigation import DEFAULT_LATENCY_S
    from syncapp.sync.capacity_data import current_estimate

    data = current_estimate(navigation=options["navigation"], latency=dict(DEFAULT_LATENCY_S)).as_dict()
    return {"needed_sessions": data["needed_sessions"],
            "needed_capacity": round(data["needed_sessions"] / options["sessions"], 4),
            "demand_s_per_hour": data["demand_s_per_hour"]}
