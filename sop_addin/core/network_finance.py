"""What the supply network levers cost beyond standard cost, by product family and month.

COGS values a unit at its standard cost (UnitCosts), so two costs of the plan are not in it:

- sourcing: what purchases cost above (or, from a cheaper second source, below) the material's
  standard price (Materials unit_cost): PurchasePlan cost - quantity x unit_cost, in the month
  the material arrives, split over the families by their use of the material over the plan
  (BOM x units started);
- substitutes: the alternate's price x units used - the replaced material's price x units
  saved + the extra cost (Substitutions), for the SKU's family in the month it is started;
- shifts: the fixed cost of the extra shifts the plan adds (CapacityUse shift_cost), split over
  the families by the hours they take on the resource in that month (over the plan when the
  month has none);
- transfers: what moving finished goods between sites costs (Transfers cost), for the SKU's
  family in the month the units ship.

Finance adds both to COGS (FinancePlan and the live PnL: ``network_cost``).
"""

from __future__ import annotations

import pandas as pd

from sop_addin.core.inputs import PlanInputs

COLUMNS = ["family", "month", "network_cost"]


def _shares(frame: pd.DataFrame, key: str, weight: str) -> pd.DataFrame:
    """Each family's share of the weight per key value."""
    totals = frame.groupby([key, "family"])[weight].sum().reset_index()
    totals["share"] = totals[weight] / totals.groupby(key)[weight].transform("sum")
    return totals[totals["share"] > 0]


def _sourcing(inputs: PlanInputs, production: pd.DataFrame, purchases: pd.DataFrame) -> list:
    if purchases is None or purchases.empty or production is None or production.empty:
        return []
    standard = inputs["Materials"].set_index("material")["unit_cost"].astype(float)
    variance = purchases["cost"] - purchases["quantity"] * purchases["material"].map(standard)
    bought = purchases.assign(variance=variance.fillna(0.0))
    bought = bought[bought["variance"].abs() > 1e-9]
    if bought.empty:
        return []
    family = inputs["Products"].set_index("sku")["family"]
    use = production.merge(inputs["BOM"], on="sku")
    use = use.assign(family=use["sku"].map(family), used=use["quantity"] * use["quantity_per_unit"])
    shares = _shares(use, "material", "used")
    split = bought.merge(shares[["material", "family", "share"]], on="material")
    return [
        (r.family, r.arrival_month, r.variance * r.share) for r in split.itertuples(index=False)
    ]


def _shifts(inputs: PlanInputs, production: pd.DataFrame, capacity: pd.DataFrame) -> list:
    if capacity is None or "shift_cost" not in capacity:
        return []
    costs = capacity[pd.to_numeric(capacity["shift_cost"], errors="coerce").fillna(0.0) > 0]
    if costs.empty or production is None or production.empty:
        return []
    family = inputs["Products"].set_index("sku")["family"]
    hours = production.assign(family=production["sku"].map(family))
    monthly = hours.assign(key=list(zip(hours["resource"], hours["month"], strict=True)))
    per_month = _shares(monthly, "key", "hours").set_index("key")
    overall = _shares(hours, "resource", "hours").set_index("resource")
    rows = []
    for r in costs.itertuples(index=False):
        key = (r.resource, r.month)
        if key in per_month.index:
            split = per_month.loc[[key]]
        elif r.resource in overall.index:
            split = overall.loc[[r.resource]]
        else:
            continue
        rows += [
            (f, r.month, float(r.shift_cost) * s)
            for f, s in zip(split["family"], split["share"], strict=True)
        ]
    return rows


def _substitutes(inputs: PlanInputs, used: pd.DataFrame | None) -> list:
    if used is None or used.empty:
        return []
    price = inputs["Materials"].set_index("material")["unit_cost"].astype(float)
    family = inputs["Products"].set_index("sku")["family"]
    cost = (
        used["alternate_used"] * used["alternate_material"].map(price)
        - used["material_saved"] * used["material"].map(price)
        + used["extra_cost"]
    ).fillna(0.0)
    return list(zip(used["sku"].map(family), used["month"], cost, strict=True))


def _transfers(inputs: PlanInputs, moved: pd.DataFrame | None) -> list:
    if moved is None or moved.empty:
        return []
    family = inputs["Products"].set_index("sku")["family"]
    cost = pd.to_numeric(moved["cost"], errors="coerce").fillna(0.0)
    return list(zip(moved["sku"].map(family), moved["ship_month"], cost, strict=True))


def network_costs(
    inputs: PlanInputs,
    production: pd.DataFrame | None,
    purchases: pd.DataFrame | None,
    capacity: pd.DataFrame | None,
    substitutions: pd.DataFrame | None = None,
    transfers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sourcing price differences, substitutes, shift and transfer costs per family and month
    (see the module)."""
    rows = _sourcing(inputs, production, purchases) + _shifts(inputs, production, capacity)
    rows += _substitutes(inputs, substitutions) + _transfers(inputs, transfers)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.groupby(["family", "month"], as_index=False)["network_cost"].sum()
