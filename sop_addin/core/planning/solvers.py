"""Solver adapters: HiGHS (highspy) and CBC (bundled with PuLP), run on a PuLP problem.

Each run reports what the solver proved, in its own words and as figures: PuLP's status says
"Optimal" for a HiGHS or CBC run stopped by its time limit with any answer, so the adapters read
the solver's model status, its primal solution status and its gap instead, and only a solution
the solver proved feasible counts as a plan.

HiGHS is the default and runs its dual simplex for LPs: on this model benchmarks/bench_plan.py
measured it 2-3.6x faster than HiGHS's interior point and ahead of CBC at every size; a basic
solution also gives the duals the explanations need.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pulp

SOLVERS = ("highs", "cbc")
DEFAULT_SOLVER = "highs"  # fastest (with its simplex) on every size of bench_plan.py
HIGHS_METHODS = ("ipm", "simplex", "choose")
# A lot-size MILP can search for hours; without a limit from the caller it stops here and
# reports the gap it proved (the LP path has no default limit: it always finishes).
MIP_TIME_LIMIT = 120.0
# A gap at or below this (relative; unmet demand's to its level, at least 1) is roundoff, not a
# gap, as HiGHS's own default optimality gap (1e-4) has it: HiGHS proves a MIP within its
# tolerances (1e-6 absolute, 1e-7 feasibility), and the final LPs, re-solving the plan with its
# integers fixed, may serve a sale a month sooner (a 1e-5 tie-break, build.SOONER) at a cost
# the search's bound did not count. Asked for no gap, random small cases ended 1e-9 to 1.2e-5
# above their bound on cost and 1e-7 on unmet demand, and were reported unproven.
PROVEN_OPTIMAL_GAP = 1e-4


class SolverError(RuntimeError):
    """The solver could not produce a plan (not available, or no proven-feasible plan in time)."""


@dataclass(frozen=True)
class SolverOptions:
    """Which solver to use, how long it may take and how exact a MILP answer must be.

    Attributes:
        solver: "highs" or "cbc".
        time_limit: seconds for the whole solve (None: no limit for an LP, MIP_TIME_LIMIT for
            a MILP).
        mip_gap: relative MIP gap on cost at which the search stops (0.01 = within 1% of the
            cheapest plan that serves as much demand); lost sales are never inside this gap.
        relax_lots: solve the LP relaxation of the lot rules (fast; lot rules not enforced).
        highs_method: HiGHS's LP algorithm: "ipm" (interior point), "simplex" or "choose".
        whole_units: round production and purchases to whole packs after the solve
            (whole_units.py); False keeps the solver's fractions (``sop run --fractional``).
    """

    solver: str = DEFAULT_SOLVER
    time_limit: float | None = None
    mip_gap: float = 0.01
    relax_lots: bool = False
    highs_method: str = "simplex"
    whole_units: bool = True


@dataclass(frozen=True)
class SolverRun:
    """One solver call: what it found and what it proved.

    Attributes:
        name: the solver and its version.
        seconds: wall time of the call.
        reason: the solver's own words for how it stopped.
        feasible: a solution the solver proved feasible is loaded into the problem.
        proven: the solution is optimal (LP) or within the asked gap (MIP).
        objective: the solution's objective value.
        bound: the best bound on the objective (MIP only).
        gap: |objective - bound| / |objective| (MIP only).
        nodes: branch-and-bound nodes the MIP finished (HiGHS only; 0 or 1: it never left
            its root).
        misreported: HiGHS's objective for the MIP was not what its solution costs (the
            objective is then the solution's, and nothing is proven; see _highs_run).
    """

    name: str
    seconds: float
    reason: str
    feasible: bool
    proven: bool
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    misreported: bool = False


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


WARM_ATTRIBUTE = "_sop_warm_lps"  # where a problem keeps its HiGHS LPs between solves
MARK_ATTRIBUTE = "_sop_marked_bases"  # bases set aside for later LPs, by name (mark_basis)
# An LP run with `follow` starts from the latest kept basis only when that model's cold solve
# took at least this long: below, cold is as quick, and its dual simplex leaves rows closer to
# exact (the primal simplex from stage 1's basis left a 40-product balance 1.3e-9 off, against
# 1e-14).
FOLLOW_COLD_SECONDS = 1.0
WARM_MODELS = 3  # HiGHS LPs kept per problem, one per objective, the latest last
WARM_PATIENCE = 3.0  # a warm re-solve gets this many times its model's cold solve, then cold
WARM_PATIENCE_FLOOR = 2.0  # seconds, at least
# A part of the objective gets less: warm from the whole's basis it took 0.04-0.5 s at 400
# products when it went well (cold solve 1.4-3 s) and 19-36 s when it crawled; at 2000, 2.9 s
# against more than 5 minutes (cold 65-90 s).
PART_PATIENCE = 0.5
# ... and is solved by the primal simplex: the whole's optimal basis is feasible for the part
# (the same rows), where the dual simplex starts from a basis 16,700 columns dual infeasible.
# At 2000 products the unmet demand then took 102 iterations (0.2 s) warm from the weighted
# whole's basis, against more than 5 minutes of the dual simplex (HiGHS's simplex_strategy).
PRIMAL_SIMPLEX, DUAL_SIMPLEX = 4, 1
# HiGHS solves an LP whose largest cost is above this scaled by a power of two (its own
# user_objective_scale option; the answer and the duals come back unscaled): see
# objective_scale.
LARGEST_COST = 1e6
MISREPORT_TOLERANCE = 1e-6  # relative: a MIP's objective further from its solution's cost
MIP_OVERRUN_GRACE = 1.0  # seconds past a MIP's limit before the callback interrupts it


@dataclass
class _HiGHSModel:
    """A HiGHS model kept between solves: the rows it holds (by identity, in its order; a row
    gone from the problem stays, freed) and how long its first (cold) solve took."""

    highs: Any
    rows: list[pulp.LpConstraint]
    cold_seconds: float = 0.0


@dataclass
class _WarmLP:
    """An objective solved in a kept HiGHS model, and the basis it ended with once the model
    moved on to another objective (None: the model's basis is still this objective's)."""

    model: _HiGHSModel
    cost: np.ndarray
    columns: int
    basis: Any = None

    @property
    def highs(self) -> Any:
        return self.model.highs


def _warm_for(lp: pulp.LpProblem, cost: np.ndarray) -> _WarmLP | None:
    """The kept LP to re-solve this objective in, if any (see HiGHSBulk): the latest with this
    objective or one it is a part of (its basis holds the integers as last fixed: the unmet
    demand with the start's setups fixed took 5 s from it, 56 s from the unfixed relaxation's
    basis), else an older one with this objective (its basis restored). The same variables
    with other weights start cold (warm, that took 110-170 s)."""
    kept = _kept_for(lp, cost)
    if kept:
        latest = kept[-1]
        within = (cost == 0) | (latest.cost != 0)
        part = within.all() and np.count_nonzero(cost) < np.count_nonzero(latest.cost)
        if part or np.array_equal(latest.cost, cost):
            return latest
    for warm in reversed(kept):
        if np.array_equal(warm.cost, cost):
            return warm
    return None


def _kept_for(lp: pulp.LpProblem, cost: np.ndarray) -> list[_WarmLP]:
    """The kept LPs over the same variables, the latest last."""
    return [w for w in getattr(lp, WARM_ATTRIBUTE, []) if w.columns == len(cost)]


def _to_follow(lp: pulp.LpProblem, cost: np.ndarray) -> _WarmLP | None:
    """The latest kept LP, whatever its objective, when its cold solve was slow enough for a
    warm start to pay (FOLLOW_COLD_SECONDS; see run_solver's `follow`)."""
    kept = _kept_for(lp, cost)
    if kept and kept[-1].model.cold_seconds >= FOLLOW_COLD_SECONDS:
        return kept[-1]
    return None


@dataclass
class _Mark:
    """A basis set aside (mark_basis): the kept model it was solved in and its objective."""

    model: _HiGHSModel
    cost: np.ndarray
    basis: Any


def mark_basis(lp: pulp.LpProblem, name: str) -> None:
    """Set aside the basis the latest LP ended with, under `name`, for a later
    run_solver(..., from_mark=name).

    The LP relaxation's basis is feasible for every later relaxation over its rows: the cost
    with a level of unmet demand held (a row its solution meets, or nearly) and the relaxation
    again with cuts added. The kept model's own basis moves on with the start's LPs (integers
    fixed: a basis no longer feasible once they are freed), so it is kept apart here."""
    kept = getattr(lp, WARM_ATTRIBUTE, [])
    if kept:
        latest = kept[-1]
        marks = getattr(lp, MARK_ATTRIBUTE, {})
        marks[name] = _Mark(latest.model, latest.cost, latest.highs.getBasis())
        setattr(lp, MARK_ATTRIBUTE, marks)


def _mark_for(lp: pulp.LpProblem, name: str | None, cost: np.ndarray) -> _Mark | None:
    mark = getattr(lp, MARK_ATTRIBUTE, {}).get(name)
    return mark if mark is not None and len(mark.cost) == len(cost) else None


def has_warm_lp(lp: pulp.LpProblem) -> bool:
    """Whether the problem keeps a HiGHS LP to re-solve warm in (see HiGHSBulk)."""
    return bool(getattr(lp, WARM_ATTRIBUTE, None))


def forget_warm(lp: pulp.LpProblem) -> None:
    """Let the HiGHS models kept for warm re-solves go (memory: a model per objective)."""
    for attribute in (WARM_ATTRIBUTE, MARK_ATTRIBUTE):
        if hasattr(lp, attribute):
            delattr(lp, attribute)


def _keep_warm(lp: pulp.LpProblem, warm: _WarmLP) -> None:
    """Keep the objective just solved, the latest last (one entry per objective)."""
    kept = [w for w in getattr(lp, WARM_ATTRIBUTE, []) if not np.array_equal(w.cost, warm.cost)]
    setattr(lp, WARM_ATTRIBUTE, [*kept, warm][-WARM_MODELS:])


def _move_on(lp: pulp.LpProblem, model: _HiGHSModel, cost: np.ndarray) -> None:
    """The model is about to solve `cost`: the objective whose basis it holds keeps that basis
    (the start's LPs after the unmet demand's bound: at 2000 products the first of them took
    78 s cold, the relaxation's basis thrown away by the bound's solve in the same model)."""
    for warm in getattr(lp, WARM_ATTRIBUTE, []):
        if warm.model is model and warm.basis is None and not np.array_equal(warm.cost, cost):
            warm.basis = model.highs.getBasis()


def objective_scale(cost: np.ndarray) -> int:
    """The power of two HiGHS scales the costs by so that the largest is at most LARGEST_COST
    (0: none), as HiGHS's own warning recommends.

    With the unmet demand weighted first (stages.service_weight, up to 1e4) and the elastic
    slacks' penalty above that (data.big_penalty), the weighted objective's largest cost was
    9e9 at 400 products and 3e10 at 2000, where HiGHS warns that the problem is badly scaled:
    there its dual simplex took 235 s on the LP relaxation (164,000 iterations), and 49 s
    with the costs scaled by 2^-15, to the same optimum (3,232,169,070.7).
    """
    largest = float(np.max(np.abs(cost), initial=0.0))
    if largest <= LARGEST_COST:
        return 0
    return -math.ceil(math.log2(largest / LARGEST_COST))


def _simplex(highs: Any, primal: bool) -> None:
    """The primal simplex for the next run of a kept model from a basis feasible for it (see
    PRIMAL_SIMPLEX), else HiGHS's default dual simplex. Set before every run of a kept model:
    the option stays with it."""
    highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX if primal else DUAL_SIMPLEX)


