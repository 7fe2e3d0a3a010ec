"""Run Plan: the constrained supply plan onto the Supply tab."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table


def run_plan(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    options: SolverOptions | None = None,
) -> dict[str, Any]:
    """Plan production and purchases against the forecast; write the Supply tab's tables."""
    inputs = inputs or read_inputs(port)
    progress("Supply plan", 0, 3)
    forecast = read_output(port, "Forecast", produced_by="Refresh Forecast")
    demand = forecast.rename(columns={"forecast": "quantity"})[["sku", "month", "quantity"]]
    data = prepare_planning_data(inputs, demand)
    progress("Supply plan", 1, 3)
    result = solve_plan(data, options)
    progress("Supply plan", 2, 3)
    write_table(port, "ProductionPlan", result.production)
    write_table(port, "ProductBalance", result.balance)
    write_table(port, "PurchasePlan", result.purchases)
    write_table(port, "CapacityUse", result.capacity)
    progress("Supply plan", 3, 3)
    return {
        "status": result.status,
        "objective": result.objective,
        "solver": result.solver,
        "variables": result.variables,
        "constraints": result.constraints,
        "build_seconds": round(result.build_seconds, 3),
        "solve_seconds": round(result.solve_seconds, 3),
        "unmet_units": float(result.balance["unmet"].sum()),
    }
