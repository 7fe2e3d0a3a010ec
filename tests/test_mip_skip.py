"""The lot-size MIP search runs only when its root can finish in the time left (Clock)."""

from __future__ import annotations

import pytest

from sop_addin.core.planning import SolverOptions, mip_search, prepare_planning_data, solve_plan
from sop_addin.core.planning.mip_search import MIP_ROOT_FACTOR, Clock
from tests.factories import M1, M2, demand, inputs_from, tiny_tables


def test_clock_gives_a_search_room_in_relaxation_solves():
    assert Clock(None).room_for_mip()  # no limit: always room
    clock = Clock(60.0)
    clock.saw_relaxation(0.1)
    clock.saw_relaxation(5.0)  # only the first (cold) solve counts
    assert clock.relaxation_seconds == 0.1
    assert MIP_ROOT_FACTOR * 0.1 <= 50.0
    assert clock.room_for_mip()  # 60 s left >= 300 x 0.1 s
    assert not clock.room_for_mip(share=0.25)  # 15 s left < 30 s
    slow = Clock(60.0)
    slow.saw_relaxation(60.0 / MIP_ROOT_FACTOR + 0.01)
    assert not slow.room_for_mip()


def _min_lot_plan():
    # A needs 20 a month; a run is at least 60 (as in test_planning_milp): one run of 60 in
    # January, cost 120 + holding 0.02 x (40 + 20) = 121.2.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [60.0, 0.0]
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 20.0, ("A", M2): 20.0}))
    return solve_plan(data, SolverOptions())


def _every_run_open(real):
    """The real start with a run opened in every month it may run: a legal plan (two runs of
    60, cost 240 + holding), just not a good one."""

    def start(model, solve_lp, **hurry):
        values = real(model, solve_lp, **hurry)
        for var in model.variables["setup"].values():
            if var.upBound != 0:
                values[var] = 1.0
        # As the real one, leave the start's own plan loaded (its LP, integers fixed).
        saved = {var: (var.lowBound, var.upBound) for var in values}
        for var, value in values.items():
            var.lowBound = var.upBound = value
        assert solve_lp()
        for var, (low, high) in saved.items():
            var.lowBound, var.upBound = low, high
        return values

    return start


def test_a_search_without_room_keeps_the_start_and_says_so(monkeypatch):
    monkeypatch.setattr(mip_search, "relax_and_round", _every_run_open(mip_search.relax_and_round))
    searched = _min_lot_plan()
    assert "skipped" not in searched.report.stop_reason
    assert searched.report.objective == pytest.approx(121.2, abs=1e-6)  # the search's optimum
    monkeypatch.setattr(mip_search, "MIP_ROOT_FACTOR", 1e12)
    monkeypatch.setattr(mip_search, "COST_ROUNDING_SOLVES", 1e12)  # no time to round again
    kept = _min_lot_plan()
    report = kept.report
    assert "MIP search skipped" in report.stop_reason
    # The start is a legal plan: every run of A at least the minimum lot, nothing lost.
    runs = kept.production.loc[kept.production["sku"] == "A", "quantity"]
    assert (runs >= 60.0 - 1e-6).all()
    assert kept.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert runs.tolist() == pytest.approx([60.0, 60.0])
    # 240 + 0.02 x (40 + 80) = 242.4; the bound is the LP relaxation's, at most the optimum.
    assert report.objective == pytest.approx(242.4, abs=1e-6)
    assert report.best_bound is not None and report.best_bound <= 121.2 + 1e-6
    assert report.mip_gap == pytest.approx(1 - report.best_bound / 242.4)
    assert report.status == "Feasible, not proven"


def test_without_room_for_a_search_the_relaxation_is_cut_and_rounded_again(monkeypatch):
    # The start opens both months (242.4, 100% above the bound); no MIP search fits, but
    # rounding again fits: the cost relaxation, cut, rounds to the one run of 60 (121.2).
    monkeypatch.setattr(mip_search, "relax_and_round", _every_run_open(mip_search.relax_and_round))
    monkeypatch.setattr(mip_search, "MIP_ROOT_FACTOR", 1e12)
    kept = _min_lot_plan()
    report = kept.report
    assert "MIP search skipped" in report.stop_reason
    assert "rounded again" in report.stop_reason
    runs = kept.production.loc[kept.production["sku"] == "A", "quantity"]
    assert runs[runs > 1e-9].tolist() == pytest.approx([60.0])
    assert kept.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert report.objective == pytest.approx(121.2, abs=1e-6)
    # The cut relaxation bounds it, and here its (l,S) cuts make the bound the optimum: the
    # plan is proven optimal without a search.
    assert report.best_bound == pytest.approx(121.2, abs=1e-6)
    assert report.status == "Optimal"
