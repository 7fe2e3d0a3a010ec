"""Stage 2 holds stage 1's level of unmet demand; a level the LP cannot reach is held looser."""

from __future__ import annotations

import pytest

from sop_addin.core.planning import prepare_planning_data
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.solvers import SolverRun
from sop_addin.core.planning.stages import (
    HOLD_LOOSER,
    SERVICE_ROW,
    hold_service,
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
