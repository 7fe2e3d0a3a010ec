"""Shifts as a decision: a resource may add whole extra shifts (the ShiftOptions table).

A shift adds hours_per_day x the month's working days x efficiency of capacity in every month
it runs, for a fixed cost per month; once added it runs at least ``min_months`` months; at most
``max_shifts`` run at a time. The count per resource and month is an integer, so a plan with a
shift option is a MILP (``--lp`` relaxes it to fractional shifts).

Where it sits in the demand-first objective (solve.py): stage 1 weighs a shift's cost against
the lost-sales value it saves, so a shift is added to serve demand only where it earns its
cost; stage 2 holds the lost sales (without the shift cost) and weighs the shift's cost against
overtime and every other cost, so a shift also replaces overtime where it is cheaper.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pulp

from sop_addin.core.calendar import weekdays_in_month
from sop_addin.core.inputs import PlanInputs

SHIFT_KINDS = ("shifts",)


def shift_options(
    inputs: PlanInputs, resources: pd.DataFrame, months: pd.DatetimeIndex
) -> pd.DataFrame:
    """Per (resource, month index): hours one added shift brings and the option's terms."""
    table = inputs.tables.get("ShiftOptions")
    columns = ["resource", "t", "hours", "cost_per_month", "min_months", "max_shifts"]
    if table is None or table.empty:
        return pd.DataFrame(columns=columns).set_index(["resource", "t"])
    calendar = inputs["ResourceCalendar"].set_index(["resource", "month"])["working_days"]
    rows = []
    for option in table.itertuples(index=False):
        res = str(option.resource)
        efficiency = float(resources.at[res, "efficiency"]) if res in resources.index else 1.0
        least = getattr(option, "min_months", None)
        most = getattr(option, "max_shifts", None)
        for t, month in enumerate(months):
            days = calendar.get((res, month))
            days = float(weekdays_in_month(month)) if days is None or pd.isna(days) else float(days)
            rows.append(
                (
                    res,
                    t,
                    days * float(option.hours_per_day) * efficiency,
                    float(option.cost_per_month),
                    1 if least is None or pd.isna(least) else max(1, int(least)),
                    1 if most is None or pd.isna(most) else int(most),
                )
            )
    return pd.DataFrame(rows, columns=columns).set_index(["resource", "t"])


def define_shift_variables(model: Any) -> None:
    """Shifts added per resource and month (integers up to the most allowed), and the shifts
    started in the month (continuous: they follow from the integer counts)."""
    options = model.data.shifts
    keys = [(str(r), int(t)) for r, t in options.index if options.at[(r, t), "max_shifts"] > 0]
    upper = {k: float(options.at[k, "max_shifts"]) for k in keys}
    cat = pulp.LpContinuous if model.relax_lots else pulp.LpInteger
    model.add_variables("shifts", keys, upper, cat=cat)
    runs = [k for k in keys if options.at[k, "min_months"] > 1]
    model.add_variables("shift_start", runs)


def define_shift_capacity_constraints(model: Any) -> None:
    """An added shift's hours join the resource's capacity row in the month it runs."""
    shifts = model.variables["shifts"]
    if not shifts:
        return
    rows = model.constraints.get("Resource-capacity", {})
    hours = model.data.shifts["hours"]
    for key, var in shifts.items():
        row = rows.get(key)
        if row is not None and float(hours[key]) > 0:
            row.addInPlace(-float(hours[key]) * var)


def define_shift_run_constraints(model: Any) -> None:
    """A shift once added runs at least min_months: started[t] >= shifts[t] - shifts[t-1] and
    shifts[t] >= the shifts started in the last min_months months."""
    shifts, started = model.variables["shifts"], model.variables["shift_start"]
    if not started:
        return
    options = model.data.shifts
    for (res, t), start in started.items():
        terms = [(start, 1.0), (shifts[(res, t)], -1.0)]
        if (res, t - 1) in shifts:
            terms.append((shifts[(res, t - 1)], 1.0))
        row = pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintGE, rhs=0.0)
        model.add_constraint("Shift-start", (res, t), row)
        least = int(options.at[(res, t), "min_months"])
        window = [started[(res, u)] for u in range(max(0, t - least + 1), t + 1)]
        terms = [(shifts[(res, t)], 1.0)] + [(s, -1.0) for s in window]
        row = pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintGE, rhs=0.0)
        model.add_constraint("Shift-run", (res, t), row)


