"""`sop approve`, `verify`, `distribute`, `audit`, `review` and `soe`: the end of the cycle.

Exit codes: 0 done (or intact); 1 verification found tampering; 2 a problem with what was
given (invalid inputs, blocked checklist, version already approved, missing manifest);
3 a failure (the plan store, a snapshot that is not intact).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sop_addin.commands.common import (
    EXIT_FAILED,
    EXIT_INVALID,
    echo_json,
    err,
    fail,
    out,
    progress_bar,
    saved_workbook,
    user_errors,
)

EXIT_TAMPERED = 1
PASSWORD_ENV = "SOP_OPEN_PASSWORD"


@contextmanager
def _errors() -> Iterator[None]:
    """The CLI's user errors plus those of approval, the plan store and verification."""
    from sop_addin.actions.soe import OutsidePlan
    from sop_addin.approval.approve import ApprovalBlocked
    from sop_addin.approval.approved_plan import NoApprovedPlan
    from sop_addin.approval.departments import DepartmentConfigError
    from sop_addin.approval.distribute import SnapshotNotIntact
    from sop_addin.approval.encryption import EncryptionError
    from sop_addin.approval.manifest import ManifestError
    from sop_addin.store import ApprovalConflict, StoreError, StoreKeyError

    with user_errors():
        try:
            yield
        except (ApprovalBlocked, ApprovalConflict, ManifestError, EncryptionError) as exc:
            fail(str(exc), EXIT_INVALID)
        except DepartmentConfigError as exc:
            fail(str(exc), EXIT_INVALID)
        except (NoApprovedPlan, OutsidePlan) as exc:
            fail(str(exc), EXIT_INVALID)
        except (SnapshotNotIntact, StoreError, StoreKeyError) as exc:
            fail(str(exc), EXIT_FAILED)


def _store_option(func: Any) -> Any:
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Plan store folder (default: $SOP_STORE, else .sop-store beside the workbook).",
    )(func)


def _find_store(near: Path, given: Path | None) -> Path | None:
    """--store, $SOP_STORE, or an existing .sop-store beside `near` or one folder up."""
    from sop_addin.store import DEFAULT_STORE_NAME, STORE_ENV

    if given is not None:
        return given
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV])
    folder = near.resolve().parent
    for candidate in (folder / DEFAULT_STORE_NAME, folder.parent / DEFAULT_STORE_NAME):
        if candidate.is_dir():
            return candidate
    return None


def _password(path: Path | None = None, new: bool = False) -> str | None:
    """The password-to-open: $SOP_OPEN_PASSWORD, else a prompt (only when one is needed)."""
    from sop_addin.approval.encryption import is_encrypted

    if not new and (path is None or not path.is_file() or not is_encrypted(path)):
        return None
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return str(click.prompt("Password to open", hide_input=True, confirmation_prompt=new))


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
@_store_option
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

    with _errors():
        password = _password(new=True) if encrypt else None
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
                    open_password=password,
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


