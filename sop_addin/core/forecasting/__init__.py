"""Statistical demand forecasting: one model contract, routing, fallbacks and a panel runner.

``forecast_demand`` turns SalesHistory and Products into the Forecast and ForecastModels
tables. Models share one contract (``fit(y) -> self``, ``predict(h, level) -> dict``), so a
new model is a class in ``models`` and a place in a route in ``engine``.
"""

from sop_addin.core.forecasting.engine import (
    ForecastResult,
    Route,
    forecast_demand,
    forecast_series,
    route,
    run_chain,
)
from sop_addin.core.forecasting.models import (
    MODEL_CLASSES,
    ForecastModel,
    HoltDamped,
    HoltWinters,
    MovingAverage,
    Naive,
    SeasonalNaive,
    SimpleExpSmoothing,
)

__all__ = [
    "MODEL_CLASSES",
    "ForecastModel",
    "ForecastResult",
    "HoltDamped",
    "HoltWinters",
    "MovingAverage",
    "Naive",
    "Route",
    "SeasonalNaive",
    "SimpleExpSmoothing",
    "forecast_demand",
    "forecast_series",
    "route",
    "run_chain",
]