def _scale_costs(highs: Any, cost: np.ndarray | None) -> None:
    """Set HiGHS's cost scale for the next run (objective_scale; None: unscaled)."""
    highs.setOptionValue("user_objective_scale", 0 if cost is None else objective_scale(cost))


def _restore_basis(highs: Any, basis: Any, rows: int) -> None:
    """Give HiGHS a basis kept from an earlier solve; rows added since are basic (their
    slacks), as a new row's is."""
    import highspy

    status = list(basis.row_status)
    if len(status) < rows:
        basis.row_status = status + [highspy.HighsBasisStatus.kBasic] * (rows - len(status))
    highs.setBasis(basis)


def _interrupt_after(highs: Any, seconds: float) -> None:
    """Stop a MIP run at its time limit through HiGHS's interrupt callback too: HiGHS checks
    its own limit too seldom in the root's cut rounds and sub-MIPs (a 79 s limit ran 286 s at
    400 SKUs). The run then ends "Interrupted by user" with what it found."""
    deadline = time.perf_counter() + seconds + MIP_OVERRUN_GRACE

    def stop_when_late(event: Any) -> None:
        if time.perf_counter() > deadline:
            event.interrupt()

    highs.cbMipInterrupt += stop_when_late


def _limit_run(highs: Any, seconds: float | None) -> None:
    """The next run's time limit. HiGHS's clock runs on over every run() of one instance
    (ERGO-Code/HiGHS#1331, #1477) and highspy has no zeroAllClocks: it counts from where the
    clock stands."""
    import highspy

    limit = highspy.kHighsInf if seconds is None else highs.getRunTime() + seconds
    highs.setOptionValue("time_limit", float(limit))


