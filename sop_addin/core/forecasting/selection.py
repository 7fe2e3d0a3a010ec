"""Automatic model selection: a rolling-origin backtest over a series' candidate models.

Each candidate is fitted at the first of a few origins before the end of the history,
carried forward to the later origins with its parameters kept, and scored on the months
that follow each origin (MASE by default, wMAPE selectable); candidates are then ranked,
best first, and the ranking becomes the fallback chain. Candidates come cheap-first so a tie
goes to the simpler model, and only the mean is predicted inside the backtest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sop_addin.core.forecasting.metrics import mase, naive_scale, wmape
from sop_addin.core.forecasting.models import SEASON, ForecastModel

METRICS = ("mase", "wmape")


@dataclass(frozen=True)
class BacktestSettings:
    """How candidates are compared.

    Attributes:
        metric: "mase" (default) or "wmape".
        windows: rolling origins (test windows), each ``horizon`` months long.
        horizon: months forecast from each origin (capped by the plan horizon).
        season: months per season (12 for monthly data).
    """

    metric: str = "mase"
    windows: int = 2
    horizon: int = 6
    season: int = SEASON

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            msg = f"backtest metric must be one of {', '.join(METRICS)}, got {self.metric!r}"
            raise ValueError(msg)
        if self.windows < 1 or self.horizon < 1:
            msg = "backtest windows and horizon must be at least 1"
            raise ValueError(msg)


@dataclass
class Selection:
    """Candidates ranked best first, their scores and the reasons some could not run."""

    ranked: list[type[ForecastModel]]
    scores: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    windows: int = 0
    fitted: dict[str, ForecastModel] = field(default_factory=dict)  # at the last origin

    @property
    def best_score(self) -> float:
        return self.scores.get(self.ranked[0].alias, math.nan) if self.ranked else math.nan


def origins(n: int, settings: BacktestSettings, min_train: int) -> list[int]:
    """Training lengths of the backtest windows that leave ``min_train`` months to fit."""
    h = settings.horizon
    starts = [n - h * k for k in range(settings.windows, 0, -1)]
    return [o for o in starts if o >= min_train]


def backtest(
    candidates: Sequence[type[ForecastModel]],
    values: np.ndarray,
    settings: BacktestSettings,
) -> Selection:
    """Score each candidate over the rolling origins and rank them.

    A candidate that cannot be scored at every origin (too short, a failed fit, a
    non-finite forecast) is ranked after every scored one, in its original order, and the
    reason is recorded; it stays in the chain because the full history may still fit it.
    With no origin at all (a short history) the order is the candidates' own.
    """
    n = values.size
    h = settings.horizon
    scores: dict[str, float] = {}
    failures: list[str] = []
    unscored: list[type[ForecastModel]] = []
    fitted: dict[str, ForecastModel] = {}
    # Every scored candidate is scored on the same origins: those the most demanding
    # candidate that can be scored at all can use.
    needs = [c.min_months(settings.season) for c in candidates]
    usable = [m for m in needs if origins(n, settings, m)]
    if not usable and n > 1:
        # A short history: one-step-ahead origins over its last months instead.
        settings = BacktestSettings(settings.metric, min(3, n - 1), 1, settings.season)
        h = 1
        usable = [m for m in needs if origins(n, settings, m)]
    starts = origins(n, settings, max(usable)) if usable else []
    for cls in candidates:
        if not starts or starts[0] < cls.min_months(settings.season):
            unscored.append(cls)
            continue
        errors = []
        try:
            model = cls(season=settings.season)
            for i, o in enumerate(starts):
                train, test = values[:o], values[o : o + h]
                # Parameters are estimated at the first origin and kept at the later ones
                # (a fixed-parameter rolling origin): one fit per candidate, not one per
                # window, and the later windows still test on unseen months.
                model = model.fit(train) if i == 0 else model.extend(train)
                mean = model.predict(test.size, ())["mean"]
                if not np.isfinite(mean).all():
                    msg = "non-finite forecast"
                    raise ValueError(msg)
                if settings.metric == "mase":
                    errors.append(mase(test, mean, naive_scale(train, settings.season)))
                else:
                    errors.append(wmape(test, mean))
        except Exception as exc:  # a candidate failing here is only dropped from the ranking
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{cls.label} not scored: {text[:100]}")
            unscored.append(cls)
            continue
        scores[cls.alias] = float(np.mean(errors))
        fitted[cls.alias] = model
    order = {cls.alias: i for i, cls in enumerate(candidates)}
    scored = sorted(
        (c for c in candidates if c.alias in scores),
        key=lambda c: (round(scores[c.alias], 12), order[c.alias]),
    )
    windows = len(starts) if scores else 0
    return Selection([*scored, *unscored], scores, failures, windows, fitted)
