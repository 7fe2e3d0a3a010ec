"""`sop approve`, `verify` and `distribute`: the approved plan, its proof, its copies.

Exit codes: 0 done (or intact); 1 verification found tampering or an untrusted signer; 2 a
problem with what was given (invalid inputs, blocked checklist, version already approved,
missing manifest, no trusted key); 3 a failure (the plan store, a snapshot that is not
intact).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sop_addin.commands.audit import audit
from sop_addin.commands.common import echo_json, err, out, progress_bar
from sop_addin.commands.governance import review, soe
from sop_addin.commands.store_options import (
    EXIT_TAMPERED,
    PASSWORD_ENV,
    approval_errors,
    configured_store,
    password,
    public_key_option,
    store_option,
)

__all__ = ["approve", "audit", "demo_approval", "distribute", "review", "soe", "verify"]


def _find_store(near: Path, given: Path | None) -> Path | None:
    """--store, $SOP_STORE, or an existing .sop-store beside `near` or one folder up.

    Only for signing (distribute): the signer's own store. Verification never looks around.
    """
    from sop_addin.store import DEFAULT_STORE_NAME

    configured = configured_store(given)
    if configured is not None:
        return configured
    folder = near.resolve().parent
    for candidate in (folder / DEFAULT_STORE_NAME, folder.parent / DEFAULT_STORE_NAME):
        if candidate.is_dir():
            return candidate
    return None


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--approver", required=True, help="Who approves the plan (name as recorded).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for <plan-version>.xlsx and its manifest (default: approved/ beside WORKBOOK).",
)
@click.option(
    "--override",
    default=None,
    help="Written reason to approve despite failing checklist lines (recorded in the audit log).",
)
@click.option(
    "--encrypt",
    is_flag=True,
    help=f"Also encrypt the snapshot with a password to open (${PASSWORD_ENV} or a prompt).",
)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def approve(
    workbook: Path,
    approver: str,
    out_dir: Path | None,
    override: str | None,
    encrypt: bool,
    store_dir: Path | None,
    as_json: bool,
) -> None:
    """Approve WORKBOOK's plan: checklist, locked snapshot, signed manifest, audit record.

    A failing checklist line blocks approval unless --override gives a written reason. A plan
    version is approved once; approving it again (or concurrently) is a conflict.
    """
    from sop_addin.actions.approval import approve_snapshot
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.lock import workbook_lock

    with approval_errors():
        open_password = password(new=True) if encrypt else None
        with workbook_lock(workbook.resolve()):
            port = FilePort.open(workbook)
            with progress_bar(not as_json) as progress:
                summary = approve_snapshot(
                    port,
                    progress,
                    approver=approver,
                    out_dir=out_dir,
                    store=store_dir,
                    override=override,
                    open_password=open_password,
                )
    if as_json:
        echo_json(summary)
        return
    table = Table(title=f"Plan {summary['plan_version']}: {summary['status']}")
    for column in ("check", "status", "detail"):
        table.add_column(column, overflow="fold")
    for line in summary["checklist"]:
        table.add_row(line["check"], line["status"], line["detail"])
    out.print(table)
    out.print(f"snapshot: {summary['snapshot']}\nmanifest: {summary['manifest']}")
    out.print(f"content hash: {summary['content_hash']}\nplan store: {summary['store']}")
    out.print(f"audit row {summary['audit_seq']} (hash {summary['audit_hash'][:16]}...)")


@click.command()
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@public_key_option
@store_option(
    help="Plan store to trust and to cross-check the audit anchor in (default: $SOP_STORE; "
    "never one found beside the file)."
)
@click.option("--plan-version", default=None, help="Fail unless the file is this plan version.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable result.")
def verify(
    snapshot: Path,
    public_keys: tuple[Path, ...],
    store_dir: Path | None,
    plan_version: str | None,
    as_json: bool,
) -> None:
    """Check an approved snapshot or department workbook against its signed manifest.

    The signer must be a trusted key: --public-key, $SOP_TRUSTED_KEYS (PEM files or SHA-256
    fingerprints) or the plan store named by --store / $SOP_STORE; never a key found beside
    the file. With a plan store, the manifest's audit anchor and approval are checked in it.
    Exit 0 when intact; 1 when tampered (naming the sheet and cells), not signed by a trusted
    key, renamed, replayed, or unknown to the store; 2 when the file, its manifest or a
    trusted key cannot be read.
    """
    from sop_addin.approval.trust import trusted_keys
    from sop_addin.approval.verify import verify_workbook
    from sop_addin.store import PlanStore, StoreError
    from sop_addin.workbook.file_port import WorkbookOpenError

    with approval_errors():
        if not snapshot.is_file():
            msg = f"workbook not found: {snapshot}"
            raise WorkbookOpenError(msg)
        keys = trusted_keys(public_keys)
        folder = configured_store(store_dir)
        store = None
        if folder is not None:
            if not folder.is_dir():
                msg = f"no plan store at {folder}"
                raise StoreError(msg)
            store = PlanStore(folder, create=False)
        result = verify_workbook(
            snapshot, keys, password(snapshot), store=store, plan_version=plan_version
        )
    if as_json:
        echo_json(
            {
                "ok": result.ok,
                "problems": result.problems,
                "notes": result.notes,
                "signer": result.signer,
            }
        )
    else:
        meta = result.manifest.get("metadata", {})
        what = f"plan {meta.get('plan_version')} approved by {meta.get('approver')}"
        if meta.get("department"):
            what += f", {meta['department']} department"
        for note in result.notes:
            err.print(f"note: {note}", highlight=False)
        if result.ok:
            # soft_wrap: a long path stays one piece to copy, never folded at the width
            out.print(
                f"[green]intact[/]: {snapshot} ({what}; signed by {result.signer})",
                highlight=False,
                soft_wrap=True,
            )
        else:
            for problem in result.problems:
                err.print(f"[bold red]tampered:[/] {problem}", highlight=False)
    if not result.ok:
        sys.exit(EXIT_TAMPERED)


@click.command()
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the department workbooks and their manifests.",
)
@store_option(
    help="Plan store that signs (default: $SOP_STORE, else .sop-store beside the snapshot's "
    "folder or one folder up)."
)
@click.option(
    "--encrypt", is_flag=True, help=f"Encrypt each workbook (${PASSWORD_ENV} or a prompt)."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def distribute(
    snapshot: Path, out_dir: Path, store_dir: Path | None, encrypt: bool, as_json: bool
) -> None:
    """Write one locked, signed workbook per department (contract/departments.csv).

    The snapshot is verified first; each department workbook holds only its tables and the
    approval cover sheet, and `sop verify` works on each.
    """
    from sop_addin.approval.approve import default_approver
    from sop_addin.approval.distribute import distribute_snapshot
    from sop_addin.store import PlanStore, StoreError
    from sop_addin.workbook.file_port import WorkbookOpenError

    with approval_errors():
        if not snapshot.is_file():
            msg = f"snapshot not found: {snapshot}"
            raise WorkbookOpenError(msg)
        found = _find_store(snapshot, store_dir)
        if found is None:
            msg = f"no plan store found near {snapshot}: pass --store (it holds the signing key)"
            raise StoreError(msg)
        open_password = password(snapshot)
        if encrypt and open_password is None:
            open_password = password(new=True)
        with progress_bar(not as_json) as progress:
            summary = distribute_snapshot(
                snapshot,
                out_dir,
                PlanStore(found),
                default_approver(),
                password=open_password,
                progress=progress,
            )
    if as_json:
        echo_json(summary)
        return
    for item in summary["departments"]:
        out.print(f"{item['department']:<12} {item['workbook']}  ({', '.join(item['tables'])})")


DEMO_APPROVER = "Demo Executive"


def set_aside_previous_demo(out_dir: Path, folders: tuple[str, ...]) -> Path | None:
    """Move an earlier demo's folders to OUT/previous-<UTC time>/; return where, or None."""
    import datetime as dt

    present = [out_dir / f for f in folders if (out_dir / f).exists()]
    if not present:
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = out_dir / f"previous-{stamp}"
    target.mkdir(parents=True)
    for folder in present:
        folder.rename(target / folder.name)
    return target


