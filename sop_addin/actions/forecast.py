"""Refresh Forecast: the statistical baseline per SKU onto the Demand tab."""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd

from sop_addin.actions.demand_inputs import demand_setting
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.forecasting import forecast_demand
from sop_addin.core.forecasting.engine import EngineOptions
from sop_addin.core.forecasting.hierarchy import reconcile
from sop_addin.core.forecasting.selection import BacktestSettings
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_inputs, write_table


def clear_consensus(port: WorkbookPort) -> None:
    """Empty the Consensus table: a new baseline makes the old consensus stale.

    The supply plan then uses the new Forecast until Apply Consensus runs again.
    """
    from sop_addin.core.forecasting.consensus import CONSENSUS_COLUMNS

    # A workbook from before the Consensus table existed has nothing to clear.
    with contextlib.suppress(TableNotFound):
        write_table(port, "Consensus", pd.DataFrame(columns=list(CONSENSUS_COLUMNS)))


def refresh_forecast(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Forecast every SKU, reconcile the hierarchy, and write the Demand tab's baseline.

    ``jobs`` local processes forecast the SKUs, or the Dask cluster at ``scheduler``
    (``tcp://HOST:PORT``) when one is given; the numbers are the same.

    Writes Forecast, ForecastModels, CleansedHistory and DemandHierarchy, and empties the
    Consensus table (it belonged to the previous baseline).
    """
    inputs = inputs or read_inputs(port)
    method = demand_setting(inputs, "reconciliation")
    metric = demand_setting(inputs, "backtest_metric")
    options = EngineOptions(backtest=BacktestSettings(metric=metric))
    result = forecast_demand(
        inputs["SalesHistory"],
        inputs["Products"],
        inputs.months,
        progress=lambda done, total: progress("Forecast", done, total),
        jobs=jobs,
        options=options,
        scheduler=scheduler,
    )
    progress("Reconcile hierarchy", 0, 1)
    forecast, hierarchy = reconcile(
        result.forecast, inputs["SalesHistory"], inputs.months, method, options
    )
    progress("Reconcile hierarchy", 1, 1)
    write_table(port, "Forecast", forecast)
    write_table(port, "ForecastModels", result.models)
    write_table(port, "CleansedHistory", result.cleansed)
    write_table(port, "DemandHierarchy", hierarchy)
    clear_consensus(port)
    return {
        "skus": int(result.models["sku"].nunique()),
        "models": {str(k): int(v) for k, v in result.models["model"].value_counts().items()},
        "demand_classes": {
            str(k): int(v) for k, v in result.models["demand_class"].value_counts().items()
        },
        "outliers_replaced": int((result.cleansed["flag"] == "outlier").sum()),
        "reconciliation": method,
        "backtest_metric": metric,
        "forecast_units": float(forecast["forecast"].sum()),
    }