@click.command()
@click.argument("snapshot", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Trusted signing key (the plan store's signing-key.pub.pem).",
)
@_store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable result.")
def verify(snapshot: Path, public_key: Path | None, store_dir: Path | None, as_json: bool) -> None:
    """Check an approved snapshot or department workbook against its signed manifest.

    Exit 0 when intact; 1 naming the sheet and cells that changed or the sheet whose
    protection was removed; 2 when the file or its manifest cannot be read.
    """
    from sop_addin.approval.verify import verify_workbook
    from sop_addin.store import PlanStore, load_public_key
    from sop_addin.workbook.file_port import WorkbookOpenError

    with _errors():
        if not snapshot.is_file():
            msg = f"workbook not found: {snapshot}"
            raise WorkbookOpenError(msg)
        key = None
        if public_key is not None:
            key = load_public_key(public_key.read_bytes())
        else:
            found = _find_store(snapshot, store_dir)
            if found is not None and found.is_dir():
                key = PlanStore(found).public_key
        result = verify_workbook(snapshot, public_key=key, password=_password(snapshot))
    if as_json:
        echo_json({"ok": result.ok, "problems": result.problems, "notes": result.notes})
    else:
        meta = result.manifest.get("metadata", {})
        what = f"plan {meta.get('plan_version')} approved by {meta.get('approver')}"
        for note in result.notes:
            err.print(f"note: {note}", highlight=False)
        if result.ok:
            out.print(f"[green]intact[/]: {snapshot} ({what})", highlight=False)
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
@_store_option
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

    with _errors():
        if not snapshot.is_file():
            msg = f"snapshot not found: {snapshot}"
            raise WorkbookOpenError(msg)
        found = _find_store(snapshot, store_dir)
        if found is None:
            msg = f"no plan store found near {snapshot}: pass --store (it holds the signing key)"
            raise StoreError(msg)
        password = _password(snapshot)
        if encrypt and password is None:
            password = _password(new=True)
        with progress_bar(not as_json) as progress:
            summary = distribute_snapshot(
                snapshot,
                out_dir,
                PlanStore(found),
                default_approver(),
                password=password,
                progress=progress,
            )
    if as_json:
        echo_json(summary)
        return
    for item in summary["departments"]:
        out.print(f"{item['department']:<12} {item['workbook']}  ({', '.join(item['tables'])})")


@click.group()
def audit() -> None:
    """The plan store's audit trail: approvals, overrides, distributions, reviews."""


@audit.command("verify")
@_store_option
def audit_verify(store_dir: Path | None) -> None:
    """Check the audit log's hash chain and signed head: exit 1 on an edited or deleted row."""
    from sop_addin.store import PlanStore, StoreError, resolve_store_dir

    with _errors():
        folder = resolve_store_dir(store_dir)
        if not folder.is_dir():
            msg = f"no plan store at {folder}: pass --store or set $SOP_STORE"
            raise StoreError(msg)
        store = PlanStore(folder)
        findings = store.verify_audit()
        rows = len(store.events())
    if findings:
        for finding in findings:
            where = "" if finding.seq is None else f"row {finding.seq}: "
            err.print(f"[bold red]audit log broken:[/] {where}{finding.problem}", highlight=False)
        sys.exit(EXIT_TAMPERED)
    out.print(f"audit log intact: {rows} row(s), hash chain and signed head check out ({folder})")


@audit.command("log")
@_store_option
@click.option(
    "--event",
    default=None,
    help="Only this kind of event (e.g. approval, distribution, plan_vs_actual).",
)
def audit_log(store_dir: Path | None, event: str | None) -> None:
    """Print the audit log as JSON lines."""
    from sop_addin.store import EVENT_KINDS, PlanStore, StoreError, resolve_store_dir

    with _errors():
        folder = resolve_store_dir(store_dir)
        if not folder.is_dir():
            msg = f"no plan store at {folder}: pass --store or set $SOP_STORE"
            raise StoreError(msg)
        store = PlanStore(folder)
        # A kind already in this log stays valid even if a newer add-in wrote it.
        kinds = sorted(set(EVENT_KINDS) | {row["event"] for row in store.events()})
        if event is not None and event not in kinds:
            fail(f"unknown event kind {event!r}: use one of {', '.join(kinds)}", EXIT_INVALID)
        for row in store.events(event):
            click.echo(json.dumps(row, default=str, sort_keys=True))


def _save_outputs(workbook: Path, run: Any) -> dict[str, Any]:
    """Open WORKBOOK under its lock, run an action on it, save it atomically."""
    with saved_workbook(workbook) as port:
        summary: dict[str, Any] = run(port)
    return summary


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--actuals",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Actuals file (.csv or .xlsx: month, kind, item, quantity); default: the Actuals table.",
)
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Approved snapshot to compare with (default: the plan store's last approval).",
)
@_store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def review(
    workbook: Path,
    actuals: Path | None,
    snapshot: Path | None,
    store_dir: Path | None,
    as_json: bool,
) -> None:
    """Plan vs actual: compare actuals with the last approved plan, onto the Governance tab."""
    from sop_addin.actions.governance import plan_vs_actual

    with _errors():
        summary = _save_outputs(
            workbook,
            lambda port: plan_vs_actual(port, actuals=actuals, snapshot=snapshot, store=store_dir),
        )
    if as_json:
        echo_json(summary)
        return
    table = Table(title=f"Plan {summary['plan_version']} vs actual")
    for column in ("measure", "value", "threshold", "status"):
        table.add_column(column)
    for row in summary["adherence"]:
        value = row["value"]
        shown = "n/a" if value is None or value != value else f"{value:.1%}"
        table.add_row(row["measure"], shown, row["threshold"], row["status"])
    out.print(table)
    out.print(f"{summary['deviations']} deviation(s) listed on the Governance tab of {workbook}")


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--actuals",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Weekly actuals (.csv or .xlsx: week, kind, item, quantity); default: WeeklyActuals.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Today (YYYY-MM-DD); default: Friday of the latest week with production or receipts.",
)
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Approved snapshot (default: the plan store's last approval).",
)
@_store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def soe(
    workbook: Path,
    actuals: Path | None,
    as_of: Any,
    snapshot: Path | None,
    store_dir: Path | None,
    as_json: bool,
) -> None:
    """S&OE: the approved plan in weeks (next 13), deviations and corrections, onto the S&OE tab."""
    from sop_addin.actions.soe import s_and_oe

    with _errors():
        when: date | None = as_of.date() if as_of is not None else None
        summary = _save_outputs(
            workbook,
            lambda port: s_and_oe(
                port, weekly=actuals, as_of=when, snapshot=snapshot, store=store_dir
            ),
        )
    if as_json:
        echo_json(summary)
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in summary["exceptions"].items()) or "none"
    out.print(
        f"S&OE for plan {summary['plan_version']} as of {summary['as_of']} "
        f"(weeks {summary['weeks'][0]} to {summary['weeks'][1]}): exceptions: {counts}"
    )


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
