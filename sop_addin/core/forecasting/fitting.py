"""One history to one forecast: cleanse, route, backtest, choose the history, fit, guard.

Per series: cleanse (isolated spikes only; level shifts are kept and found), route to the
candidate models, rank them on a rolling-origin backtest scored against the raw history,
then let the same backtest decide which history the winner is fitted to: the cleansed one,
the raw one, or the months since the last level shift. Where the classical candidates
compete, the median of the best three (``_ensemble``) forecasts unless one model wins
clearly. The ranking plus robust fallbacks becomes the chain tried until a model gives a
finite forecast inside the history's range (an exploded fit falls back with a note), and the
intervals are calibrated on the backtest's errors (``intervals``). Nothing here guesses
silently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sop_addin.core.forecasting.classical import Combination, outside_range
from sop_addin.core.forecasting.cleansing import cleanse
from sop_addin.core.forecasting.intervals import backtest_factor, calibrate
from sop_addin.core.forecasting.models import SEASON, ForecastModel, MovingAverage
from sop_addin.core.forecasting.routing import route, unique
from sop_addin.core.forecasting.selection import (
    BacktestSettings,
    Selection,
    backtest,
    score_history,
    window_error,
)
from sop_addin.core.forecasting.types import (
    LEVEL,
    MODEL_KEYS,
    VALUE_COLUMNS,
    EngineOptions,
    Fitted,
    months_text,
    reason,
)


def run_chain(
    chain: Sequence[type[ForecastModel]],
    values: np.ndarray,
    h: int,
    invalid: str = "",
    season: int = SEASON,
) -> tuple[ForecastModel, dict[str, np.ndarray], list[str]]:
    """Fit the first model of the chain that works; the notes say which failed and why.

    A model works when its forecast and bounds are finite and its mean stays within the
    history's range (see ``classical.outside_range``): a numerically exploded fit falls
    back to the next model.

    Args:
        chain: model classes, preferred first.
        values: the monthly history (finite, as cleaned by ``build_series``).
        h: months to forecast.
        invalid: non-empty when the raw history was unusable: the preferred model counts
            as failed for that reason, and the robust models further down the chain
            work on the cleaned values.
        season: months per season.

    Returns:
        The fitted model, its prediction, and the notes.

    Raises:
        RuntimeError: when every model failed (the message lists the reasons).
    """
    failures: list[str] = []
    if invalid:
        failures.append(f"{chain[0].label} failed: {invalid}")
        chain = chain[1:] or (MovingAverage,)
    for cls in chain:
        try:
            model = cls(season=season)
            model.fit(values)
            out = model.predict(h, LEVEL)
            if not all(np.isfinite(out[k]).all() for k in MODEL_KEYS):
                msg = "non-finite forecast"
                raise ValueError(msg)
            why = outside_range(values, out["mean"])
            if why:
                raise ValueError(why)
        except Exception as exc:  # any failure of one model hands over to the next one
            failures.append(f"{cls.label} failed: {reason(exc)}")
            continue
        notes = [*failures, f"used {cls.label}"] if failures else []
        return model, out, notes + model.notes_
    raise RuntimeError("; ".join(failures))


def zeros(h: int) -> dict[str, np.ndarray]:
    """A forecast of 0 with 0 bounds."""
    return {c: np.zeros(h) for c in VALUE_COLUMNS}


def finish(values: dict[str, np.ndarray], active: np.ndarray) -> tuple[dict[str, np.ndarray], str]:
    """Zero the months outside the product's life, clip negatives, order the bounds."""
    for v in values.values():
        v[~active] = 0.0
    negative_mean = int((values["forecast"] < 0).sum())
    negative_bound = any((values[c] < 0).any() for c in VALUE_COLUMNS)
    note = ""
    if negative_mean:
        note = f"negative values clipped to 0 (forecast in {months_text(negative_mean)})"
    elif negative_bound:
        note = "negative values clipped to 0 (lower bounds)"
    mean = np.maximum(values["forecast"], 0.0)
    lo80 = np.clip(values["lo80"], 0.0, mean)
    lo95 = np.clip(values["lo95"], 0.0, lo80)
    hi80 = np.maximum(values["hi80"], mean)
    hi95 = np.maximum(values["hi95"], hi80)
    ordered = {"forecast": mean, "lo80": lo80, "hi80": hi80, "lo95": lo95, "hi95": hi95}
    return ordered, note


