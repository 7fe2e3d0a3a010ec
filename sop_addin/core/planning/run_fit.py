"""Rounded runs cut back to the hours a month has, so that a rounding is a plan at all.

The rounded starts (lot_start.py) fix each run's setup and lot count. Consolidated or grouped
runs, or counts rounded up, can then ask a resource for more hours in a month than it has,
overtime included: whole lots are output the plan must make, and a changeover takes its hours
whatever the run makes. The LP with such integers fixed is infeasible, and the rounding is
lost. On the 400-SKU demo company the grouped runs asked 1-36% more hours than the month had
on six resource-months; at 2000 SKUs every one of the four first roundings was infeasible
(38 s of LPs), and the start came from the runs rounded to the nearest lot instead, 4.8% above
the relaxation.

So before its LP, a rounding gives back what no plan could make. Per resource and month, while
the hours its runs must take (changeovers, and the whole lots or the minimum lot of each run
open) exceed the hours the month has: first the lots rounded above what the relaxation made
go, from the runs rounded furthest above it; then lots down to each run's smallest legal run;
then whole runs close, those the relaxation made least in first. Making less is always feasible
in this elastic model (the shortfall is lost or owed), so the cut-back rounding is a plan
wherever only hours were short (materials can still be: the LP says so, and the next candidate
is tried).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pulp

from sop_addin.core.planning.build import PlanModel, legal_runs

EPS = 1e-6  # hours: roundoff the capacity row tolerates


@dataclass
class _Run:
    """One open run of a rounding: its routing and month, the variables that fix it and what
    its hours are made of."""

    key: tuple[str, str, int]
    setup: pulp.LpVariable | None
    lots: pulp.LpVariable | None
    size: float  # the lot multiple (0: none)
    smallest: float  # the smallest legal run
    hours_per_unit: float
    changeover: float
    made: float  # what the relaxation made there

    def output(self, values: dict[pulp.LpVariable, float]) -> float:
        """The units the rounding forces this run to make."""
        if self.lots is not None:
            return values[self.lots] * self.size
        return self.smallest  # a setup open forces the minimum lot; more is the LP's choice

    def hours(self, values: dict[pulp.LpVariable, float]) -> float:
        return self.changeover + self.hours_per_unit * self.output(values)


def fit_to_capacity(
    model: PlanModel, values: dict[pulp.LpVariable, float], made: dict[tuple[str, str, int], float]
) -> dict[pulp.LpVariable, float]:
    """The rounding `values` (setups and lot counts; others pass through) with runs cut back
    until each resource-month's forced hours fit its capacity row (_room): first the lots
    rounded above what the relaxation made (`made`), the runs rounded furthest above it first;
    then lots down to each run's smallest legal run; then whole runs closed, those that made
    least first."""
    fitted = dict(values)
    room = _room(model)
    by_month: dict[tuple[str, int], list[_Run]] = defaultdict(list)
    for run in _open_runs(model, fitted, made):
        by_month[(run.key[1], run.key[2])].append(run)
    for (res, t), runs in by_month.items():
        excess = sum(run.hours(fitted) for run in runs) - room.get((res, t), math.inf)
        if excess <= EPS:
            continue
        furthest_above = sorted(runs, key=lambda r: r.made - r.output(fitted))
        for keep in (_lots_covering_made, _least_lots):
            for run in furthest_above:
                if excess > EPS:
                    excess -= _drop_lots(run, fitted, excess, keep)
        for run in sorted(runs, key=lambda r: r.made):
            if excess > EPS and _is_open(run, fitted):
                excess -= run.hours(fitted)
                if run.setup is not None:
                    fitted[run.setup] = 0.0
                if run.lots is not None:
                    fitted[run.lots] = 0.0
    return fitted


def _room(model: PlanModel) -> dict[tuple[str, int], float]:
    """Per resource and month, the hours its capacity row gives runs: its right-hand side (run
    time net of maintenance and firm hours) plus the most its overtime and the shifts fixed so
    far (shifts.py; the rounding fixes them first) add. Overload is not room: it is the
    penalised slack firm hours beyond capacity use. Unbounded room (a column without an upper
    bound) is infinite: nothing is cut there."""
    overload = set(model.variables["overload"].values())
    room: dict[tuple[str, int], float] = {}
    for key, row in model.constraints.get("Resource-capacity", {}).items():
        hours = float(row.getUb())
        for var, coefficient in row.items():
            if coefficient >= 0 or var in overload:
                continue
            hours = math.inf if var.upBound is None else hours - coefficient * var.upBound
        room[key] = hours
    return room


def _open_runs(
    model: PlanModel, values: dict[pulp.LpVariable, float], made: dict[tuple[str, str, int], float]
) -> list[_Run]:
    """The runs `values` opens, in key order: the same cut-back every time."""
    v, routes = model.variables, model.data.routings
    runs = []
    for key in sorted({*v["setup"], *v["lots"]}):
        setup, lots = v["setup"].get(key), v["lots"].get(key)
        # Closed (or not in the rounding: nothing forced) takes no hours.
        if values.get(setup, 0.0) < 0.5 if setup is not None else values.get(lots, 0.0) <= 0:
            continue
        route = routes.loc[(key[0], key[1])]
        runs.append(
            _Run(
                key,
                setup,
                lots,
                float(route["lot_multiple"]),
                legal_runs(route).smallest,
                float(route["hours_per_unit"]),
                float(route["setup_hours"]) if setup is not None else 0.0,
                made.get(key, 0.0),
            )
        )
    return runs


def _least_lots(run: _Run) -> int:
    """The fewest lots of an open run: its smallest legal run (none without a setup)."""
    return math.ceil(run.smallest / run.size - 1e-9) if run.setup is not None else 0


def _lots_covering_made(run: _Run) -> int:
    """The fewest lots covering what the relaxation made there (its smallest legal run at least)."""
    return max(_least_lots(run), math.ceil(run.made / run.size - 1e-6))


def _drop_lots(
    run: _Run, values: dict[pulp.LpVariable, float], excess: float, keep: Callable[[_Run], int]
) -> float:
    """Whole lots off the run, down to `keep` of them, until `excess` hours are taken off;
    returns the hours taken off."""
    if run.lots is None or run.size <= 0 or run.hours_per_unit <= 0:
        return 0.0
    per_lot = run.hours_per_unit * run.size
    wanted = math.ceil(excess / per_lot - 1e-9)
    dropped = max(0, min(int(values[run.lots]) - keep(run), wanted))
    values[run.lots] -= float(dropped)
    return dropped * per_lot  # a run without a setup has no changeover to give back


def _is_open(run: _Run, values: dict[pulp.LpVariable, float]) -> bool:
    if run.setup is not None:
        return values[run.setup] >= 0.5
    return run.lots is not None and values[run.lots] > 0
