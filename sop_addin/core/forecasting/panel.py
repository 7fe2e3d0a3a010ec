"""The engine on any long panel (unique_id, ds, y): what ``sop forecast`` and the benchmark run.

The frame is split into one array per series once, up front; the hot loop sees arrays
only. Bad values are handled as in the workbook: blank, non-finite or negative values
count as 0 with a reason, missing periods count as 0 and are noted, and a series with
nothing to forecast from gets 0 and a note, never a NaN. A malformed row (blank series id,
blank or unreadable date, text where a quantity belongs, a month given twice) is refused
with its line and column.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd

from sop_addin.core.forecasting.fitting import finish, fit_series, zeros
from sop_addin.core.forecasting.runner import run_series
from sop_addin.core.forecasting.series import _invalid_reason
from sop_addin.core.forecasting.types import NO_MODEL, EngineOptions, Progress, reason

PANEL_COLUMNS = ("unique_id", "ds", "y")
OUTPUT_COLUMNS = ("unique_id", "ds", "model", "mean", "lo-80", "hi-80", "lo-95", "hi-95")
_VALUE_MAP: tuple[tuple[str, str], ...] = (
    ("mean", "forecast"),
    ("lo-80", "lo80"),
    ("hi-80", "hi80"),
    ("lo-95", "lo95"),
    ("hi-95", "hi95"),
)


@dataclass
class PanelSeries:
    """One series' values, oldest first, as given (gaps already filled with 0).

    ``promotions`` flags the periods named as promotions (the optional ``promo`` column).
    """

    unique_id: str
    values: np.ndarray
    gaps: int = 0
    promotions: np.ndarray | None = None


@dataclass
class PanelForecast:
    """One series' forecast and the note saying how it was made."""

    unique_id: str
    model: str
    values: dict[str, np.ndarray]
    note: str