def demo_approval(workbook: Path, out_dir: Path, seed: int) -> dict[str, Any]:
    """`sop demo`'s last steps: approve the planned workbook and distribute it.

    The demo's plan store (OUT/.sop-store), OUT/approved and OUT/departments from an earlier
    run are moved, never deleted, to OUT/previous-<time>/ (an audit log is never wiped). A
    failing checklist line is overridden with a reason saying so, so the demo always shows the
    whole cycle.
    """
    from sop_addin.actions.approval import approve_snapshot, distribute, validate_plan
    from sop_addin.store import DEFAULT_STORE_NAME
    from sop_addin.workbook.file_port import FilePort

    set_aside_previous_demo(out_dir, (DEFAULT_STORE_NAME, "approved", "departments"))
    store = out_dir / DEFAULT_STORE_NAME
    port = FilePort.open(workbook)
    failing = validate_plan(port)["failing"]
    override = "demo: approved to show the whole cycle; see the failing lines" if failing else None
    approval = approve_snapshot(
        port,
        approver=DEMO_APPROVER,
        out_dir=out_dir / "approved",
        store=store,
        override=override,
        seeds={"demo_company": seed},
    )
    distribution = distribute(
        port,
        snapshot=Path(approval["snapshot"]),
        out_dir=out_dir / "departments",
        store=store,
        actor=DEMO_APPROVER,
    )
    review = _demo_review(port, workbook, store, seed)
    return {"approval": approval, "distribution": distribution, "review": review}


def _demo_review(port: Any, workbook: Path, store: Path, seed: int) -> dict[str, Any] | None:
    """Plan vs Actual on actuals made from the approved plan with noise (so the governance
    figures are those of a plan that was followed), then the exec summary again so its
    forecast-bias KPI shows them; saved into the working workbook (the snapshot is untouched).
    """
    from sop_addin.actions.approval import open_store
    from sop_addin.actions.exec_summary import update_exec_summary
    from sop_addin.actions.governance import plan_vs_actual
    from sop_addin.approval.approved_plan import load_approved_plan
    from sop_addin.core.demo_actuals import plan_actuals
    from sop_addin.workbook.tables import read_table, write_input_table

    actuals, problems = read_table(port, "Actuals")
    if actuals is None or problems:
        return None
    approved = load_approved_plan(open_store(port, store))
    write_input_table(port, "Actuals", plan_actuals(approved.plan, seed))
    review = plan_vs_actual(port, store=store)
    update_exec_summary(port)
    port.save(workbook)
    return review
