"""HiGHS's costs scaled when they are too large (solvers.objective_scale): the answer, its
objective and its duals come back in the model's own units."""

from __future__ import annotations

import numpy as np
import pulp
import pytest

from sop_addin.core.planning.solvers import SolverOptions, objective_scale, run_solver


@pytest.mark.parametrize(
    ("largest", "scale"),
    [
        (0.0, 0),
        (1e6, 0),  # at the limit: left alone
        (1.1e6, -1),  # 1.1e6 / 2 = 5.5e5
        (1e7, -4),  # 1e7 / 16 = 6.25e5; / 8 = 1.25e6 is still above
        (9e9, -14),  # the 400-product weighted objective: HiGHS recommends -14
        (3e10, -15),  # the 2000-product one: HiGHS recommends -15
    ],
)
def test_the_scale_brings_the_largest_cost_under_a_million(largest, scale):
    cost = np.array([0.006, -largest, 3.0])  # the largest in absolute value counts
    assert objective_scale(cost) == scale
    assert abs(largest) * 2.0**scale <= 1e6


def test_a_badly_scaled_lp_answers_in_its_own_units():
    # min 1e12 x + y  with  x + y >= 1, y <= 0.5: y takes its 0.5, x the other 0.5; the
    # objective is 5e11 + 0.5, and one more unit of the row's right side costs 1e12 (more x).
    problem = pulp.LpProblem("scaled", pulp.LpMinimize)
    x = problem.add_variable("x", 0)
    y = problem.add_variable("y", 0, 0.5)
    problem.setObjective(1e12 * x + y)
    problem.addConstraint(x + y >= 1, "need")
    run = run_solver(problem, SolverOptions(), mip=False)
    assert run.proven
    assert problem.solverModel.getOptionValue("user_objective_scale")[1] == -20
    assert x.varValue == pytest.approx(0.5) and y.varValue == pytest.approx(0.5)
    assert pulp.value(problem.objective) == pytest.approx(5e11 + 0.5, rel=1e-12)
    assert problem._constraints["need"].pi == pytest.approx(1e12, rel=1e-9)
    assert x.dj == pytest.approx(0.0, abs=1e-3) and y.dj == pytest.approx(1.0 - 1e12, rel=1e-9)
