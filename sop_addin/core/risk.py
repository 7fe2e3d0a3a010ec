"""Risk: a seeded Monte Carlo of the current plan under demand, lead-time and yield variability.

The plan (production per SKU and month, open receipts, opening stock) is held fixed; each
draw perturbs what happens to it:

- demand: the plan's demand times (1 + cv x z), cv from the forecast's 80% interval
  ((hi80 - lo80) / (2 x 1.2816) over the forecast), never below zero;
- lead time: a month's production of a SKU slips to the next month when one of its
  materials arrives late, with probability P(lead time > the whole months planned for it)
  for a normal lead time of the supplier's mean and spread;
- yield: good output times (1 + yield_sd x z), never below zero.

Stock then flows month by month with lost sales. Each month the draw tries to serve what
the plan serves plus the draw's extra demand (demand the plan chose not to serve, e.g. to
keep a buffer, stays unserved; a backlog the plan catches up on is still served), as far as
stock allows. With all variability at zero the draws reproduce the plan,
so P10 = P50 = P90 = the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_addin.core.finance import unit_costs
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning.sourcing import material_late_probability

Z80 = 1.2815515655446004  # the 90% normal quantile: half an 80% interval is 1.2816 sd
EPS = 1e-6
CHUNK = 256  # draws simulated at once: bounds memory at 400 SKUs x 60 months


@dataclass(frozen=True)
class RiskOptions:
    """How many draws, the seed, and how much of each variability to apply (1 = as given)."""

    draws: int = 1000
    seed: int = 20270101
    demand_scale: float = 1.0
    lead_time_scale: float = 1.0
    yield_sd: float = 0.03

    def __post_init__(self) -> None:
        if self.draws < 1:
            msg = f"draws must be at least 1, got {self.draws}"
            raise ValueError(msg)
        if min(self.demand_scale, self.lead_time_scale, self.yield_sd) < 0:
            msg = "variability scales must not be negative"
            raise ValueError(msg)


@dataclass(frozen=True)
class RiskResult:
    """Percentiles of the plan's figures and the stock-out risk per SKU."""

    summary: pd.DataFrame  # metric, unit, plan, p10, p50, p90
    stockouts: pd.DataFrame  # sku, family, stockout_probability, expected_unmet, p90_unmet
    draws: int


def _grid(balance: pd.DataFrame, column: str, skus: list[str], months: list) -> np.ndarray:
    table = balance.pivot_table(index="sku", columns="month", values=column, aggfunc="sum")
    return table.reindex(index=skus, columns=months).fillna(0.0).to_numpy(dtype=float)


def demand_cv(forecast: pd.DataFrame | None, skus: list[str], months: list) -> np.ndarray:
    """Relative forecast error per SKU and month from the 80% interval (0 without one)."""
    if forecast is None or forecast.empty:
        return np.zeros((len(skus), len(months)))
    sd = (forecast["hi80"] - forecast["lo80"]).clip(lower=0.0) / (2 * Z80)
    mean = forecast["forecast"].where(forecast["forecast"] > EPS)
    frame = forecast.assign(cv=(sd / mean).fillna(0.0))
    return _grid(frame, "cv", skus, months)


def slip_probability(inputs: PlanInputs, skus: list[str]) -> np.ndarray:
    """Per SKU: the chance a month's production waits a month for a late material.

    A material is late when its order overruns the months planned for it; with several sources
    (Sourcing), each source's own mean and spread count, weighted by its share of the orders.
    """
    late = material_late_probability(inputs)
    bom = inputs["BOM"]
    per_line = bom["material"].map(late).fillna(0.0)
    # The SKU waits when any one material is late: 1 - prod(1 - p).
    on_time = (1.0 - per_line).groupby(bom["sku"]).prod()
    return (1.0 - on_time).reindex(skus).fillna(0.0).to_numpy(dtype=float)


