"""The demo company's supply network levers: a dual-sourced material, an extra shift, a
substitute component, and two sites with lanes between them.

Derived from the company's other tables without drawing a random number, so adding them left
every other figure of a seed unchanged:

- Sourcing: the material with the largest purchase spend keeps its supplier as main source and
  gets a second source that is 15% cheaper but a month slower (and less certain), carrying at
  most half of the material's volume, with its own daily limit and MOQ.
- ShiftOptions: the most loaded resource that still has hours in its day may add one shift of
  up to 8 hours a day for at least two months, costing 60% of what the same hours would cost
  on overtime, so it beats overtime in a month that needs most of its hours.
- BOMAlternates: the material that runs shortest at the start (its stock ends before an
  order placed now arrives) may be replaced, in its biggest user, by a material of the same
  unit from a faster supplier, one for one, costing more all in: the fallback while it is
  short.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd

from sop_addin.core.calendar import weekdays_in_month

SECOND_SOURCE_DISCOUNT = 0.85
SECOND_SOURCE_EXTRA_DAYS = 30.0
SHIFT_COST_SHARE = 0.6  # of the same hours on overtime
LANE_COST_SHARE = 0.5  # of the mean freight per unit
LANE_ROOM = 1.5  # lane capacity over the monthly volume made at one site for the other
DEFAULT_OVERTIME_RATE = 50.0


def _monthly_demand(frames: dict[str, pd.DataFrame]) -> pd.Series:
    history = frames["SalesHistory"]
    last = history["month"].max()
    recent = history[history["month"] > last - pd.DateOffset(months=12)]
    return recent.groupby("sku")["quantity"].sum() / 12.0


def demo_sourcing(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Two Sourcing rows: the biggest-spend material's main source and a second source."""
    materials = frames["Materials"].set_index("material")
    suppliers = frames["Suppliers"].set_index("supplier")
    bom = frames["BOM"]
    need = (
        (bom["quantity_per_unit"] * bom["sku"].map(_monthly_demand(frames)).fillna(0.0))
        .groupby(bom["material"])
        .sum()
    )
    spend = (need * materials["unit_cost"].reindex(need.index)).sort_values(
        ascending=False, kind="stable"
    )
    material = str(spend.index[0])
    main = str(materials.at[material, "supplier"])
    others = suppliers.drop(index=main)
    if others.empty:
        return frames["Sourcing"]
    # The slowest other supplier, so the second source reads as the far, cheap one.
    second = str(others["lead_time_days"].astype(float).idxmax())
    lead = float(suppliers.at[main, "lead_time_days"]) + SECOND_SOURCE_EXTRA_DAYS
    monthly = float(need[material])
    price = float(materials.at[material, "unit_cost"])
    rows = [
        {"material": material, "supplier": main, "priority": 1},
        {
            "material": material,
            "supplier": second,
            "priority": 2,
            "max_share": 0.5,
            "unit_cost": round(price * SECOND_SOURCE_DISCOUNT, 2),
            "lead_time_days": lead,
            "lead_time_sd_days": round(0.3 * lead, 1),
            "daily_limit": float(np.ceil(0.6 * monthly / 20.0)),
            "moq": float(np.round(0.25 * monthly)),
        },
    ]
    return _typed(frames["Sourcing"], rows)


