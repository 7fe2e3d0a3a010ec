"""Refresh Forecast: statistical forecast per SKU onto the Demand tab."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.forecasting import forecast_demand
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, write_table


def refresh_forecast(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Forecast every SKU over the plan horizon and write Forecast and ForecastModels."""
    inputs = inputs or read_inputs(port)
    result = forecast_demand(
        inputs["SalesHistory"],
        inputs["Products"],
        inputs.months,
        progress=lambda done, total: progress("Forecast", done, total),
        jobs=jobs,
    )
    write_table(port, "Forecast", result.forecast)
    write_table(port, "ForecastModels", result.models)
    return {
        "skus": int(result.models["sku"].nunique()),
        "models": {str(k): int(v) for k, v in result.models["model"].value_counts().items()},
        "forecast_units": float(result.forecast["forecast"].sum()),
    }