def _simulate(
    rng: np.random.Generator,
    n: int,
    opening: np.ndarray,
    production: np.ndarray,
    receipts: np.ndarray,
    demand: np.ndarray,
    planned_gap: np.ndarray,
    cv: np.ndarray,
    slip: np.ndarray,
    yield_sd: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Served, unmet (n x S x T), closing stock at the end (n x S) and demand (n) of n draws."""
    skus, months = demand.shape
    wanted = demand[None] * (1.0 + cv[None] * rng.standard_normal((n, skus, months)))
    wanted = np.maximum(wanted, 0.0)
    good = production[None] * (1.0 + yield_sd * rng.standard_normal((n, skus, months)))
    good = np.maximum(good, 0.0)
    late = rng.random((n, skus, months)) < slip[None, :, None]
    arriving = np.where(late, 0.0, good)
    arriving[:, :, 1:] += np.where(late, good, 0.0)[:, :, :-1]  # a late month lands next month
    stock = np.repeat(opening[None], n, axis=0)
    served = np.empty((n, skus, months))
    for t in range(months):
        available = stock + receipts[None, :, t] + arriving[:, :, t]
        to_serve = np.maximum(wanted[:, :, t] - planned_gap[None, :, t], 0.0)
        served[:, :, t] = np.minimum(available, to_serve)
        stock = available - served[:, :, t]
    return served, np.maximum(wanted - served, 0.0), stock, wanted.sum(axis=(1, 2))


def monte_carlo(
    inputs: PlanInputs,
    balance: pd.DataFrame,
    forecast: pd.DataFrame | None = None,
    options: RiskOptions | None = None,
) -> RiskResult:
    """P10/P50/P90 of fill rate, gross margin and closing inventory, and stock-out risk."""
    options = options or RiskOptions()
    skus = sorted(balance["sku"].unique())
    months = sorted(balance["month"].unique())
    # Summed over a SKU's sites (ProductBalance has a row per site when sites are planned).
    first = balance[balance["month"] == months[0]].groupby("sku")["opening"].sum()
    opening = first.reindex(skus).fillna(0.0).to_numpy(dtype=float)
    production = _grid(balance, "production", skus, months)
    receipts = _grid(balance, "receipts", skus, months)
    demand = _grid(balance, "demand", skus, months)
    # Demand minus served in the plan: its unmet demand, negative when it catches up a backlog.
    planned_gap = demand - _grid(balance, "served", skus, months)
    cv = demand_cv(forecast, skus, months) * options.demand_scale
    slip = np.clip(slip_probability(inputs, skus) * options.lead_time_scale, 0.0, 1.0)
    prices = inputs["Prices"].set_index("sku")["unit_price"].reindex(skus).to_numpy(dtype=float)
    costs = unit_costs(inputs).reindex(skus).to_numpy(dtype=float)
    unit_margin = prices - costs

    rng = np.random.default_rng(options.seed)
    fill, margin, inventory = [], [], []
    unmet_by_sku, short = [], []
    for start in range(0, options.draws, CHUNK):
        n = min(CHUNK, options.draws - start)
        served, unmet, closing, wanted = _simulate(
            rng, n, opening, production, receipts, demand, planned_gap, cv, slip, options.yield_sd
        )
        fill.append(np.where(wanted > 0, served.sum(axis=(1, 2)) / np.maximum(wanted, EPS), 1.0))
        margin.append((served.sum(axis=2) * unit_margin).sum(axis=1))
        inventory.append((closing * costs).sum(axis=1))
        unmet_by_sku.append(unmet.sum(axis=2))
        short.append((unmet > EPS).any(axis=2))

    plan_served = _grid(balance, "served", skus, months)
    plan_closing = _grid(balance, "closing", skus, months)[:, -1]
    total_demand = float(demand.sum())
    plan = {
        "Fill rate": float(plan_served.sum() / total_demand) if total_demand else 1.0,
        "Gross margin": float((plan_served.sum(axis=1) * unit_margin).sum()),
        "Closing inventory value": float((plan_closing * costs).sum()),
    }
    units = {"Fill rate": "share", "Gross margin": inputs.settings.currency}
    units["Closing inventory value"] = inputs.settings.currency
    samples = {
        "Fill rate": np.concatenate(fill),
        "Gross margin": np.concatenate(margin),
        "Closing inventory value": np.concatenate(inventory),
    }
    summary = pd.DataFrame(
        [
            {
                "metric": metric,
                "unit": units[metric],
                "plan": plan[metric],
                "p10": float(np.percentile(values, 10)),
                "p50": float(np.percentile(values, 50)),
                "p90": float(np.percentile(values, 90)),
            }
            for metric, values in samples.items()
        ]
    )
    lost = np.concatenate(unmet_by_sku)
    families = inputs["Products"].set_index("sku")["family"]
    stockouts = pd.DataFrame(
        {
            "sku": skus,
            "family": [families.get(s) for s in skus],
            "stockout_probability": np.concatenate(short).mean(axis=0),
            "expected_unmet": lost.mean(axis=0),
            "p90_unmet": np.percentile(lost, 90, axis=0),
        }
    ).sort_values(["stockout_probability", "expected_unmet"], ascending=False, kind="stable")
    return RiskResult(
        summary=summary, stockouts=stockouts.reset_index(drop=True), draws=options.draws
    )