ENSEMBLE_SIZE = 3
MEMBER_SPREAD = 2.0  # a member backtests at most this many times the winner's error
# The single winner is kept only when it backtests clearly better: the ensemble's error more
# than 1.5 times its own (an exact pattern, which one model fits and a median blurs).
ENSEMBLE_MARGIN = 0.5


def _ensemble(
    selection: Selection, actual: np.ndarray
) -> tuple[type[ForecastModel], float, list[np.ndarray]] | None:
    """The median of the backtest's best few models, its backtest score and forecasts; or None.

    Members are the best ``ENSEMBLE_SIZE`` single models whose backtest error is within
    ``MEMBER_SPREAD`` times the winner's: strong members only.

    A backtest over a few windows ranks candidates with much noise, and the winner of a
    noisy race is partly luck; the median of the best three keeps most of the winner's
    skill and little of its luck (measured on M1 monthly: sMAPE 13.44 against 13.58 for
    the winner alone). Its score comes from the members' backtest forecasts: no extra fit.
    """
    settings = selection.settings
    best = selection.best_score
    top = [
        c
        for c in selection.ranked
        if c.alias in selection.forecasts
        and not getattr(c, "members", ())
        and selection.scores[c.alias] <= MEMBER_SPREAD * best
    ][:ENSEMBLE_SIZE]
    if settings is None or len(top) < 2:
        return None
    errors, means = [], []
    for i, o in enumerate(selection.starts):
        mean = np.median(np.vstack([selection.forecasts[c.alias][i] for c in top]), axis=0)
        errors.append(window_error(settings, actual[o : o + mean.size], mean, actual[:o]))
        means.append(mean)
    labels = ", ".join(c.label for c in top)
    ensemble = type(
        "Ensemble",
        (Combination,),
        {
            "alias": "ensemble",
            "label": f"median of the backtest's best {len(top)} ({labels})",
            "members": tuple(top),
            "aggregate": "median",
            "min_length": 1,
        },
    )
    return ensemble, float(np.mean(errors)), means


def _choose_history(
    best: type[ForecastModel],
    raw: np.ndarray,
    cleansed: np.ndarray,
    regime_start: int,
    settings: BacktestSettings,
    starts: list[int],
    score: float,
) -> tuple[np.ndarray, str, float]:
    """The history the winner forecasts best from, by the same backtest, and a note.

    Candidates: the cleansed history (already scored), the raw one (when cleansing changed
    a month) and the months since the last level shift (when there was one). Ties keep the
    cleansed history.
    """
    options: list[tuple[float, np.ndarray, str]] = [(score, cleansed, "")]
    if not np.array_equal(raw, cleansed):
        raw_score = score_history(best, raw, raw, settings, starts)
        options.append((raw_score, raw, "the raw history backtests better: outliers kept"))
    if regime_start > 0:
        since = cleansed[regime_start:]
        since_score = score_history(best, since, raw, settings, starts)
        options.append(
            (
                since_score,
                since,
                f"fitted to the {months_text(since.size)} since the level shift "
                "(they backtest better than the whole history)",
            )
        )
    usable = [o for o in options if not math.isnan(o[0])]
    chosen = min(usable, key=lambda o: o[0]) if usable else options[0]
    return chosen[1], chosen[2], chosen[0]


