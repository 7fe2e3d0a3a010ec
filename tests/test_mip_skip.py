"""The lot-size MIP search runs only when its root can finish in the time left (Clock)."""

from __future__ import annotations

import pytest

from sop_addin.core.planning import (
    SolverOptions,
    kept_start,
    mip_search,
    prepare_planning_data,
    solve_plan,
)
from sop_addin.core.planning.mip_search import MIP_ROOT_FACTOR, SMALL_MIP, Clock
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
    # A small MIP always gets its search, however slow its (tiny) relaxation looked.
    small = Clock(60.0, integers=SMALL_MIP)
    small.saw_relaxation(60.0)
    assert small.room_for_mip()
    large = Clock(60.0, integers=SMALL_MIP + 1)
    large.saw_relaxation(60.0)
    assert not large.room_for_mip()


def _min_lot_plan():
    # A needs 20 a month; a run is at least 60 (as in test_planning_milp): one run of 60 in
    # January, cost 120 + holding 0.02 x (40 + 20) = 121.2.
    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [60.0, 0.0]
    data = prepare_planning_data(inputs_from(tables), demand({("A", M1): 20.0, ("A", M2): 20.0}))
    return solve_plan(data, SolverOptions())


def _every_run_open(real, load=True):
    """The real start with a run opened in every month it may run: a legal plan (two runs of
    60, cost 240 + holding), just not a good one. Loaded, as the real one leaves its plan,
    unless `load` is False (the real start's plan, one run, stays loaded)."""

    def start(model, solve_lp, **hurry):
        values = real(model, solve_lp, **hurry)
        for var in model.variables["setup"].values():
            if var.upBound != 0:
                values[var] = 1.0
        if not load:
            return values
        # As the real one, leave the start's own plan loaded (its LP, integers fixed).
        saved = {var: (var.lowBound, var.upBound) for var in values}
        for var, value in values.items():
            var.lowBound = var.upBound = value
        assert solve_lp(None)
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
    monkeypatch.setattr(mip_search, "SMALL_MIP", 0)  # this tiny MIP as a large one
    monkeypatch.setattr(kept_start, "COST_ROUNDING_SOLVES", 1e12)  # no time to round again
    monkeypatch.setattr(kept_start, "MOVES_SHARE", 0.0)  # nor to move its integers
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


def _no_room_for_a_search(monkeypatch):
    """The start opens every run (_every_run_open), and this tiny MIP counts as a large one
    with no time for a search."""
    monkeypatch.setattr(mip_search, "relax_and_round", _every_run_open(mip_search.relax_and_round))
    monkeypatch.setattr(mip_search, "MIP_ROOT_FACTOR", 1e12)
    monkeypatch.setattr(mip_search, "SMALL_MIP", 0)


def _assert_one_run_of_60(kept):
    assert "MIP search skipped" in kept.report.stop_reason
    runs = kept.production.loc[kept.production["sku"] == "A", "quantity"]
    assert runs[runs > 1e-9].tolist() == pytest.approx([60.0])
    assert kept.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert kept.report.objective == pytest.approx(121.2, abs=1e-6)


def test_without_room_for_a_search_the_start_moves_one_integer_at_a_time(monkeypatch):
    # The start opens both months (242.4); no MIP search fits, nor rounding again: the moves
    # (integer_moves.py) close February's run, which the LP with everything else fixed prices
    # at 120 less, and the level held (nothing lost) still met. One run of 60: 121.2.
    _no_room_for_a_search(monkeypatch)
    monkeypatch.setattr(kept_start, "COST_ROUNDING_SOLVES", 1e12)  # no time to round again
    kept = _min_lot_plan()
    report = kept.report
    assert "1 of its integers moved one at a time" in report.stop_reason
    _assert_one_run_of_60(kept)
    assert report.best_bound is not None and report.best_bound <= 121.2 + 1e-6


def test_without_room_for_a_search_the_relaxation_is_cut_and_rounded_again(monkeypatch):
    # The start opens both months (242.4, 100% above the bound); no MIP search fits, but
    # rounding again fits: the cost relaxation, cut, rounds to the one run of 60 (121.2).
    _no_room_for_a_search(monkeypatch)
    kept = _min_lot_plan()
    report = kept.report
    assert "rounded again" in report.stop_reason
    _assert_one_run_of_60(kept)
    # The cut relaxation bounds it, and here its (l,S) cuts make the bound the optimum: the
    # plan is proven optimal without a search.
    assert report.best_bound == pytest.approx(121.2, abs=1e-6)
    assert report.status == "Optimal"


