"""A worker-like process for the multi-process tests: `python -m tests.logikal.child ACTION BASE_URL CAP`.

Actions: ``work`` (jobs in threads once a line arrives on stdin; prints a JSON summary), ``hold`` (keeps one session busy
until killed), ``idle`` (logs one session in, leaves it idle until killed). Lines starting
with ``READY`` tell the test that the process got where it should.
"""

import json
import os
import sys
import threading
import time


def main() -> int:
    action, base_url, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
    options = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from syncapp.logikal import Upstream

    upstream = Upstream(base_url, "demo", "demo", cap, connect_timeout_s=2, read_timeout_s=10, backoff_s=0.05,
                        heartbeat_s=0.2, poll_s=0.1, **options)
    if action == "work":
        return work(upstream)
    if action == "hold":
        with upstream.session_at("Archive"):
            print("READY holding", flush=True)
            time.sleep(3600)
    if action == "idle":
        upstream.list_directories("")
        print("READY idle", flush=True)
        time.sleep(3600)
    return 2


def work(upstream) -> int:
    from syncapp.simulator import Simulator, SimulatorConfig

    # The same seed gives the same GUIDs as the test's simulator.
    sim = Simulator(SimulatorConfig(dataset="demo"))
    project = sim.find_project("DOS22309")
    places = [(phase.id, e.id) for phase in sim.phases_of(project.id) for e in sim.elevations_of(project.id, phase.id)]
    done, failures = [], []
    lock = threading.Lock()

    def run(worker: int) -> None:
        for n in range(worker, len(places), 3):
            phase_id, elevation_id = places[n]
            try:
                if n % 2:
                    upstream.list_elevations(project.directory, project.id, phase_id)
                else:
                    upstream.get_parts_list(project.directory, project.id, phase_id, elevation_id)
                with lock:
                    done.append(n)
            except Exception as error:  # noqa: BLE001 - reported to the test
                with lock:
                    failures.append(f"{type(error).__name__}: {error}")

    print("READY working", flush=True)
    sys.stdin.readline()  # start together with the other processes
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    upstream.close()
    print(json.dumps({"done": len(done), "failures": failures, "seconds": round(time.monotonic() - started, 2),
                      "pool": upstream.stats()}), flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