def _time_limit() -> Any:
    import highspy

    return highspy.HighsModelStatus.kTimeLimit


def _retry_statuses() -> tuple[Any, ...]:
    import highspy

    status = highspy.HighsModelStatus
    return (status.kUnknown, status.kSolveError, status.kPostsolveError, status.kNotset)


class HiGHSBulk(pulp.HiGHS):
    """PuLP's HiGHS, loading the model in bulk, re-solving LPs warm and taking a MIP start.

    PuLP's own adapter adds one column and one row per highspy call, which took longer than the
    solve on the 400-product plan; here the columns and rows go in as arrays.

    The planner solves one LP many times with a few integers fixed or cut rows added (cut
    rounds, the two stages, the re-solves with the setups fixed); cold, one of those took 60 to
    120 s at 400 products (dual simplex on the degenerate unmet-demand objective), warm under a
    second. So the problem keeps its HiGHS models and, per objective, the basis it last ended
    with, and an LP with the same objective is re-solved in its model from that basis (given
    back when the model has solved another objective since): only bounds and the rows added
    or removed since change. An objective that is a part of the latest one (the unmet demand
    out of the weighted whole) starts from the latest basis too; when that runs out of
    patience, the whole is solved again cold and the part warm from its new basis. Any other
    change of objective starts cold (warm from the unmet-demand basis, the weighted objective
    took 110-170 s, cold 1.4 s), unless the caller names a basis its LP is feasible from:
    the latest (run_solver's `follow`) or one set aside (mark_basis). A MIP is built fresh. A
    partial start (integer values) is completed by HiGHS fixing those integers and solving the
    LP; a start it cannot complete is dropped, so a poor start costs a moment and never a wrong
    answer.
    """

    start: dict[pulp.LpVariable, float] | None = None
    warm_started = False
    fresh = False  # build a new HiGHS model, whatever is kept (see run_solver)
    kept: _WarmLP | None = None
    whole: np.ndarray | None = None  # the objective this one is a part of, warm from it
    cost: np.ndarray | None = None  # this call's objective
    follow = False  # an LP over another objective from the latest basis (see run_solver)
    from_mark: str | None = None  # an LP from a basis set aside by mark_basis (run_solver)
    primal = False  # this LP starts warm by the primal simplex (_warm_start)

    def _warm_options(self, fresh: Any, highs: Any) -> None:
        """PuLP set this call's options on a fresh instance: carry them to the kept one."""
        for name in ("output_flag", "time_limit", "solver", *self.optionsDict):
            _status, value = fresh.getOptionValue(name)  # no limit: HiGHS's infinity
            highs.setOptionValue(name, value)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:  # PuLP's method name
        import highspy

        inf = highspy.kHighsInf
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        variables = lp.variables()
        objective = lp.objective
        n = len(variables)
        cost, lower, upper = np.zeros(n), np.full(n, -inf), np.full(n, inf)
        integers = []
        for i, var in enumerate(variables):
            var.index = i
            cost[i] = sign * objective.get(var, 0.0)
            if var.lowBound is not None:
                lower[i] = var.lowBound
            if var.upBound is not None:
                upper[i] = var.upBound
            if var.cat == pulp.LpInteger and self.mip:
                integers.append(i)
        rows = list(lp._constraints.values())
        m = len(rows)
        row_lower, row_upper = np.full(m, -inf), np.full(m, inf)
        for r, constraint in enumerate(rows):
            constraint.index = r
            low, high = constraint.getLb(), constraint.getUb()
            if low is not None:
                row_lower[r] = low
            if high is not None:
                row_upper[r] = high
        self.cost = cost
        model, basis = (None, None) if self.mip else self._warm_start(lp, cost)
        self.warm_started = model is not None
        self.kept = None
        if model is None:
            highs = lp.solverModel
            highs.addCols(
                n, cost, lower, upper, 0, np.zeros(1, np.int32), np.zeros(0, np.int32), []
            )
            if integers:
                cols = np.array(integers, dtype=np.int32)
                kinds = np.full(len(cols), highspy.HighsVarType.kInteger)
                highs.changeColsIntegrality(len(cols), cols, kinds)
            _add_rows(highs, rows, row_lower, row_upper)
            model = _HiGHSModel(highs, rows)
        else:
            _move_on(lp, model, cost)
            self._warm_options(lp.solverModel, model.highs)
            highs = lp.solverModel = model.highs
            columns = np.arange(n, dtype=np.int32)
            highs.changeColsCost(n, columns, cost)
            highs.changeColsBounds(n, columns, lower, upper)
            model.rows = _update_rows(highs, model.rows, rows, row_lower, row_upper)
            if basis is not None:
                _restore_basis(highs, basis, len(model.rows))
        if not self.mip:
            self.kept = _WarmLP(model, cost, n)
            _keep_warm(lp, self.kept)

    def _warm_start(self, lp: pulp.LpProblem, cost: np.ndarray) -> tuple[Any, Any]:
        """The kept model an LP starts in and the basis it starts from ((None, None): a new
        model, cold); sets `primal` (and `whole`, for a part of the objective).

        A basis set aside (from_mark) first: over another objective it is feasible, so the
        primal simplex; over the same only rows or bounds moved, so the dual. Else, unless
        `fresh`: this objective's own kept basis, or the whole's it is a part of (primal), or
        with `follow` the latest one (primal)."""
        self.primal, self.whole = False, None
        mark = _mark_for(lp, self.from_mark, cost)
        if mark is not None:
            self.primal = not np.array_equal(mark.cost, cost)
            return mark.model, mark.basis
        if self.fresh:
            return None, None
        warm = _warm_for(lp, cost)
        if warm is None and self.follow:
            warm = _to_follow(lp, cost)
            self.primal = warm is not None
        elif warm is not None and not np.array_equal(warm.cost, cost):
            self.whole = warm.cost
            self.primal = True
        return (None, None) if warm is None else (warm.model, warm.basis)

    def callSolver(self, lp: pulp.LpProblem) -> None:  # PuLP's method name
        if self.start:
            # PuLP numbers only the variables the model uses: a setup or order binary whose
            # run is closed sits in no constraint and has no index to start from.
            items = [
                (var.index, value)
                for var, value in self.start.items()
                if getattr(var, "index", None) is not None
            ]
            if items:
                index = np.array([i for i, _ in items], dtype=np.int32)
                values = np.array([v for _, v in items], dtype=np.float64)
                lp.solverModel.setSolution(len(items), index, values)
        highs = lp.solverModel
        if self.mip and self.timeLimit is not None:
            _interrupt_after(highs, float(self.timeLimit))
        # A MIP's costs stay as they are: HiGHS would measure its absolute gap (gap_abs) on
        # the scaled objective.
        _scale_costs(highs, None if self.mip else self.cost)
        if not self.warm_started:
            started = time.perf_counter()
            highs.run()
            if self.kept is not None:
                self.kept.model.cold_seconds = time.perf_counter() - started
            return
        # Warm, HiGHS's primal simplex can crawl where the basis lost dual feasibility (rows
        # removed: the final re-solve at 400 SKUs took 188 s against about 1 s cold): after
        # WARM_PATIENCE times the model's cold solve the same LP starts again cold.
        limit = self.timeLimit
        cold = self.kept.model.cold_seconds if self.kept else 0.0
        primal = self.primal
        share = PART_PATIENCE if primal else WARM_PATIENCE
        patience = max(WARM_PATIENCE_FLOOR, share * cold)
        started = time.perf_counter()
        _limit_run(highs, patience if limit is None else min(patience, float(limit)))
        _simplex(highs, primal)
        highs.run()
        spent = time.perf_counter() - started
        status = highs.getModelStatus()
        impatient = status == _time_limit() and (limit is None or spent < float(limit))
        if impatient or status in _retry_statuses():
            # Also when the warm basis left HiGHS without an answer (seen: "Unknown" after
            # bounds fixed on a 12-product plan): the same LP from scratch has one.
            highs.clearSolver()
            if self.whole is not None and self.kept is not None:
                # A part of the objective (the unmet demand) is degenerate cold: the whole
                # first, cold, then the part warm from its fresh basis (at 400 products: 27 s
                # cold; the whole 3-4 s, then the part 0.2 s).
                self._solve_in(highs, self.whole, limit, started, primal=False)
                self._solve_in(highs, self.kept.cost, limit, started, primal=True)
                return
            _limit_run(highs, None if limit is None else max(float(limit) - spent, 1.0))
            _simplex(highs, primal=False)
            highs.run()

    @staticmethod
    def _solve_in(
        highs: Any, cost: np.ndarray, limit: float | None, started: float, primal: bool
    ) -> None:
        """Solve the model again over `cost` (by the primal simplex with `primal`), within what
        is left of the call's limit."""
        columns = np.arange(len(cost), dtype=np.int32)
        highs.changeColsCost(len(cost), columns, cost)
        _scale_costs(highs, cost)
        _simplex(highs, primal)
        left = None if limit is None else max(limit - (time.perf_counter() - started), 1.0)
        _limit_run(highs, left)
        highs.run()


