"""Safety stock from variability: SS = z * sqrt(L * sd_d^2 + d^2 * sd_L^2) per SKU.

- z: the normal quantile of the target cycle service level (setting ``service_level``).
- d, sd_d: mean forecast demand per month over the plan, and the forecast error per month.
  Until the forecast carries residual figures, sd_d is read from the first plan month's 80%
  prediction interval: a normal interval is mean +- 1.2816 sd, so sd = (hi80 - lo80) / 2.5632.
- L, sd_L: the replenishment lead time in months and its spread. A SKU waits for its slowest
  material, so L is the longest supplier lead time in its bill of materials, and sd_L that
  supplier's spread; a monthly plan replans once a month, so L is at least one month.

Finished goods are planned per SKU (the stock of all sites together), so safety stock is per SKU.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

Z80 = NormalDist().inv_cdf(0.9)  # 1.2816: half-width of an 80% interval in sd
DAYS_PER_MONTH = 365.25 / 12
COLUMNS = [
    "sku",
    "mean_demand",
    "demand_sd",
    "lead_time_months",
    "lead_time_sd_months",
    "service_level",
    "z",
    "computed",
    "planner_target",
    "target",
]


def service_z(service_level: float) -> float:
    """The normal quantile of a cycle service level in (0, 1)."""
    if not 0.0 < service_level < 1.0:
        msg = f"service level must be between 0 and 1 (exclusive), got {service_level}"
        raise ValueError(msg)
    return NormalDist().inv_cdf(service_level)


def demand_sd_from_interval(lo80: float, hi80: float) -> float:
    """Forecast error per month from an 80% prediction interval (normal errors assumed)."""
    return max(0.0, (hi80 - lo80) / (2.0 * Z80))


def safety_stock(z: float, d: float, sd_d: float, lead: float, sd_lead: float) -> float:
    """z * sqrt(L * sd_d^2 + d^2 * sd_L^2), with L and sd_L in plan months."""
    return z * float(np.sqrt(lead * sd_d**2 + d**2 * sd_lead**2))


def lead_time_months(days: float) -> int:
    """Supplier lead time in whole plan months: ordered in month t, available in t + L."""
    return max(0, math.ceil(days / DAYS_PER_MONTH - 1e-9))


def lead_times(
    skus: list[str], bom: pd.DataFrame, materials: pd.DataFrame, suppliers: pd.DataFrame
) -> pd.DataFrame:
    """Per SKU: lead time and spread in months of the slowest supplier in its BOM (>= 1 month)."""
    supplier_of = materials.set_index("material")["supplier"]
    sup = suppliers.set_index("supplier")
    lines = bom[["sku", "material"]].copy()
    lines["supplier"] = lines["material"].map(supplier_of)
    lines["days"] = lines["supplier"].map(sup["lead_time_days"]).astype(float)
    lines["sd_days"] = lines["supplier"].map(sup["lead_time_sd_days"]).astype(float)
    return slowest_line_lead_times(skus, lines)


def slowest_line_lead_times(skus: list[str], lines: pd.DataFrame) -> pd.DataFrame:
    """Per SKU: lead time and spread in months of its slowest BOM line (>= 1 month).

    `lines` holds sku, days and sd_days per BOM line; a line without a lead time is skipped.
    """
    lines = lines.dropna(subset=["days"]).sort_values(["sku", "days", "sd_days"])
    slowest = lines.drop_duplicates("sku", keep="last").set_index("sku")
    lead = (slowest["days"] / DAYS_PER_MONTH).reindex(skus).fillna(0.0)
    spread = (slowest["sd_days"] / DAYS_PER_MONTH).reindex(skus).fillna(0.0)
    return pd.DataFrame(
        {"lead_time_months": lead.clip(lower=1.0), "lead_time_sd_months": spread}, index=skus
    )


def compute_safety_stock(
    skus: list[str],
    demand: pd.DataFrame,
    months: pd.DatetimeIndex,
    lead: pd.DataFrame,
    planner_target: pd.Series,
    service_level: float,
) -> pd.DataFrame:
    """The SafetyStock table: every input of the formula, the result and the target kept.

    Args:
        skus: the SKUs planned.
        demand: sku, month, quantity and, when known, lo80 and hi80 (the Forecast table's).
        months: the plan months.
        lead: per SKU lead_time_months and lead_time_sd_months (see `lead_times`).
        planner_target: the safety stock the planner entered per SKU.
        service_level: target cycle service level.
    """
    z = service_z(service_level)
    in_plan = demand[demand["month"].isin(months) & demand["sku"].isin(skus)]
    mean = in_plan.groupby("sku")["quantity"].sum().reindex(skus).fillna(0.0) / len(months)
    sd = pd.Series(0.0, index=skus)
    if {"lo80", "hi80"} <= set(demand.columns):
        first = in_plan[in_plan["month"] == months[0]].dropna(subset=["lo80", "hi80"])
        first = first.groupby("sku")[["lo80", "hi80"]].sum()
        sd = pd.Series(
            [
                demand_sd_from_interval(lo, hi)
                for lo, hi in zip(first["lo80"], first["hi80"], strict=True)
            ],
            index=first.index,
            dtype=float,
        ).reindex(skus, fill_value=0.0)
    rows = []
    for sku in skus:
        d, sd_d = max(0.0, float(mean[sku])), float(sd[sku])
        L, sd_L = (float(v) for v in lead.loc[sku, ["lead_time_months", "lead_time_sd_months"]])
        computed = round(safety_stock(z, d, sd_d, L, sd_L), 2) if d > 0 else 0.0
        entered = float(planner_target.get(sku, 0.0))
        rows.append([sku, d, sd_d, L, sd_L, service_level, z, computed, entered])
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table["target"] = table[["computed", "planner_target"]].max(axis=1)
    return table
