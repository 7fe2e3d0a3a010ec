"""A rounding cut back to the hours a month has (run_fit.py), checked by the real LP.

The tiny company (tests/factories.py): R1 has 80 h a month, A takes 1 h a unit, B 2 h.
"""

from __future__ import annotations

import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.run_fit import fit_to_capacity
from sop_addin.core.planning.solvers import run_solver
from sop_addin.core.planning.stages import fix_integers_then
from tests.factories import M1, demand, inputs_from, tiny_tables


def _model():
    # A: whole 30s with a 10 h changeover; B: whole 20s with a 5 h changeover.
    tables = tiny_tables()
    tables["Routings"]["lot_multiple"] = [30.0, 20.0]
    tables["Routings"]["setup_hours"] = [10.0, 5.0]
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 50.0, ("B", M1): 10.0}))
    return create_model(data)


def _january(model):
    v = model.variables
    return [v[kind][(sku, "R1", 0)] for sku in ("A", "B") for kind in ("setup", "lots")]


def _solves(model, values):
    runs = []
    fix_integers_then(
        model, values, lambda: runs.append(run_solver(model.problem, SolverOptions(), mip=False))
    )
    return runs[0].proven


def test_runs_rounded_past_the_month_s_hours_are_cut_back_to_a_plan():
    model = _model()
    setup_a, lots_a, setup_b, lots_b = _january(model)
    # A rounded up to 3 lots (10 + 90 = 100 h) and B to 1 lot (5 + 40 = 45 h): 145 h of 80.
    rounded = {setup_a: 1.0, lots_a: 3.0, setup_b: 1.0, lots_b: 1.0}
    made = {("A", "R1", 0): 50.0, ("B", "R1", 0): 10.0}
    assert not _solves(model, rounded)  # the real LP: no plan makes it
    fitted = fit_to_capacity(model, rounded, made)
    # First A's lot above the 50 made (2 lots: 70 h; 115 h in all); then A down to its
    # smallest run (1 lot: 40 h; 85 h); then B, which made least, closes: 40 h.
    assert [fitted[var] for var in (setup_a, lots_a, setup_b, lots_b)] == [1.0, 1.0, 0.0, 0.0]
    assert _solves(model, fitted)
    assert rounded[lots_a] == 3.0  # the rounding given is left as it was


def test_a_rounding_that_fits_is_left_as_it_is():
    model = _model()
    setup_a, lots_a, setup_b, lots_b = _january(model)
    rounded = {setup_a: 1.0, lots_a: 2.0, setup_b: 0.0, lots_b: 0.0}  # 70 h of 80
    made = {("A", "R1", 0): 50.0}
    assert fit_to_capacity(model, rounded, made) == rounded
    assert _solves(model, rounded)


@pytest.mark.parametrize("made_b", [10.0, 40.0])
def test_lots_above_what_was_made_go_before_any_run_closes(made_b):
    model = _model()
    setup_a, lots_a, setup_b, lots_b = _january(model)
    # A 1 lot (40 h), B 2 lots (5 + 80 = 85 h): 125 h of 80. B made 10: its second lot is
    # above that and goes first (85 h), then B closes, having made less than A's 30: 40 h.
    # B made 40: both its lots cover that; the second goes only as lots come down to the
    # smallest run (85 h), and then A closes, having made less than B: 45 h.
    rounded = {setup_a: 1.0, lots_a: 1.0, setup_b: 1.0, lots_b: 2.0}
    made = {("A", "R1", 0): 30.0, ("B", "R1", 0): made_b}
    fitted = fit_to_capacity(model, rounded, made)
    expected = [1.0, 1.0, 0.0, 0.0] if made_b == 10.0 else [0.0, 0.0, 1.0, 1.0]
    assert [fitted[var] for var in (setup_a, lots_a, setup_b, lots_b)] == expected
    assert _solves(model, fitted)


def test_overtime_is_room_the_rounding_keeps():
    # 40 h of overtime a month: 120 h of room. The 145 h rounding gives back only A's lot above
    # the 50 it made (2 lots: 70 h; 115 h in all), and the LP plans it with 35 h of overtime.
    tables = tiny_tables()
    tables["Routings"]["lot_multiple"] = [30.0, 20.0]
    tables["Routings"]["setup_hours"] = [10.0, 5.0]
    tables["Resources"]["overtime_hours_max"] = [40.0]
    tables["Resources"]["overtime_cost_per_hour"] = [1.0]
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 50.0, ("B", M1): 10.0}))
    model = create_model(data)
    setup_a, lots_a, setup_b, lots_b = _january(model)
    rounded = {setup_a: 1.0, lots_a: 3.0, setup_b: 1.0, lots_b: 1.0}
    made = {("A", "R1", 0): 50.0, ("B", "R1", 0): 10.0}
    fitted = fit_to_capacity(model, rounded, made)
    assert [fitted[var] for var in (setup_a, lots_a, setup_b, lots_b)] == [1.0, 2.0, 1.0, 1.0]
    assert _solves(model, fitted)
    assert model.variables["overtime"][("R1", 0)].varValue == pytest.approx(35.0)