def _update_rows(
    highs: Any,
    before: list[pulp.LpConstraint],
    rows: list[pulp.LpConstraint],
    low: np.ndarray,
    high: np.ndarray,
) -> list[pulp.LpConstraint]:
    """Bring the kept HiGHS model's rows to the problem's; return the rows HiGHS now holds.

    A row is the same while it is the same constraint object (a changed row is a new one). A
    row removed from the problem is freed in HiGHS (bounds -inf, inf), not deleted: deleting
    rows from the middle (the fixed re-solve drops the cuts and the caps of open runs) left a
    basis that took 165 s to repair at 400 products. New rows go at the end. Each row's index
    is set to its place in HiGHS, which is where PuLP reads its value and dual.
    """
    inf = np.inf
    place = {id(row): i for i, row in enumerate(before)}
    now = {id(row) for row in rows}
    gone = np.array([i for i, row in enumerate(before) if id(row) not in now], dtype=np.int32)
    if len(gone):
        free = np.full(len(gone), inf)
        highs.changeRowsBounds(len(gone), gone, -free, free)
    kept = np.array([place.get(id(row), -1) for row in rows], dtype=np.int32)
    old = kept >= 0
    if old.any():
        highs.changeRowsBounds(int(old.sum()), kept[old], low[old], high[old])
    added = [r for r in range(len(rows)) if kept[r] < 0]
    for r in range(len(rows)):
        rows[r].index = int(kept[r])
    for k, r in enumerate(added):
        rows[r].index = len(before) + k
    _add_rows(highs, [rows[r] for r in added], low[added], high[added])
    return [*before, *(rows[r] for r in added)]