def demo_shift_options(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One shift option on the bottleneck: the resource whose primary load is highest against
    its hours. A resource with 16 hours or less a day may add up to 8 hours a day; a
    round-the-clock one a weekend crew (4 hours per working day, spread)."""
    resources = frames["Resources"].set_index("resource")
    routings = frames["Routings"]
    primary = routings.sort_values(["sku", "priority", "resource"]).drop_duplicates("sku")
    demand = primary["sku"].map(_monthly_demand(frames)).fillna(0.0)
    load = (
        (demand * primary["hours_per_unit"] / primary["yield"]).groupby(primary["resource"]).sum()
    )
    calendar = frames["ResourceCalendar"]
    hours = calendar["resource"].map(resources["hours_per_day"]).astype(float)
    available = (
        (
            (calendar["working_days"] * hours - calendar["maintenance_hours"])
            * calendar["resource"].map(resources["efficiency"]).astype(float)
        )
        .groupby(calendar["resource"])
        .mean()
    )
    ratio = (load.reindex(available.index).fillna(0.0) / available.clip(lower=1e-9)).sort_values(
        ascending=False, kind="stable"
    )
    if ratio.empty:
        return frames["ShiftOptions"]
    res = str(ratio.index[0])
    room = 24.0 - float(resources.at[res, "hours_per_day"])
    shift = float(min(8.0, room)) if room >= 4.0 else 4.0
    rate = pd.to_numeric(resources.get("overtime_cost_per_hour"), errors="coerce").get(res)
    rate = DEFAULT_OVERTIME_RATE if rate is None or pd.isna(rate) or rate <= 0 else float(rate)
    months = calendar.loc[calendar["resource"] == res, "month"]
    days = float(np.mean([weekdays_in_month(m) for m in months])) if len(months) else 21.0
    efficiency = float(resources.at[res, "efficiency"])
    cost = round(SHIFT_COST_SHARE * shift * days * efficiency * rate, -1)
    rows = [
        {
            "resource": res,
            "hours_per_day": shift,
            "cost_per_month": cost,
            "min_months": 2,
            "max_shifts": 1,
        }
    ]
    return _typed(frames["ShiftOptions"], rows)


def demo_alternates(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One BOM alternate, for the material that runs shortest at the start: the most monthly
    need whose stock does not last until an order placed now arrives. Its biggest user may use
    a material of the same unit from a faster supplier, one for one, costing more all in (the
    next dearer one, at 10% of the price extra per unit; a cheaper one pays the gap too), so it
    is the fallback while the primary is short, never a saving."""
    materials = frames["Materials"].set_index("material")
    suppliers = frames["Suppliers"].set_index("supplier")
    bom = frames["BOM"]
    demand = bom["sku"].map(_monthly_demand(frames)).fillna(0.0)
    need = (bom["quantity_per_unit"] * demand).groupby(bom["material"]).sum()
    stock = frames["MaterialInventory"].groupby("material")["on_hand"].sum()
    lead = materials["supplier"].map(suppliers["lead_time_days"]).astype(float)
    wait = (lead / 30.4375).apply(np.ceil).reindex(need.index)
    short = (need * wait - stock.reindex(need.index).fillna(0.0)).sort_values(
        ascending=False, kind="stable"
    )
    for material in short.index[short > 0]:
        unit = materials.at[material, "unit"]
        faster = lead < lead[material]
        others = materials[(materials["unit"] == unit) & (materials.index != material) & faster]
        if others.empty:
            continue
        price = float(materials.at[material, "unit_cost"])
        costs = others["unit_cost"].astype(float)
        dearer = costs[costs >= price]
        alternate = str(dearer.idxmin() if len(dearer) else costs.idxmax())
        gap = max(price - float(costs[alternate]), 0.0)
        users = bom[bom["material"] == material].assign(use=demand * bom["quantity_per_unit"])
        sku = str(users.sort_values("use", ascending=False, kind="stable")["sku"].iloc[0])
        rows = [
            {
                "sku": sku,
                "material": str(material),
                "alternate_material": alternate,
                "ratio": 1.0,
                "extra_cost": round(0.1 * price + gap, 2),
                "priority": 1,
            }
        ]
        return _typed(frames["BOMAlternates"], rows)
    return frames["BOMAlternates"]


def _primary_sites(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per SKU: its region, the site of its primary resource and its monthly demand."""
    routings = frames["Routings"]
    primary = routings.sort_values(["sku", "priority", "resource"]).drop_duplicates("sku")
    site = primary.set_index("sku")["resource"].map(
        frames["Resources"].set_index("resource")["site"]
    )
    products = frames["Products"].set_index("sku")
    return pd.DataFrame(
        {
            "region": products["region"],
            "site": site.reindex(products.index),
            "monthly": _monthly_demand(frames).reindex(products.index).fillna(0.0),
        }
    ).dropna(subset=["site"])


def demo_regions(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each region served from its own site: of the ways to give every region a different
    site, the one where most demand is made at the site serving it."""
    made = _primary_sites(frames).groupby(["region", "site"])["monthly"].sum()
    regions = sorted(frames["Products"]["region"].astype(str).unique())
    sites = sorted(frames["Resources"]["site"].astype(str).unique())
    if not regions or len(regions) > len(sites):
        return frames["Regions"]

    def local(pick: tuple[str, ...]) -> float:
        return sum(float(made.get((r, s), 0.0)) for r, s in zip(regions, pick, strict=True))

    best = max(permutations(sites, len(regions)), key=local)
    rows = [{"region": r, "site": s} for r, s in zip(regions, best, strict=True)]
    return _typed(frames["Regions"], rows)


def demo_lanes(frames: dict[str, pd.DataFrame], regions: pd.DataFrame) -> pd.DataFrame:
    """A same-month truck lane each way between the sites, sized on the volume that crosses."""
    if regions.empty:
        return frames["Lanes"]
    skus = _primary_sites(frames)
    skus["serves"] = skus["region"].map(regions.set_index("region")["site"])
    sites = sorted(frames["Resources"]["site"].astype(str).unique())
    freight = float(pd.to_numeric(frames["Freight"]["freight_per_unit"]).mean())
    rows = []
    for start in sites:
        for end in sites:
            if start == end:
                continue
            crossing = skus[(skus["site"] == start) & (skus["serves"] == end)]["monthly"].sum()
            rows.append(
                {
                    "lane": f"{start[:2]}-{end[:2]}",
                    "from_site": start,
                    "to_site": end,
                    "lead_months": 0,
                    "cost_per_unit": round(LANE_COST_SHARE * freight, 2),
                    "capacity_per_month": float(max(np.ceil(LANE_ROOM * crossing / 10) * 10, 10)),
                }
            )
    return _typed(frames["Lanes"], rows) if rows else frames["Lanes"]


def _typed(empty: pd.DataFrame, rows: list[dict[str, object]]) -> pd.DataFrame:
    data = pd.DataFrame(rows)
    for column in empty.columns:
        if column not in data:
            data[column] = None
    return data[list(empty.columns)].astype(empty.dtypes.to_dict())


def demo_supplier_lost(frames: dict[str, pd.DataFrame], sourcing: pd.DataFrame) -> pd.DataFrame:
    """The Scenarios table with one more: the dual-sourced material's main supplier is lost."""
    scenarios = frames["Scenarios"]
    if sourcing.empty:
        return scenarios
    main = str(sourcing["supplier"].iloc[0])
    material = str(sourcing["material"].iloc[0])
    row = {
        "scenario": "Supplier lost",
        "change": "supplier_lost",
        "level": "supplier",
        "target": main,
        "value": 0.0,
        "note": f"{main} stops shipping: {material} moves to its second source where it has room",
    }
    return pd.concat([scenarios, _typed(scenarios, [row])], ignore_index=True)


def demo_network(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The Sourcing, ShiftOptions, BOMAlternates, Regions and Lanes tables of the demo company,
    and a supplier-lost scenario."""
    sourcing = demo_sourcing(frames)
    regions = demo_regions(frames)
    return {
        "Regions": regions,
        "Lanes": demo_lanes(frames, regions),
        "Sourcing": sourcing,
        "ShiftOptions": demo_shift_options(frames),
        "BOMAlternates": demo_alternates(frames),
        "Scenarios": demo_supplier_lost(frames, sourcing),
    }
