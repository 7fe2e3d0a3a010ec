"""Statistical demand forecasting and the demand step of S&OP around it.

``forecast_demand`` turns SalesHistory and Products into the Forecast, ForecastModels and
CleansedHistory tables: cleansing, demand classification, routing to candidate models,
rolling-origin backtest selection, a fallback chain, intervals, parallel processes.
Models share one contract (``fit(y) -> self``, ``predict(h, level) -> dict``), so a new
model is a class in ``models`` and a place in a route in ``engine``. Around the engine:
``hierarchy`` (reconciliation), ``lifecycle`` and ``consensus`` (the consensus layers),
``accuracy`` (accuracy and forecast value added of stored forecasts), ``panel`` (any long
unique_id/ds/y frame, for ``sop forecast`` and the benchmark).
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