def fit_series(
    values: np.ndarray,
    h: int,
    options: EngineOptions,
    invalid: str = "",
    bad: np.ndarray | None = None,
    promotions: np.ndarray | None = None,
) -> Fitted:
    """Cleanse, route, backtest and fit one non-empty history; forecast ``h`` steps.

    Args:
        values: the monthly history, invalid months set to 0.
        h: steps to forecast.
        options: selection settings.
        invalid: why some loaded values were unusable ("" when none were): noted.
        bad: which months those are; cleansing replaces them by the expected value when
            the history says what to expect.
        promotions: months named as promotions in the inputs (corrected to the baseline).

    Raises:
        RuntimeError: when every model of the chain failed (the message lists why).
    """
    notes: list[str] = [invalid] if invalid else []
    cleaned = (
        cleanse(values, options.season, invalid=bad, promotions=promotions)
        if options.cleanse
        else None
    )
    fit_values = values if cleaned is None else cleaned.values
    outlier = np.zeros(values.size, dtype=bool) if cleaned is None else cleaned.outlier
    if cleaned is not None and cleaned.note:
        notes.append(cleaned.note)
    # Invalid months were set to 0 by the caller; cleansing's estimate of them is the
    # better "actual" to score against.
    actual = values if bad is None or not bad.any() else np.where(bad, fit_values, values)
    chosen = route(fit_values, options)
    notes.append(chosen.reason)
    chain = chosen.chain
    score = math.nan
    history = fit_values
    backtest_means: dict[str, list[np.ndarray]] = {}
    starts: list[int] = []
    if len(chosen.candidates) > 1:
        settings = options.backtest
        if settings.horizon > h:
            settings = BacktestSettings(settings.metric, settings.windows, h, settings.season)
        selection = backtest(chosen.candidates, fit_values, settings, actual)
        notes += selection.failures
        if selection.scores:
            best = selection.ranked[0]
            score = selection.best_score
            notes.append(
                f"{best.label} best of {len(selection.scores)} on a {selection.windows}-origin "
                f"backtest ({settings.metric.upper()} {score:.3f})"
            )
            chain = unique([*selection.ranked, *chain])
            if cleaned is not None and selection.settings is not None:
                history, note, score = _choose_history(
                    best,
                    actual,
                    fit_values,
                    cleaned.regime_start,
                    selection.settings,
                    selection.starts,
                    score,
                )
                if note:
                    notes.append(note)
            backtest_means = dict(selection.forecasts)
            starts = selection.starts
            # Only where the classical candidates compete: the Croston family and the
            # short-history sets are too alike for a median to add anything.
            ensemble = _ensemble(selection, actual) if Combination in chosen.candidates else None
            if ensemble is not None and ensemble[1] <= (1 + ENSEMBLE_MARGIN) * selection.best_score:
                backtest_means[ensemble[0].alias] = ensemble[2]
                chain = (ensemble[0], *chain)
                notes.append(
                    f"used the {ensemble[0].label}: backtest {settings.metric.upper()} "
                    f"{ensemble[1]:.3f}"
                )
                score = ensemble[1]
            winner = selection.fitted.get(best.alias)
            if (
                winner is not None
                and options.extend_winner
                and history is fit_values
                and chain[0] is best
            ):
                carried = _carry_forward(winner, fit_values, h)
                if carried is not None:
                    if options.calibrate:
                        carried = _calibrated(
                            carried, backtest_means.get(best.alias), starts, actual
                        )
                    return Fitted(
                        best.alias,
                        carried,
                        [*notes, *winner.notes_],
                        chosen.demand_class,
                        score,
                        fit_values,
                        outlier,
                    )
        else:
            notes.append("too short to backtest: the simplest candidate")
    model, out, chain_notes = run_chain(chain, history, h, season=options.season)
    if options.calibrate:
        out = _calibrated(out, backtest_means.get(model.alias), starts, actual)
    if chain and model.alias != chain[0].alias:
        score = math.nan  # the model used is not the one the score belongs to
    used = fit_values if history is not actual else actual
    return Fitted(
        model.alias,
        out,
        notes + chain_notes,
        chosen.demand_class,
        score,
        used,
        outlier if used is fit_values else np.zeros(values.size, dtype=bool),
    )


def _calibrated(
    out: dict[str, np.ndarray],
    means: list[np.ndarray] | None,
    starts: list[int],
    actual: np.ndarray,
) -> dict[str, np.ndarray]:
    """The prediction with its intervals calibrated (see ``intervals``)."""
    factor = 1.0
    if means:
        errors = [actual[o : o + m.size] - m for o, m in zip(starts, means, strict=True)]
        factor = backtest_factor(errors, out["hi-80"] - out["mean"])
    return calibrate(out, factor)


def _carry_forward(
    model: ForecastModel, values: np.ndarray, h: int
) -> dict[str, np.ndarray] | None:
    """The backtest winner moved to the whole history with its parameters, or None."""
    try:
        out = model.extend(values).predict(h, LEVEL)
    except Exception:  # the chain below refits from scratch and records any failure
        return None
    if not all(np.isfinite(out[k]).all() for k in MODEL_KEYS) or outside_range(values, out["mean"]):
        return None
    return out
