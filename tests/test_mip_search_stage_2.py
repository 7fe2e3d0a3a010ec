"""Stage 2 of the lot-size MIP search (mip_search.py): its search in attempts, each from the
best plan so far with its own random seed.

Small random companies (tests/factories.random_lot_sized_company: buffers, opening stock, a
receipt, lost sales, two routings, changeover hours), solved exactly for comparison.
"""

from __future__ import annotations

import pytest

from sop_addin.core.planning import mip_search, solve_plan
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.solvers import SolverOptions, run_solver
from tests.factories import random_lot_sized_company

EXACT = SolverOptions(mip_gap=0.0, time_limit=60.0)
# A gap asked, however small: asked for a proof of optimality (no gap) there is one search.
NEAR = SolverOptions(mip_gap=1e-7, time_limit=60.0)


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
    assert solve_plan(random_lot_sized_company(seed, buffered=True), EXACT).report is not None
    assert set(seeds) == {None}  # no gap asked: one search, even cut short

    seeds = _searches(monkeypatch, cut_first=True)
    again = solve_plan(random_lot_sized_company(seed, buffered=True), NEAR)
    assert seeds[:2] == [None, 1]  # the second attempt with a seed of its own
    assert "searches, each from the best plan" in again.report.stop_reason
    # The same optimum, proven: cost and service as the search that was never cut.
    assert again.report.status == exact.report.status
    assert again.report.mip_gap is not None and again.report.mip_gap <= 1e-7
    assert again.report.objective == pytest.approx(exact.report.objective, rel=1e-7, abs=1e-6)
    assert again.report.service == pytest.approx(exact.report.service, rel=1e-9, abs=1e-6)
    assert again.balance["unmet"].sum() == pytest.approx(exact.balance["unmet"].sum(), abs=1e-6)


def test_a_mip_run_reports_its_nodes_and_an_lp_run_none():
    # What the attempts read to tell a search still in its root (0 or 1 node) from one in its
    # tree: HiGHS's own count, for a MIP only.
    model = create_model(random_lot_sized_company(2, buffered=True))
    mip = run_solver(model.problem, EXACT, mip=True)
    assert mip.proven and mip.nodes is not None and mip.nodes >= 0
    lp = run_solver(model.problem, EXACT, mip=False)
    assert lp.proven and lp.nodes is None
