"""From the long SalesHistory and Products frames to one monthly series per SKU.

Everything said about the data on the way (months filled with zero, history inside the
plan ignored, quantities that validation should have rejected, lifecycle cut-offs)
becomes a note, so the planner sees why a forecast looks the way it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HISTORY_COLUMNS = ("sku", "month", "quantity")
PRODUCT_COLUMNS = ("sku", "family", "region", "lifecycle", "launch_month", "end_of_life_month")


@dataclass
class SkuSeries:
    """One SKU's monthly history, ready to fit, and its lifecycle mask over the plan.

    Attributes:
        sku: the SKU code.
        values: monthly quantities, oldest first, gaps filled with 0 and invalid
            quantities set to 0; empty when the SKU never sold.
        end: the month of the last value (NaT when ``values`` is empty).
        invalid: why the raw history could not be used as is ("" when it could).
        active: one flag per plan month: False before launch or after end of life.
        notes: what was done to the data, in plain words.
        lifecycle_notes: why some plan months are forced to 0.
    """

    sku: str
    values: np.ndarray
    end: pd.Timestamp
    invalid: str = ""
    active: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))
    notes: list[str] = field(default_factory=list)
    lifecycle_notes: list[str] = field(default_factory=list)
    raw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    filled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def start(self) -> pd.Timestamp:
        """The month of the first value (NaT when there is none)."""
        if not self.values.size:
            return pd.NaT
        return pd.Timestamp(self.end) - pd.DateOffset(months=self.values.size - 1)

    @property
    def zero_share(self) -> float:
        """Share of months without sales (0 when there is no history)."""
        return float(np.mean(self.values == 0)) if self.values.size else 0.0


def month_start(values: pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Month-start timestamps, whatever day of the month the input carries."""
    return pd.DatetimeIndex(pd.to_datetime(values)).to_period("M").to_timestamp()


def label(month: pd.Timestamp) -> str:
    return pd.Timestamp(month).strftime("%Y-%m")


def _month_list(months: list[pd.Timestamp], limit: int = 3) -> str:
    shown = ", ".join(label(m) for m in months[:limit])
    return shown + (f" and {len(months) - limit} more" if len(months) > limit else "")


