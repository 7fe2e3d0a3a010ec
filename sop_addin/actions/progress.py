"""How actions report progress: the CLI draws a bar, Excel shows its status bar."""

from __future__ import annotations

from collections.abc import Callable

# progress(stage, done, total): `done` of `total` units of work in `stage` are finished.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """Progress sink for callers that show nothing (tests, scripts)."""
