"""Distribution: one locked, signed workbook per department, cut from a verified snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sop_addin.approval.approve import approval_cover, safe_file_stem, write_signed
from sop_addin.approval.departments import Department, load_departments
from sop_addin.approval.snapshot import build_locked_workbook, read_table_values
from sop_addin.approval.trust import trusted_keys
from sop_addin.approval.verify import verify_workbook
from sop_addin.store.plan_store import PlanStore
from sop_addin.workbook.file_port import FilePort

# progress(stage, done, total), as in sop_addin.actions.progress (not imported: the
# actions package imports this module).
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """Show nothing."""


class SnapshotNotIntact(Exception):
    """The snapshot failed verification; nothing is distributed from it."""


def distribute_snapshot(
    snapshot: Path,
    out_dir: Path,
    store: PlanStore,
    actor: str,
    password: str | None = None,
    departments: list[Department] | None = None,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Verify the snapshot, then write `<version>-<department>.xlsx` + manifest per department."""
    departments = departments if departments is not None else load_departments()
    total = len(departments) + 1
    progress("Distribute", 0, total)
    check = verify_workbook(snapshot, trusted_keys(), password=password, store=store)
    if not check.ok:
        msg = f"{snapshot.name} is not intact, nothing was distributed: " + "; ".join(
            check.problems
        )
        raise SnapshotNotIntact(msg)
    body = check.manifest
    meta = body["metadata"]
    assert check.workbook is not None
    port = FilePort(check.workbook, snapshot)
    stem = safe_file_stem(meta["plan_version"])
    written = []
    for done, department in enumerate(departments, start=1):
        tables = read_table_values(port, department.tables)
        dept_meta = {
            **meta,
            "department": department.name,
            "department_tables": list(department.tables),
            "snapshot": body["file"],
            "snapshot_content_hash": body["content_hash"],
        }
        extra = [
            ("Department", department.name),
            ("Holds", ", ".join(department.tables)),
            ("From snapshot", f"{body['file']} (content hash {body['content_hash']})"),
        ]
        locked = build_locked_workbook(approval_cover(dept_meta, extra), tables)
        target = Path(out_dir) / f"{stem}-{department.slug}.xlsx"
        manifest, dept_body = write_signed(locked, target, "department", dept_meta, store, password)
        written.append(
            {
                "department": department.name,
                "workbook": str(target),
                "manifest": str(manifest),
                "tables": list(department.tables),
                "content_hash": dept_body["content_hash"],
            }
        )
        progress("Distribute", done, total)
    store.record(
        "distribution",
        actor,
        {
            "snapshot": str(snapshot),
            "snapshot_content_hash": body["content_hash"],
            "files": [
                {k: w[k] for k in ("department", "workbook", "content_hash")} for w in written
            ],
        },
        plan_version=meta["plan_version"],
    )
    progress("Distribute", total, total)
    return {"plan_version": meta["plan_version"], "departments": written}
