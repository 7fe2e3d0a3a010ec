"""Approve & Snapshot: the checklist, the locked snapshot, its signed manifest, the audit record.

Order matters for concurrency and crashes, and the commit and the final names form one
recoverable step:
1. the snapshot is written to a pending file (`.sop-pending-<id>-<name>`, a name the stale-temp
   cleanup never touches);
2. one plan-store transaction appends the audit rows and the approvals row, records the
   pending files, and writes the pending manifest, which carries the approval row's sequence
   number and hash (its anchor); then it commits (a UNIQUE plan version: a concurrent
   approval of the same version loses here);
3. the pending files are moved to their final names and the pending record is removed, under
   the store's write lock.
A crash before the commit leaves no approval (its pending files stay, harmless and hidden); a
crash after it is finished by the next command that opens the store (`PlanStore` runs
`finish_pending`). A pending file of a committed approval is never deleted.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from sop_addin import __version__
from sop_addin.approval.content import SheetDigest, content_hash, workbook_digests
from sop_addin.approval.encryption import encrypt_file
from sop_addin.approval.lineage import PROMOTED, input_tables_hash, read_lineage
from sop_addin.approval.manifest import (
    build_manifest,
    file_sha256,
    manifest_path,
    sign_manifest,
    write_manifest,
)
from sop_addin.approval.snapshot import (
    LockedWorkbook,
    build_locked_workbook,
    read_table_values,
    save_workbook,
)
from sop_addin.contract import CONTRACT
from sop_addin.core.checklist import FAIL, PASS, WARN, validation_checklist
from sop_addin.core.inputs import PlanInputs
from sop_addin.store.plan_store import (
    PENDING_PREFIX,
    Anchor,
    PendingApproval,
    PlanStore,
    StoreError,
    now_utc,
)
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_table

# progress(stage, done, total), as in sop_addin.actions.progress (not imported: the
# actions package imports this module).
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    """Show nothing."""


# The Exec checklist's tables, all of them: the plan's (missing or empty: not run) and the
# optional ones, whose lines appear whenever the table is there, empty or not.
CHECKLIST_OUTPUTS = ("Forecast", "ProductBalance", "CapacityUse", "FinancePlan")
OPTIONAL_CHECKLIST_OUTPUTS = ("Deviations", "ScenarioComparison")

OVERRIDE_LOG = "OverrideLog"  # the demand overrides applied (written by the consensus step)
LINEAGE_CHECK = "Plan matches its inputs"


class ApprovalBlocked(Exception):
    """A checklist line failed and no override reason was given."""

    def __init__(self, failing: pd.DataFrame) -> None:
        self.failing = failing
        lines = "; ".join(f"{r.check}: {r.detail}" for r in failing.itertuples())
        msg = (
            f"approval blocked by {len(failing)} failing checklist line(s): {lines}. Fix them, "
            'or approve anyway with --override "<written reason>"'
        )
        super().__init__(msg)


@dataclass
class ApprovalRequest:
    """Who approves, where the snapshot goes, and the options of the approval."""

    approver: str
    out_dir: Path
    store: PlanStore
    override: str | None = None
    seeds: dict[str, Any] = field(default_factory=dict)
    open_password: str | None = None
    source_name: str = ""


def default_approver() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name on some service accounts
        return "unknown"


def safe_file_stem(text: str) -> str:
    """A plan version as a file name on every OS (no separators, no reserved characters)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return stem or "plan"


def _lineage_line(port: WorkbookPort, lineage: dict[str, str]) -> dict[str, str]:
    if not lineage.get("input_hash"):
        return {
            "check": LINEAGE_CHECK,
            "status": WARN,
            "detail": "no lineage recorded: run the whole cycle (Run Cycle / sop run) first",
        }
    if lineage["input_hash"] != input_tables_hash(port):
        return {
            "check": LINEAGE_CHECK,
            "status": FAIL,
            "detail": "inputs changed since the plan was run: run the cycle again",
        }
    return {
        "check": LINEAGE_CHECK,
        "status": PASS,
        "detail": "inputs unchanged since the plan was run",
    }


