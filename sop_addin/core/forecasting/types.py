"""What the forecasting engine takes and gives: options, per-series results, output columns.

Shared by the routing, the per-series fit, the panel runner and both front ends (the
workbook's ``forecast_demand`` and the CSV panel of ``sop forecast``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.models import ForecastModel
from sop_addin.core.forecasting.selection import BacktestSettings

LEVEL = (80, 95)
VALUE_COLUMNS = ("forecast", "lo80", "hi80", "lo95", "hi95")
MODEL_KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")  # same order as VALUE_COLUMNS
FORECAST_COLUMNS = ("sku", "family", "region", "month", "model", *VALUE_COLUMNS)
MODELS_COLUMNS = (
    "sku",
    "model",
    "demand_class",
    "history_months",
    "zero_share",
    "backtest_metric",
    "backtest_error",
    "note",
)
CLEANSED_COLUMNS = ("sku", "month", "original", "cleansed", "flag")
NO_MODEL = "none"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EngineOptions:
    """How the engine selects models.

    Attributes:
        backtest: metric, windows and horizon of the rolling-origin comparison.
        thorough: add the slow candidates (SARIMA, Holt linear trend).
        cleanse: correct isolated spikes before fitting (the backtest still decides,
            per series, whether the cleansed or the raw history forecasts better).
        extend_winner: carry the backtest winner's parameters (estimated at the first
            origin) to the whole history instead of refitting it. Measured on 300
            synthetic series: 8% faster but MASE 0.822 against 0.803, so off by default.
        calibrate: widen each interval by what the backtest's errors say the model
            understated and by the per-level widening fitted on the tuning panels (see
            ``intervals``).
    """

    backtest: BacktestSettings = field(default_factory=BacktestSettings)
    thorough: bool = False
    cleanse: bool = True
    extend_winner: bool = False
    calibrate: bool = True

    @property
    def season(self) -> int:
        return self.backtest.season


@dataclass(frozen=True)
class ForecastResult:
    """The statistical forecast and, per SKU, which model made it and why.

    Attributes:
        forecast: one row per SKU and plan month: sku, family, region, month, model,
            forecast, lo80, hi80, lo95, hi95.
        models: one row per SKU: sku, model, demand_class, history_months, zero_share,
            backtest_metric, backtest_error, note.
        cleansed: one row per SKU and history month: sku, month, original, cleansed,
            flag (ok, outlier, gap, invalid).
    """

    forecast: pd.DataFrame
    models: pd.DataFrame
    cleansed: pd.DataFrame


@dataclass(frozen=True)
class Route:
    """The models to try, preferred first, and why this route was taken."""

    chain: tuple[type[ForecastModel], ...]
    reason: str
    candidates: tuple[type[ForecastModel], ...] = ()
    demand_class: str = ""


@dataclass
class Fitted:
    """What the engine made of one history: the chosen model's forecast and why."""

    alias: str
    out: dict[str, np.ndarray]
    notes: list[str]
    demand_class: str
    score: float
    cleansed: np.ndarray
    outlier: np.ndarray


@dataclass
class SkuForecast:
    """One SKU's forecast over the plan months, before it becomes rows."""

    sku: str
    model: str
    values: dict[str, np.ndarray]  # VALUE_COLUMNS -> one value per plan month
    history_months: int
    zero_share: float
    note: str
    demand_class: str = ""
    backtest_error: float = math.nan
    cleansed: np.ndarray | None = None
    outlier: np.ndarray | None = None


def months_text(n: int) -> str:
    """``"1 month"``, ``"3 months"``."""
    return f"{n} month{'s' if n != 1 else ''}"


def reason(exc: BaseException) -> str:
    """The first line of an exception's message, at most 120 characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