def _add_rows(highs: Any, rows: list[pulp.LpConstraint], low: np.ndarray, high: np.ndarray) -> None:
    """Append the rows to the HiGHS model in one call (their column indices are set)."""
    if not rows:
        return
    starts = np.zeros(len(rows), dtype=np.int32)
    index: list[int] = []
    value: list[float] = []
    for r, constraint in enumerate(rows):
        starts[r] = len(index)
        for var, coefficient in constraint.items():
            if coefficient:
                index.append(var.index)
                value.append(coefficient)
    highs.addRows(
        len(rows),
        low,
        high,
        len(index),
        starts,
        np.array(index, dtype=np.int32),
        np.array(value, dtype=np.float64),
    )


def make_solver(
    options: SolverOptions,
    mip: bool,
    log_path: Path | None = None,
    start: dict[pulp.LpVariable, float] | None = None,
    gap_abs: float | None = None,
    time_limit: float | None = None,
    fresh: bool = False,
    seed: int | None = None,
    follow: bool = False,
    from_mark: str | None = None,
) -> tuple[pulp.LpSolver, str]:
    """A PuLP solver object for the options; HiGHS falls back to CBC when highspy is missing.

    Args:
        options: the caller's solver options.
        mip: solve with integrality (False: the LP, integrality ignored).
        log_path: where CBC writes its log (read back for its bound and gap).
        start: integer values of a feasible plan to start a MIP from.
        gap_abs: an absolute MIP gap, besides the relative one asked (whichever comes first).
        time_limit: seconds for this call (default: the options' limit).
        fresh: solve in a new HiGHS model, not warm in a kept one (see run_solver).
        seed: HiGHS's random seed for a MIP (None: its default, 0); CBC ignores it.
        follow: an LP over another objective from the latest kept basis (see run_solver).
        from_mark: an LP from the basis set aside by that name (see run_solver).
    """
    name = options.solver.lower()
    limit = options.time_limit if time_limit is None else time_limit
    gap_rel = options.mip_gap  # HiGHS and CBC stop at whichever gap is reached first
    if name == "highs":
        params: dict[str, Any] = {}
        if not mip:
            if options.highs_method not in HIGHS_METHODS:
                msg = (
                    f"unknown HiGHS method {options.highs_method!r}; choose one of {HIGHS_METHODS}"
                )
                raise SolverError(msg)
            params["solver"] = options.highs_method
        else:
            if seed is not None:
                params["random_seed"] = seed
            if start:
                # Given a start, HiGHS's restart (presolving again from the root with the
                # incumbent) cut off the optimum of a two-product case and called the start
                # optimal, 1.3% above it (HiGHS 1.11-1.16; tests/test_planning_lexicographic.py,
                # seed 1192). Without the restart, or without the start, it finds the optimum.
                params["mip_allow_restart"] = False
        solver = HiGHSBulk(
            msg=False, timeLimit=limit, gapRel=gap_rel, gapAbs=gap_abs, mip=mip, **params
        )
        solver.start = start if mip else None
        solver.fresh = fresh
        solver.follow = follow
        solver.from_mark = from_mark
        if solver.available():
            return solver, f"HiGHS {package_version('highspy')}"
        name = "cbc"  # highspy missing: CBC ships inside PuLP
    if name == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 warns that the bundled CBC moves to an extra in PuLP 4 (Python >= 3.12).
            warnings.simplefilter("ignore", DeprecationWarning)
            cbc = pulp.PULP_CBC_CMD(
                msg=False,
                warmStart=bool(start) and mip,
                timeLimit=limit,
                gapRel=gap_rel if mip else None,
                gapAbs=gap_abs if mip else None,
                mip=mip,
                logPath=str(log_path) if log_path else None,
            )
        return cbc, f"CBC (PuLP {pulp.__version__})"
    msg = f"unknown solver {options.solver!r}; choose one of {', '.join(SOLVERS)}"
    raise SolverError(msg)


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the solver's own banner (HiGHS prints it from C++ before msg=False applies)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no real stdout (e.g. inside Excel): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


