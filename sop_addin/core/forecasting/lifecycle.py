"""Product lifecycle on top of the statistical forecast: launches, phase-outs, cannibalisation.

The statistical engine already forces 0 before a launch month and after an end of life.
This module adds what product management knows, as one change per SKU and month (the
Consensus table's lifecycle layer), applied in this order:

1. New products: from the launch month, the demand is the launch volume shaped by an
   analog SKU (its sales in its own first months, over its current run rate) or by a
   launch curve (a share of the launch volume per month after launch), or flat.
2. Phase-outs: over ``ramp_months`` up to the end of life the demand falls linearly:
   with 3 months the last three months keep 3/4, 2/4 and 1/4.
3. Cannibalisation: from a month on, a share of the predecessor's demand (after 1 and 2)
   moves to the successor.
4. End of life: after a SKU's end_of_life_month its demand is 0, whatever 1 to 3 gave
   (a launch volume or a cannibalisation gain does not outlive the product).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.forecasting.cleansing import cleanse

RUN_RATE_MONTHS = 12  # the analog's current run rate: the mean of its last 12 months


@dataclass(frozen=True)
class LifecycleInputs:
    """The lifecycle tables (empty frames when a table is not used)."""

    new_products: pd.DataFrame
    launch_curves: pd.DataFrame
    phase_outs: pd.DataFrame
    cannibalisation: pd.DataFrame


def _problem(table: str, row: object, column: str, message: str) -> Problem:
    tab = CONTRACT.table(table).tab
    return Problem(tab=tab, table=table, row=int(row), column=column, message=message)  # type: ignore[call-overload]


def _month_index(month: pd.Timestamp, months: pd.DatetimeIndex) -> int:
    """Position of ``month`` relative to the first plan month (may be negative)."""
    first = months[0]
    return (month.year - first.year) * 12 + month.month - first.month


def analog_profile(history: pd.DataFrame, analog: str) -> np.ndarray:
    """The analog's cleansed sales from its first sale on, over its run rate (the mean of
    its last 12 months).

    Raises:
        ValueError: when the analog never sold or its run rate is 0.
    """
    sales = history[history["sku"] == analog].groupby("month")["quantity"].sum().sort_index()
    sales = sales[sales.index >= sales[sales > 0].index.min()] if (sales > 0).any() else sales[:0]
    if sales.empty:
        msg = f"the analog {analog!r} has no sales history"
        raise ValueError(msg)
    calendar = pd.date_range(sales.index.min(), sales.index.max(), freq="MS")
    values = sales.reindex(calendar, fill_value=0.0).clip(lower=0).to_numpy(dtype=np.float64)
    # The analog's outliers (a one-off order, a promotion) are not part of a launch shape.
    values = cleanse(values).values
    rate = float(values[-RUN_RATE_MONTHS:].mean())
    if rate <= 0:
        msg = f"the analog {analog!r} sold nothing in its last {RUN_RATE_MONTHS} months"
        raise ValueError(msg)
    return values / rate


def lifecycle_layer(
    base: pd.DataFrame,
    products: pd.DataFrame,
    history: pd.DataFrame,
    months: pd.DatetimeIndex,
    tables: LifecycleInputs,
) -> pd.DataFrame:
    """The lifecycle change per SKU and month, with a note per SKU.

    Args:
        base: sku, month, statistical (one row per SKU and plan month).
        products: the Products table (sku, launch_month, end_of_life_month).
        history: the SalesHistory table (sku, month, quantity).
        months: the plan months.
        tables: the lifecycle input tables.

    Returns:
        sku, month, lifecycle (the change in units), note.

    Raises:
        ValidationError: a launch curve that does not exist, an analog without sales, a
            phase-out without an end of life; each names its row and column.
    """
    skus = list(dict.fromkeys(base["sku"]))
    h = len(months)
    pos = {s: i for i, s in enumerate(skus)}
    start = base.set_index(["sku", "month"])["statistical"]
    demand = np.zeros((len(skus), h))
    for (sku, month), value in start.items():
        j = _month_index(pd.Timestamp(month), months)
        if 0 <= j < h:
            demand[pos[sku], j] = value
    original = demand.copy()
    notes: dict[str, list[str]] = {s: [] for s in skus}
    problems: list[Problem] = []
    launch = dict(zip(products["sku"], products["launch_month"], strict=True))
    end_of_life = dict(zip(products["sku"], products["end_of_life_month"], strict=True))
    curves = {
        str(name): part.sort_values("month_number")
        for name, part in tables.launch_curves.groupby("curve")
    }

    for row, npi in tables.new_products.iterrows():
        sku = str(npi["sku"])
        if sku not in pos:
            continue
        first = launch.get(sku)
        first = months[0] if first is None or pd.isna(first) else pd.Timestamp(first)
        j0 = _month_index(first, months)
        k = np.arange(h) - j0  # months since launch, 0 = launch month
        volume = float(npi["launch_volume"])
        analog, curve = npi.get("analog_sku"), npi.get("launch_curve")
        if isinstance(analog, str) and analog:
            try:
                profile = analog_profile(history, analog)
            except ValueError as exc:
                problems.append(_problem("NewProducts", row, "analog_sku", str(exc)))
                continue
            shape = np.where(k < profile.size, profile[np.clip(k, 0, profile.size - 1)], 1.0)
            how = f"analog {analog} scaled to {volume:g}/month"
        elif isinstance(curve, str) and curve:
            if curve not in curves:
                msg = f"launch curve {curve!r} is not in the LaunchCurves table"
                problems.append(_problem("NewProducts", row, "launch_curve", msg))
                continue
            c = curves[curve]
            shares = c["share"].to_numpy(dtype=np.float64)
            numbers = c["month_number"].to_numpy(dtype=np.int64)
            # A month the curve skips takes the share of the last month listed before it.
            idx = np.searchsorted(numbers, k + 1, side="right") - 1
            shape = np.where(idx >= 0, shares[np.clip(idx, 0, shares.size - 1)], 0.0)
            how = f"launch curve {curve} × {volume:g}"
        else:
            shape = np.ones(h)
            how = f"flat launch volume {volume:g}/month"
        live = k >= 0
        demand[pos[sku], live] = volume * shape[live]
        demand[pos[sku], ~live] = 0.0
        notes[sku].append(f"new product from {first:%Y-%m}: {how}")

    for row, po in tables.phase_outs.iterrows():
        sku = str(po["sku"])
        if sku not in pos:
            continue
        eol = end_of_life.get(sku)
        if eol is None or pd.isna(eol):
            msg = f"{sku} has no end_of_life_month on the Products tab to ramp down to"
            problems.append(_problem("PhaseOuts", row, "sku", msg))
            continue
        ramp = int(po["ramp_months"])
        j_end = _month_index(pd.Timestamp(eol), months)
        steps = np.arange(h)
        into = steps - (j_end - ramp)  # 1 = first ramp month
        factor = np.where(into <= 0, 1.0, np.where(steps <= j_end, 1 - into / (ramp + 1), 0.0))
        demand[pos[sku]] *= factor
        notes[sku].append(f"phase-out over {ramp} months to {pd.Timestamp(eol):%Y-%m}")

    for _, cn in tables.cannibalisation.iterrows():
        pred, succ = str(cn["predecessor"]), str(cn["successor"])
        if pred not in pos or succ not in pos:
            continue
        j_from = _month_index(pd.Timestamp(cn["from_month"]), months)
        moved = np.where(np.arange(h) >= j_from, float(cn["share"]) * demand[pos[pred]], 0.0)
        demand[pos[pred]] -= moved
        demand[pos[succ]] += moved
        when = f"{pd.Timestamp(cn['from_month']):%Y-%m}"
        notes[pred].append(f"{float(cn['share']):.0%} moved to {succ} from {when}")
        notes[succ].append(f"{float(cn['share']):.0%} of {pred} gained from {when}")

    # Nothing is sold after an end of life, whatever a launch volume or a cannibalisation
    # gain says: the end-of-life month is the last month with demand.
    for sku, eol in end_of_life.items():
        if str(sku) in pos and eol is not None and not pd.isna(eol):
            j_end = _month_index(pd.Timestamp(eol), months)
            dead = np.arange(h) > j_end
            if dead.any() and (demand[pos[str(sku)], dead] != 0).any():
                notes[str(sku)].append(f"no demand after end of life {pd.Timestamp(eol):%Y-%m}")
            demand[pos[str(sku)], dead] = 0.0

    if problems:
        raise ValidationError(problems)
    delta = demand - original
    return pd.DataFrame(
        {
            "sku": np.repeat(np.array(skus, dtype=object), h),
            "month": np.tile(months.to_numpy(), len(skus)),
            "lifecycle": delta.ravel(),
            "note": np.repeat(np.array(["; ".join(notes[s]) for s in skus], dtype=object), h),
        }
    )
