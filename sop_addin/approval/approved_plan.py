"""The last approved plan, read back from its verified snapshot (for governance and S&OE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.approval.distribute import SnapshotNotIntact
from sop_addin.approval.trust import trusted_keys
from sop_addin.approval.verify import verify_workbook
from sop_addin.contract import ColumnType
from sop_addin.contract.cells import CellError, convert_cell
from sop_addin.core.governance import ApprovedPlan
from sop_addin.store.plan_store import PlanStore, StoreError
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output, read_table


class NoApprovedPlan(StoreError):
    """The plan store holds no approval yet."""


@dataclass(frozen=True)
class LoadedPlan:
    plan: ApprovedPlan
    snapshot: Path
    manifest: dict[str, Any]


def last_snapshot(store: PlanStore) -> Path:
    approval = store.last_approval()
    if approval is None:
        msg = (
            f"the plan store {store.directory} holds no approved plan yet: approve one first "
            "(Approve & Snapshot / sop approve), or name the snapshot with --snapshot"
        )
        raise NoApprovedPlan(msg)
    return Path(approval.snapshot)


def _first_month(port: FilePort, snapshot: Path) -> pd.Timestamp:
    frame, _ = read_table(port, "Settings")
    if frame is not None:
        for row in frame.itertuples():
            if row.setting == "first_plan_month" and row.value is not None:
                try:
                    return convert_cell(row.value, ColumnType.MONTH, strict=False)
                except CellError:
                    break
    msg = f"{snapshot.name}: the Settings table has no readable first_plan_month"
    raise SnapshotNotIntact(msg)


def _approved_demand(port: FilePort, table: Any) -> pd.DataFrame:
    """The demand the plan was approved on: the consensus when the snapshot has one, else the
    statistical forecast (sku, month, forecast)."""
    consensus, problems = read_table(port, "Consensus")
    if consensus is not None and not problems and not consensus.empty:
        picked = consensus[["sku", "month", "consensus"]].reset_index(drop=True)
        return picked.rename(columns={"consensus": "forecast"})
    return table("Forecast")


def _open_orders(port: FilePort) -> pd.DataFrame | None:
    """The open orders the plan was approved with (its receipts count on them), if readable."""
    frame, problems = read_table(port, "OpenOrders")
    return None if frame is None or problems else frame


def load_approved_plan(
    store: PlanStore, snapshot: Path | None = None, password: str | None = None
) -> LoadedPlan:
    """Verify the snapshot (the store's last approval unless named) and read its plan tables.

    A snapshot that fails verification is never used as the baseline.
    """
    path = Path(snapshot) if snapshot is not None else last_snapshot(store)
    check = verify_workbook(path, trusted_keys(), password=password, store=store)
    if not check.ok:
        msg = f"{path.name} is not intact: " + "; ".join(check.problems)
        raise SnapshotNotIntact(msg)
    assert check.workbook is not None
    port = FilePort(check.workbook, path)
    produced_by = f"the approved snapshot {path.name}"

    def table(name: str) -> pd.DataFrame:
        return read_output(port, name, produced_by=produced_by, allow_empty=True)

    plan = ApprovedPlan(
        first_month=_first_month(port, path),
        forecast=_approved_demand(port, table),
        balance=table("ProductBalance"),
        production=table("ProductionPlan"),
        purchases=table("PurchasePlan"),
        open_orders=_open_orders(port),
    )
    return LoadedPlan(plan=plan, snapshot=path, manifest=check.manifest)
