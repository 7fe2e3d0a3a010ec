"""The headless S&OP cycle: forecast, supply plan, finance, exec summary, in that order."""

from __future__ import annotations

from typing import Any

from sop_addin import __version__
from sop_addin.actions.accuracy import accuracy
from sop_addin.actions.changes import update_changes
from sop_addin.actions.consensus import apply_consensus
from sop_addin.actions.exec_summary import update_exec_summary
from sop_addin.actions.finance import reconcile_finance
from sop_addin.actions.forecast import refresh_forecast
from sop_addin.actions.plan import run_plan
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.actions.views import (
    capture_grid_edits,
    check_layout,
    update_dashboard,
    update_grids,
)
from sop_addin.approval.lineage import record_run_lineage
from sop_addin.core.calendar import month_label
from sop_addin.core.planning import SolverOptions
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs


def run_cycle(
    port: WorkbookPort,
    progress: Progress = no_progress,
    jobs: int = 1,
    options: SolverOptions | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Run every step on the port's workbook (validated once) and return a summary.

    The caller saves the workbook afterwards; nothing is saved when a step fails.
    """
    progress("Validate inputs", 0, 1)
    check_layout(port)  # tables on the tabs this version expects
    capture_grid_edits(port)  # consensus typed into the Demand grid becomes an override
    inputs = read_inputs(port)
    progress("Validate inputs", 1, 1)
    settings = inputs.settings
    forecast = refresh_forecast(port, progress, inputs=inputs, jobs=jobs, scheduler=scheduler)
    forecast["consensus"] = apply_consensus(port, progress, inputs=inputs)
    forecast["accuracy"] = accuracy(port, progress, inputs=inputs)
    plan = run_plan(port, progress, inputs=inputs, options=options)
    finance = reconcile_finance(port, progress, inputs=inputs)
    changes = update_changes(port, inputs, progress)  # against the last approved plan
    kpis = update_exec_summary(port, progress, inputs=inputs)
    update_grids(port, progress, inputs=inputs)
    update_dashboard(port, progress, inputs=inputs, snapshot=(changes or {}).get("snapshot", ""))
    summary: dict[str, Any] = {
        "sop_addin_version": __version__,
        "company": settings.company,
        "plan_cycle": settings.plan_cycle,
        "plan_version": settings.plan_version,
        "first_plan_month": month_label(settings.first_plan_month),
        "horizon_months": settings.horizon_months,
        "currency": settings.currency,
        "forecast": forecast,
        "plan": plan,
        "finance": finance,
        "kpis": kpis,
        "changes_since_approval": changes,
    }
    # What produced this plan (inputs hash, solver, versions, seeds), for the approval.
    summary["lineage"] = record_run_lineage(port, summary)
    return summary