_CBC_FIGURES = {
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.M),
    "bound": re.compile(r"^Lower bound:\s+(\S+)", re.M),
    "result": re.compile(r"^Result - (.+)$", re.M),
}


def _cbc_log(path: Path) -> dict[str, str]:
    text = path.read_text(errors="replace") if path.exists() else ""
    found = {k: rx.search(text) for k, rx in _CBC_FIGURES.items()}
    return {k: m.group(1).strip() for k, m in found.items() if m}


def _float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def within_gap(gap: float, asked: float) -> bool:
    """A relative gap within the one asked: roundoff (PROVEN_OPTIMAL_GAP) when no gap is asked."""
    return gap <= max(asked, PROVEN_OPTIMAL_GAP) + 1e-9


def relative_gap(objective: float, bound: float) -> float:
    """|objective - bound| / |objective|, the way HiGHS measures it (0 when both are 0)."""
    if abs(objective - bound) <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _highs_run(problem: pulp.LpProblem, mip: bool) -> dict[str, Any]:
    import highspy

    highs = problem.solverModel
    status = highs.getModelStatus()
    info = highs.getInfo()
    # 2 = kSolutionStatusFeasible: the solver checked the point against every row and bound.
    feasible = int(info.primal_solution_status) == 2
    figures: dict[str, Any] = {
        "reason": highs.modelStatusToString(status),
        "feasible": feasible,
        # For a MIP, kOptimal means "within mip_rel_gap / mip_abs_gap"; for an LP, optimal.
        "proven": feasible and status == highspy.HighsModelStatus.kOptimal,
        "objective": float(info.objective_function_value) if feasible else None,
    }
    if mip and feasible:
        figures["bound"] = float(info.mip_dual_bound)
        # The plan's own cost, not HiGHS's word for it: given a start, HiGHS 1.16 was seen
        # to report an incumbent (and a bound, and "Optimal") 0.2% below what the solution it
        # returned costs, on a two-product case (like ERGO-Code/HiGHS#2439: an objective
        # compared across its presolved and original spaces). Its bound is kept (there it was
        # below the optimum); its claim of optimality is not.
        cost = float(pulp.value(problem.objective) or 0.0)
        if abs(cost - figures["objective"]) > MISREPORT_TOLERANCE * max(1.0, abs(cost)):
            reported = figures["objective"]
            figures["proven"] = False
            figures["misreported"] = True
            figures["reason"] += f" (HiGHS reported {reported:.6g}; the plan costs {cost:.6g})"
            figures["objective"] = cost
        figures["gap"] = relative_gap(figures["objective"], figures["bound"])
    if mip:
        figures["nodes"] = int(info.mip_node_count)
    return figures


