"""Plan vs Actual: the last approved plan against the actuals, onto the Governance tab."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.approval import open_store
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approve import default_approver
from sop_addin.approval.approved_plan import load_approved_plan
from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.governance import GovernanceThresholds
from sop_addin.core.governance import plan_vs_actual as compare
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.table_file import _csv_block, _xlsx_block, read_table_file
from sop_addin.workbook.tables import read_table, write_table


def read_port_table(port: WorkbookPort, name: str) -> pd.DataFrame:
    """An input table of the workbook, validated, indexed by Excel row (ValidationError)."""
    frame, problems = read_table(port, name)
    if problems:
        raise ValidationError(problems)
    assert frame is not None
    return frame


# What an actual's item must be, by kind: a SKU of Products or a material of Materials.
SKU_KINDS = {"orders", "shipments", "production", "inventory"}
MATERIAL_KINDS = {"receipts"}


def _file_block(path: Path, table_name: str) -> tuple[list[list[Any]], int]:
    """The raw block of a .csv or .xlsx actuals file and the row number of its header."""
    if path.suffix.lower() == ".csv":
        return _csv_block(path, table_name), 1
    return _xlsx_block(path, table_name)


def read_actuals_file(path: Path, table_name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """An actuals file read like read_table_file, but returning its problems with the frame
    so that later checks (weeks, items) add to the same report instead of a second run."""
    try:
        return read_table_file(path, table_name), []
    except ValidationError as exc:
        problems = list(exc.problems)
    block, header_row = _file_block(path, table_name)
    frame, _ = block_to_frame(block, CONTRACT.table(table_name), header_row)
    return frame, problems


def item_problems(
    port: WorkbookPort, frame: pd.DataFrame, table_name: str, tab: str
) -> list[Problem]:
    """Each actual whose item is not a known SKU (or material, for receipts), by row."""
    products, _ = read_table(port, "Products")
    materials, _ = read_table(port, "Materials")
    if products is None or materials is None:  # the workbook's own check reports those
        return []
    skus = set(products["sku"].dropna())
    known = set(materials["material"].dropna())
    problems = []
    for row, kind, item in zip(frame.index, frame["kind"], frame["item"], strict=True):
        if pd.isna(item) or pd.isna(kind):
            continue
        if kind in MATERIAL_KINDS and item not in known:
            msg = f"unknown material {item!r} for {kind}: not in Materials.material"
        elif kind in SKU_KINDS and item not in skus:
            msg = f"unknown SKU {item!r} for {kind}: not in Products.sku"
        else:
            continue
        problems.append(
            Problem(tab=tab, table=table_name, row=int(row), column="item", message=msg)
        )
    return problems


def load_actuals(
    port: WorkbookPort,
    table_name: str,
    given: pd.DataFrame | Path | None,
    extra: Callable[[pd.DataFrame, str], list[Problem]] | None = None,
) -> pd.DataFrame:
    """The actuals (the workbook table, a file or a frame), every problem in one report.

    Raises ValidationError listing unreadable cells, bounds, `extra` checks and unknown items.
    """
    if given is None:
        tab = CONTRACT.table(table_name).tab
        frame, problems = read_table(port, table_name)
        if frame is None:
            raise ValidationError(problems)
    elif isinstance(given, Path):
        tab = given.name
        frame, problems = read_actuals_file(given, table_name)
    else:
        tab, frame, problems = "actuals", given, []
    if extra is not None:
        problems += extra(frame, tab)
    problems += item_problems(port, frame, table_name, tab)
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: p.row or 0))  # stable: by row
    return frame


def plan_vs_actual(
    port: WorkbookPort,
    progress: Progress = no_progress,
    actuals: pd.DataFrame | Path | None = None,
    snapshot: Path | None = None,
    store: Path | str | None = None,
    limits: GovernanceThresholds | None = None,
) -> dict[str, Any]:
    """Compare actuals (the Actuals table, or `actuals`: a file or frame) with the last
    approved snapshot. Every problem with the actuals is reported at once, nothing written."""
    progress("Plan vs actual", 0, 2)
    frame = load_actuals(port, "Actuals", actuals)
    if frame.empty:
        msg = "no actuals: fill the Actuals table on the Governance tab (or pass --actuals FILE)"
        raise ValidationError([Problem(tab="Governance", table="Actuals", message=msg)])
    plan_store = open_store(port, store)
    loaded = load_approved_plan(plan_store, snapshot)
    progress("Plan vs actual", 1, 2)
    result = compare(loaded.plan, frame, limits)
    write_table(port, "ForecastAccuracy", result.accuracy)
    write_table(port, "PlanAdherence", result.adherence)
    write_table(port, "PlanDeviations", result.deviations)
    meta = loaded.manifest["metadata"]
    plan_store.record(
        "plan_vs_actual",
        default_approver(),
        {
            "snapshot": str(loaded.snapshot),
            "months": sorted({m.strftime("%Y-%m") for m in pd.to_datetime(frame["month"])}),
            "deviations": len(result.deviations),
        },
        plan_version=meta["plan_version"],
    )
    progress("Plan vs actual", 2, 2)
    return {
        "plan_version": meta["plan_version"],
        "snapshot": str(loaded.snapshot),
        "accuracy": result.accuracy.to_dict(orient="records"),
        "adherence": result.adherence.to_dict(orient="records"),
        "deviations": len(result.deviations),
    }
