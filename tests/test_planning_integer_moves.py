"""integer_moves: a kept start improved one integer at a time, the level of unmet demand held."""

from __future__ import annotations

import pulp
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.integer_moves import improve_by_moves
from sop_addin.core.planning.stages import fixed_lp, fixed_lp_service, held_expression, hold_service
from tests.factories import M1, M2, demand, frame, inputs_from, tiny_tables


def _model(lots_a: tuple[float, float]):
    # R1 gives 50 h a month (10 days x 5 h) = 50 A; A runs in lots of 10 and keeps a safety
    # stock of 20, none on hand; demand 30 A a month. The start makes 50 and 40.
    tables = tiny_tables(horizon=2)
    tables["Resources"]["hours_per_day"] = [5.0]
    tables["Routings"]["lot_multiple"] = [10.0, 0.0]
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "A", "site": "S1", "on_hand": 0.0, "safety_stock": 20.0}]
    )
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 30.0, ("A", M2): 30.0}))
    model = create_model(data)
    v = model.variables
    start = {var: 1.0 for var in v["setup"].values()}
    start.update({v["lots"][("A", "R1", t)]: float(n) for t, n in enumerate(lots_a)})
    return model, start


def test_a_lot_too_many_is_moved_away_with_the_service_held():
    model, start = _model((5.0, 4.0))
    options = SolverOptions()
    level = fixed_lp_service(model, options, start)
    assert level == pytest.approx(0.0, abs=1e-6)  # 90 made: every sale served
    hold_service(model, level)
    bounds = {var: (var.lowBound, var.upBound) for var in start}
    values, cost, kept = improve_by_moves(model, options, start, seconds=60.0)
    lots = model.variables["lots"]
    # The buffer is built in January (50 made, 20 kept) and February makes only its 30:
    # 80 x 2 + 20 held two months x 0.02 = 160.8, as the plan solved without lots has it
    # (test_planning_lots.test_buffer_is_built_before_cost_is_saved).
    assert (values[lots[("A", "R1", 0)]], values[lots[("A", "R1", 1)]]) == (5.0, 3.0)
    assert kept == 1
    assert cost == pytest.approx(160.8, abs=1e-6)
    # The integers get their bounds back, and their plan is what the moves priced.
    assert {var: (var.lowBound, var.upBound) for var in start} == bounds
    run = fixed_lp(model, options, values, None)
    assert run.proven
    assert pulp.value(model.objectives["plan"]) == pytest.approx(160.8, abs=1e-6)
    assert pulp.value(held_expression(model)) == pytest.approx(0.0, abs=1e-6)


def test_no_move_that_loses_a_sale_is_kept():
    # The start makes exactly the demand and the buffer: any lot fewer loses a sale (the level
    # held says none), any lot more costs more. Nothing moves.
    model, start = _model((5.0, 3.0))
    options = SolverOptions()
    hold_service(model, fixed_lp_service(model, options, start))
    values, cost, kept = improve_by_moves(model, options, start, seconds=60.0)
    assert kept == 0
    assert values == start
    assert cost == pytest.approx(160.8, abs=1e-6)


def test_no_time_no_move():
    model, start = _model((5.0, 4.0))
    options = SolverOptions()
    hold_service(model, fixed_lp_service(model, options, start))
    values, _cost, kept = improve_by_moves(model, options, start, seconds=0.0)
    assert (values, kept) == (start, 0)
