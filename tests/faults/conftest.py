"""The fault suite's tally: what the tests injected and what came back, printed once at the end."""

from dataclasses import dataclass

import pytest


@dataclass
class FaultTally:
    tests: int = 0
    faults_injected: int = 0  # upstream faults fired, workers killed, database restarts
    jobs_interrupted: int = 0  # jobs running when their worker died or lost the database
    jobs_recovered: int = 0  # of those, the ones that later succeeded
    rows_lost: int = 0  # reference rows missing or wrongly tombstoned after a faulted run
    jobs_wedged: int = 0  # sync or parse jobs still waiting or running when a faulted run should be over

    def line(self) -> str:
        return (f"fault suite: faults injected={self.faults_injected}, jobs interrupted={self.jobs_interrupted}, "
                f"jobs recovered={self.jobs_recovered}, rows lost={self.rows_lost}, jobs wedged={self.jobs_wedged}")


TALLY = FaultTally()


@pytest.fixture
def tally() -> FaultTally:
    TALLY.tests += 1
    return TALLY


def pytest_terminal_summary(terminalreporter):
    if TALLY.tests:
        terminalreporter.write_sep("-", "fault suite")
        terminalreporter.write_line(TALLY.line())
