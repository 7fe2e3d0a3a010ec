"""`sop audit verify` and `sop audit log`: the plan store's trail, checked and shown."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sop_addin.commands.common import EXIT_INVALID, err, fail, out
from sop_addin.commands.store_options import (
    EXIT_TAMPERED,
    approval_errors,
    public_key_option,
    store_option,
)


@click.group()
def audit() -> None:
    """The plan store's audit trail: approvals, overrides, distributions, reviews."""


@audit.command("verify")
@store_option(help="Plan store folder (default: $SOP_STORE, else .sop-store here).")
@public_key_option
@click.option(
    "--manifests",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Signed manifests (files or folders) to cross-check the log with; default: approved/ "
    "and departments/ beside the store, and the manifest of every snapshot the store names.",
)
def audit_verify(
    store_dir: Path | None, public_keys: tuple[Path, ...], manifests: tuple[Path, ...]
) -> None:
    """Check the audit trail: exit 1 on an edited, deleted, emptied, rolled-back or re-keyed log.

    Checked: the hash chain, the signed head, the store key against the fingerprint row 1
    pinned (and against $SOP_TRUSTED_KEYS / --public-key when set), the approvals table
    against the chain, unfinished approvals, and every known manifest's anchor: a store that
    no longer holds the row a manifest was approved at was emptied, truncated or rolled back.
    """
    from sop_addin.approval.trust import trusted_keys
    from sop_addin.store import StoreError, resolve_store_dir
    from sop_addin.store.anchors import check_trail

    with approval_errors():
        folder = resolve_store_dir(store_dir)
        report = check_trail(folder, list(manifests), trusted_keys(public_keys))
        if report.store_absent and not report.findings:
            msg = f"no plan store at {folder}: pass --store or set $SOP_STORE"
            raise StoreError(msg)
    for note in report.notes:
        err.print(f"note: {note}", highlight=False)
    if report.findings:
        for finding in report.findings:
            where = "" if finding.seq is None else f"row {finding.seq}: "
            err.print(f"[bold red]audit log broken:[/] {where}{finding.problem}", highlight=False)
        sys.exit(EXIT_TAMPERED)
    out.print(
        f"audit log intact: {report.rows} row(s); hash chain, signed head, pinned key, approvals "
        f"and {report.anchors} manifest anchor(s) check out ({folder})",
        highlight=False,
    )


@audit.command("log")
@store_option(help="Plan store folder (default: $SOP_STORE, else .sop-store here).")
@click.option(
    "--event",
    default=None,
    help="Only this kind of event (e.g. approval, distribution, plan_vs_actual).",
)
def audit_log(store_dir: Path | None, event: str | None) -> None:
    """Print the audit log as JSON lines."""
    from sop_addin.store import EVENT_KINDS, PlanStore, StoreError, resolve_store_dir

    with approval_errors():
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