def define_shift_objective(model: Any) -> None:
    """A shift's monthly cost weighs in both stages; stage 2 holds lost sales without it."""
    shifts = model.variables["shifts"]
    if not shifts:
        return
    cost = model.data.shifts["cost_per_month"]
    weights = {k: float(cost[k]) for k in shifts}
    model.costs["shifts"] = weights
    expr = pulp.LpAffineExpression([(shifts[k], w) for k, w in weights.items() if w])
    objectives = model.objectives
    # "held": what stage 2 keeps at stage 1's value (solve.py); without the shift cost, so
    # stage 2 may trade a shift against overtime.
    objectives.setdefault("held", objectives["service"].copy())
    objectives["service"] = objectives["service"] + expr
    objectives["plan"] = objectives["plan"] + expr
    model.problem.objective += 2 * expr  # in both parts; in place, no rebuilt sum


def round_shifts(model: Any) -> dict[pulp.LpVariable, float]:
    """Whole shifts near the LP relaxation that keep every run at least min_months long.

    Each count is rounded up (more capacity never makes a plan infeasible), then raised to the
    highest count of the min_months - 1 months before it, so every window of min_months months
    is non-decreasing and each started shift runs its minimum.
    """
    shifts = model.variables["shifts"]
    options = model.data.shifts
    values: dict[pulp.LpVariable, float] = {}
    by_resource: dict[str, list[int]] = {}
    for res, t in shifts:
        by_resource.setdefault(res, []).append(t)
    for res, periods in by_resource.items():
        level: dict[int, float] = {}
        for t in sorted(periods):
            raw = float(shifts[(res, t)].varValue or 0.0)
            most = float(options.at[(res, t), "max_shifts"])
            count = min(float(math.ceil(raw - 1e-6)), most)
            least = int(options.at[(res, t), "min_months"])
            before = [level[u] for u in range(t - least + 1, t) if u in level]
            level[t] = max([count, *before])
            values[shifts[(res, t)]] = level[t]
    return values


def shift_note(model: Any, res: str, t: int) -> str:
    """ ", with 1 extra shift added (of 1 allowed)" for a Shortfalls explanation, or ""."""
    var = model.variables.get("shifts", {}).get((res, t))
    if var is None:
        return ""
    count = float(var.varValue or 0.0)
    most = float(model.data.shifts.at[(res, t), "max_shifts"])
    if count < 1e-6:
        return ", no extra shift added (one would cost more than it saves)"
    return f", with {count:g} extra shift(s) added (of {most:g} allowed)"


def shift_columns(model: Any, capacity: pd.DataFrame) -> pd.DataFrame:
    """CapacityUse with the shifts added: count, hours (added to available_hours) and cost;
    utilisation over the hours available with them."""
    shifts = model.variables.get("shifts", {})
    out = capacity.copy()
    months = model.data.months
    added = {}
    for (res, t), var in shifts.items():
        count = float(var.varValue or 0.0)
        if abs(count) > 1e-6:
            added[(res, months[t])] = (res, t, count)
    counts, hours, costs = [], [], []
    options = model.data.shifts
    for res, month in zip(out["resource"], out["month"], strict=True):
        hit = added.get((res, month))
        if hit is None:
            counts.append(0.0)
            hours.append(0.0)
            costs.append(0.0)
            continue
        _, t, count = hit
        counts.append(count)
        hours.append(count * float(options.at[(res, t), "hours"]))
        costs.append(count * float(options.at[(res, t), "cost_per_month"]))
    out["shifts_added"] = counts
    out["shift_hours"] = hours
    out["shift_cost"] = costs
    grown = out["shift_hours"] > 0
    out.loc[grown, "available_hours"] += out.loc[grown, "shift_hours"]
    out.loc[grown, "utilisation"] = out.loc[grown, "used_hours"] / out.loc[grown, "available_hours"]
    return out