def _cbc_run(problem: pulp.LpProblem, log_path: Path, mip: bool) -> dict[str, Any]:
    cbc = _cbc_log(log_path)
    found = problem.status == pulp.LpStatusOptimal and problem.sol_status in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    )
    result = cbc.get("result", pulp.LpStatus[problem.status])
    figures: dict[str, Any] = {
        "reason": result,
        "feasible": found,
        "proven": found and (not mip or result.startswith("Optimal solution found")),
        "objective": float(pulp.value(problem.objective) or 0.0) if found else None,
    }
    if mip and found:
        objective, bound = _float(cbc.get("objective")), _float(cbc.get("bound"))
        if bound is None and figures["proven"]:
            bound = objective  # search completed: proven within the gap, no bound printed
        if objective is not None and bound is not None:
            # CBC's own "Gap:" line is not always its final relative gap: compute it.
            figures["bound"] = bound
            figures["gap"] = relative_gap(objective, bound)
    return figures


def run_solver(
    problem: pulp.LpProblem,
    options: SolverOptions,
    mip: bool,
    start: dict[pulp.LpVariable, float] | None = None,
    gap_abs: float | None = None,
    time_limit: float | None = None,
    fresh: bool = False,
    seed: int | None = None,
    follow: bool = False,
    from_mark: str | None = None,
) -> SolverRun:
    """Solve the problem once and say what the solver proved (see make_solver for the args).

    fresh: solve an LP in a new HiGHS model (presolved, cold), not warm in a kept one; the
        kept ones stay for their objectives.
    follow: an LP over an objective no kept model has solved starts from the latest kept
        basis by the primal simplex (a new model otherwise), for an LP the latest solution is
        feasible for: stage 2 after stage 1, with a row holding the level stage 1 reached.
        At 2000 products stage 2 took 390 primal iterations (4.5 s) from stage 1's basis;
        cold, the dual simplex ended "Unknown" after 49 s and took 42 s more with the level
        held looser (stages.solve_held). It gets a part's patience (PART_PATIENCE), then
        starts again cold. Only where that model's cold solve took FOLLOW_COLD_SECONDS.
    from_mark: an LP starts in the model and from the basis mark_basis set aside under this
        name (the primal simplex over another objective, the dual over the same), whatever
        `fresh` says; without such a mark, as `fresh` says.

    A MIP HiGHS misreports from a start (_highs_run) is solved once more without it, in the
    time left: on a two-product case that second solve proved the plan the first had found.
    """
    args = (options, mip, start, gap_abs, time_limit, fresh, seed, follow, from_mark)
    run = _solve_once(problem, *args)
    if not (run.misreported and start):
        return run
    # Once more without the start (the misreport came with one, _highs_run), in the time left;
    # the better plan of the two stays loaded.
    first = {var: var.varValue for var in problem.variables()}
    left = None if time_limit is None else max(time_limit - run.seconds, 1.0)
    again = _solve_once(problem, options, mip, None, gap_abs, left, fresh, seed, follow, from_mark)
    seconds = run.seconds + again.seconds
    if (
        again.feasible
        and not again.misreported
        and (again.objective or 0.0)
        <= (run.objective or 0.0) + MISREPORT_TOLERANCE * max(1.0, abs(run.objective or 0.0))
    ):
        return replace(again, seconds=seconds)
    for var, value in first.items():
        var.varValue = value
    return replace(run, seconds=seconds)


def _solve_once(
    problem: pulp.LpProblem,
    options: SolverOptions,
    mip: bool,
    start: dict[pulp.LpVariable, float] | None,
    gap_abs: float | None,
    time_limit: float | None,
    fresh: bool,
    seed: int | None,
    follow: bool,
    from_mark: str | None,
) -> SolverRun:
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver, name = make_solver(
            options, mip, log_path, start, gap_abs, time_limit, fresh, seed, follow, from_mark
        )
        started = time.perf_counter()
        with warnings.catch_warnings(), _quiet_stdout():
            warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3.3's notices about PuLP 4
            try:
                problem.solve(solver)
            except pulp.PulpSolverError as exc:
                msg = f"the solver {name} failed: {exc}"
                raise SolverError(msg) from exc
        seconds = time.perf_counter() - started
        highs = "HiGHS" in name
        figures = _highs_run(problem, mip) if highs else _cbc_run(problem, log_path, mip)
    return SolverRun(name=name, seconds=seconds, **figures)
