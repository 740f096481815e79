"""Parse simulator parts-list files of realistic size (0.7-1.7 MB, 71 tables).

Two JSON lines: ``parse_only`` (the pure parser reading each file from disk) and
``store_and_parse`` (`store_parts_list` into a temporary storage folder, then
`parse_stored_parts_list` into a scratch database: checks, sha256, file write, claim,
read, row replacement). Files are generated first, in a child process, and generation is
not timed. ``peak_rss_mb`` is the process's high-water mark after the mode ran (so the
second line includes the first); ``rss_before_mb`` is the resident size before it.
"""

import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

HELP = "Parts-list files parsed per second and peak RSS: parse only, and store + parse to the database."
ELEVATION_NAME = "E{:04d}"


def add_arguments(parser):
    parser.add_argument("--files", type=int, default=1000, help="How many realistic files to generate and parse.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the generated files.")


def run(options, progress):
    count = options["files"]
    if count < 1:
        raise ValueError("--files must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as folder:
        folder = Path(folder)
        files_dir = folder / "files"
        files_dir.mkdir()
        progress(f"generating {count} realistic parts-list files in {files_dir} (not timed)")
        _generate_in_child(files_dir, count, options["seed"])
        paths = sorted(files_dir.glob("*.sqlite"))
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
        common = {"files": count, "seed": options["seed"], "mean_file_mb": round(total_mb / count, 3)}

        yield {"mode": "parse_only", **common, **_parse_only(paths, progress)}
        yield {"mode": "store_and_parse", **common, **_store_and_parse(paths, folder / "media", progress)}


def _parse_only(paths: list[Path], progress) -> dict:
    from syncapp.partslists.parse import parse_parts_list_file

    progress("parse only")
    before = _rss_mb()
    started = time.perf_counter()
    for i, path in enumerate(paths):
        parse_parts_list_file(path, ELEVATION_NAME.format(i))
    return _figures(len(paths), time.perf_counter() - started, before)


def _store_and_parse(paths: list[Path], media: Path, progress) -> dict:
    from django.conf import settings
    from django.test.utils import override_settings

    from ..harness.database import scratch_database

    storages = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    # A scratch database and a temporary folder: the real mirror and its storage stay untouched.
    with scratch_database("parse"), override_settings(STORAGES=storages, MEDIA_ROOT=str(media)):
        from syncapp.models import PartsList
        from syncapp.partslists.apply import parse_stored_parts_list
        from syncapp.partslists.store import store_parts_list

        elevations = _elevations(len(paths))
        progress("store + parse to the database")
        before = _rss_mb()
        started = time.perf_counter()
        for elevation, path in zip(elevations, paths, strict=True):
            result = store_parts_list(elevation=elevation, data=path.read_bytes(), source_changed_date=elevation.changed_date)
            status = parse_stored_parts_list(result.parts_list.pk)
            if status != "parsed":
                raise RuntimeError(f"{path.name} ended {status}: {PartsList.objects.get(pk=result.parts_list.pk).parse_error}")
        return _figures(len(paths), time.perf_counter() - started, before)


def _elevations(count: int):
    import uuid

    from django.utils import timezone

    from syncapp.models import Directory, Elevation, Phase, Project

    now = timezone.now()
    project = Project.objects.create(guid=uuid.uuid4(), directory=Directory.objects.get(path=""), name="Benchmark")
    phase = Phase.objects.create(project=project, guid=uuid.uuid4(), name="Benchmark")
    return Elevation.objects.bulk_create(
        Elevation(phase=phase, guid=_guid(i), name=ELEVATION_NAME.format(i), changed_date=now) for i in range(count)
    )


def _figures(files: int, wall: float, rss_before: float) -> dict:
    return {
        "wall_s": round(wall, 3),
        "files_per_s": round(files / wall, 1),
        "ms_per_file": round(wall * 1000 / files, 2),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _guid(i: int) -> str:
    from syncapp.simulator.catalog import guid_from

    return guid_from("benchmark-parse", i)


def _generate_in_child(folder: Path, count: int, seed: int) -> None:
    # A spawned child builds the files, so the parent's peak RSS reflects parsing alone.
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_generate, args=(str(folder), count, seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"generating the files failed (exit code {child.exitcode})")


def _generate(folder: str, count: int, seed: int) -> None:
    import sys

    from syncapp.simulator.partslist import build_parts_list

    for i in range(count):
        facts = {"name": ELEVATION_NAME.format(i), "guid": _guid(i)}
        data = build_parts_list(facts, seed=seed + i, extra_elevation_names=[ELEVATION_NAME.format(i) + "0"])
        (Path(folder) / f"{i:04d}.sqlite").write_bytes(data)
        if (i + 1) % 100 == 0:
            sys.stderr.write(f"[parse] generated {i + 1}/{count}\n")