def _recorded_seeds(lineage: dict[str, str]) -> dict[str, Any]:
    """The seeds the run recorded (a JSON object), or none when it used none or is unreadable."""
    try:
        seeds = json.loads(lineage.get("random_seeds", ""))
    except json.JSONDecodeError:
        return {}
    return seeds if isinstance(seeds, dict) else {}


def approval_checklist(
    port: WorkbookPort, inputs: PlanInputs
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The Exec checklist (core.checklist, on the same tables, with the promoted scenario)
    plus whether the plan still matches its inputs."""
    outputs: dict[str, pd.DataFrame] = {}
    for name in (*CHECKLIST_OUTPUTS, *OPTIONAL_CHECKLIST_OUTPUTS):
        frame, problems = read_table(port, name)
        if frame is None or problems:
            continue
        if len(frame) or name in OPTIONAL_CHECKLIST_OUTPUTS:
            outputs[name] = frame.reset_index(drop=True)
    lineage = read_lineage(port)
    checklist = validation_checklist(
        outputs, skus=len(inputs["Products"]), promoted=lineage.get(PROMOTED)
    )
    line = pd.DataFrame([_lineage_line(port, lineage)], columns=checklist.columns)
    return pd.concat([checklist, line], ignore_index=True), lineage


def _cover(
    meta: dict[str, Any], checklist: list[dict[str, str]], extra: list[tuple[str, Any]]
) -> list[tuple[Any, ...]]:
    lineage = meta["lineage"]
    rows: list[tuple[Any, ...]] = [
        ("Approved S&OP plan", "locked snapshot: values only, every sheet protected"),
        ("Company", meta.get("company") or ""),
        ("Plan cycle", meta["plan_cycle"]),
        ("Plan version", meta["plan_version"]),
        ("Approver", meta["approver"]),
        ("Approved at (UTC)", meta["approved_at"]),
        ("Status", meta["status"]),
        ("Override reason", meta.get("override_reason") or ""),
        ("Promoted scenario", lineage.get(PROMOTED) or "none: the base plan"),
        *extra,
        (),
        ("Lineage", ""),
        ("Input tables hash (SHA-256)", lineage.get("input_hash", "not recorded")),
        ("sop-addin version (run)", lineage.get("sop_addin_version", "not recorded")),
        ("sop-addin version (approval)", meta["sop_addin_version"]),
        ("Solver", lineage.get("solver", "not recorded")),
        ("Solver status", lineage.get("solver_status", "not recorded")),
        ("PuLP version", lineage.get("pulp_version", "not recorded")),
        ("HiGHS (highspy) version", lineage.get("highspy_version", "not recorded")),
        ("statsmodels version", lineage.get("statsmodels_version", "not recorded")),
        ("Python version", lineage.get("python_version", "not recorded")),
        ("Random seeds", meta["random_seeds"]),
        ("Source workbook", meta.get("source_workbook") or ""),
        ("Signing key (SHA-256)", meta["key_fingerprint"]),
        (),
        ("Review checklist", "status", "detail"),
        *[(c["check"], c["status"], c["detail"]) for c in checklist],
    ]
    blanked = meta.get("blanked_formulas") or {}
    if blanked:
        text = ", ".join(f"{t}: {n}" for t, n in blanked.items())
        rows += [
            (),
            ("Formula cells left blank", f"{text} (never recalculated, so no value was saved)"),
        ]
    return rows


def approval_cover(
    meta: dict[str, Any], extra: list[tuple[str, Any]] | None = None
) -> list[tuple[Any, ...]]:
    """The cover sheet rows of an approved workbook from its manifest metadata."""
    return _cover(meta, meta["checklist"], extra or [])


def demand_overrides(port: WorkbookPort) -> list[dict[str, Any]]:
    """The demand overrides the plan contains (OverrideLog), as audit records.

    Who, when, why, and the demand before and after: each becomes an `override` row of the
    audit log with the approval, so the trail shows what the approved numbers overrode.
    """
    frame, problems = read_table(port, OVERRIDE_LOG)
    if frame is None or problems or frame.empty:
        return []
    records = []
    for row in frame.itertuples():
        records.append(
            {
                "kind": "demand",
                "sku": row.sku,
                "month": row.month.strftime("%Y-%m"),
                "old": float(row.before),
                "new": float(row.after),
                "reason": row.reason_code,
                "author": row.author,
                "entered_on": row.entered_on,
            }
        )
    return records


def _pending(out_dir: Path, final: Path) -> PendingApproval:
    tag = f"{PENDING_PREFIX}{uuid.uuid4().hex}-"
    return PendingApproval(
        plan_version="",
        snapshot=final,
        pending_snapshot=out_dir / f"{tag}{final.name}",
        manifest=manifest_path(final),
        pending_manifest=out_dir / f"{tag}{manifest_path(final).name}",
    )


def check_known_manifests(store: PlanStore, folder: Path) -> None:
    """Refuse to approve when a signed manifest knows rows the store does not (rolled back).

    Checked: the manifests in the target folder, in approved/ and departments/ beside the
    store, and those of the snapshots the store names.
    """
    from sop_addin.approval.manifest import ManifestError, read_manifest
    from sop_addin.store.anchors import known_manifests

    paths = set(known_manifests(store.directory, [], store))
    paths.update(known_manifests(store.directory, [folder], None))
    for path in sorted(paths):
        try:
            body = read_manifest(path)["manifest"]
        except ManifestError:
            continue
        problem = store.check_anchor(body["metadata"].get("audit"))
        if problem is not None:
            msg = (
                f"{path.name}: {problem}. Nothing was approved: restore the plan store "
                f"{store.directory} before approving again"
            )
            raise StoreError(msg)


def save_locked(
    locked: LockedWorkbook, target: Path, open_password: str | None = None
) -> tuple[list[SheetDigest], str]:
    """Save the workbook (encrypted when asked); return its digests and the file's SHA-256."""
    # Digests of the values as written; the tests check a reader of the saved file sees the
    # same (a fresh snapshot verifies), which saves loading every workbook back.
    digests = workbook_digests(locked.workbook)
    save_workbook(locked, target)
    if open_password:
        encrypt_file(target, open_password)
    return digests, file_sha256(target)


def write_signed(
    locked: LockedWorkbook,
    target: Path,
    kind: str,
    meta: dict[str, Any],
    store: PlanStore,
    open_password: str | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Save the workbook at `target` and its signed manifest; return the manifest path and body."""
    digests, sha = save_locked(locked, target, open_password)
    body = build_manifest(
        target.name, kind, meta, digests, locked.protection, sha, bool(open_password)
    )
    return write_manifest(manifest_path(target), sign_manifest(body, store.private_key)), body


def approve_plan(
    port: WorkbookPort, request: ApprovalRequest, progress: Progress = no_progress
) -> dict[str, Any]:
    """Run the checklist, write the locked snapshot and its manifest, record the approval."""
    steps = 5
    progress("Approve", 0, steps)
    inputs = read_inputs(port)
    settings = inputs.settings
    version, cycle = settings.plan_version, settings.plan_cycle
    store = request.store
    store.check_not_approved(version)
    checklist, lineage = approval_checklist(port, inputs)
    failing = checklist[checklist["status"] == FAIL]
    if len(failing) and not (request.override or "").strip():
        raise ApprovalBlocked(failing)
    progress("Approve", 1, steps)

    out_dir = Path(request.out_dir)
    final = out_dir / f"{safe_file_stem(version)}.xlsx"
    check_known_manifests(store, out_dir)
    if final.exists() or manifest_path(final).exists():
        store.check_not_approved(version)  # a concurrent approval that just won: say so
        msg = f"{final} exists: an approved snapshot is never replaced"
        raise FileExistsError(msg)
    at = now_utc()
    seeds = {**_recorded_seeds(lineage), **request.seeds}
    overridden = [
        {
            "kind": "checklist",
            "check": r.check,
            "old": r.status,
            "new": "overridden",
            "detail": r.detail,
            "reason": request.override,
        }
        for r in failing.itertuples()
    ]
    overridden += demand_overrides(port)
    checklist_rows = [
        {
            "check": r.check,
            "status": "overridden" if r.status == FAIL else r.status,
            "detail": r.detail,
        }
        for r in checklist.itertuples()
    ]
    tables = read_table_values(port, list(CONTRACT.tables))
    meta: dict[str, Any] = {
        "company": settings.company,
        "plan_cycle": cycle,
        "plan_version": version,
        "approver": request.approver,
        "approved_at": at,
        "status": "approved with override" if len(failing) else "approved",
        "override_reason": request.override if len(failing) else None,
        "lineage": lineage,
        "input_hash": input_tables_hash(port),
        "sop_addin_version": __version__,
        "random_seeds": json.dumps(seeds, sort_keys=True) if seeds else "none used",
        "source_workbook": request.source_name,
        "checklist": checklist_rows,
        "key_fingerprint": store.key_fingerprint(),
        "blanked_formulas": {t.name: t.blanked_formulas for t in tables if t.blanked_formulas},
    }
    locked = build_locked_workbook(_cover(meta, checklist_rows, []), tables)
    progress("Approve", 2, steps)

    pending = _pending(out_dir, final)
    committed = False
    try:
        digests, sha = save_locked(locked, pending.pending_snapshot, request.open_password)
        body = build_manifest(
            final.name,
            "snapshot",
            meta,
            digests,
            locked.protection,
            sha,
            bool(request.open_password),
        )
        progress("Approve", 3, steps)

        def sign_with_anchor(anchor: Anchor) -> None:
            # The manifest carries the approval row it is recorded at: the chain's anchor.
            body["metadata"] = {**meta, "audit": anchor.to_json()}
            write_manifest(pending.pending_manifest, sign_manifest(body, store.private_key))

        approval = store.approve(
            version,
            cycle,
            request.approver,
            str(final.resolve()),
            body["content_hash"],
            details={
                "input_hash": meta["input_hash"],
                "lineage": lineage,
                "status": meta["status"],
            },
            overrides=overridden,
            at=at,
            pending=PendingApproval(
                version,
                final.resolve(),
                pending.pending_snapshot.resolve(),
                manifest_path(final).resolve(),
                pending.pending_manifest.resolve(),
            ),
            before_commit=sign_with_anchor,
        )
        committed = True
        progress("Approve", 4, steps)
        store.finish_pending()
    finally:
        if not committed:  # nothing was approved: these files are ours and nobody else's
            for leftover in (pending.pending_snapshot, pending.pending_manifest):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
    progress("Approve", steps, steps)
    return {
        "plan_version": version,
        "plan_cycle": cycle,
        "approver": request.approver,
        "approved_at": approval.approved_at,
        "status": meta["status"],
        "snapshot": str(final),
        "manifest": str(manifest_path(final)),
        "content_hash": body["content_hash"],
        "checklist": checklist_rows,
        "overrides": len(failing),
        "demand_overrides": len(overridden) - len(failing),
        "audit_seq": approval.audit_seq,
        "audit_hash": body["metadata"]["audit"]["hash"],
        "store": str(store.directory),
        "encrypted": bool(request.open_password),
    }


def digest_summary(path: Path) -> str:
    """The content hash of a workbook file as it is now (for re-save checks)."""
    return content_hash(workbook_digests(load_workbook(path)))