def test_out_of_time_before_the_search_writes_the_start_and_says_there_is_no_bound(monkeypatch):
    # At 2000 products the relaxation and the start ate the whole time limit: the start must be
    # written soon after, with no LP left running unbounded. Here the search has no room and
    # the bound's LP (the only one the time limit cuts) gets no time at all: HiGHS stops it
    # before its first iteration, as a run out of time does.
    monkeypatch.setattr(mip_search, "relax_and_round", _every_run_open(mip_search.relax_and_round))
    monkeypatch.setattr(mip_search, "MIP_ROOT_FACTOR", 1e12)
    monkeypatch.setattr(mip_search, "SMALL_MIP", 0)  # this tiny MIP as a large one
    real = kept_start.run_solver

    def no_time_for_the_bound(problem, options, mip, *args, fresh=False, **kwargs):
        if fresh:  # the bound's LP, in a model of its own
            kwargs["time_limit"] = 0.0
        return real(problem, options, mip, *args, fresh=fresh, **kwargs)

    monkeypatch.setattr(kept_start, "run_solver", no_time_for_the_bound)
    result = _min_lot_plan()
    report = result.report
    assert "MIP search skipped" in report.stop_reason
    assert "no cost bound" in report.stop_reason and "Time limit reached" in report.stop_reason
    assert report.status == "Feasible, not proven"
    assert report.best_bound is None and report.mip_gap is None
    # The start's plan, solved in full: two runs of 60, nothing lost, 240 + 0.02 x 120.
    runs = result.production.loc[result.production["sku"] == "A", "quantity"]
    assert runs.tolist() == pytest.approx([60.0, 60.0])
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert report.objective == pytest.approx(242.4, abs=1e-6)
    table = dict(zip(result.solver_table["figure"], result.solver_table["value"], strict=True))
    assert table["status"] == "Feasible, not proven"
    assert table["MIP gap"] == "n/a" and table["best bound"] == "n/a"


def test_a_stage_1_out_of_time_keeps_the_weighted_plan_and_says_so(monkeypatch):
    # At 2000 products the unmet demand alone, warm from the start's basis, crawled for
    # minutes: stage 1 of a start kept as the plan has a time limit, and when it stops the plan
    # is the weighted whole's (service x K + cost) with those setups. Given no time at all and
    # another plan's basis (from the start's own, optimal here, it needs no iteration), HiGHS
    # stops it before its first iteration, as a run out of time does.
    start = _every_run_open(mip_search.relax_and_round, load=False)
    monkeypatch.setattr(mip_search, "relax_and_round", start)
    monkeypatch.setattr(mip_search, "MIP_ROOT_FACTOR", 1e12)
    monkeypatch.setattr(mip_search, "SMALL_MIP", 0)  # this tiny MIP as a large one
    real = kept_start.run_solver

    def no_time_for_stage_1(problem, options, mip, *args, fresh=False, **kwargs):
        if kwargs.get("time_limit") is not None and not fresh:  # stage 1, the only one limited
            kwargs["time_limit"] = 0.0
        return real(problem, options, mip, *args, fresh=fresh, **kwargs)

    monkeypatch.setattr(kept_start, "run_solver", no_time_for_stage_1)
    monkeypatch.setattr(kept_start, "COST_ROUNDING_SOLVES", 1e12)  # no time to round again
    monkeypatch.setattr(kept_start, "MOVES_SHARE", 0.0)  # nor to move its integers
    result = _min_lot_plan()
    report = result.report
    assert "unmet demand held where service x K + cost left it" in report.stop_reason
    assert "Time limit reached" in report.stop_reason
    # With both runs of 60 fixed nothing is lost either way: the same plan, 240 + 0.02 x 120.
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert report.objective == pytest.approx(242.4, abs=1e-6)
    assert report.best_bound is not None and report.best_bound <= 121.2 + 1e-6
    assert report.status == "Feasible, not proven"