def check_plan_months(months: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The plan months as month starts; raises unless they are consecutive and non-empty."""
    if len(months) == 0:
        msg = "no plan months: the forecast needs at least one month"
        raise ValueError(msg)
    starts = month_start(pd.DatetimeIndex(months))
    expected = pd.date_range(starts[0], periods=len(starts), freq="MS")
    if not starts.equals(expected):
        msg = f"plan months must be consecutive months from {label(starts[0])}"
        raise ValueError(msg)
    return expected


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{name} is missing the column(s) {', '.join(missing)}"
        raise ValueError(msg)


def _invalid_reason(raw: np.ndarray) -> str:
    parts = []
    non_finite = int((~np.isfinite(raw)).sum())
    negative = int((raw < 0).sum())
    if non_finite:
        parts.append(f"{non_finite} blank or non-finite")
    if negative:
        parts.append(f"{negative} negative")
    if not parts:
        return ""
    noun = "quantity" if non_finite + negative == 1 else "quantities"
    return f"history has {' and '.join(parts)} {noun} (set to 0)"


def _lifecycle(
    series: SkuSeries, months: pd.DatetimeIndex, launch: object, end_of_life: object
) -> None:
    active = np.ones(len(months), dtype=bool)
    if not pd.isna(launch):
        first = month_start(pd.DatetimeIndex([launch]))[0]
        before = months < first
        if before.any():
            series.lifecycle_notes.append(f"launch {label(first)}: 0 before it")
        active &= ~before
    if not pd.isna(end_of_life):
        last = month_start(pd.DatetimeIndex([end_of_life]))[0]
        after = months > last
        if after.any():
            series.lifecycle_notes.append(f"end of life {label(last)}: 0 after it")
        active &= ~after
    series.active = active


def build_series(
    history: pd.DataFrame, products: pd.DataFrame, months: pd.DatetimeIndex
) -> list[SkuSeries]:
    """One series per product row, in the products' order.

    A SKU's series runs from its first sale to the last month of the whole history
    before the plan: a month without a row in between counts as zero sales (an ERP
    export leaves out months without sales), and so does a SKU that stopped selling
    before the others. Zero rows before the first sale are not demand history.

    Args:
        history: SalesHistory rows (sku, month, quantity).
        products: Products rows (sku, family, region, lifecycle, launch and end months).
        months: the plan months (consecutive month starts).

    Returns:
        A ``SkuSeries`` per product.
    """
    _check_columns(history, HISTORY_COLUMNS, "the sales history")
    _check_columns(products, PRODUCT_COLUMNS, "the products")
    skus = products["sku"].astype(str)
    if skus.duplicated().any():
        msg = f"duplicate SKUs in the products: {', '.join(sorted(set(skus[skus.duplicated()])))}"
        raise ValueError(msg)
    plan_start = months[0]

    frame = pd.DataFrame(
        {
            "sku": history["sku"].astype(str).to_numpy(),
            "month": month_start(history["month"]),
            "quantity": pd.to_numeric(history["quantity"], errors="coerce").astype("float64"),
        }
    )
    frame = frame[frame["sku"].isin(set(skus)) & frame["month"].notna()]
    inside = frame["month"] >= plan_start
    ignored = frame.loc[inside].groupby("sku")["month"].nunique()
    past = frame.loc[~inside]
    panel_end = past["month"].max() if len(past) else pd.NaT
    # min_count=1 keeps a month whose only quantity is blank as NaN, so it is reported.
    monthly = past.groupby(["sku", "month"])["quantity"].sum(min_count=1)
    by_sku = {sku: part.droplevel("sku") for sku, part in monthly.groupby(level="sku")}

    out: list[SkuSeries] = []
    for row in products.itertuples(index=False):
        sku = str(row.sku)
        notes: list[str] = []
        if sku in ignored.index:
            n = int(ignored[sku])
            notes.append(
                f"{n} month{'s' if n > 1 else ''} of history at or after the plan start "
                f"{label(plan_start)} ignored"
            )
        values = np.zeros(0)
        raw_values = np.zeros(0)
        filled = np.zeros(0, dtype=bool)
        bad = np.zeros(0, dtype=bool)
        end = pd.NaT
        invalid = ""
        part = by_sku.get(sku)
        if part is not None:
            raw = part.to_numpy(dtype=np.float64)
            invalid = _invalid_reason(raw)
            clean = pd.Series(np.where(np.isfinite(raw) & (raw > 0), raw, 0.0), index=part.index)
            sold = clean.index[clean.to_numpy() > 0]
            if len(sold):
                calendar = pd.date_range(sold[0], panel_end, freq="MS")
                missing = calendar.difference(clean.index)
                if len(missing):
                    n = len(missing)
                    notes.append(
                        f"{n} month{'s' if n > 1 else ''} without a sales row counted as "
                        f"zero sales ({_month_list(list(missing))})"
                    )
                values = clean.reindex(calendar, fill_value=0.0).to_numpy(dtype=np.float64)
                raw_full = pd.Series(raw, index=part.index).reindex(calendar)
                filled = ~calendar.isin(part.index)
                raw_values = np.where(filled, 0.0, raw_full.to_numpy(dtype=np.float64))
                bad = ~filled & ~(np.isfinite(raw_values) & (raw_values >= 0))
                end = pd.Timestamp(panel_end)
                leading = int((clean.index < sold[0]).sum())
                if leading:
                    notes.append(
                        f"{leading} month{'s' if leading > 1 else ''} of zero sales before the "
                        f"first sale {label(sold[0])} not counted"
                    )
            else:
                n = len(clean)
                notes.append(f"{n} month{'s' if n > 1 else ''} of history, none with sales")
        series = SkuSeries(
            sku=sku,
            values=values,
            end=end,
            invalid=invalid,
            notes=notes,
            raw=raw_values,
            filled=filled,
            bad=bad,
        )
        _lifecycle(series, months, row.launch_month, row.end_of_life_month)
        out.append(series)
    return out
