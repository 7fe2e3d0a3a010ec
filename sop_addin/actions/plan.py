"""Run Plan: the constrained supply plan onto the Supply tab."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.plan_demand import plan_demand
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.contract.load import optional_tables
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.kpis import service_level
from sop_addin.core.planning import PlanResult, SolverOptions, prepare_planning_data, solve_plan
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import has_table, read_inputs, write_table

SUPPLY_TABLES = (
    "ProductionPlan",
    "ProductBalance",
    "PurchasePlan",
    "Transfers",
    "Substitutions",
    "CapacityUse",
    "SafetyStock",
    "Shortfalls",
    "Bottlenecks",
    "SlackReport",
    "SolverReport",
)


def plan_supply(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    options: SolverOptions | None = None,
) -> PlanResult:
    """Plan against the demand (consensus, else forecast); write every Supply-tab table."""
    inputs = inputs or read_inputs(port)
    progress("Supply plan", 0, 3)
    # Consensus demand when Apply Consensus has run, else the statistical forecast; the 80%
    # interval goes along: safety stock reads the forecast error from it.
    demand = plan_demand(port)
    data = prepare_planning_data(inputs, demand)
    progress("Supply plan", 1, 3)
    result = solve_plan(data, options)
    progress("Supply plan", 2, 3)
    write_supply_tables(port, result)
    progress("Supply plan", 3, 3)
    return result


def write_supply_tables(port: WorkbookPort, result: PlanResult) -> None:
    """Every Supply-tab table of a plan (the working plan's, or a promoted scenario's)."""
    frames = {
        "ProductionPlan": result.production,
        "ProductBalance": result.balance,
        "PurchasePlan": result.purchases,
        "Transfers": result.transfers,
        "Substitutions": result.substitutions,
        "CapacityUse": result.capacity,
        "SafetyStock": result.safety_stock,
        "Shortfalls": result.shortfalls,
        "Bottlenecks": result.bottlenecks,
        "SlackReport": result.slacks,
        "SolverReport": result.solver_table,
    }
    for name in SUPPLY_TABLES:
        if name in optional_tables() and not has_table(port, name):
            continue  # a workbook made before the table existed
        write_table(port, name, frames[name])


def plan_summary(result: PlanResult) -> dict[str, Any]:
    """The JSON-able figures of a plan run: solver status, objective and gap always included."""
    report = result.report
    assert report is not None
    return {
        # "Optimal" only for a proof; "Within the gap" (proven) or "Feasible, not proven".
        "status": report.status,
        "solution": report.solution,
        "solver_says": report.stop_reason,
        "objective": result.objective,  # buffers and cost (stage 2)
        "unmet_value": report.service,  # weighted unmet demand (stage 1)
        "unmet_value_gap": report.service_gap if report.mip else 0.0,
        "problem": "MILP" if report.mip else "LP",
        "mip_objective": report.mip_objective,
        "mip_gap": report.mip_gap if report.mip else 0.0,
        "best_bound": report.best_bound,
        "shadow_prices_from": report.duals_from,
        # What rounding to whole packs did and cost (whole_units.py); "off" with --fractional.
        "whole_units": report.whole_units.note() if report.whole_units else "off",
        "objective_before_rounding": (
            report.whole_units.objective_before if report.whole_units else result.objective
        ),
        "solver": result.solver,
        "variables": result.variables,
        "integer_variables": result.integer_variables,
        "constraints": result.constraints,
        "build_seconds": round(result.build_seconds, 3),
        "solve_seconds": round(result.solve_seconds, 3),
        "unmet_units": service_level(result.balance).unmet,  # the KPIs' definition
        "shortfalls": int(result.shortfalls[["sku", "month"]].drop_duplicates().shape[0]),
        "slacks_used": len(result.slacks),
    }


def run_plan(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    options: SolverOptions | None = None,
) -> dict[str, Any]:
    """Plan production and purchases against the forecast; write the Supply tab's tables."""
    return plan_summary(plan_supply(port, progress, inputs, options))
