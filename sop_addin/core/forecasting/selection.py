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
    starts: list[int] = field(default_factory=list)  # the origins (training lengths)
    forecasts: dict[str, list[np.ndarray]] = field(default_factory=dict)  # mean per origin
    settings: BacktestSettings | None = None  # as used (one-step for short histories)

    @property
    def best_score(self) -> float:
        return self.scores.get(self.ranked[0].alias, math.nan) if self.ranked else math.nan


def origins(n: int, settings: BacktestSettings, min_train: int) -> list[int]:
    """Training lengths of the backtest windows that leave ``min_train`` months to fit."""
    h = settings.horizon
    starts = [n - h * k for k in range(settings.windows, 0, -1)]
    return [o for o in starts if o >= min_train]


def window_error(
    settings: BacktestSettings, test: np.ndarray, mean: np.ndarray, train: np.ndarray
) -> float:
    if settings.metric == "mase":
        return mase(test, mean, naive_scale(train, settings.season))
    return wmape(test, mean)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:100]


def _run_origins(
    cls: type[ForecastModel],
    history: np.ndarray,
    actual: np.ndarray,
    starts: list[int],
    settings: BacktestSettings,
) -> tuple[ForecastModel, list[np.ndarray]]:
    """The candidate's mean forecast from each origin.

    ``history`` is what the model is fitted to and ends where ``actual`` ends: the whole
    history (cleansed or raw) or its last part (since a level shift); ``actual`` is the raw
    history the forecasts are scored against.

    Raises:
        ValueError: for a non-finite or blown-up forecast (and whatever the fit raises).
    """
    from sop_addin.core.forecasting.classical import outside_range

    offset = actual.size - history.size
    model = cls(season=settings.season)
    means = []
    for i, o in enumerate(starts):
        train = history[: o - offset]
        # Parameters are estimated at the first origin and kept at the later ones (a
        # fixed-parameter rolling origin): one fit per candidate, not one per window, and
        # the later windows still test on unseen months.
        model = model.fit(train) if i == 0 else model.extend(train)
        h = min(settings.horizon, actual.size - o)
        mean = model.predict(h, ())["mean"]
        why = outside_range(train, mean)
        if why:
            raise ValueError(why)
        means.append(mean)
    return model, means


def score_history(
    cls: type[ForecastModel],
    history: np.ndarray,
    actual: np.ndarray,
    settings: BacktestSettings,
    starts: list[int],
) -> float:
    """One candidate's mean backtest error when fitted to ``history`` (NaN if it cannot)."""
    offset = actual.size - history.size
    if not starts or starts[0] - offset < cls.min_months(settings.season):
        return math.nan
    try:
        _, means = _run_origins(cls, history, actual, starts, settings)
    except Exception:  # a variant that cannot be scored is simply not chosen
        return math.nan
    return float(
        np.mean(
            [
                window_error(settings, actual[o : o + m.size], m, actual[:o])
                for o, m in zip(starts, means, strict=True)
            ]
        )
    )


def backtest(
    candidates: Sequence[type[ForecastModel]],
    values: np.ndarray,
    settings: BacktestSettings,
    actual: np.ndarray | None = None,
) -> Selection:
    """Score each candidate over the rolling origins and rank them.

    A candidate that cannot be scored at every origin (too short, a failed fit, a
    non-finite or blown-up forecast) is ranked after every scored one, in its original
    order, and the reason is recorded; it stays in the chain because the full history may
    still fit it. With no origin at all (a short history) the order is the candidates' own.
    A combination whose members are all candidates is scored from their forecasts, with no
    fit of its own.

    Args:
        candidates: model classes, cheap first.
        values: the history the models are fitted to (cleansed).
        settings: metric, windows, horizon, season.
        actual: the history forecasts are scored against (raw); default ``values``.
    """
    actual = values if actual is None else actual
    n = values.size
    h = settings.horizon
    scores: dict[str, float] = {}
    failures: list[str] = []
    unscored: list[type[ForecastModel]] = []
    fitted: dict[str, ForecastModel] = {}
    forecasts: dict[str, list[np.ndarray]] = {}
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
        members = getattr(cls, "members", ())
        try:
            if members and all(m.alias in forecasts for m in members):
                combine = np.median if getattr(cls, "aggregate", "") == "median" else np.mean
                means = [
                    combine(np.vstack([forecasts[m.alias][i] for m in members]), axis=0)
                    for i in range(len(starts))
                ]
            else:
                model, means = _run_origins(cls, values, actual, starts, settings)
                fitted[cls.alias] = model
        except Exception as exc:  # a candidate failing here is only dropped from the ranking
            failures.append(f"{cls.label} not scored: {_first_line(exc)}")
            unscored.append(cls)
            continue
        forecasts[cls.alias] = means
        scores[cls.alias] = float(
            np.mean(
                [
                    window_error(settings, actual[o : o + h], m, actual[:o])
                    for o, m in zip(starts, means, strict=True)
                ]
            )
        )
    order = {cls.alias: i for i, cls in enumerate(candidates)}
    scored = sorted(
        (c for c in candidates if c.alias in scores),
        key=lambda c: (round(scores[c.alias], 12), order[c.alias]),
    )
    windows = len(starts) if scores else 0
    return Selection(
        [*scored, *unscored], scores, failures, windows, fitted, starts, forecasts, settings
    )
