"""Reconcile Finance: the plan's revenue, cost and margin onto the Finance tab."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.finance import finance_plan
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table


def reconcile_finance(
    port: WorkbookPort, progress: Progress = no_progress, inputs: PlanInputs | None = None
) -> dict[str, Any]:
    """Value the served demand of the supply plan by family and month, against budget."""
    inputs = inputs or read_inputs(port)
    progress("Finance", 0, 1)
    balance = read_output(port, "ProductBalance", produced_by="Run Plan")
    plan = finance_plan(inputs, balance)
    write_table(port, "FinancePlan", plan)
    progress("Finance", 1, 1)
    return {
        "revenue": float(plan["revenue"].sum()),
        "gross_margin": float(plan["gross_margin"].sum()),
    }
