"""The demand hierarchy: SKU -> family -> total and SKU -> region, reconciled.

Each aggregate (every family, every region, the total) is also forecast on its own, from
its summed history, by the same engine: that is the ``base`` forecast of the level. The
reconciled numbers add up across levels, made one of three ways:

- bottom_up (default): the SKU forecasts stand; every aggregate is their sum.
- top_down: the total's own forecast is split to SKUs by their share of the last 12
  months of sales (among the SKUs selling in that plan month); SKUs with no sales in
  that window (new products) keep their own forecast, which comes off the total first.
- middle_out: each family's own forecast is split to its SKUs the same way; the total is
  the sum of the families.

The SKU rows of the Forecast table then carry the reconciled numbers (intervals scaled
by the same ratio), so the consensus starts from a baseline that adds up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.engine import EngineOptions, fit_series
from sop_addin.core.forecasting.series import month_start

METHODS = ("bottom_up", "top_down", "middle_out")
SHARE_MONTHS = 12
HIERARCHY_COLUMNS = ("level", "key", "month", "base", "reconciled", "method")


def _aggregate_forecast(
    history: pd.DataFrame, members: set[str], months: pd.DatetimeIndex, options: EngineOptions
) -> np.ndarray:
    """The engine's forecast of the summed history of ``members`` over the plan months."""
    part = history[history["sku"].isin(members)]
    if part.empty:
        return np.zeros(len(months))
    monthly = part.groupby(month_start(part["month"]))["quantity"].sum()
    monthly = monthly[monthly.index < months[0]]
    if monthly.empty:
        return np.zeros(len(months))
    calendar = pd.date_range(monthly.index.min(), months[0] - pd.DateOffset(months=1), freq="MS")
    values = monthly.reindex(calendar, fill_value=0.0).clip(lower=0).to_numpy(dtype=np.float64)
    sold = np.flatnonzero(values > 0)
    if sold.size == 0:
        return np.zeros(len(months))
    values = values[sold[0] :]
    try:
        mean = fit_series(values, len(months), options).out["mean"]
    except RuntimeError:
        return np.zeros(len(months))
    return np.maximum(np.asarray(mean, dtype=np.float64), 0.0)


def _members(skus: list[str], mask: np.ndarray) -> set[str]:
    return {skus[i] for i in np.flatnonzero(mask)}


def _shares(history: pd.DataFrame, skus: list[str], months: pd.DatetimeIndex) -> np.ndarray:
    """Each SKU's sales over the last 12 months before the plan."""
    start = months[0] - pd.DateOffset(months=SHARE_MONTHS)
    when = month_start(history["month"])
    window = history[(when >= start) & (when < months[0])]
    sold = window.groupby(window["sku"].astype(str))["quantity"].sum()
    return sold.reindex(skus, fill_value=0.0).clip(lower=0).to_numpy(dtype=np.float64)


def _split(target: np.ndarray, sku_base: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split ``target`` (per month) over SKUs by ``weights`` among SKUs selling that month.

    SKUs with no weight keep their own forecast, which is taken off the target first.
    """
    out = sku_base.copy()
    has_share = weights > 0
    for j in range(target.size):
        live = has_share & (sku_base[:, j] > 0)
        if not live.any():
            continue
        rest = max(float(target[j]) - float(sku_base[~has_share, j].sum()), 0.0)
        w = weights[live] / weights[live].sum()
        out[live, j] = rest * w
    return out


def reconcile(
    forecast: pd.DataFrame,
    history: pd.DataFrame,
    months: pd.DatetimeIndex,
    method: str = "bottom_up",
    options: EngineOptions | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reconcile the SKU forecast over the hierarchy.

    Args:
        forecast: the Forecast table (sku, family, region, month, forecast, lo80, hi80,
            lo95, hi95), one row per SKU and plan month, SKUs in blocks.
        history: SalesHistory (sku, month, quantity).
        months: the plan months.
        method: bottom_up, top_down or middle_out.
        options: engine options for the aggregate forecasts.

    Returns:
        The Forecast table with reconciled SKU values, and the DemandHierarchy table.
    """
    if method not in METHODS:
        msg = f"reconciliation must be one of {', '.join(METHODS)}, got {method!r}"
        raise ValueError(msg)
    options = options or EngineOptions()
    skus = list(dict.fromkeys(forecast["sku"].astype(str)))
    n, h = len(skus), len(months)
    frame = forecast.copy()
    base = frame["forecast"].to_numpy(dtype=np.float64).reshape(n, h)
    info = frame.drop_duplicates("sku")
    family = info["family"].astype(str).to_numpy()
    region = info["region"].astype(str).to_numpy()
    hist = history.assign(sku=history["sku"].astype(str))
    hist = hist[hist["sku"].isin(set(skus))]

    groups: list[tuple[str, str, np.ndarray]] = [("total", "total", np.ones(n, dtype=bool))]
    groups += [("family", f, family == f) for f in dict.fromkeys(family)]
    groups += [("region", r, region == r) for r in dict.fromkeys(region)]
    own = {
        (level, key): _aggregate_forecast(
            hist, {skus[i] for i in np.flatnonzero(mask)}, months, options
        )
        for level, key, mask in groups
    }

    reconciled = base.copy()
    weights = _shares(hist, skus, months)
    if method == "top_down":
        reconciled = _split(own[("total", "total")], base, weights)
    elif method == "middle_out":
        for level, key, mask in groups:
            if level == "family":
                reconciled[mask] = _split(own[(level, key)], base[mask], weights[mask])

    if method != "bottom_up":
        ratio = np.divide(reconciled, base, out=np.ones_like(base), where=base > 0)
        for c in ("forecast", "lo80", "hi80", "lo95", "hi95"):
            values = frame[c].to_numpy(dtype=np.float64).reshape(n, h)
            scaled = values * ratio
            scaled[base <= 0] = values[base <= 0]
            frame[c] = scaled.ravel()
        frame["forecast"] = reconciled.ravel()

    rows = []
    for level, key, mask in groups:
        rows.append(
            pd.DataFrame(
                {
                    "level": level,
                    "key": key,
                    "month": months,
                    "base": own[(level, key)],
                    "reconciled": reconciled[mask].sum(axis=0),
                    "method": method,
                }
            )
        )
    rows.append(
        pd.DataFrame(
            {
                "level": "sku",
                "key": np.repeat(np.array(skus, dtype=object), h),
                "month": np.tile(months.to_numpy(), n),
                "base": base.ravel(),
                "reconciled": reconciled.ravel(),
                "method": method,
            }
        )
    )
    table = pd.concat(rows, ignore_index=True)
    table["month"] = table["month"].astype("datetime64[ns]")
    return frame, table
