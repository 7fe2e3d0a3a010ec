"""Accuracy: wMAPE, MASE, bias and tracking signal of stored past forecasts, and each
consensus layer's forecast value added, onto the Demand tab."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.demand_inputs import optional_table
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.forecasting.accuracy import forecast_accuracy
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, write_table


def accuracy(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
) -> dict[str, Any]:
    """Compare the ForecastArchive with the sales history at lag 1 and lag 3."""
    inputs = inputs or read_inputs(port)
    progress("Accuracy", 0, 1)
    table, fva = forecast_accuracy(
        optional_table(inputs, "ForecastArchive"), inputs["SalesHistory"], inputs["Products"]
    )
    write_table(port, "DemandAccuracy", table)
    write_table(port, "ForecastValueAdded", fva)
    progress("Accuracy", 1, 1)
    total = fva[fva["level"] == "total"]
    return {
        "compared": len(table),
        "stored_forecasts": len(optional_table(inputs, "ForecastArchive")),
        "fva_total": {f"{r.layer} lag {r.lag}": round(float(r.fva), 4) for r in total.itertuples()},
        "note": "" if len(table) else "no stored past forecast has an actual yet",
    }
