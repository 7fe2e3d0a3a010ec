"""Progress as plain lines, for logs: CI, scheduled jobs, `sop run 2> run.log`.

A progress bar redraws one line in place, which a log file cannot show: it printed nothing
until the end. Here each stage prints when it starts, every `every` seconds while it runs
(with an estimate of the time left once a tenth is done) and when it ends, each line
stamped with the time since the command started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


@dataclass
class _Stage:
    started: float
    printed: float
    finished: bool = False


@dataclass
class ProgressLines:
    """A progress callback (stage, done, total) that writes timestamped lines to `stream`."""

    stream: IO[str]
    every: float = 10.0  # seconds between two lines of one running stage
    clock: Callable[[], float] = time.monotonic
    start: float = field(default=-1.0)
    stages: dict[str, _Stage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.clock()

    def _write(self, now: float, text: str) -> None:
        self.stream.write(f"[{now - self.start:7.1f}s] {text}\n")
        self.stream.flush()

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        state = self.stages.get(stage)
        if state is None:
            state = self.stages[stage] = _Stage(started=now, printed=now)
            self._write(now, f"{stage}: started ({total} steps)" if total > 1 else stage)
            if done < total:
                return
        if state.finished:
            return
        if done >= total:
            state.finished = True
            self._write(now, f"{stage}: done in {_clock(now - state.started)}")
            return
        if now - state.printed < self.every:
            return
        state.printed = now
        text = f"{stage}: {done}/{total}"
        elapsed = now - state.started
        if total and done >= total / 10 and elapsed > 0:
            left = elapsed * (total - done) / done
            text += f", about {_clock(left)} left"
        self._write(now, text)
