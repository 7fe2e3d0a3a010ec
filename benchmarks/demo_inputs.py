"""The demo company's inputs and a demand to plan against, for benchmarks and tests."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.validation import parse_settings
from sop_addin.core.demo_company import generate_demo
from sop_addin.core.inputs import PlanInputs, PlanSettings


def demo_inputs(skus: int, seed: int = 7) -> tuple[PlanInputs, pd.DataFrame]:
    """The demo company's inputs and last year's sales, month by month, as the demand (the
    company drawn from `seed`; 7 is the demo's own)."""
    frames = generate_demo(seed=seed, skus=skus)
    settings, problems = parse_settings(
        frames["Settings"], CONTRACT.table("Settings"), CONTRACT.settings
    )
    assert not problems, problems
    inputs = PlanInputs(settings=PlanSettings(**settings), tables=frames)  # type: ignore[arg-type]
    history = frames["SalesHistory"]
    last_year = history[history["month"] > history["month"].max() - pd.DateOffset(months=12)]
    by_month = last_year.groupby(["sku", last_year["month"].dt.month])["quantity"].sum()
    demand = pd.DataFrame(
        [
            (sku, month, float(by_month.get((sku, month.month), 0.0)))
            for sku in frames["Products"]["sku"]
            for month in inputs.months
        ],
        columns=["sku", "month", "quantity"],
    )
    return inputs, demand
