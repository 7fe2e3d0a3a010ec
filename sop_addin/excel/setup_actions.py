"""The ribbon's Setup buttons: Diagnose and Self-test.

Both act on nothing of the planner's: Diagnose reads the settings and files Excel uses
(`doctor`), for the Python Excel actually started; Self-test runs a tiny S&OP cycle on a
scratch copy of the demo company in a temporary folder and reports each step, so a first
install can be proven end to end without risking a real plan. Both return their report
under "report", which the ribbon shows in a message box.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sop_addin.actions.progress import Progress, no_progress

SELF_TEST_SKUS = 10  # the demo company's smallest size
SELF_TEST_HORIZON = 3  # months


@dataclass(frozen=True)
class Step:
    """One self-test step: what ran, whether it worked, how long it took, what it saw."""

    name: str
    ok: bool
    seconds: float
    detail: str


def _workbook_of(port: Any) -> Path | None:
    book = getattr(port, "book", None)  # the xlwings port's live workbook
    try:
        return Path(str(book.fullname)) if book is not None else getattr(port, "path", None)
    except Exception:  # an unsaved or cloud workbook has no local path
        return None


def diagnose(port: Any, progress: Progress = no_progress) -> dict[str, Any]:
    """Run `sop addin doctor` for the Python Excel started, on this machine."""
    from sop_addin.excel.doctor import diagnose as run_checks
    from sop_addin.excel.doctor import report_text
    from sop_addin.excel.setup import Paths, current_platform, windows_registry

    progress("Diagnose", 0, 1)
    paths = Paths(Path.home(), current_platform())
    checks, stack = run_checks(paths, sys.executable, _workbook_of(port), windows_registry())
    progress("Diagnose", 1, 1)
    ok = all(c.ok for c in checks)
    head = "Everything Excel needs is in place." if ok else "Problems found, each with its fix:"
    return {"ok": ok, "report": head + "\n\n" + report_text(checks, stack)}


def _steps(folder: Path) -> list[tuple[str, Callable[[], str]]]:
    """The self-test's steps, each a name and a function returning what it saw."""
    from sop_addin.core.planning.solve import SolverOptions

    state: dict[str, Any] = {}
    workbook = folder / "self_test.xlsx"

    def versions() -> str:
        import xlwings

        from sop_addin import __version__

        python = f"Python {sys.version.split()[0]} at {sys.executable}"
        return f"{python}; sop-addin {__version__}; xlwings {xlwings.__version__}"

    def create() -> str:
        from sop_addin.core.demo_company import generate_demo
        from sop_addin.workbook.create import create_workbook

        tables = generate_demo(skus=SELF_TEST_SKUS, horizon_months=SELF_TEST_HORIZON)
        create_workbook(workbook, tables)
        return f"{len(tables['Products'])} SKUs, {SELF_TEST_HORIZON} months: {workbook}"

    def open_port() -> str:
        from sop_addin.workbook.file_port import FilePort

        state["port"] = FilePort.open(workbook)
        return "opened with the file port"

    def action(tag: str, **kwargs: Any) -> Callable[[], str]:
        def run() -> str:
            from sop_addin.actions import ACTIONS

            summary = ACTIONS[tag](state["port"], no_progress, **kwargs)
            figures = [
                f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
                for key, value in (summary or {}).items()
                if isinstance(value, int | float | str) and not isinstance(value, bool)
            ]
            return "; ".join(figures[:3]) or "done"

        return run

    def save_and_read_back() -> str:
        from sop_addin.workbook.file_port import FilePort
        from sop_addin.workbook.tables import read_output

        state["port"].save()
        forecast = read_output(FilePort.open(workbook), "Forecast", "Refresh Forecast")
        return f"saved; the Forecast table reads back with {len(forecast)} rows"

    lp = SolverOptions(relax_lots=True)
    return [
        ("Python and versions", versions),
        ("Scratch workbook", create),
        ("Open", open_port),
        ("Refresh Forecast", action("refresh_forecast")),
        ("Apply Consensus", action("apply_consensus")),
        ("Run Plan (LP)", action("run_plan", options=lp)),
        ("Reconcile", action("reconcile_finance")),
        ("Exec Summary", action("exec_summary")),
        ("Save and read back", save_and_read_back),
    ]


def run_self_test(folder: Path, progress: Progress = no_progress) -> tuple[list[Step], int]:
    """Run the steps in `folder`, stopping at the first failure (later steps need it).

    Returns the steps that ran and how many there are in all.
    """
    steps = _steps(folder)
    done: list[Step] = []
    for index, (name, step) in enumerate(steps):
        progress(f"Self-test: {name}", index, len(steps))
        start = time.perf_counter()
        try:
            detail, ok = step(), True
        except Exception as exc:  # reported as the step's result, not raised
            detail, ok = f"{type(exc).__name__}: {exc}", False
        done.append(Step(name, ok, time.perf_counter() - start, detail))
        if not ok:
            break
    progress("Self-test", len(steps), len(steps))
    return done, len(steps)


def self_test_report(steps: list[Step], total: int) -> str:
    lines = [
        f"{'OK ' if s.ok else 'FAILED'} {s.name} ({s.seconds:.1f} s): {s.detail}" for s in steps
    ]
    if len(steps) < total:
        lines.append(f"skipped the {total - len(steps)} later step(s)")
    return "\n".join(lines)


def self_test(port: Any, progress: Progress = no_progress) -> dict[str, Any]:
    """The Self-test button: a tiny cycle on a scratch workbook; the planner's is untouched."""
    with tempfile.TemporaryDirectory(prefix="sop-self-test-") as tmp:
        steps, total = run_self_test(Path(tmp), progress)
    ok = len(steps) == total and all(s.ok for s in steps)
    head = "Self-test passed." if ok else "Self-test failed:"
    return {"ok": ok, "report": head + "\n\n" + self_test_report(steps, total)}