def split_panel(
    frame: pd.DataFrame, lines: np.ndarray | None = None
) -> tuple[list[PanelSeries], pd.DataFrame]:
    """One array per series (in order of first appearance) and each series' last ds.

    Args:
        frame: columns unique_id, ds, y; optionally promo (1 for a promotion period).
        lines: each row's line in the source file, for messages (default: a CSV with a
            header on line 1, so the first row is line 2).

    Raises:
        ValueError: when a column is missing, there are no rows, a unique_id is blank, a ds
            is blank or not a date, a y is text, or a (unique_id, ds) pair appears twice;
            the message names the line and column.
    """
    missing = [c for c in PANEL_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"the input is missing the column(s) {', '.join(missing)} (needs unique_id, ds, y)"
        raise ValueError(msg)
    if frame.empty:
        msg = "the input has no data rows (only a header): nothing to forecast"
        raise ValueError(msg)
    line = np.arange(len(frame)) + 2 if lines is None else np.asarray(lines)
    raw_ids = frame["unique_id"]
    blank_id = (raw_ids.isna() | raw_ids.astype(str).str.strip().eq("")).to_numpy()
    if blank_id.any():
        _refuse(line, blank_id, "unique_id", "the series id is blank")
    ids = raw_ids.astype(str).to_numpy(dtype=object)
    raw_ds = frame["ds"]
    blank_ds = (raw_ds.isna() | raw_ds.astype(str).str.strip().eq("")).to_numpy()
    if blank_ds.any():
        _refuse(line, blank_ds, "ds", "the date is blank")
    try:
        ds = pd.Series(pd.to_datetime(raw_ds, errors="coerce"))
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. mixed time zones
        msg = f"column ds holds a value that is not a date ({exc})"
        raise ValueError(msg) from exc
    bad_ds = ds.isna().to_numpy()
    if bad_ds.any():
        value = raw_ds.iloc[int(np.flatnonzero(bad_ds)[0])]
        _refuse(line, bad_ds, "ds", f"{value!r} is not a date (use YYYY-MM-DD)")
    y = pd.to_numeric(frame["y"], errors="coerce").to_numpy(dtype=np.float64)
    # A blank y counts as 0 with a note; text in it is a mistake, not a quantity.
    text_y = np.isnan(y) & ~frame["y"].isna().to_numpy()
    text_y &= ~frame["y"].astype(str).str.strip().str.lower().isin(["", "nan"]).to_numpy()
    if text_y.any():
        value = frame["y"].iloc[int(np.flatnonzero(text_y)[0])]
        _refuse(line, text_y, "y", f"{value!r} is not a number")
    promo = _promotions(frame, line)
    period = (ds.dt.year * 12 + ds.dt.month - 1).to_numpy(dtype=np.int64)
    order = np.lexsort((period, ids))
    ids, period, y, line = ids[order], period[order], y[order], line[order]
    promo = None if promo is None else promo[order]
    dup = (ids[1:] == ids[:-1]) & (period[1:] == period[:-1])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first, second = sorted((int(line[i]), int(line[i + 1])))
        msg = (
            f"line {second}, column ds: series {ids[i]!r} has two rows for the month of "
            f"{_month(period[i])} (the other on line {first})"
        )
        raise ValueError(msg)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = [*starts.tolist(), ids.size]
    first_seen = pd.unique(frame["unique_id"].astype(str))
    by_id: dict[str, PanelSeries] = {}
    last: dict[str, int] = {}
    for a, b in itertools.pairwise(bounds):
        uid, p, v = str(ids[a]), period[a:b], y[a:b]
        span = int(p[-1] - p[0]) + 1
        values = np.zeros(span)
        values[p - p[0]] = v
        flags = None
        if promo is not None:
            flags = np.zeros(span, dtype=bool)
            flags[p - p[0]] = promo[a:b]
        by_id[uid] = PanelSeries(uid, values, span - v.size, flags)
        last[uid] = int(p[-1])
    series = [by_id[str(u)] for u in first_seen]
    ends = pd.DataFrame({"unique_id": [s.unique_id for s in series]})
    ends["last_period"] = [last[s.unique_id] for s in series]
    return series, ends


PROMO_TRUE = {"1", "1.0", "true", "yes", "y", "x"}
PROMO_FALSE = {"", "0", "0.0", "false", "no", "n", "nan", "none"}


def _promotions(frame: pd.DataFrame, line: np.ndarray) -> np.ndarray | None:
    """The optional ``promo`` column as flags (1/true/yes/x; blank or 0/false/no is not)."""
    if "promo" not in frame.columns:
        return None
    text = frame["promo"].astype(str).str.strip().str.lower()
    unknown = ~text.isin(PROMO_TRUE | PROMO_FALSE).to_numpy()
    if unknown.any():
        value = frame["promo"].iloc[int(np.flatnonzero(unknown)[0])]
        _refuse(line, unknown, "promo", f"{value!r} is not a promotion flag (use 1 or 0)")
    return text.isin(PROMO_TRUE).to_numpy()


def _refuse(line: np.ndarray, bad: np.ndarray, column: str, message: str) -> NoReturn:
    """Raise for the first bad row, saying how many more there are."""
    where = np.flatnonzero(bad)
    more = f" ({where.size - 1} more row(s) like it)" if where.size > 1 else ""
    msg = f"line {int(line[where[0]])}, column {column}: {message}{more}"
    raise ValueError(msg)


def _month(period: int) -> str:
    return f"{period // 12}-{period % 12 + 1:02d}"


def forecast_one(series: PanelSeries, h: int, options: EngineOptions) -> PanelForecast:
    """One series' forecast; never raises for bad values (they are noted)."""
    notes: list[str] = []
    raw = series.values
    invalid = _invalid_reason(raw)
    clean = np.where(np.isfinite(raw) & (raw > 0), raw, 0.0)
    if series.gaps:
        notes.append(f"{series.gaps} missing period(s) counted as 0")
    sold = np.flatnonzero(clean > 0)
    model = NO_MODEL
    values = zeros(h)
    try:
        if raw.size == 0 or sold.size == 0:
            if invalid:
                notes.append(invalid)
            notes.append("no demand in the history: forecast 0")
        else:
            bad = ~(np.isfinite(raw) & (raw >= 0))
            promo = None if series.promotions is None else series.promotions[sold[0] :]
            fitted = fit_series(clean[sold[0] :], h, options, invalid, bad[sold[0] :], promo)
            notes += fitted.notes
            model = fitted.alias
            values = {c: fitted.out[k].copy() for k, c in _VALUE_MAP}
    except Exception as exc:  # one bad series must not stop the panel
        model, values = NO_MODEL, zeros(h)
        notes.append(f"forecast failed ({reason(exc)}): 0")
    values, clip_note = finish(values, np.ones(h, dtype=bool))
    if clip_note:
        notes.append(clip_note)
    return PanelForecast(series.unique_id, model, values, "; ".join(notes))


def forecast_panel(
    frame: pd.DataFrame,
    h: int,
    options: EngineOptions | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    on_series: Callable[[PanelForecast], None] | None = None,
    lines: np.ndarray | None = None,
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast every series of a long monthly panel ``h`` months past its own end.

    Args:
        frame: columns unique_id, ds (dates; month starts), y.
        h: months to forecast (at least 1).
        options: the engine's selection settings (season length, metric, ...).
        jobs: worker processes (1 runs here).
        progress: called as ``progress(done, total)``.
        on_series: called with each series' result (for notes), in order.
        lines: each row's line in the source file, for messages (see ``split_panel``).
        scheduler: a Dask scheduler address (``tcp://HOST:PORT``): run on that cluster
            instead of local processes (same numbers).

    Returns:
        The forecast (unique_id, ds, model, mean, lo-80, hi-80, lo-95, hi-95; one row per
        series and step) and the notes (unique_id, model, note).
    """
    if h < 1:
        msg = f"horizon must be at least 1, got {h}"
        raise ValueError(msg)
    if jobs < 1:
        msg = f"jobs must be at least 1, got {jobs}"
        raise ValueError(msg)
    options = options or EngineOptions()
    series, ends = split_panel(frame, lines)
    results = run_series(forecast_one, series, (h, options), jobs, scheduler, progress)
    if on_series is not None:
        for r in results:
            on_series(r)
    n = len(results)
    steps = np.tile(np.arange(1, h + 1), n)
    last = np.repeat(ends["last_period"].to_numpy(dtype=np.int64), h) + steps
    ds = pd.to_datetime(
        pd.DataFrame({"year": last // 12, "month": last % 12 + 1, "day": 1})
    ).astype("datetime64[ns]")
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(np.array([r.unique_id for r in results], dtype=object), h),
            "ds": ds,
            "model": np.repeat(np.array([r.model for r in results], dtype=object), h),
            **{
                k: np.concatenate([r.values[c] for r in results]) if n else np.zeros(0)
                for k, c in _VALUE_MAP
            },
        },
        columns=list(OUTPUT_COLUMNS),
    )
    notes = pd.DataFrame(
        {
            "unique_id": [r.unique_id for r in results],
            "model": [r.model for r in results],
            "note": [r.note for r in results],
        }
    )
    return out, notes
