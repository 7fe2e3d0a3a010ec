"""S&OE: the approved monthly plan in weeks, and the week's deviations with a correction.

Pure pandas and numpy. A month's quantity is spread over its working days (Monday to Friday)
and each ISO week takes the working days it holds, so a week straddling two months takes a
share of each. Corrections only move quantities inside the approved plan (pull forward,
catch up within the month, expedite what is already ordered); what cannot be absorbed is
raised for the next S&OP meeting, never silently added.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

WEEKS = 13
WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")
PLAN_COLUMNS = ["week", "item", "measure", "plan", "actual"]
EXCEPTION_COLUMNS = ["week", "type", "item", "plan", "actual", "gap", "correction"]
SPIKE, SHORTFALL, LATE = "demand spike", "supply shortfall", "late receipt"


@dataclass(frozen=True)
class SoeThresholds:
    demand_spike: float = 0.20  # open orders above the week's plan by more than 20%
    supply_shortfall: float = 0.10  # production below the plan to date by more than 10%
    late_receipt: float = 0.10  # receipts below the plan to date by more than 10%
    min_units: float = 1.0  # gaps under one unit are noise


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(label: str) -> date:
    """The Monday of an ISO week label such as 2027-W03; ValueError for anything else."""
    match = WEEK_LABEL.match(label.strip())
    if not match:
        msg = f"{label!r} is not an ISO week: write it as YYYY-Www, e.g. 2027-W03"
        raise ValueError(msg)
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        msg = f"{label!r} is not an ISO week: {exc}"
        raise ValueError(msg) from exc


def _workdays(start: date, end: date) -> int:
    """Monday-to-Friday days in [start, end)."""
    return int(np.busday_count(start, end)) if end > start else 0


def _month_bounds(month: pd.Timestamp) -> tuple[date, date]:
    first = month.date().replace(day=1)
    following = (month + pd.offsets.MonthBegin(1)).date()
    return first, following


def week_of_month(monday: date) -> pd.Timestamp:
    """The month a week belongs to: the month of its Thursday (the ISO rule)."""
    thursday = monday + timedelta(days=3)
    return pd.Timestamp(thursday.year, thursday.month, 1)


def split_to_weeks(monthly: pd.DataFrame, mondays: list[date]) -> pd.DataFrame:
    """(item, month, quantity) per month -> (item, week, plan) by working days."""
    rows = []
    for monday in mondays:
        sunday_next = monday + timedelta(days=7)
        for month in {
            week_of_month(monday),
            pd.Timestamp(monday.year, monday.month, 1),
            pd.Timestamp(sunday_next.year, sunday_next.month, 1),
        }:
            first, following = _month_bounds(month)
            in_week = _workdays(max(first, monday), min(following, sunday_next))
            if not in_week:
                continue
            share = in_week / _workdays(first, following)
            part = monthly[monthly["month"] == month]
            for item, quantity in zip(part["item"], part["quantity"], strict=True):
                rows.append((week_label(monday), item, float(quantity) * share))
    frame = pd.DataFrame(rows, columns=["week", "item", "plan"])
    return frame.groupby(["week", "item"], as_index=False)["plan"].sum()


def elapsed_share(monday: date, as_of: date) -> float:
    """Share of the week's working days done by the end of `as_of` (inclusive)."""
    done = _workdays(monday, min(as_of + timedelta(days=1), monday + timedelta(days=7)))
    return done / 5


@dataclass(frozen=True)
class SoeResult:
    as_of: date
    weeks: list[str]
    weekly_plan: pd.DataFrame
    exceptions: pd.DataFrame


def _monthly(frame: pd.DataFrame, item: str, month: str, quantity: str) -> pd.DataFrame:
    picked = frame[[item, month, quantity]].set_axis(["item", "month", "quantity"], axis=1)
    return picked.groupby(["item", "month"], as_index=False)["quantity"].sum()


