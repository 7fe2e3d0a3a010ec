"""The monthly planning calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plan_months(first_month: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    """The plan's months as month-start timestamps."""
    start = pd.Timestamp(first_month).to_period("M").to_timestamp()
    return pd.date_range(start, periods=horizon, freq="MS")


def weekdays_in_month(month: pd.Timestamp) -> int:
    """Monday-to-Friday days in a month: the default working days when a calendar is silent."""
    start = pd.Timestamp(month).to_period("M").to_timestamp()
    end = start + pd.offsets.MonthBegin(1)
    return int(np.busday_count(start.date(), end.date()))


def months_between(earlier: pd.Timestamp, later: pd.Timestamp) -> int:
    """Whole months from `earlier` to `later` (negative when later is before earlier)."""
    a, b = pd.Timestamp(earlier), pd.Timestamp(later)
    return (b.year - a.year) * 12 + (b.month - a.month)


def month_label(month: pd.Timestamp) -> str:
    return pd.Timestamp(month).strftime("%Y-%m")
