"""Exec Summary: the one-page view of the plan on the Exec tab.

KPI tiles, plan against budget by month, the load per resource, the top constraints and
risks, the Monte Carlo of the plan and the pre-executive checklist. The charts are drawn
by the file port when it saves (sop_addin.workbook.charts).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sop_addin.actions.finance import optional_output
from sop_addin.actions.plan_demand import plan_demand
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.lineage import PROMOTED, read_lineage
from sop_addin.contract import CONTRACT
from sop_addin.core.checklist import validation_checklist
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.kpis import headline_kpis, monthly_summary, resource_load, top_risks
from sop_addin.core.risk import RiskOptions, monte_carlo
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table


def _present(port: WorkbookPort, name: str) -> pd.DataFrame | None:
    """An optional output that may be missing from an older workbook."""
    try:
        port.table_location(name)
    except TableNotFound:
        return None
    return optional_output(port, name)


def update_exec_summary(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    risk: RiskOptions | None = None,
) -> dict[str, Any]:
    """KPIs, monthly view, resource load, risks and the checklist from the plan's outputs."""
    inputs = inputs or read_inputs(port)
    progress("Exec summary", 0, 3)
    balance = read_output(port, "ProductBalance", produced_by="Run Plan")
    capacity = read_output(port, "CapacityUse", produced_by="Run Plan")
    finance = read_output(port, "FinancePlan", produced_by="Reconcile Finance")
    purchases = read_output(port, "PurchasePlan", produced_by="Run Plan", allow_empty=True)
    forecast = read_output(port, "Forecast", produced_by="Refresh Forecast", allow_empty=True)
    accuracy = _present(port, "ForecastAccuracy") if "ForecastAccuracy" in CONTRACT.tables else None
    kpis = headline_kpis(
        balance, capacity, finance, purchases, inputs.settings.currency, accuracy=accuracy
    )
    write_table(port, "KPIs", kpis)
    write_table(port, "MonthlySummary", monthly_summary(balance, capacity, finance))
    load = resource_load(capacity)
    write_table(port, "ResourceLoad", load)
    progress("Exec summary", 1, 3)

    # The demand error comes from the interval around the demand the plan used.
    demand = plan_demand(port).rename(columns={"quantity": "forecast"})
    simulated = monte_carlo(inputs, balance, demand, risk)
    write_table(port, "RiskSummary", simulated.summary)
    write_table(port, "StockoutRisk", simulated.stockouts)
    progress("Exec summary", 2, 3)

    bottlenecks = _present(port, "Bottlenecks")
    shortfalls = _present(port, "Shortfalls")
    write_table(port, "TopRisks", top_risks(bottlenecks, shortfalls, simulated.stockouts, load))
    outputs = {
        "Forecast": forecast,
        "ProductBalance": balance,
        "CapacityUse": capacity,
        "FinancePlan": finance,
    }
    for name in ("Deviations", "ScenarioComparison"):
        frame = _present(port, name)
        if frame is not None:
            outputs[name] = frame
    promoted = read_lineage(port).get(PROMOTED)  # the approval checklist reads the same
    checklist = validation_checklist(outputs, skus=len(inputs["Products"]), promoted=promoted)
    write_table(port, "Checklist", checklist)
    progress("Exec summary", 3, 3)
    summary: dict[str, Any] = {
        str(row.kpi): {
            "value": None if pd.isna(row.value) else float(row.value),
            "unit": row.unit,
            "detail": row.detail,
        }
        for row in kpis.itertuples()
    }
    return summary
