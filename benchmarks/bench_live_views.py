"""How many calls cross to Excel when a run draws the views in a live book.

Every xlwings property read or write and every method call on a live book is a COM (Windows)
or AppleScript (Mac) round trip, and those cost far more than the Python around them. This
script draws the views of a planned workbook (the grids, the forecast chart tab, the Exec
page and the table alerts) into the xlwings stand-in of the tests, counts the round trips
the renderer makes, and compares them with drawing the same cells one by one (a value and
each style attribute per cell).

    python benchmarks/bench_live_views.py WORKBOOK.xlsx

WORKBOOK: a planned workbook (e.g. `sop new demo.xlsx --demo --skus 40; sop run demo.xlsx`).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sop_addin.actions.views import update_dashboard, update_grids
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.sheet_drawing import SheetDrawing
from sop_addin.workbook.staging import StagedPort
from sop_addin.workbook.tables import read_inputs
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.xlwings_fake import book_from_file

PRIMITIVE = (str, int, float, bool, type(None), tuple, list, dict)


class Counting:
    """A proxy that counts every attribute read, write and call made through it."""

    def __init__(self, target: Any, counter: Counter[str], name: str) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_counter", counter)
        object.__setattr__(self, "_name", name)

    def _wrap(self, value: Any, name: str) -> Any:
        return value if isinstance(value, PRIMITIVE) else Counting(value, self._counter, name)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):  # a method costs its call, not the look-up
            self._counter[f"get {name}"] += 1
        return self._wrap(value, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._counter[f"set {name}"] += 1
        setattr(self._target, name, value._target if isinstance(value, Counting) else value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._counter[f"call {self._name}"] += 1
        args = tuple(a._target if isinstance(a, Counting) else a for a in args)
        kwargs = {k: v._target if isinstance(v, Counting) else v for k, v in kwargs.items()}
        return self._wrap(self._target(*args, **kwargs), self._name)

    def __iter__(self):
        for item in self._target:
            self._counter["iterate"] += 1
            yield self._wrap(item, "item")

    def __len__(self) -> int:
        self._counter["len"] += 1
        return len(self._target)

    def __contains__(self, item: Any) -> bool:
        self._counter["contains"] += 1
        return item in self._target

    def __getitem__(self, key: Any) -> Any:
        self._counter["getitem"] += 1
        return self._wrap(self._target[key], "item")


def cell_by_cell(drawings: list[SheetDrawing]) -> int:
    """Round trips of a writer that sets each value and each style attribute per cell
    (`sheet.range(cell)` then the property: two each)."""
    calls = 0
    for drawing in drawings:
        calls += 2 * len(drawing.values())
        for style in drawing.cell_styles().values():
            calls += 2 * sum(v is not None for v in style.__dict__.values())
    return calls


def main(path: Path) -> None:
    port = FilePort.open(path)
    inputs = read_inputs(port)
    recorder = StagedPort(port)  # collects the drawings the actions make
    update_grids(recorder, inputs=inputs)
    update_dashboard(recorder, inputs=inputs)
    drawings = list(recorder.views.values())
    cells = sum(len(d.values()) for d in drawings)
    styled = sum(len(d.cell_styles()) for d in drawings)
    print(f"{path.name}: {len(drawings)} views, {cells:,} cells written, {styled:,} styled")
    naive = cell_by_cell(drawings)
    print(f"  cell by cell: {naive:,} round trips")
    for platform in ("win32", "darwin"):
        book = book_from_file(path, mac=platform == "darwin")
        counter: Counter[str] = Counter()
        live = XlwingsPort(Counting(book, counter, "book"), platform=platform)
        started = time.perf_counter()
        for drawing in drawings:
            live.draw_view(drawing)
        for tab, rules in recorder.alerts.items():
            live.draw_alerts(tab, rules)
        seconds = time.perf_counter() - started
        total = sum(counter.values())
        writes = counter["set value"]
        print(
            f"  {platform}: {total:,} round trips ({naive / total:.0f}x fewer), of which "
            f"{writes} value blocks; {seconds:.2f} s in the stand-in"
        )
        top = ", ".join(f"{k} {v}" for k, v in counter.most_common(6))
        print(f"    most: {top}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
