"""Explain Shortfalls: why demand is not met, with the binding constraints' shadow prices.

The explanation comes from the solved model's duals, so the button plans again (the model is
deterministic: the same inputs give the same plan) and rewrites the Supply tab: the plan and
its explanation on the sheet always belong together, even after inputs were edited.
"""

from __future__ import annotations

from typing import Any

from sop_addin.actions.plan import plan_summary, plan_supply
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning import SolverOptions
from sop_addin.workbook.port import WorkbookPort

TOP = 5


def explain_shortfalls(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    options: SolverOptions | None = None,
) -> dict[str, Any]:
    """Write Shortfalls, Bottlenecks and SlackReport (with the plan they explain); summarise."""
    result = plan_supply(port, progress, inputs, options)
    summary = plan_summary(result)
    first = result.shortfalls[result.shortfalls["rank"] == 1]
    summary["top_causes"] = first["cause"].value_counts().to_dict()
    summary["bottlenecks"] = result.bottlenecks["constraint"].head(TOP).tolist()
    summary["slacks"] = (
        result.slacks.groupby("kind")["quantity"].sum().round(3).to_dict()
        if len(result.slacks)
        else {}
    )
    return summary
