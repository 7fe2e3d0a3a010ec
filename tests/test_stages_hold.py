"""Stage 2 holds stage 1's level of unmet demand; a level the LP cannot reach is held looser."""

from __future__ import annotations

import math

import pulp
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.solvers import SolverRun, run_solver
from sop_addin.core.planning.stages import (
    HOLD_LOOSER,
    SERVICE_ROW,
    held_rhs,
    hold_service,
    level_bound,
    rows_of,
    solve_held,
)
from tests.factories import M1, demand, inputs_from, tiny_tables


def _model():
    data = prepare_planning_data(inputs_from(tiny_tables()), demand({("A", M1): 20.0}))
    return create_model(data)


def _run(feasible: bool, seconds: float) -> SolverRun:
    return SolverRun(name="test", seconds=seconds, reason="r", feasible=feasible, proven=feasible)


def test_a_level_out_of_reach_is_held_a_millionth_looser_once_and_from_then_on():
    model = _model()
    hold_service(model, 5000.0)
    tight = rows_of(model.problem)[SERVICE_ROW].getUb()
    assert tight == pytest.approx(5000.0 + 1e-7 + 5e-9)
    answers = iter([_run(False, 2.0), _run(True, 3.0)])
    run = solve_held(model, lambda: next(answers))
    assert run.feasible and run.seconds == 5.0  # both solves counted
    assert model.loose_hold and model.held_level == 5000.0
    loose = rows_of(model.problem)[SERVICE_ROW].getUb()
    assert loose == pytest.approx(tight + HOLD_LOOSER * 5000.0)
    hold_service(model, 4000.0)  # later holds start looser
    assert rows_of(model.problem)[SERVICE_ROW].getUb() == pytest.approx(
        4000.0 + 1e-7 + 4e-9 + HOLD_LOOSER * 4000.0
    )
    # Already loose: a failure is the answer, not a reason to solve again.
    calls = []
    failed = solve_held(model, lambda: calls.append(1) or _run(False, 1.0))
    assert not failed.feasible and calls == [1]


def test_without_a_held_level_a_failed_solve_is_not_repeated():
    model = _model()
    calls = []
    run = solve_held(model, lambda: calls.append(1) or _run(False, 1.0))
    assert not run.feasible and calls == [1] and not model.loose_hold


def _cost_model():
    """One month, 20 A wanted, lot rules relaxed, the problem's objective the plan's cost."""
    data = prepare_planning_data(inputs_from(tiny_tables(horizon=1)), demand({("A", M1): 20.0}))
    model = create_model(data, relax_lots=True)
    model.problem.setObjective(model.objectives["plan"])
    return data, model


def test_a_bound_at_a_lower_level_follows_from_the_held_rows_price():
    # One month, 20 A wanted, made at 2.0 a unit (tiny_tables): held at 10 units lost, the cost
    # LP makes 10 for 20.0, and each unit of weighted unmet demand served more costs
    # 2.0 / (A's unmet penalty). Held at 4 units lost it makes 16 for 32.0: the bound from
    # the first LP's price, without solving the second.
    data, model = _cost_model()
    penalty = float(data.products.at["A", "unmet_penalty"])
    hold_service(model, 10.0 * penalty)
    assert run_solver(model.problem, SolverOptions(), mip=False).proven
    first = level_bound(model)
    assert first.value == pytest.approx(20.0, abs=1e-6)
    assert first.price == pytest.approx(2.0 / penalty, rel=1e-6)
    assert first.level == pytest.approx(held_rhs(model))
    hold_service(model, 4.0 * penalty)
    assert first.at(held_rhs(model)) == pytest.approx(32.0, abs=1e-5)
    assert run_solver(model.problem, SolverOptions(), mip=False).proven
    assert pulp.value(model.objectives["plan"]) == pytest.approx(32.0, abs=1e-6)
    # Serving less never lowers the bound below the LP's own.
    assert first.at(first.level + 5.0 * penalty) == first.value


def test_without_a_level_held_the_bound_is_the_lps_own():
    _data, model = _cost_model()
    assert run_solver(model.problem, SolverOptions(), mip=False).proven
    bound = level_bound(model)
    assert bound.price == 0.0 and bound.level == math.inf and held_rhs(model) == math.inf
    assert bound.at(0.0) == bound.value == pytest.approx(0.0, abs=1e-9)  # nothing made
