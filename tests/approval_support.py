"""Helpers for the approval tests: a planned tiny company, approved into a plan store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sop_addin.actions import run_cycle
from sop_addin.actions.approval import approve_snapshot
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from tests.factories import tiny_tables


def planned_tiny(folder: Path, name: str = "tiny.xlsx", feasible: bool = True) -> Path:
    """The tiny company, planned by the whole cycle and saved (so its Lineage is recorded).

    Feasible: 20 working days give R1 160 h a month, enough for A (50 h) and B (60 h); the
    factory's 10 days leave demand unmet, which fails the checklist's supply line.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tables = tiny_tables()
    if feasible:
        tables["ResourceCalendar"]["working_days"] = 20.0
    path = create_workbook(folder / name, tables)
    port = FilePort.open(path)
    run_cycle(port, jobs=1)
    port.save()
    return path


def approve_tiny(workbook: Path, approver: str = "Ada", **options: Any) -> dict[str, Any]:
    """Approve a planned workbook into the store and approved/ folder beside it."""
    folder = workbook.parent
    return approve_snapshot(
        FilePort.open(workbook),
        approver=approver,
        out_dir=options.pop("out_dir", folder / "approved"),
        store=options.pop("store", folder / ".sop-store"),
        **options,
    )


def set_setting(workbook: Path, name: str, value: str) -> None:
    """Change one Settings value in a workbook file (as a planner would on the Setup tab)."""
    from sop_addin.workbook.tables import read_table, write_input_table

    port = FilePort.open(workbook)
    frame, problems = read_table(port, "Settings")
    assert frame is not None and not problems
    frame.loc[frame["setting"] == name, "value"] = value
    write_input_table(port, "Settings", frame.reset_index(drop=True))
    port.save()
