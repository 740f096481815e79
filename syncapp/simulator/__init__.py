"""A faithful fake of the LogiKal MBIOE v3 REST API (pure Python, stdlib only, no Django).

    from syncapp.simulator import Simulator, SimulatorConfig, serve
    sim = Simulator(SimulatorConfig(dataset="demo", latency="none"))
    with serve(sim) as server:
        ...  # server.base_url == "http://127.0.0.1:PORT/MbioeService.svc/api/v3"

See "The LogiKal simulator" in the project README for the behaviour, the switches and the /_sim/ control API.
"""

from .catalog import NULL_GUID
from .config import DEFAULT_LATENCY_S, LATENCY_JITTER, LATENCY_PROFILE, SimulatorConfig
from .faults import FAULT_KINDS, FaultConfig, FaultSwitch
from .http import SimulatorServer, serve
from .partslist import ElevationFacts, build_parts_list, corrupt_parts_list
from .simulator import Simulator

__all__ = [
    "DEFAULT_LATENCY_S", "FAULT_KINDS", "LATENCY_JITTER", "LATENCY_PROFILE", "NULL_GUID", "ElevationFacts",
    "FaultConfig", "FaultSwitch", "Simulator", "SimulatorConfig", "SimulatorServer", "build_parts_list",
    "corrupt_parts_list", "serve",
]