def _later_weeks_same_month(plan: pd.DataFrame, item: str, monday: date) -> pd.DataFrame:
    month = week_of_month(monday)
    later = plan[(plan["item"] == item) & (plan["monday"] > monday)]
    return later[[week_of_month(m) == month for m in later["monday"]]]


def _units(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"


def _spike_correction(
    gap: float,
    production: pd.DataFrame,
    item: str,
    monday: date,
    pulled: dict[tuple[str, str], float],
) -> str:
    """Pull planned production forward from later weeks of the same month, nearest first.

    `pulled` remembers what earlier spikes already took from a week, so the corrections of
    several spikes together never exceed the month's approved production.
    """
    month = week_of_month(monday).strftime("%Y-%m")
    later = _later_weeks_same_month(production, item, monday).sort_values("monday")
    takes = []
    need = gap
    for week, planned in zip(later["week"], later["plan"], strict=True):
        free = float(planned) - pulled.get((item, week), 0.0)
        take = min(free, need)
        if take <= 1e-9:
            continue
        pulled[(item, week)] = pulled.get((item, week), 0.0) + take
        takes.append(f"{_units(take)} from {week}")
        need -= take
        if need <= 1e-9:
            break
    if not takes:
        return (
            f"no planned production of {item} left to pull in {month}: serve from stock above "
            "safety stock if any; otherwise allocate by priority and raise it at the next S&OP "
            "meeting"
        )
    moved = f"pull planned production forward ({', '.join(takes)})"
    if need <= 1e-9:
        return f"{moved}; the approved {month} total is unchanged"
    return (
        f"{moved}; the other {_units(need)} units exceed the approved {month} plan: allocate by "
        "priority and raise them at the next S&OP meeting"
    )


def _shortfall_correction(gap: float, production: pd.DataFrame, item: str, monday: date) -> str:
    month = week_of_month(monday)
    later = _later_weeks_same_month(production, item, monday)
    if len(later):
        per_week = gap / len(later)
        return (
            f"recover {_units(gap)} units over the {len(later)} remaining week(s) of "
            f"{month:%Y-%m} ({', '.join(later['week'])}, +{_units(per_week)} each) so the "
            "approved monthly total is still made"
        )
    following = month + pd.offsets.MonthBegin(1)
    return (
        f"{month:%Y-%m} ends with this week: make the {_units(gap)} units early in "
        f"{following:%Y-%m} if capacity allows, else report the miss at the next S&OP meeting"
    )


def weekly_execution(
    balance: pd.DataFrame,
    production: pd.DataFrame,
    purchases: pd.DataFrame,
    weekly_actuals: pd.DataFrame,
    as_of: date,
    open_orders: pd.DataFrame | None = None,
    limits: SoeThresholds | None = None,
) -> SoeResult:
    """The next 13 weeks of the approved plan, the actuals beside it, and the exceptions.

    Args:
        balance: ProductBalance of the approved plan (sku, month, demand).
        production: ProductionPlan (sku, month, good_quantity).
        purchases: PurchasePlan (material, supplier, arrival_month, quantity).
        weekly_actuals: (week, kind, item, quantity); orders may be for future weeks,
            production and receipts are week to date.
        as_of: today; the window starts with its ISO week.
        open_orders: OpenOrders input (order_id, order_type, item, quantity, due_month);
            a purchase order still open after its due month is a late receipt.
    """
    limits = limits or SoeThresholds()
    start = as_of - timedelta(days=as_of.weekday())
    mondays = [start + timedelta(weeks=i) for i in range(WEEKS)]
    labels = [week_label(m) for m in mondays]
    plans = {
        "demand": split_to_weeks(_monthly(balance, "sku", "month", "demand"), mondays),
        "production": split_to_weeks(
            _monthly(production, "sku", "month", "good_quantity"), mondays
        ),
        "receipts": split_to_weeks(
            _monthly(purchases, "material", "arrival_month", "quantity"), mondays
        ),
    }
    kinds = {"demand": "orders", "production": "production", "receipts": "receipts"}
    actuals = weekly_actuals.groupby(["week", "kind", "item"], as_index=False)["quantity"].sum()
    frames = []
    for measure, plan in plans.items():
        actual = actuals[actuals["kind"] == kinds[measure]].drop(columns="kind")
        actual = actual[actual["week"].isin(labels)].rename(columns={"quantity": "actual"})
        merged = plan.merge(actual, on=["week", "item"], how="outer")
        merged["plan"] = merged["plan"].fillna(0.0)
        merged["measure"] = measure
        merged["monday"] = [week_monday(w) for w in merged["week"]]
        frames.append(merged)
    weekly = pd.concat(frames, ignore_index=True).sort_values(["monday", "measure", "item"])
    by_measure = {m: weekly[weekly["measure"] == m] for m in plans}

    exceptions: list[list[object]] = []
    pulled: dict[tuple[str, str], float] = {}
    for r in by_measure["demand"].dropna(subset=["actual"]).itertuples():
        gap = float(r.actual) - float(r.plan)
        if gap >= limits.min_units and gap > limits.demand_spike * float(r.plan):
            correction = _spike_correction(gap, by_measure["production"], r.item, r.monday, pulled)
            exceptions.append([r.week, SPIKE, r.item, r.plan, r.actual, gap, correction])
    current = labels[0]
    share = elapsed_share(start, as_of)
    # A kind loaded for the current week is taken as complete: a missing item made or
    # received nothing. A kind not loaded at all is not judged.
    loaded = set(actuals.loc[actuals["week"] == current, "kind"])
    for r in by_measure["production"].itertuples():
        if r.week != current or "production" not in loaded:
            continue
        to_date = float(r.plan) * share
        made = 0.0 if pd.isna(r.actual) else float(r.actual)
        gap = made - to_date
        if -gap >= limits.min_units and -gap > limits.supply_shortfall * to_date:
            correction = _shortfall_correction(-gap, by_measure["production"], r.item, r.monday)
            exceptions.append([r.week, SHORTFALL, r.item, to_date, made, gap, correction])
    suppliers = dict(zip(purchases["material"], purchases["supplier"], strict=True))
    for r in by_measure["receipts"].itertuples():
        if r.week != current or "receipts" not in loaded:
            continue
        to_date = float(r.plan) * share
        received = 0.0 if pd.isna(r.actual) else float(r.actual)
        gap = received - to_date
        if -gap >= limits.min_units and -gap > limits.late_receipt * to_date:
            supplier = suppliers.get(r.item, "the supplier")
            correction = (
                f"chase {supplier}: {_units(-gap)} units of {r.item} due by {as_of} are not in; "
                "they are already on the approved purchase plan: expedite, do not reorder"
            )
            exceptions.append([r.week, LATE, r.item, to_date, received, gap, correction])
    if open_orders is not None and len(open_orders):
        month_now = pd.Timestamp(as_of.year, as_of.month, 1)
        late = open_orders[
            (open_orders["order_type"] == "purchase") & (open_orders["due_month"] < month_now)
        ]
        for r in late.itertuples():
            correction = (
                f"purchase order {r.order_id} was due in {r.due_month:%Y-%m} and is still open: "
                "expedite it; the approved plan already counts on it"
            )
            exceptions.append(
                [current, LATE, r.item, float(r.quantity), 0.0, -float(r.quantity), correction]
            )

    plan_frame = weekly[PLAN_COLUMNS].reset_index(drop=True)
    plan_frame = plan_frame[(plan_frame["plan"] > 1e-9) | plan_frame["actual"].notna()]
    return SoeResult(
        as_of=as_of,
        weeks=labels,
        weekly_plan=plan_frame.reset_index(drop=True),
        exceptions=pd.DataFrame(exceptions, columns=EXCEPTION_COLUMNS),
    )
