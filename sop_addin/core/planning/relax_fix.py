"""Relax-and-fix: a start for the lot-size MILP, found month window by month window.

The rounding of the LP relaxation (lot_start.py) only ever closes runs, which keeps a plan
feasible when sales may be lost; when all demand must be met and capacity is tight (the TTM
instance F3) no rounding is feasible and the MIP starts with none. Relax-and-fix (Dillenberger
et al. 1994; Pochet and Wolsey 2006, ch. 3.6) solves small MIPs instead: the integers of a window
of months are integer, the earlier ones fixed at what the previous window chose, the later ones
relaxed. Half of each window is fixed before the next, so a decision sees the months after it.
With the facility-location form (lot_location.py) the relaxed months are tight, and the plans it
finds are close to optimal (within 0.1-0.3% on the TTM G set).

It runs only when the rounding found no start, within SHARE of the time limit, each window's
MIP its share of that. Run on every small model (at most 1,000 integers) as well, it gained
nothing on the 40-SKU demo (the same plan, 26 s instead of 7) and was mixed on the TTM G set
(G55 and G58 proven sooner, G59 and G73 later).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

import pulp

from sop_addin.core.planning.fix_optimize import integer_months
from sop_addin.core.planning.solvers import SolverOptions, run_solver
from sop_addin.core.planning.stages import fixed_lp

if TYPE_CHECKING:
    from sop_addin.core.planning.build import PlanModel
    from sop_addin.core.planning.mip_search import Clock

Start = dict[pulp.LpVariable, float]

SHARE = 0.25  # of the time limit
WINDOW_INTEGERS = 150  # integers a window's MIP holds, about (two months at least, and at
# most a third of the horizon)
WINDOW_GAP = 0.001  # a window's MIP stops within 0.1%: the next window revises half of it


def start_without_rounding(
    model: PlanModel, options: SolverOptions, clock: Clock, start: Start | None
) -> Start | None:
    """The rounded start, or relax-and-fix's when there is none (its plan then left loaded, as
    relax_and_round leaves its own); None when neither found a plan."""
    if start is not None:
        return start
    seconds = None if clock.limit is None else clock.limit * SHARE
    found = relax_and_fix(model, options, seconds)
    if found is None or not fixed_lp(model, options, found, clock.left()).feasible:
        return None
    return found


def relax_and_fix(model: PlanModel, options: SolverOptions, seconds: float | None) -> Start | None:
    """Integer values of a plan found window by window (module docstring); None when a
    window's MIP found no plan in its time. The integers get their kind and bounds back."""
    months = integer_months(model)
    if not months:
        return None
    horizon = max(months.values()) + 1
    per_month = max(len(months) / horizon, 1.0)
    # A window of at most a third of the horizon: one of the whole horizon is the MIP itself.
    width = min(math.ceil(horizon / 3), max(2, int(WINDOW_INTEGERS / per_month)))
    step = max(1, width // 2)
    windows = math.ceil(max(horizon - width, 0) / step) + 1
    saved = {var: (var.cat, var.lowBound, var.upBound) for var in months}
    window_options = replace(options, mip_gap=max(options.mip_gap, WINDOW_GAP))
    values: Start = {}
    first = 0
    try:
        for k in range(windows):
            last = horizon if k == windows - 1 else min(first + width, horizon)
            for var, t in months.items():
                cat, low, high = saved[var]
                if t < first:
                    var.cat, var.lowBound, var.upBound = cat, values[var], values[var]
                else:
                    var.cat = cat if t < last else pulp.LpContinuous
            limit = None if seconds is None else max(seconds / windows, 1.0)
            run = run_solver(model.problem, window_options, mip=True, time_limit=limit)
            if not run.feasible:
                return None
            fixed_until = last if k == windows - 1 else first + step
            for var, t in months.items():
                if first <= t < fixed_until:
                    values[var] = float(round(var.varValue or 0.0))
            first = fixed_until
        return values
    finally:
        for var, (cat, low, high) in saved.items():
            var.cat, var.lowBound, var.upBound = cat, low, high
