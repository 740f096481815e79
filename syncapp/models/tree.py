"""The registry of mirrored types: everything the code knows about the tree's shape, in one place.

Directory > Project > Phase > Elevation. Each `MirroredType` says which model holds it, how it
hangs below its parent, which rows lie below a directory path or below another object, which
configuration rows its job serves and which module syncs it (`fetch`: network only; `apply`:
database only; the runner does the rest, see ``syncapp.sync.runner``). Code that needs to know
"what is a phase" asks here instead of testing ``isinstance`` or keeping its own map.
"""

from dataclasses import dataclass
from functools import cached_property
from importlib import import_module

from django.db.models import Q

from .config import ObjectType
from .mirror import Directory, Elevation, Phase, Project


@dataclass(frozen=True)
class MirroredType:
    name: str  # an ObjectType value, also the job's `object_type`
    model: type
    parent: str | None  # the type above, whose job lists (and so verifies) this one
    parent_field: str  # the foreign key to the row whose listing verifies this one
    child_types: tuple[str, ...]  # what this type's job lists (a directory lists directories too)
    to_directory: str  # lookup prefix from a row to its Directory ("" for directories)
    serves: tuple[str, ...]  # the config rows whose intervals this type's own job keeps
    sync_module: str  # defines fetch(obj, ctx) and apply(obj, fetched, ctx)
    # The lookup of the object's last change upstream, which activity-based intervals follow
    # (syncapp.models.freshness); None: no upstream date (directories). A phase has no date of its
    # own upstream: its project's changedDate is LogiKal's word for activity in the project, and the
    # mirror's own stamps (content_changed_at) are no upstream date (a first sync stamps everything).
    last_change: str | None = None
    # The lookup of when this type's own job last completed: a listing job stamps `listed_at`; an
    # elevation's job lists nothing, it downloads the parts list.
    done_field: str = "listed_at"

    @property
    def children(self) -> tuple["MirroredType", ...]:
        return tuple(TYPES[name] for name in self.child_types)

    @property
    def label_field(self) -> str:
        """The field that names a row in a job's label: a directory's path, anything else's name."""
        return "name" if self.to_directory else "path"

    @property
    def select_related(self) -> list[str]:
        """What loading one row for its sync joins: the chain up to its directory."""
        return [self.to_directory.removesuffix("__")] if self.to_directory else []

    @cached_property
    def syncer(self):
        return import_module(self.sync_module)

    def directory_of(self, obj) -> Directory:
        """The directory above `obj` (no query when `select_related` was loaded)."""
        for name in self.to_directory.split("__")[:-1]:
            obj = getattr(obj, name)
        return obj

    def lookup_to(self, ancestor: "MirroredType") -> str:
        """The lookup from a row of this type to its `ancestor` type ("" for the type itself)."""
        steps, current = [], self
        while current.name != ancestor.name:
            if current.parent is None:
                raise ValueError(f"a {ancestor.name} is not above a {self.name}")
            steps.append(current.parent_field)
            current = TYPES[current.parent]
        return "__".join(steps)

    def under_path_q(self, path: str) -> Q:
        """Rows of this type in the directory `path` or anywhere below it ("" is the whole tree)."""
        if path == "":
            return Q(pk__isnull=False)  # everything (an empty Q() would vanish when OR-ed)
        field = f"{self.to_directory}path"
        return Q(**{field: path}) | Q(**{f"{field}__startswith": path + "/"})

    def below_q(self, root) -> Q | None:
        """Rows of this type at or below the object `root` (None: nothing of this type is below it)."""
        root_type = type_of(root)
        if root_type.name == ObjectType.DIRECTORY:
            return self.under_path_q(root.path)
        try:
            lookup = self.lookup_to(root_type)
        except ValueError:
            return None
        return Q(pk=root.pk) if lookup == "" else Q(**{lookup: root.pk})

    def live_children_of(self, obj):
        """Querysets of `obj`'s live children, one per child type (a forced subtree's next jobs)."""
        return [child.model.objects.filter(**{child.parent_field: obj}, removed_at__isnull=True)
                for child in self.children]

    def last_done(self, obj):
        """When `obj`'s own job last completed (what a duplicate job would redo); None: never."""
        if "__" not in self.done_field:
            return getattr(obj, self.done_field)
        return self.model.objects.filter(pk=obj.pk).values_list(self.done_field, flat=True).first()

    def path_of(self, obj) -> str:
        """Where a person finds the object: directory path / project / phase / elevation."""
        if self.parent is None:
            return obj.path or "/"
        parent = getattr(obj, self.parent_field)
        return f"{TYPES[self.parent].path_of(parent)}/{obj.name}".lstrip("/")


TYPES: dict[str, MirroredType] = {
    t.name: t
    for t in (
        MirroredType(ObjectType.DIRECTORY, Directory, None, "parent", (ObjectType.DIRECTORY, ObjectType.PROJECT),
                     "", (ObjectType.DIRECTORY, ObjectType.PROJECT), "syncapp.sync.directory", None),
        MirroredType(ObjectType.PROJECT, Project, ObjectType.DIRECTORY, "directory", (ObjectType.PHASE,),
                     "directory__", (ObjectType.PHASE,), "syncapp.sync.project", "changed_date"),
        MirroredType(ObjectType.PHASE, Phase, ObjectType.PROJECT, "project", (ObjectType.ELEVATION,),
                     "project__directory__", (ObjectType.ELEVATION,), "syncapp.sync.phase", "project__changed_date"),
        MirroredType(ObjectType.ELEVATION, Elevation, ObjectType.PHASE, "phase", (),
                     "phase__project__directory__", (ObjectType.PARTS_LIST,), "syncapp.sync.elevation",
                     "changed_date", "parts_list__downloaded_at"),
    )
}
MODELS = {name: t.model for name, t in TYPES.items()}


def type_of(obj_or_model) -> MirroredType:
    """The registry entry of a mirrored row or model; TypeError for anything else."""
    name = getattr(obj_or_model, "OBJECT_TYPE", None)
    if name not in TYPES or not isinstance(obj_or_model, (TYPES[name].model, type)):
        raise TypeError(f"not a mirrored object: {type(obj_or_model).__name__}")
    return TYPES[name]


def get_type(name: str) -> MirroredType:
    try:
        return TYPES[name]
    except KeyError:
        raise ValueError(f"unknown type {name!r}; choose from {', '.join(TYPES)}") from None
