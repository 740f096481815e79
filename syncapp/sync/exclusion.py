"""Staff exclusion of directories: the flag on one row, the effect on its whole subtree."""

from django.db import transaction
from django.db.models import Q

from ..models import Directory
from ..models.tree import TYPES


def set_directory_excluded(directory: Directory, excluded: bool) -> int:
    """Set the own flag and recompute the inherited flag below it; returns directories affected."""
    with transaction.atomic():
        Directory.objects.filter(pk=directory.pk).update(
            excluded=excluded, effectively_excluded=excluded or _ancestor_excluded(directory)
        )
        return recompute_effective_exclusion(directory) + 1


def _ancestor_excluded(directory: Directory) -> bool:
    if not directory.path:
        return False
    parts = directory.path.split("/")
    ancestors = [""] + ["/".join(parts[:i]) for i in range(1, len(parts))]
    return Directory.objects.filter(path__in=ancestors, excluded=True).exists()


def recompute_effective_exclusion(directory: Directory) -> int:
    """Recompute `effectively_excluded` of every directory below `directory` in one pass."""
    below = list(Directory.objects.filter(TYPES["directory"].under_path_q(directory.path)).exclude(pk=directory.pk)
                 .order_by("path")
                 .values_list("pk", "path", "excluded"))
    own = Directory.objects.filter(pk=directory.pk).values_list("effectively_excluded", flat=True).get()
    excluded_paths = {directory.path} if own else set()
    to_true, to_false = [], []
    for pk, path, flag in below:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        inherited = flag or parent in excluded_paths
        if inherited:
            excluded_paths.add(path)
            to_true.append(pk)
        else:
            to_false.append(pk)
    Directory.objects.filter(pk__in=to_true).update(effectively_excluded=True)
    Directory.objects.filter(Q(pk__in=to_false)).update(effectively_excluded=False)
    return len(below)
