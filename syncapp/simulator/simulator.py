"""The `Simulator`: one fake LogiKal server's state, plus the Python interface tests use.

    sim = Simulator(SimulatorConfig(dataset="demo"))
    response = sim.call("POST", "/auth", json={"username": "demo", "password": "demo"})
    token = response.json()["data"]["token"]

`call` goes through exactly the code the HTTP shell uses (`api.handle`), minus sockets.
"""

from __future__ import annotations

import json as jsonlib
import random
import threading
from collections.abc import Iterator
from urllib.parse import urlencode

from . import api
from .config import LATENCY_JITTER, SimulatorConfig
from .dataset import DatasetSource
from .envelope import Request, Response
from .faults import FaultInjector
from .model import Directory, Elevation, Phase, Project
from .mutations import Mutator
from .edit_mix import EditMix, EditMixThread
from .partslist import ElevationFacts, PartsListCache, build_parts_list
from .sessions import SessionStore
from .stats import Stats


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None, **overrides):
        if config is None:
            config = SimulatorConfig(**overrides)
        elif overrides:
            raise TypeError("pass either a SimulatorConfig or keyword settings, not both")
        self.config = config
        self.source = DatasetSource(config.dataset, config.seed)
        self.tree = self.source.build_tree()
        self.mutator = Mutator(self.tree, self.source, clock=config.clock,
                               touch_bumps_project=config.touch_bumps_project)
        self.sessions = SessionStore(clock=config.clock, max_sessions=config.max_sessions,
                                     idle_expiry_s=config.token_idle_expiry_s)
        self.stats_counter = Stats()
        self.faults = FaultInjector(config.faults, config.seed)
        self.parts_lists = PartsListCache(config.parts_list_cache_bytes)
        self._latency_rng = random.Random(f"latency:{config.seed}")
        self._latency_lock = threading.Lock()
        self.edit_mix = EditMix(self, config.edit_mix) if config.edit_mix else None
        self._edit_thread: EditMixThread | None = None

    # -- requests ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        return api.handle(self, request)

    def call(self, method: str, path: str, *, token: str | None = None, json=None, query: dict | None = None,
             body: bytes | None = None, headers: dict | None = None) -> Response:
        """One in-process request. `path` is relative to the API base ("/auth") or starts with "/_sim/"."""
        full = path if path.startswith("/_sim") or path.startswith(api.API_PREFIX) else api.API_PREFIX + path
        all_headers = {k.lower(): v for k, v in (headers or {}).items()}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        if json is not None:
            body = jsonlib.dumps(json).encode()
        query = {k: str(v) for k, v in (query or {}).items()}
        return self.handle(Request(method.upper(), full + ("?" + urlencode(query) if query else ""),
                                   query, all_headers, body or b""))

    def latency_delay(self, template: str) -> float:
        base = self.config.latency_for(template)
        if not base:
            return 0.0
        with self._latency_lock:
            return base * (1 + self._latency_rng.uniform(0, LATENCY_JITTER))

    # -- observation -----------------------------------------------------------------------------
    def stats(self) -> dict:
        snapshot = self.stats_counter.snapshot()
        snapshot["current_sessions"] = self.sessions.current()
        snapshot["peak_sessions"] = self.sessions.peak
        snapshot["faults_fired"] = self.faults.snapshot()["fired"]
        snapshot["generated"] = dict(self.tree.generated)
        if self.edit_mix is not None:
            snapshot["edit_mix"] = self.edit_mix.stats()
        return snapshot

    def start_edits(self) -> None:
        """Start the configured edit mix on a thread (the HTTP server does this when it starts)."""
        if self.edit_mix is not None and self._edit_thread is None:
            self._edit_thread = EditMixThread(self.edit_mix)
            self._edit_thread.start()

    def stop_edits(self) -> None:
        if self._edit_thread is not None:
            self._edit_thread.stop()
            self._edit_thread.join(timeout=5)
            self._edit_thread = None

    def reset_stats(self) -> None:
        self.stats_counter.reset()
        self.sessions.reset_peak()
        self.faults.reset_counts()

    def describe(self) -> dict:
        c = self.config
        return {"dataset": c.dataset, "seed": c.seed, "navigation": c.navigation, "latency": c.latency,
                "latency_scale": c.latency_scale, "max_sessions": c.max_sessions,
                "token_idle_expiry_s": c.token_idle_expiry_s, "parts_list_size": c.effective_parts_list_size,
                "touch_bumps_project": c.touch_bumps_project, "api_prefix": api.API_PREFIX,
                "edit_mix": None if c.edit_mix is None else vars(c.edit_mix)}

    # -- faults ----------------------------------------------------------------------------------
    def set_faults(self, **switches) -> None:
        """e.g. ``set_faults(server_error={"count": 2, "path": "/elevations"}, timeout=None)``."""
        self.faults.update(switches)

    def clear_faults(self) -> None:
        self.faults.update({}, clear=True)

    # -- walking the tree (for expected results in tests) ---------------------------------------
    def iter_directories(self) -> Iterator[Directory]:
        """Every directory except the root (""), parents first. Projects may sit at the root too."""
        return self.tree.iter_directories()

    def iter_projects(self) -> Iterator[Project]:
        """Every project, the root directory's included, directory by directory."""
        for path in [""] + [d.path for d in self.tree.iter_directories()]:
            yield from self.tree.projects_in(path)

    def projects_in(self, path: str) -> list[Project]:
        return self.tree.projects_in(path)

    def project(self, project_id: str) -> Project:
        return self.tree.project(project_id)

    def find_project(self, name: str) -> Project:
        project = self.tree.find_project(name)
        self.tree.phases_of(project.id)  # so that .phases is filled in
        return project

    def phases_of(self, project_id: str) -> list[Phase]:
        return self.tree.phases_of(project_id)

    def elevations_of(self, project_id: str, phase_id: str) -> list[Elevation]:
        return self.tree.elevations_of(project_id, phase_id)

    def elevation(self, guid: str) -> Elevation:
        return self.tree.locate_elevation(guid)[2]

    # -- parts lists -----------------------------------------------------------------------------
    def elevation_facts(self, project_id: str, phase_id: str, elevation_id: str) -> ElevationFacts:
        with self.tree.lock:
            project = self.tree.project(project_id)
            phase = self.tree.phase(project_id, phase_id)
            e = self.tree.elevation(project_id, phase_id, elevation_id)
            code, system_name, long_name, manufacturer, _ = e.system
            return ElevationFacts(
                name=e.name, guid=e.id, system_code=code, system_name=system_name, width=e.width, height=e.height,
                color_inside=e.color_inside, color_outside=e.color_outside, system_long_name=long_name,
                amount=e.amount, elevation_type=e.type, manufacturer=manufacturer, project_name=project.name,
                project_guid=project.id, job_number=project.job_number, phase_name=phase.name, phase_guid=phase.id)

    def parts_list_for(self, project_id: str, phase_id: str, elevation_id: str, *, drift: str | None = None) -> bytes:
        """The parts-list file the API serves for an elevation (before any fault is applied).

        Its ``Elevations`` table also lists same-phase elevations whose name extends this one's
        ("P1" also holds "P10".."P13"), as real files do: readers must match names exactly.
        """
        facts = self.elevation_facts(project_id, phase_id, elevation_id)
        with self.tree.lock:
            version = self.tree.elevation(project_id, phase_id, elevation_id).version_id
            extras = tuple(e.name for e in self.tree.elevations_of(project_id, phase_id)
                           if e.name != facts.name and e.name.startswith(facts.name))
        size = self.config.effective_parts_list_size
        key = (elevation_id, version, facts.name, extras, drift, size)
        return self.parts_lists.get_or_build(key, lambda: build_parts_list(
            facts, seed=self.config.seed, extra_elevation_names=extras, drift=drift, size=size))

    # -- upstream changes (what users do in LogiKal) ----------------------------------------------
    def touch_elevation(self, guid: str, *, at: int | None = None) -> int:
        """Bump the elevation's changedDate (and its project's, per touch_bumps_project); returns it."""
        return self.mutator.touch_elevation(guid, at=at).changed_date

    def shift_back(self, seconds: int) -> None:
        """Every upstream date `seconds` earlier (whole seconds, as LogiKal's dates): time passing,
        for a steady-state run that also moves the mirror's clocks (``syncapp.harness.clock``)."""
        self.tree.shift_dates(int(seconds))

    def touch_project(self, guid: str, *, at: int | None = None) -> int:
        return self.mutator.touch_project(guid, at=at).changed_date

    def delete_project(self, guid: str) -> None:
        """Flag as deleted: still listed, with isDeleted=true."""
        self.mutator.delete_project(guid)

    def restore_project(self, guid: str) -> None:
        with self.tree.lock:
            self.tree.project(guid).is_deleted = False
            self.mutator.touch_project(guid)

    def remove_project(self, guid: str) -> None:
        """Gone entirely: no longer listed."""
        self.mutator.remove_project(guid)

    def recycle_elevation(self, guid: str, *, in_bin: bool = True) -> None:
        self.mutator.recycle_elevation(guid, in_bin=in_bin)

    def remove_elevation(self, guid: str) -> None:
        self.mutator.remove_elevation(guid)

    def remove_phase(self, project_id: str, phase_id: str) -> None:
        self.mutator.remove_phase(project_id, phase_id)

    def add_directory(self, path: str) -> str:
        return self.mutator.add_directory(path).path

    def remove_directory(self, path: str) -> None:
        self.mutator.remove_directory(path)

    def add_project(self, directory_path: str, name: str) -> str:
        return self.mutator.add_project(directory_path, name).id

    def add_phase(self, project_id: str, name: str, description: str = "") -> str:
        return self.mutator.add_phase(project_id, name, description).id

    def add_elevation(self, project_guid: str, phase_guid: str, name: str) -> str:
        return self.mutator.add_elevation(project_guid, phase_guid, name).id

    def rename(self, kind: str, identifier: str, name: str, *, project_id: str | None = None) -> None:
        """kind: "directory" (identifier = path), "project", "phase" (needs project_id) or "elevation"."""
        self.mutator.rename(kind, identifier, name, project_id=project_id)
