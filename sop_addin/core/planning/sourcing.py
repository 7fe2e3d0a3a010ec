"""Multi-sourcing data: every source of every material, its price, lead time, limits and share.

A material with rows in the Sourcing table buys from exactly those sources; one without buys
from its Materials supplier on that supplier's terms, as before the table existed. A blank cell
of a Sourcing row takes the Materials price or the supplier's figure.

The preferred source (lowest priority number; ties: the Materials supplier, then by name) is the
material's main source: the model's ``buy`` variables. The others are second sources
(``network.py``: ``source_buy``), each with its own price, lead time, MOQ, per-material daily
limit and most share of the material's purchases over the plan.

Lead time for safety stock: a material's orders go to its sources in proportion to their share
(``max_share``, blank = 1, normalised to weights w), each with its own spread: mean = sum w L,
spread = sqrt(sum w sd^2), the spread of the source an order goes to (the plan picks the source
knowing its mean, so the gap between the means is no uncertainty). With one source it is that
source's own mean and spread. The Monte Carlo draws each source's lead time from its own mean
and spread and weighs the chance of a late order with the same w.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning.safety_stock import (
    DAYS_PER_MONTH,
    lead_time_months,
    slowest_line_lead_times,
)

SOURCE_COLUMNS = [
    "priority",
    "max_share",
    "unit_cost",
    "lead_time_days",
    "lead_time_sd_days",
    "lead_months",
    "daily_limit",
    "moq",
    "primary",
]


def _numeric(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def material_sources(inputs: PlanInputs) -> pd.DataFrame:
    """Every (material, supplier) source with its terms, blanks filled; indexed by both.

    Columns: priority, max_share (NaN: no cap), unit_cost, lead_time_days, lead_time_sd_days,
    lead_months, daily_limit (NaN: only the supplier's own limit), moq, primary (the material's
    main source).
    """
    materials = inputs["Materials"].set_index("material")
    suppliers = inputs["Suppliers"].set_index("supplier")
    table = inputs.tables.get("Sourcing")
    rows = table.copy() if table is not None else pd.DataFrame(columns=["material", "supplier"])
    listed = set(rows["material"])
    plain = materials.loc[[m for m in materials.index if m not in listed], ["supplier"]]
    single = pd.DataFrame(
        {"material": plain.index, "supplier": plain["supplier"].to_numpy()}, dtype=object
    )
    frame = pd.concat([rows[["material", "supplier"]], single], ignore_index=True)
    frame["priority"] = pd.concat(
        [_numeric(rows, "priority").fillna(1.0), pd.Series(1.0, index=single.index)],
        ignore_index=True,
    )
    for name in ("max_share", "unit_cost", "lead_time_days", "lead_time_sd_days"):
        frame[name] = pd.concat(
            [_numeric(rows, name), pd.Series(np.nan, index=single.index)], ignore_index=True
        )
    frame["daily_limit"] = pd.concat(
        [_numeric(rows, "daily_limit"), pd.Series(np.nan, index=single.index)], ignore_index=True
    )
    frame["moq"] = pd.concat(
        [_numeric(rows, "moq"), pd.Series(np.nan, index=single.index)], ignore_index=True
    )
    frame["unit_cost"] = frame["unit_cost"].fillna(
        frame["material"].map(materials["unit_cost"]).astype(float)
    )
    by_supplier = frame["supplier"]
    frame["lead_time_days"] = frame["lead_time_days"].fillna(
        by_supplier.map(suppliers["lead_time_days"]).astype(float)
    )
    frame["lead_time_sd_days"] = frame["lead_time_sd_days"].fillna(
        by_supplier.map(suppliers["lead_time_sd_days"]).astype(float)
    )
    frame["moq"] = frame["moq"].fillna(by_supplier.map(suppliers["moq"]).astype(float)).fillna(0.0)
    frame["lead_time_days"] = frame["lead_time_days"].fillna(0.0)
    frame["lead_time_sd_days"] = frame["lead_time_sd_days"].fillna(0.0)
    frame["lead_months"] = frame["lead_time_days"].map(lead_time_months).astype(int)
    # The preferred source first: lowest priority, then the Materials supplier, then by name.
    frame["_home"] = frame["supplier"].ne(frame["material"].map(materials["supplier"]))
    frame = frame.sort_values(["material", "priority", "_home", "supplier"], kind="stable")
    frame["primary"] = ~frame.duplicated("material")
    frame = frame.drop(columns="_home").set_index(["material", "supplier"])
    return frame[SOURCE_COLUMNS]


def with_primary_sources(
    materials: pd.DataFrame, sources: pd.DataFrame, carrying_rate: float
) -> pd.DataFrame:
    """The planning materials frame with each material's main source's terms."""
    primary = sources[sources["primary"]].reset_index().set_index("material")
    out = materials.copy()
    known = out.index.intersection(primary.index)
    out.loc[known, "supplier"] = primary.loc[known, "supplier"]
    out.loc[known, "unit_cost"] = primary.loc[known, "unit_cost"].astype(float)
    out.loc[known, "lead_months"] = primary.loc[known, "lead_months"].astype(int)
    out.loc[known, "moq"] = primary.loc[known, "moq"].astype(float)
    out["holding_cost"] = carrying_rate / 12 * out["unit_cost"]
    return out


def second_sources(sources: pd.DataFrame) -> pd.DataFrame:
    """The sources that are not a material's main source."""
    return sources[~sources["primary"].astype(bool)]


def mix_weights(sources: pd.DataFrame) -> pd.Series:
    """Each source's share of its material's orders, for the lead-time mix: max_share
    (blank = 1), normalised per material."""
    raw = sources["max_share"].fillna(1.0).clip(lower=0.0)
    total = raw.groupby(level="material").transform("sum")
    equal = 1.0 / raw.groupby(level="material").transform("size")
    return (raw / total.where(total > 0)).fillna(equal)


def material_lead_times(sources: pd.DataFrame) -> pd.DataFrame:
    """Per material: mean lead time and spread (days) over its sources, share-weighted."""
    w = mix_weights(sources)
    mean = (w * sources["lead_time_days"]).groupby(level="material").sum()
    spread = np.sqrt((w * sources["lead_time_sd_days"] ** 2).groupby(level="material").sum())
    return pd.DataFrame({"days": mean, "sd_days": spread})


def sourced_lead_times(skus: list[str], bom: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """Per SKU: lead time and spread in months of its slowest material (>= 1 month).

    The same rule as safety_stock.lead_times, with each material's lead time the mix of its
    sources (with one source: exactly that supplier's figures).
    """
    per_material = material_lead_times(sources)
    lines = bom[["sku", "material"]].copy()
    lines["days"] = lines["material"].map(per_material["days"]).astype(float)
    lines["sd_days"] = lines["material"].map(per_material["sd_days"]).astype(float)
    return slowest_line_lead_times(skus, lines)


def material_late_probability(inputs: PlanInputs) -> pd.Series:
    """Per material: the chance an order arrives after the months the plan gives it, over its
    sources (each with its own mean and spread, weighted as in the lead-time mix)."""
    sources = material_sources(inputs)
    planned = sources["lead_months"] * DAYS_PER_MONTH
    sd = sources["lead_time_sd_days"]
    z = (planned - sources["lead_time_days"]) / sd.where(sd > 0)
    late = pd.Series(norm.sf(z.fillna(np.inf)), index=sources.index)
    return (late * mix_weights(sources)).groupby(level="material").sum()
