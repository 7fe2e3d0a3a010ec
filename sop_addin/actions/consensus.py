"""Apply Consensus: the statistical baseline plus lifecycle, sales, marketing, family
adjustments and overrides, each its own layer, into the consensus demand the plan uses
(the planning steps read it through actions.plan_demand)."""

from __future__ import annotations

from typing import Any

from sop_addin.actions.demand_inputs import optional_table
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.actions.views import capture_grid_edits, update_grids
from sop_addin.core.forecasting.consensus import ConsensusInputs, build_consensus
from sop_addin.core.forecasting.lifecycle import LifecycleInputs, lifecycle_layer
from sop_addin.core.inputs import PlanInputs
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table


def apply_consensus(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
) -> dict[str, Any]:
    """Build the Consensus and OverrideLog tables from the Forecast and the Demand inputs.

    Called alone (no `inputs`), it first turns consensus typed into the Demand grid into
    overrides; it redraws the grids after, so the grid always shows the Consensus table.
    """
    if inputs is None:
        capture_grid_edits(port)
        inputs = read_inputs(port)
    progress("Consensus", 0, 2)
    forecast = read_output(port, "Forecast", produced_by="Refresh Forecast")
    months = inputs.months
    base = forecast.rename(columns={"forecast": "statistical"})[["sku", "month", "statistical"]]
    lifecycle = lifecycle_layer(
        base,
        inputs["Products"],
        inputs["SalesHistory"],
        months,
        LifecycleInputs(
            new_products=optional_table(inputs, "NewProducts"),
            launch_curves=optional_table(inputs, "LaunchCurves"),
            phase_outs=optional_table(inputs, "PhaseOuts"),
            cannibalisation=optional_table(inputs, "Cannibalisation"),
        ),
    )
    progress("Consensus", 1, 2)
    result = build_consensus(
        forecast,
        lifecycle,
        ConsensusInputs(
            sales=optional_table(inputs, "SalesInputs"),
            marketing=optional_table(inputs, "MarketingUplifts"),
            family_adjustments=optional_table(inputs, "FamilyAdjustments"),
            overrides=optional_table(inputs, "Overrides"),
        ),
        months,
        end_of_life=dict(
            zip(
                inputs["Products"]["sku"].astype(str),
                inputs["Products"]["end_of_life_month"],
                strict=True,
            )
        ),
    )
    write_table(port, "Consensus", result.consensus)
    write_table(port, "OverrideLog", result.override_log)
    update_grids(port, inputs=inputs)
    progress("Consensus", 2, 2)
    c = result.consensus
    layers = ("statistical", "lifecycle", "sales", "marketing", "family_adjustment", "override")
    return {
        "skus": int(c["sku"].nunique()),
        "layers": {layer: float(c[layer].sum()) for layer in layers},
        "consensus_units": float(c["consensus"].sum()),
        "overrides_applied": len(result.override_log),
        "not_applied_outside_plan": result.outside_plan,
    }
