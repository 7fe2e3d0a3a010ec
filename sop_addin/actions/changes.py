"""Changes since Approval: the run's figures and inputs against the last approved snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.approval import workbook_path
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approved_plan import NoApprovedPlan, load_approved_plan
from sop_addin.approval.distribute import SnapshotNotIntact
from sop_addin.contract import CONTRACT, Role
from sop_addin.core.changes import PLAN_MEASURES, changes_table
from sop_addin.core.inputs import PlanInputs
from sop_addin.store.plan_store import PlanStore, resolve_store_dir
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_output, read_table, write_table


def _approved_tables(snapshot: FilePort) -> dict[str, pd.DataFrame]:
    """The snapshot's inputs and the plan tables the changes compare, as far as they read."""
    wanted = [t.name for t in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)]
    wanted += sorted({table for _, table, _ in PLAN_MEASURES})
    frames: dict[str, pd.DataFrame] = {}
    for name in wanted:
        frame, problems = read_table(snapshot, name)
        if frame is not None and not problems:
            frames[name] = frame
    return frames


def update_changes(
    port: WorkbookPort,
    inputs: PlanInputs,
    progress: Progress = no_progress,
    store: Path | str | None = None,
) -> dict[str, Any] | None:
    """Fill the Changes table against the plan store's last approved snapshot.

    Without a plan store, an approval or an intact snapshot the table is left empty (the
    first cycle has nothing to compare with); the store is never created here.
    """
    try:
        port.table_location("Changes")
    except TableNotFound:  # a workbook made before the Changes table: nothing to fill
        return None
    progress("Changes", 0, 1)
    directory = resolve_store_dir(store, workbook_path(port))
    empty = pd.DataFrame(columns=CONTRACT.table("Changes").column_names)
    if not directory.is_dir():
        write_table(port, "Changes", empty)
        return None
    try:
        loaded = load_approved_plan(PlanStore(directory))
    except (NoApprovedPlan, SnapshotNotIntact):
        write_table(port, "Changes", empty)
        return None
    approved = _approved_tables(FilePort.open(loaded.snapshot))
    current = dict(inputs.tables)
    for _, table, _ in PLAN_MEASURES:
        current[table] = read_output(port, table, "the cycle", allow_empty=True)
    frame = changes_table(approved, current, inputs["Products"])
    write_table(port, "Changes", frame)
    progress("Changes", 1, 1)
    totals = frame[(frame["kind"] == "plan") & (frame["item"] == "Total")]
    return {
        "snapshot": loaded.snapshot.name,
        "totals": {str(r.measure): float(r.change) for r in totals.itertuples()},
        "inputs_changed": {
            str(r.item): int(r.change) for r in frame[frame["kind"] == "input"].itertuples()
        },
    }
