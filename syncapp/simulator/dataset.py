"""Deterministic data sets: the same seed gives the same project centre, to the byte.

- ``demo``: hand-laid directories ("Demo Odoo/Sublevel 1 Testing", ...) and a few projects,
  among them the reference project "DOS22309" (phases "Posities zonder levering", the null-GUID
  default phase with elevations P1-P13, and "Fase 1 (DEMO)" with 4 elevations).
- ``small``: 3 directories, 4 projects, 2 phases each, 3 elevations per phase (fast tests).
- ``hostile``: like ``small`` in shape, but every name and description is what an attacker
  could type in LogiKal: markup, quotes, control characters, very long strings (``hostile.py``).
- ``large``: 50 directories, 1,000 projects, 5,000 phases, 100,000 elevations. Only directories
  and projects exist at start; phases and elevations are generated when first listed.

Every project has the null-GUID default phase. Each object draws from its own RNG, seeded by
the data-set seed and its position, so generation order (which client looked first) never
changes the result. Elevations are dated between their project's creation and last change,
as saving an elevation in LogiKal also saves its project.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import catalog, hostile
from .catalog import NULL_GUID, guid_from
from .model import Elevation, Phase, Project, Tree

BASE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z; fixed so that data sets repeat exactly
DEFAULT_PHASE_NAME = "Posities zonder levering"
LARGE_TOP_DIRECTORIES = ("Customers", "Residential", "Commercial", "Renovation", "New build",
                         "Tenders", "Service", "Schools", "Healthcare", "Archive")
LARGE_SUB_DIRECTORIES = ("2022", "2023", "2024", "2025")


@dataclass(frozen=True)
class PhasePlan:
    """What a phase will contain when it is generated: name and elevation names."""

    id: str
    name: str
    description: str
    elevation_names: tuple[str, ...]


@dataclass(frozen=True)
class ProjectPlan:
    directory: str
    name: str | None = None  # None: a generated realistic name
    job_number: str | None = None
    phases: tuple[tuple[str, str, int, str], ...] | None = None  # (id or "", name, count, prefix)
    is_deleted: bool = False
    recycled: tuple[str, ...] = ()  # elevation names that sit in the recycle bin


DEMO_DIRECTORIES = ("Demo Odoo", "Demo Odoo/Sublevel 1 Testing", "Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing",
                    "Archive", "Archive/2023", "Quotations")
DEMO_PROJECTS = (
    ProjectPlan("", "Showroom Industrieweg 3, Zwolle", None, (("", DEFAULT_PHASE_NAME, 3, "P"), ("", "Fase 1", 2, "F1."))),
    ProjectPlan("Demo Odoo", "DOS22309", "DOS22309",
                ((NULL_GUID, DEFAULT_PHASE_NAME, 13, "P"), ("", "Fase 1 (DEMO)", 4, "F1."))),
    ProjectPlan("Demo Odoo", "Office block Stationsweg 4, Utrecht", None,
                (("", DEFAULT_PHASE_NAME, 5, "P"), ("", "Begane grond", 3, "BG."), ("", "1e verdieping", 3, "V1."))),
    ProjectPlan("Demo Odoo/Sublevel 1 Testing", "Villa Molenweg 17, Breda", None, (("", DEFAULT_PHASE_NAME, 4, "P"),)),
    ProjectPlan("Demo Odoo/Sublevel 1 Testing/Sublevel 2 Testing", "Nested test project", None,
                (("", DEFAULT_PHASE_NAME, 2, "P"),)),
    ProjectPlan("Archive/2023", "School Kerkstraat 8, Delft", None, (("", DEFAULT_PHASE_NAME, 3, "P"),), is_deleted=True),
    ProjectPlan("Quotations", "Apartments Havenkade 2, Rotterdam", None,
                (("", DEFAULT_PHASE_NAME, 6, "P"), ("", "Variant B", 2, "B.")), recycled=("P6",)),
)


class DatasetSource:
    """Builds the skeleton of a data set and, on demand, its phases and elevations."""

    def __init__(self, dataset: str, seed: int):
        self.dataset = dataset
        self.seed = seed
        self.plans: dict[str, ProjectPlan] = {}  # project id -> plan, for hand-laid projects

    # -- skeleton ----------------------------------------------------------------------------
    def build_tree(self) -> Tree:
        if self.dataset == "demo":
            directories, plans = list(DEMO_DIRECTORIES), list(DEMO_PROJECTS)
        elif self.dataset == "hostile":
            directories = hostile.directory_paths()
            plans = [ProjectPlan(d, hostile.name(i, f"P{i}") if i else hostile.long_name("P0"), hostile.text(i + 1)[:40],
                                 (("", hostile.name(i + 2, "default"), 2, hostile.text(i + 3)[:60] + " E"),
                                  ("", hostile.name(i + 4, "phase"), 2, hostile.text(i + 5)[:60] + " F.")))
                     for i, d in enumerate(directories + ["", directories[1]])]
        elif self.dataset == "small":
            directories = ["Projects", "Projects/2024", "Archive"]
            plans = [ProjectPlan(d) for d in ("Projects/2024", "Projects/2024", "Projects", "Archive")]
        else:
            directories = [top for top in LARGE_TOP_DIRECTORIES]
            directories += [f"{top}/{sub}" for top in LARGE_TOP_DIRECTORIES for sub in LARGE_SUB_DIRECTORIES]
            plans = [ProjectPlan(directories[i % len(directories)]) for i in range(1000)]
        projects = [self._make_project(index, plan) for index, plan in enumerate(plans)]
        return Tree(directories, projects, self)

    def _make_project(self, index: int, plan: ProjectPlan) -> Project:
        rng = random.Random(f"{self.seed}:project:{index}")
        created = BASE_EPOCH + rng.randint(0, 500 * 86400)
        job = plan.job_number or f"{rng.choice(('DOS', 'PRJ', 'OFF'))}{rng.randint(20000, 26999)}"
        name = plan.name or (f"{rng.choice(catalog.BUILDING_KINDS)} {rng.choice(catalog.STREETS)} "
                             f"{rng.randint(1, 180)}, {rng.choice(catalog.PLACES)} ({job})")
        project = Project(
            id=guid_from(self.seed, "project", index), name=name, directory=plan.directory,
            created_date=created, changed_date=created + rng.randint(3600, 90 * 86400),
            job_number=job, offer_number=f"O{job[3:]}-{rng.randint(1, 4)}",
            person_in_charge=rng.choice(catalog.PEOPLE), estimated=rng.random() < 0.3,
            is_deleted=plan.is_deleted, index=index,
        )
        self.plans[project.id] = plan
        return project

    # -- lazy children -----------------------------------------------------------------------
    def phase_plans(self, project: Project) -> list[PhasePlan]:
        plan = self.plans.get(project.id)
        rng = random.Random(f"{self.seed}:phases:{project.index}")
        if plan is None or plan.phases is None:
            if self.dataset == "large":
                layout = [(DEFAULT_PHASE_NAME, 20, "P")] + [(f"Fase {k}", 20, f"F{k}.") for k in range(1, 5)]
            else:
                layout = [(DEFAULT_PHASE_NAME, 3, "P"), ("Fase 1", 3, "F1.")]
            specs = [("", name, count, prefix) for name, count, prefix in layout]
        else:
            specs = list(plan.phases)
        plans = []
        for k, (phase_id, name, count, prefix) in enumerate(specs):
            if k == 0:
                phase_id = NULL_GUID  # every project's first phase is the default one
            plans.append(PhasePlan(
                id=phase_id or guid_from(self.seed, "phase", project.index, k), name=name,
                description=self._phase_description(rng, k),
                elevation_names=tuple(_elevation_name(prefix, j) for j in range(1, count + 1)),
            ))
        return plans

    def _phase_description(self, rng, k: int) -> str:
        if self.dataset == "hostile":
            return hostile.LONG_TEXT if k else hostile.text(k)
        return "" if k == 0 else rng.choice(("", "Levering week 12", "Optie", "Hoofdgebouw"))

    def phases_for(self, project: Project) -> list[Phase]:
        return [Phase(p.id, p.name, p.description, project.id, index=k)
                for k, p in enumerate(self.phase_plans(project))]

    def elevations_for(self, project: Project, phase: Phase) -> list[Elevation]:
        names = self.phase_plans(project)[phase.index].elevation_names if phase.index >= 0 else ()
        plan = self.plans.get(project.id)
        recycled = plan.recycled if plan else ()
        return [self.make_elevation(project, phase, j, name, in_recycle_bin=name in recycled)
                for j, name in enumerate(names)]

    def make_elevation(self, project: Project, phase: Phase, j: int | str, name: str,
                       *, in_recycle_bin: bool = False) -> Elevation:
        rng = random.Random(f"{self.seed}:elevation:{project.index}:{phase.index}:{j}")
        code = rng.choice(catalog.SYSTEMS)[0]
        outside, inside = rng.choice(catalog.SURFACES)[0], rng.choice(catalog.SURFACES[:3])[0]
        kind = rng.choice(catalog.ELEVATION_TYPES)
        width = float(rng.choice((600, 800, 900, 1000, 1230, 1500, 1800, 2400, 3000, 4800)))
        height = float(rng.choice((600, 1000, 1200, 1480, 2100, 2400, 2600, 3200)))
        if kind in ("Door", "SlidingDoor"):
            height = max(height, 2100.0)
        created = rng.randint(project.created_date, project.changed_date)
        return Elevation(
            id=guid_from(self.seed, "elevation", project.index, phase.index, j, name),
            version_id=guid_from(self.seed, "version", project.index, phase.index, j, 0),
            name=name, project_id=project.id, phase_id=phase.id,
            amount=float(rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 8, 12))), system_code=code,
            width=width, height=height, color_inside=inside, color_outside=outside,
            insertion_color_inside=inside, insertion_color_outside=rng.choice((outside, "RAL 9005")),
            model_description=f"{kind} {max(1, round(width / 900))}-field",
            user_description=hostile.LONG_TEXT if self.dataset == "hostile" else
            rng.choice(("", "", "Keuken", "Woonkamer", "Entree", "Trappenhuis", "Slaapkamer")),
            created_by=hostile.text(project.index) if self.dataset == "hostile" else rng.choice(catalog.PEOPLE), created_date=created,
            changed_date=rng.randint(created, project.changed_date),
            type=kind, state=rng.choice(("Calculated", "Calculated", "Modified")),
            is_in_recycle_bin=in_recycle_bin,
        )


def _elevation_name(prefix: str, number: int) -> str:
    # "P1".."P13" as in DOS22309 (so P1 and P10 coexist), "F1.01" style for numbered phases.
    return f"{prefix}{number}" if prefix.endswith("P") or not prefix.endswith(".") else f"{prefix}{number:02d}"
