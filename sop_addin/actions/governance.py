"""Plan vs Actual: the last approved plan against the actuals, onto the Governance tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.approval import open_store
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approve import default_approver
from sop_addin.approval.approved_plan import load_approved_plan
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.governance import GovernanceThresholds
from sop_addin.core.governance import plan_vs_actual as compare
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_table, write_table


def read_port_table(port: WorkbookPort, name: str) -> pd.DataFrame:
    """An input table of the workbook, validated, indexed by Excel row (ValidationError)."""
    frame, problems = read_table(port, name)
    if problems:
        raise ValidationError(problems)
    assert frame is not None
    return frame


def plan_vs_actual(
    port: WorkbookPort,
    progress: Progress = no_progress,
    actuals: pd.DataFrame | None = None,
    snapshot: Path | None = None,
    store: Path | str | None = None,
    limits: GovernanceThresholds | None = None,
) -> dict[str, Any]:
    """Compare actuals (the Actuals table, or `actuals`) with the last approved snapshot."""
    progress("Plan vs actual", 0, 2)
    if actuals is None:
        actuals = read_port_table(port, "Actuals")
    if actuals.empty:
        msg = "no actuals: fill the Actuals table on the Governance tab (or pass --actuals FILE)"
        raise ValidationError([Problem(tab="Governance", table="Actuals", message=msg)])
    plan_store = open_store(port, store)
    loaded = load_approved_plan(plan_store, snapshot)
    progress("Plan vs actual", 1, 2)
    result = compare(loaded.plan, actuals, limits)
    write_table(port, "ForecastAccuracy", result.accuracy)
    write_table(port, "PlanAdherence", result.adherence)
    write_table(port, "PlanDeviations", result.deviations)
    meta = loaded.manifest["metadata"]
    plan_store.record(
        "plan_vs_actual",
        default_approver(),
        {
            "snapshot": str(loaded.snapshot),
            "months": sorted({m.strftime("%Y-%m") for m in pd.to_datetime(actuals["month"])}),
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
