"""Reconcile Finance: the plan's P&L in Python and as live formulas, and the deviations."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.contract import CONTRACT
from sop_addin.core.finance import (
    BELOW,
    deviations,
    finance_plan,
    finance_rates,
    sku_finance,
)
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.network_finance import network_costs
from sop_addin.workbook.finance_formulas import write_formula_table
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import has_table, read_inputs, read_output, write_table


def optional_output(port: WorkbookPort, name: str) -> pd.DataFrame | None:
    """An output another step may or may not produce (absent from older contracts)."""
    if name not in CONTRACT.tables:
        return None
    return read_output(port, name, produced_by="Run Plan", allow_empty=True)


def reconcile_finance(
    port: WorkbookPort, progress: Progress = no_progress, inputs: PlanInputs | None = None
) -> dict[str, Any]:
    """Value the plan by family and month against budget; write values, formulas, deviations.

    FinancePlan holds Python's figures; PnL and SkuPnL hold the same lines as Excel formulas
    over the Supply tab and the Finance assumptions, so finance sees its edits at once.
    """
    inputs = inputs or read_inputs(port)
    progress("Finance", 0, 2)
    rates = finance_rates(inputs)
    balance = read_output(port, "ProductBalance", produced_by="Run Plan")
    capacity = read_output(port, "CapacityUse", produced_by="Run Plan", allow_empty=True)
    network = network_costs(
        inputs,
        read_output(port, "ProductionPlan", produced_by="Run Plan", allow_empty=True),
        read_output(port, "PurchasePlan", produced_by="Run Plan", allow_empty=True),
        capacity,
        read_output(port, "Substitutions", produced_by="Run Plan", allow_empty=True)
        if has_table(port, "Substitutions")
        else None,
        read_output(port, "Transfers", produced_by="Run Plan", allow_empty=True)
        if has_table(port, "Transfers")
        else None,
    )
    plan = finance_plan(inputs, balance, rates, network)
    lines = sku_finance(inputs, balance, rates)
    found = deviations(
        plan,
        rates,
        capacity=capacity,
        resources=inputs["Resources"],
        shortfalls=optional_output(port, "Shortfalls"),
    )
    progress("Finance", 1, 2)
    write_table(port, "FinancePlan", plan)
    # Python's figures ride along as the formulas' cached results (same lines, same order).
    write_formula_table(port, "SkuPnL", lines)
    write_formula_table(port, "PnL", plan)
    write_table(port, "Deviations", found)
    progress("Finance", 2, 2)
    return {
        "revenue": float(plan["revenue"].sum()),
        "gross_margin": float(plan["gross_margin"].sum()),
        "below_margin_threshold": int((plan["margin_flag"] == BELOW).sum()),
        "deviations": len(found),
        "deviation_cost": float(found["cost"].sum()) if len(found) else 0.0,
    }
