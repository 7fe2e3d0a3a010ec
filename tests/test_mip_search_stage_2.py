"""Stage 2 of the lot-size MIP search (mip_search.py): the buffered bound its start is checked
against, and its search in attempts, each from the best plan so far with its own random seed.

Small random companies (tests/factories.random_lot_sized_company: buffers, opening stock, a
receipt, lost sales, two routings, changeover hours), solved exactly by HiGHS for comparison.
"""

from __future__ import annotations

import pulp
import pytest

from sop_addin.core.planning import mip_search, solve_plan
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.mip_search import Clock
from sop_addin.core.planning.solvers import SolverOptions, run_solver
from sop_addin.core.planning.stages import held_expression, hold_service, rows_of
from tests.factories import random_lot_sized_company

EXACT = SolverOptions(mip_gap=0.0, time_limit=60.0)
SEEDS = [1, 2, 3, 4]


def _value(expression: pulp.LpAffineExpression) -> float:
    return float(pulp.value(expression) or 0.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_buffered_bound_holds_at_the_held_level_and_leaves_the_model_as_it_was(seed):
    data = random_lot_sized_company(seed, buffered=True)
    model = create_model(data)
    problem, plan = model.problem, model.objectives["plan"]
    # Stage 2's situation: the least unmet demand any lot plan reaches (the MIP, proven), held.
    problem.setObjective(model.objectives["service"])
    assert run_solver(problem, EXACT, mip=True).proven
    hold_service(model, _value(held_expression(model)))
    problem.setObjective(plan)
    assert run_solver(problem, EXACT, mip=False).proven
    plain = _value(plan)  # the relaxation's bound on cost at that level, no cuts
    rows = list(rows_of(problem))
    covers = dict(model.constraints.get("Lot-cover", {}))

    bound = mip_search._buffered_bound(model, EXACT, Clock(60.0))

    # The cut rows are gone again: the search's model is the one it had.
    assert list(rows_of(problem)) == rows
    assert model.constraints.get("Lot-cover", {}) == covers
    optimum = run_solver(problem, EXACT, mip=True)
    assert optimum.proven and optimum.objective is not None
    # A bound: never above the cheapest plan that serves as much, never below the plain LP's.
    assert bound is not None
    assert plain - 1e-6 * max(1.0, abs(plain)) <= bound
    assert bound <= optimum.objective + 1e-6 * max(1.0, abs(optimum.objective))


def test_the_buffered_bound_is_higher_than_the_plain_relaxation_somewhere():
    # Not a formality: with buffers the plain relaxation opens runs by a sliver (lot_cuts.py);
    # on these companies the buffered forms lift the bound on at least one.
    lifted = []
    for seed in SEEDS:
        model = create_model(random_lot_sized_company(seed, buffered=True))
        problem, plan = model.problem, model.objectives["plan"]
        problem.setObjective(model.objectives["service"])
        assert run_solver(problem, EXACT, mip=True).proven
        hold_service(model, _value(held_expression(model)))
        problem.setObjective(plan)
        assert run_solver(problem, EXACT, mip=False).proven
        plain = _value(plan)
        bound = mip_search._buffered_bound(model, EXACT, Clock(60.0))
        assert bound is not None
        lifted.append(bound > plain + 1e-6 * max(1.0, abs(plain)))
    assert any(lifted)


def _searches(monkeypatch, cut_first: bool) -> list[int | None]:
    """Record the random seed of every stage-2 search attempt (the first search passes none);
    with `cut_first`, the first attempt gets no time at all, as one stuck in its root's
    sub-MIPs reaches its share of the limit (HiGHS stops it before its first iteration)."""
    seeds: list[int | None] = []
    real = mip_search.run_solver

    def recorded(problem, options, mip, *args, **kwargs):
        if "seed" in kwargs:
            seeds.append(kwargs["seed"])
            if cut_first and len(seeds) == 1:
                kwargs["time_limit"] = 0.0
        return real(problem, options, mip, *args, **kwargs)

    monkeypatch.setattr(mip_search, "run_solver", recorded)
    return seeds


@pytest.mark.parametrize("seed", [2, 3])
def test_a_search_cut_at_its_limit_starts_again_from_its_best_plan_and_finds_the_optimum(
    monkeypatch, seed
):
    data = random_lot_sized_company(seed, buffered=True)
    seeds = _searches(monkeypatch, cut_first=False)
    exact = solve_plan(data, EXACT)
    assert seeds, "stage 2 searched"
    # A search proven in its first attempt is the only one, with HiGHS's default seed.
    assert set(seeds) == {None}
    assert exact.report.mip_gap is not None and exact.report.mip_gap <= 1e-9  # cost: proven

    seeds = _searches(monkeypatch, cut_first=True)
    again = solve_plan(random_lot_sized_company(seed, buffered=True), EXACT)
    assert seeds[:2] == [None, 1]  # the second attempt with a seed of its own
    assert "searches, each from the best plan" in again.report.stop_reason
    # The same optimum, proven: cost and service as the search that was never cut.
    assert again.report.status == exact.report.status
    assert again.report.mip_gap is not None and again.report.mip_gap <= 1e-9
    assert again.report.objective == pytest.approx(exact.report.objective, rel=1e-9, abs=1e-6)
    assert again.report.service == pytest.approx(exact.report.service, rel=1e-9, abs=1e-6)
    assert again.balance["unmet"].sum() == pytest.approx(exact.balance["unmet"].sum(), abs=1e-6)
