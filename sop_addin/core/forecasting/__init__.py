"""Statistical demand forecasting and the demand step of S&OP around it.

``forecast_demand`` turns SalesHistory and Products into the Forecast, ForecastModels and
CleansedHistory tables. One idea per module: ``types`` (options, results, columns),
``cleansing`` (isolated spikes corrected, level shifts kept), ``routing`` (candidates by
demand class and season), ``selection`` (the rolling-origin backtest), ``fitting`` (one
history to one guarded forecast), ``runner`` (sequential, local processes or Dask),
``engine`` (the workbook tables), ``panel`` (any long unique_id/ds/y frame). Models share
one contract (``fit(y) -> self``, ``predict(h, level) -> dict``): the simple and ETS ones
in ``models``, the classical M3 methods and their combinations in ``classical``; a new
model is a class there and a place in a route in ``routing``. Around the engine:
``hierarchy`` (reconciliation), ``lifecycle`` and ``consensus`` (the consensus layers),
``accuracy`` (accuracy and forecast value added of stored forecasts).
"""

from sop_addin.core.forecasting.engine import (
    EngineOptions,
    ForecastResult,
    Route,
    fit_series,
    forecast_demand,
    forecast_series,
    route,
    run_chain,
)
from sop_addin.core.forecasting.models import (
    MODEL_CLASSES,
    SBA,
    TSB,
    Croston,
    ForecastModel,
    Holt,
    HoltDamped,
    HoltWinters,
    HoltWintersMultiplicative,
    MovingAverage,
    Naive,
    Sarima,
    SeasonalNaive,
    SimpleExpSmoothing,
    Theta,
)
from sop_addin.core.forecasting.selection import BacktestSettings

__all__ = [
    "MODEL_CLASSES",
    "SBA",
    "TSB",
    "BacktestSettings",
    "Croston",
    "EngineOptions",
    "ForecastModel",
    "ForecastResult",
    "Holt",
    "HoltDamped",
    "HoltWinters",
    "HoltWintersMultiplicative",
    "MovingAverage",
    "Naive",
    "Route",
    "Sarima",
    "SeasonalNaive",
    "SimpleExpSmoothing",
    "Theta",
    "fit_series",
    "forecast_demand",
    "forecast_series",
    "route",
    "run_chain",
]
