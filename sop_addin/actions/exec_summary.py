"""Exec Summary: the plan's headline figures onto the Exec tab."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.checklist import validation_checklist
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.kpis import headline_kpis, monthly_summary
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table


def update_exec_summary(
    port: WorkbookPort, progress: Progress = no_progress, inputs: PlanInputs | None = None
) -> dict[str, Any]:
    """KPIs, the monthly summary and the review checklist from the Supply and Finance outputs."""
    inputs = inputs or read_inputs(port)
    progress("Exec summary", 0, 1)
    balance = read_output(port, "ProductBalance", produced_by="Run Plan")
    capacity = read_output(port, "CapacityUse", produced_by="Run Plan")
    finance = read_output(port, "FinancePlan", produced_by="Reconcile Finance")
    purchases = read_output(port, "PurchasePlan", produced_by="Run Plan", allow_empty=True)
    kpis = headline_kpis(balance, capacity, finance, purchases, inputs.settings.currency)
    write_table(port, "KPIs", kpis)
    write_table(port, "MonthlySummary", monthly_summary(balance, capacity, finance))
    forecast = read_output(port, "Forecast", produced_by="Refresh Forecast", allow_empty=True)
    outputs = {
        "Forecast": forecast,
        "ProductBalance": balance,
        "CapacityUse": capacity,
        "FinancePlan": finance,
    }
    checklist = validation_checklist(outputs, skus=len(inputs["Products"]))
    write_table(port, "Checklist", checklist)
    progress("Exec summary", 1, 1)
    return {
        str(row.kpi): {"value": None if pd.isna(row.value) else float(row.value), "unit": row.unit}
        for row in kpis.itertuples()
    }
