"""Accuracy of past forecasts and the value each consensus layer added.

Stored past forecasts (the ForecastArchive table: the cycle month a forecast was made in,
the SKU, the month forecast, the layer and the quantity) are compared with the sales
history. The lag is the number of months from the cycle month to the month forecast:
a forecast made in January for February is lag 1, for April lag 3.

Per SKU and per family, layer and lag: wMAPE, MASE (over the one-step naive error of the
history before the first month compared), bias and tracking signal. Forecast value added
(FVA) per layer: the statistical baseline's wMAPE minus the layer's, on the same
SKU-months, for the total and each family; positive means the layer made it better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.metrics import bias, mase, naive_scale, tracking_signal, wmape
from sop_addin.core.forecasting.series import month_start

LAGS = (1, 3)
LAYER_ORDER = ("statistical", "lifecycle", "sales", "marketing", "family_adjustment", "consensus")
ACCURACY_COLUMNS = (
    "level",
    "key",
    "layer",
    "lag",
    "months",
    "actual",
    "forecast",
    "wmape",
    "mase",
    "bias",
    "tracking_signal",
)
FVA_COLUMNS = (
    "level",
    "key",
    "layer",
    "lag",
    "months",
    "wmape",
    "statistical_wmape",
    "fva",
    "fva_vs_previous",
)


def _monthly(history: pd.DataFrame, key: pd.Series) -> pd.Series:
    """Sales per (key, month); months without a row inside the history count as 0."""
    frame = pd.DataFrame(
        {"key": key.astype(str).to_numpy(), "month": month_start(history["month"])}
    )
    frame["quantity"] = pd.to_numeric(history["quantity"], errors="coerce").fillna(0.0).to_numpy()
    sums = frame.groupby(["key", "month"])["quantity"].sum()
    if sums.empty:
        return sums
    calendar = pd.date_range(frame["month"].min(), frame["month"].max(), freq="MS")
    full = pd.MultiIndex.from_product([sorted(frame["key"].unique()), calendar])
    return sums.reindex(full, fill_value=0.0).clip(lower=0)


def _scores(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    return {
        "months": int(actual.size),
        "actual": float(actual.sum()),
        "forecast": float(forecast.sum()),
        "wmape": wmape(actual, forecast),
        "mase": mase(actual, forecast, scale),
        "bias": bias(actual, forecast),
        "tracking_signal": tracking_signal(actual, forecast),
    }


def _compared(archive: pd.DataFrame, history: pd.DataFrame, lags: tuple[int, ...]) -> pd.DataFrame:
    """Archive rows at the wanted lags that have an actual, with the actual attached."""
    made = month_start(archive["made_in"])
    month = month_start(archive["month"])
    lag = (month.year - made.year) * 12 + month.month - made.month
    frame = pd.DataFrame(
        {
            "sku": archive["sku"].astype(str).to_numpy(),
            "month": month,
            "layer": archive["layer"].astype(str).to_numpy(),
            "lag": np.asarray(lag, dtype=np.int64),
            "forecast": archive["quantity"].to_numpy(dtype=np.float64),
        }
    )
    frame = frame[frame["lag"].isin(lags)]
    actuals = _monthly(history, history["sku"]).rename("actual")
    frame = frame.join(actuals, on=["sku", "month"], how="inner")
    return frame.reset_index(drop=True)


def forecast_accuracy(
    archive: pd.DataFrame,
    history: pd.DataFrame,
    products: pd.DataFrame,
    lags: tuple[int, ...] = LAGS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The DemandAccuracy and ForecastValueAdded tables (empty when nothing to compare).

    Args:
        archive: ForecastArchive rows (made_in, sku, month, layer, quantity).
        history: SalesHistory rows (sku, month, quantity).
        products: Products rows (sku, family).
        lags: the lags reported.
    """
    compared = _compared(archive, history, lags)
    family_of = products.set_index(products["sku"].astype(str))["family"].astype(str)
    compared["family"] = compared["sku"].map(family_of).fillna("")
    sku_sales = _monthly(history, history["sku"])
    fam_key = history["sku"].astype(str).map(family_of).fillna("")
    family_sales = _monthly(history, fam_key)

    rows: list[dict[str, object]] = []
    for (sku, layer, lag), part in compared.groupby(["sku", "layer", "lag"], sort=True):
        first = part["month"].min()
        past = sku_sales.loc[sku] if sku in sku_sales.index.get_level_values(0) else None
        hist = past[past.index < first].to_numpy() if past is not None else np.zeros(0)
        scale = naive_scale(hist, 1)
        rows.append(
            {"level": "sku", "key": sku, "layer": layer, "lag": lag}
            | _scores(part["actual"].to_numpy(), part["forecast"].to_numpy(), scale)
        )
    by_family = compared.groupby(["family", "layer", "lag", "month"])[["actual", "forecast"]].sum()
    for (family, layer, lag), part in by_family.groupby(level=["family", "layer", "lag"]):
        first = part.index.get_level_values("month").min()
        past = (
            family_sales.loc[family] if family in family_sales.index.get_level_values(0) else None
        )
        hist = past[past.index < first].to_numpy() if past is not None else np.zeros(0)
        rows.append(
            {"level": "family", "key": family, "layer": layer, "lag": lag}
            | _scores(part["actual"].to_numpy(), part["forecast"].to_numpy(), naive_scale(hist, 1))
        )
    accuracy = pd.DataFrame(rows, columns=list(ACCURACY_COLUMNS))
    accuracy["lag"] = accuracy["lag"].astype("int64")
    accuracy["months"] = accuracy["months"].astype("int64")
    return accuracy, _value_added(compared)


def _value_added(compared: pd.DataFrame) -> pd.DataFrame:
    """FVA of each layer against the statistical baseline on the same SKU-months."""
    stat = compared[compared["layer"] == "statistical"].set_index(["sku", "month", "lag"])[
        "forecast"
    ]
    rows: list[dict[str, object]] = []
    scopes: list[tuple[str, str, pd.DataFrame]] = [("total", "total", compared)]
    scopes += [("family", str(f), part) for f, part in compared.groupby("family", sort=True)]
    for level, key, scope in scopes:
        for lag, at_lag in scope.groupby("lag", sort=True):
            previous: float | None = None
            for layer in [x for x in LAYER_ORDER if x in set(at_lag["layer"])]:
                part = at_lag[at_lag["layer"] == layer].join(
                    stat.rename("statistical"), on=["sku", "month", "lag"], how="inner"
                )
                if part.empty:
                    continue
                actual = part["actual"].to_numpy()
                layer_w = wmape(actual, part["forecast"].to_numpy())
                stat_w = wmape(actual, part["statistical"].to_numpy())
                rows.append(
                    {
                        "level": level,
                        "key": key,
                        "layer": layer,
                        "lag": int(lag),
                        "months": len(part),
                        "wmape": layer_w,
                        "statistical_wmape": stat_w,
                        "fva": stat_w - layer_w,
                        "fva_vs_previous": (previous - layer_w) if previous is not None else 0.0,
                    }
                )
                previous = layer_w
    frame = pd.DataFrame(rows, columns=list(FVA_COLUMNS))
    frame["lag"] = frame["lag"].astype("int64")
    frame["months"] = frame["months"].astype("int64")
    return frame
