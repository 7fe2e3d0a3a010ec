"""Progress as plain lines when stderr is a log, not a terminal."""

from __future__ import annotations

import io

from sop_addin.commands.progress_lines import ProgressLines


class FakeClock:
    """A clock the test moves by hand (time.monotonic's interface: seconds as a float)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_at_start_while_running_with_an_eta_and_at_the_end():
    clock, stream = FakeClock(), io.StringIO()
    report = ProgressLines(stream, every=10.0, clock=clock)
    report("Forecast", 0, 400)
    clock.now += 5
    report("Forecast", 20, 400)  # 5 s after the last line: quiet
    clock.now += 15
    report("Forecast", 100, 400)  # 20 s for 100 of 400: 60 s left
    clock.now += 2
    report("Forecast", 101, 400)
    clock.now += 40
    report("Forecast", 400, 400)
    report("Forecast", 400, 400)  # repeated end: printed once
    report("Validate inputs", 1, 1)
    assert stream.getvalue().splitlines() == [
        "[    0.0s] Forecast: started (400 steps)",
        "[   20.0s] Forecast: 100/400, about 1m00s left",
        "[   62.0s] Forecast: done in 1m02s",
        "[   62.0s] Validate inputs",
        "[   62.0s] Validate inputs: done in 0s",
    ]


def test_no_estimate_before_a_tenth_is_done():
    clock, stream = FakeClock(), io.StringIO()
    report = ProgressLines(stream, every=1.0, clock=clock)
    report("Plan", 0, 100)
    clock.now += 3
    report("Plan", 5, 100)
    assert stream.getvalue().splitlines()[-1] == "[    3.0s] Plan: 5/100"
