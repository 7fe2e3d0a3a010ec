"""Fix-and-optimize: a plan's integers improved month window by month window before the MIP.

The MIP search over the whole model improves its start slowly where capacity is tight and
changeovers are long: on the TTM instances G43-G50 (six items, fifteen periods, a resource
used 90% before its changeovers) HiGHS's search from relax-and-fix's start ended its 60 s at
plans 0.2-0.9% above the optimum. Fix-and-optimize (Helber and Sahling 2010; Pochet and
Wolsey 2006, ch. 3.6) searches many small MIPs instead: the integers of a window of months
are free, every other integer fixed at the best plan so far, the plan itself the window MIP's
start. A window that finds a cheaper plan makes it the best; the windows slide over the
horizon, half a window at a time, and pass over it again while a pass finds a cheaper plan.

Each window is a MIP of about WINDOW_INTEGERS integers, solved to WINDOW_GAP within its
share of the time given. The plan found is never worse than the start: each window starts
from the best plan, and only a cheaper one is kept.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pulp

from sop_addin.core.planning.build import PlanModel
from sop_addin.core.planning.lot_start import INTEGER_KINDS, Start
from sop_addin.core.planning.solvers import SolverOptions, run_solver
from sop_addin.core.planning.stages import integer_values

WINDOW_INTEGERS = 30  # integers a window's MIP frees, about (two months at least)
WINDOW_GAP = 1e-4  # a window's MIP stops this close to its own bound
GAIN = 1e-6  # relative: a window's plan must be this much cheaper to be kept
PASSES = 3  # over the horizon, at most


def integer_months(model: PlanModel) -> dict[pulp.LpVariable, int]:
    """Each setup, lot count, order and shift count with the month it is for (its key ends
    with the month's index; 0 when it does not)."""
    months: dict[pulp.LpVariable, int] = {}
    for kind in INTEGER_KINDS:
        for key, var in model.variables[kind].items():
            months[var] = key[-1] if isinstance(key[-1], int) else 0
    return months


def month_windows(months: dict[pulp.LpVariable, int], integers: int) -> list[range]:
    """Windows of whole months holding about `integers` integers each (two months at least,
    at most the horizon), each starting half a window after the one before."""
    if not months:
        return []
    horizon = max(months.values()) + 1
    per_month = max(len(months) / horizon, 1.0)
    width = min(horizon, max(2, int(integers / per_month)))
    step = max(1, width // 2)
    starts = list(range(0, max(horizon - width, 0) + 1, step))
    if starts[-1] + width < horizon:
        starts.append(horizon - width)
    return [range(first, first + width) for first in starts]


def fix_and_optimize(
    model: PlanModel,
    options: SolverOptions,
    start: Start,
    cost: float,
    seconds: float,
    window_integers: int = WINDOW_INTEGERS,
) -> tuple[Start, float]:
    """The start's integers improved window by window (module docstring) over the objective
    set, for at most `seconds`; `cost` is the start's plan's objective. Returns the best
    integers and their objective. The integers get their bounds back; the plan loaded is the
    last window MIP's (the caller solves the plan it keeps again)."""
    months = integer_months(model)
    windows = month_windows(months, window_integers)
    if len(windows) < 2 or seconds <= 0:
        return start, cost  # one window is the whole MIP: the search's own
    saved = {var: (var.lowBound, var.upBound) for var in months}
    window_options = replace(options, mip_gap=WINDOW_GAP)
    deadline = time.perf_counter() + seconds
    best, best_cost = dict(start), cost
    # A window searched since the best plan last changed would search the same MIP again.
    changes, searched_at = 0, [-1] * len(windows)
    try:
        for _ in range(PASSES):
            improved = False
            for i, window in enumerate(windows):
                if searched_at[i] == changes:
                    continue
                left = deadline - time.perf_counter()
                if left <= 0:
                    return best, best_cost
                for var, t in months.items():
                    low, high = saved[var]
                    if t in window:
                        var.lowBound, var.upBound = low, high
                    else:
                        var.lowBound = var.upBound = best.get(var, round(var.varValue or 0.0))
                # A window gets its share of the pass's time, or what is left.
                limit = min(left, max(seconds / (PASSES * len(windows)), 0.5))
                run = run_solver(
                    model.problem, window_options, mip=True, start=best, time_limit=limit
                )
                found = run.objective if run.feasible else None
                if found is not None and found < best_cost - GAIN * max(1.0, abs(best_cost)):
                    best, best_cost = integer_values(model), float(found)
                    improved, changes = True, changes + 1
                searched_at[i] = changes
            if not improved:
                break
        return best, best_cost
    finally:
        for var, (low, high) in saved.items():
            var.lowBound, var.upBound = low, high
