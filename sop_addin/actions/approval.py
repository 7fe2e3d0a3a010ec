"""Validate Plan, Approve & Snapshot and Distribute: the end of the S&OP cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approve import (
    ApprovalRequest,
    approval_checklist,
    approve_plan,
    default_approver,
)
from sop_addin.approval.approved_plan import last_snapshot
from sop_addin.approval.distribute import distribute_snapshot
from sop_addin.core.checklist import FAIL
from sop_addin.store.plan_store import PlanStore, resolve_store_dir
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, write_table

APPROVED_DIR = "approved"
DEPARTMENTS_DIR = "departments"


def workbook_path(port: WorkbookPort) -> Path | None:
    """The file behind a port: FilePort.path, or a live Excel book's full name."""
    path = getattr(port, "path", None)
    if path:
        return Path(path)
    fullname = getattr(getattr(port, "book", None), "fullname", None)
    return Path(fullname) if fullname else None


def _beside(port: WorkbookPort, folder: str) -> Path:
    path = workbook_path(port)
    return (path.resolve().parent if path else Path.cwd()) / folder


def open_store(port: WorkbookPort, store: Path | str | None = None) -> PlanStore:
    """The plan store for this workbook: --store, $SOP_STORE, or .sop-store beside it."""
    return PlanStore(resolve_store_dir(store, workbook_path(port)))


def validate_plan(port: WorkbookPort, progress: Progress = no_progress) -> dict[str, Any]:
    """The approval checklist onto the Exec tab's Checklist table; failing lines block approval."""
    progress("Validate plan", 0, 1)
    inputs = read_inputs(port)
    checklist, _ = approval_checklist(port, inputs)
    write_table(port, "Checklist", checklist)
    progress("Validate plan", 1, 1)
    failing = int((checklist["status"] == FAIL).sum())
    return {
        "plan_version": inputs.settings.plan_version,
        "checklist": checklist.to_dict(orient="records"),
        "failing": failing,
        "approvable": failing == 0,
    }


def approve_snapshot(
    port: WorkbookPort,
    progress: Progress = no_progress,
    approver: str | None = None,
    out_dir: Path | None = None,
    store: Path | str | None = None,
    override: str | None = None,
    seeds: dict[str, Any] | None = None,
    open_password: str | None = None,
) -> dict[str, Any]:
    """Approve the plan: checklist, locked snapshot + signed manifest, audit record."""
    path = workbook_path(port)
    request = ApprovalRequest(
        approver=approver or default_approver(),
        out_dir=Path(out_dir) if out_dir else _beside(port, APPROVED_DIR),
        store=open_store(port, store),
        override=override,
        seeds=seeds or {},
        open_password=open_password,
        source_name=path.name if path else "",
    )
    return approve_plan(port, request, progress)


def distribute(
    port: WorkbookPort,
    progress: Progress = no_progress,
    snapshot: Path | None = None,
    out_dir: Path | None = None,
    store: Path | str | None = None,
    actor: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """One locked workbook per department from the last approved snapshot (or `snapshot`)."""
    plan_store = open_store(port, store)
    return distribute_snapshot(
        Path(snapshot) if snapshot else last_snapshot(plan_store),
        Path(out_dir) if out_dir else _beside(port, DEPARTMENTS_DIR),
        plan_store,
        actor or default_approver(),
        password=password,
        progress=progress,
    )
