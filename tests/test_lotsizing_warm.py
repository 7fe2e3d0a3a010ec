"""The HiGHS adapter (solvers.HiGHSBulk): LPs re-solved warm answer as cold ones; a MIP stops
at its time limit."""

from __future__ import annotations

import pulp
import pytest

from benchmarks.bench_lotsizing import planning_data, read_instance
from sop_addin.core.planning import solvers
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.solvers import WARM_ATTRIBUTE, SolverOptions, run_solver
from tests.test_lotsizing_bench import HERE

OPTIONS = SolverOptions()


def _transport(supply: tuple[float, float] = (30.0, 25.0)) -> tuple[pulp.LpProblem, dict]:
    """Two plants ship to three customers at a unit cost; every customer's demand is met."""
    problem = pulp.LpProblem("transport", pulp.LpMinimize)
    cost = {
        ("P", "a"): 4,
        ("P", "b"): 6,
        ("P", "c"): 9,
        ("Q", "a"): 5,
        ("Q", "b"): 3,
        ("Q", "c"): 7,
    }
    ship = {k: problem.add_variable(f"x_{k[0]}{k[1]}", 0) for k in cost}
    problem.setObjective(pulp.lpSum(c * ship[k] for k, c in cost.items()))
    for plant, cap in zip("PQ", supply, strict=True):
        problem.addConstraint(pulp.lpSum(v for k, v in ship.items() if k[0] == plant) <= cap, plant)
    for customer, need in zip("abc", (20.0, 15.0, 18.0), strict=True):
        terms = pulp.lpSum(v for k, v in ship.items() if k[1] == customer)
        problem.addConstraint(terms >= need, customer)
    return problem, ship


def _solve(problem: pulp.LpProblem) -> tuple[float, dict[str, float]]:
    run = run_solver(problem, OPTIONS, mip=False)
    assert run.proven
    duals = {name: row.pi for name, row in problem._constraints.items()}
    return float(pulp.value(problem.objective)), duals


def _same(warm: tuple[float, dict[str, float]], cold: tuple[float, dict[str, float]]) -> bool:
    """Same objective and shadow prices (the duals, for the explanations, must not change)."""
    return warm[0] == pytest.approx(cold[0]) and warm[1] == pytest.approx(cold[1])


def _kept(problem: pulp.LpProblem) -> list:
    return [warm.highs for warm in getattr(problem, WARM_ATTRIBUTE, [])]


def test_bounds_rows_and_a_part_of_the_objective_change_warm_as_cold():
    warm, ship = _transport()
    first, _ = _solve(warm)
    # By hand: Q fills its 25 with b's 15 (45) and 10 of c (70), c dearer from P (9 against 7);
    # P sends a its 20 (80; 4 against 5) and c the other 8 (72): 267.
    assert first == pytest.approx(267.0)
    highs = _kept(warm)
    # 1. A bound: P may send at most 5 to c.
    ship[("P", "c")].upBound = 5.0
    cold, cold_ship = _transport()
    cold_ship[("P", "c")].upBound = 5.0
    assert _same(_solve(warm), _solve(cold))
    # 2. A row added (Q ships at most 20 in all), then removed again.
    for problem, x in ((warm, ship), (cold, cold_ship)):
        problem.addConstraint(x[("Q", "b")] + x[("Q", "c")] <= 20.0, "Qcap")
    assert _same(_solve(warm), _solve(_copy_with_row()))
    warm._constraints.pop("Qcap")
    cold._constraints.pop("Qcap")
    assert _same(_solve(warm), _solve(cold))
    assert _kept(warm) == highs  # the same HiGHS model each time
    # 3. A part of the objective (P's shipments only) starts from the same model's basis.
    part = pulp.lpSum(c * ship[k] for k, c in ((("P", "a"), 4), (("P", "b"), 6), (("P", "c"), 9)))
    warm.setObjective(part)
    cold_part = pulp.lpSum(
        c * cold_ship[k] for k, c in ((("P", "a"), 4), (("P", "b"), 6), (("P", "c"), 9))
    )
    cold.setObjective(cold_part)
    assert _solve(warm)[0] == pytest.approx(_solve(cold)[0])
    assert all(model is highs[0] for model in _kept(warm))  # the same model, both objectives


def test_an_objective_solved_again_gets_its_basis_back():
    # At 2000 products the start's LPs (the weighted objective) came after the unmet demand's
    # bound had been solved in the relaxation's model: its basis gone, the first took 78 s cold.
    problem, ship = _transport()
    whole = problem.objective
    assert _solve(problem)[0] == pytest.approx(267.0)  # by hand: see the test above
    problem.setObjective(4 * ship[("P", "a")])  # a part whose optimum is another vertex
    _solve(problem)  # in the same model, from the whole objective's basis
    ship[("P", "c")].upBound = 5.0  # a bound changes meanwhile, and a row comes
    problem.addConstraint(ship[("Q", "a")] <= 30.0, "Qa")
    problem.setObjective(whole)
    highs = _kept(problem)[-1]
    warm = _solve(problem)
    assert highs.getInfo().simplex_iteration_count > 0  # the bound moved: some pivots
    cold, cold_ship = _transport()
    cold_ship[("P", "c")].upBound = 5.0
    cold.addConstraint(cold_ship[("Q", "a")] <= 30.0, "Qa")
    assert _same(warm, _solve(cold))
    # By hand: c's 18 at most 5 from P (9), 13 from Q (7); Q's other 12 to b (3), b's other 3
    # from P (6); a's 20 from P (4): 45 + 91 + 36 + 18 + 80 = 270.
    assert warm[0] == pytest.approx(270.0)
    # Solved again unchanged, the restored basis is optimal: no pivot at all.
    problem.setObjective(4 * ship[("P", "a")])  # a part whose optimum is another vertex
    _solve(problem)
    problem.setObjective(whole)
    _solve(problem)
    assert _kept(problem)[-1].getInfo().simplex_iteration_count == 0


def _copy_with_row() -> pulp.LpProblem:
    problem, ship = _transport()
    ship[("P", "c")].upBound = 5.0
    problem.addConstraint(ship[("Q", "b")] + ship[("Q", "c")] <= 20.0, "Qcap")
    return problem


def test_another_objective_starts_cold_in_its_own_model():
    # Warm from a basis optimal for another objective, HiGHS took 110-170 s at 400 products:
    # a new objective gets a model of its own (and the first keeps its basis for later).
    problem, ship = _transport()
    _solve(problem)
    problem.setObjective(pulp.lpSum(ship.values()) + 10 * ship[("Q", "b")])
    value, _ = _solve(problem)
    # Every unit shipped costs 1 and each via Q-b 10 more: the 53 units demanded, none via Q-b
    # (P sends b its 15 and c 13; Q sends a its 20 and c 5): 53.
    assert value == pytest.approx(53.0)
    assert len(_kept(problem)) == 2


def _record_simplex(monkeypatch) -> list[bool]:
    """The real solvers._simplex, recording whether each run of a kept model was primal."""
    strategies: list[bool] = []
    real = solvers._simplex

    def simplex(highs, primal):
        strategies.append(primal)
        real(highs, primal)

    monkeypatch.setattr(solvers, "_simplex", simplex)
    return strategies


def test_stage_2_follows_stage_1s_basis_by_the_primal_simplex(monkeypatch):
    # Stage 2 (another objective, a row holding stage 1's level added) starts from stage 1's
    # basis, which that row does not cut off: at 2000 products 390 primal pivots (4.5 s)
    # against a cold dual simplex that ended "Unknown" after 49 s (run_solver's `follow`).
    strategies = _record_simplex(monkeypatch)
    monkeypatch.setattr(solvers, "FOLLOW_COLD_SECONDS", 0.0)  # this one solves in a moment
    problem, ship = _transport()
    assert _solve(problem)[0] == pytest.approx(267.0)  # by hand: see the first test
    highs = _kept(problem)[-1]

    def stage_2(problem: pulp.LpProblem, x: dict) -> None:
        # At most the 267 of stage 1 (its own optimum meets the row), now over P's shipments.
        problem.addConstraint(pulp.lpSum(c * x[k] for k, c in _COSTS.items()) <= 267.0, "held")
        problem.setObjective(4 * x[("P", "a")] + 6 * x[("P", "b")] + 9 * x[("P", "c")])

    stage_2(problem, ship)
    run = run_solver(problem, OPTIONS, mip=False, follow=True)
    assert run.proven
    duals = {name: row.pi for name, row in problem._constraints.items()}
    warm = (float(pulp.value(problem.objective)), duals)
    cold, cold_ship = _transport()
    stage_2(cold, cold_ship)
    assert _same(warm, _solve(cold))
    # By hand: every plan costing 267 is optimal for the whole; among them P ships a's 20
    # (80) and c's 8 (72): 152 (Q's 25 go to b 15 and c 10).
    assert warm[0] == pytest.approx(152.0)
    assert _kept(problem)[-1] is highs  # in stage 1's model, from its basis ...
    assert strategies == [True]  # ... by the primal simplex
    # Without `follow`, another objective gets a model of its own (and the dual simplex).
    problem.setObjective(pulp.lpSum(ship.values()))
    _solve(problem)
    assert _kept(problem)[-1] is not highs and strategies == [True]


_COSTS = {("P", "a"): 4, ("P", "b"): 6, ("P", "c"): 9, ("Q", "a"): 5, ("Q", "b"): 3, ("Q", "c"): 7}


def test_an_lp_starts_from_a_marked_basis(monkeypatch):
    # The cost bound starts from the LP relaxation's basis, set aside before the start's LPs
    # (integers fixed) moved the model's own: at 2000 products it took 30 s, where cold in a
    # model of its own it stopped at its 110 s limit without a bound (mark_basis).
    strategies = _record_simplex(monkeypatch)
    problem, ship = _transport()
    assert _solve(problem)[0] == pytest.approx(267.0)  # by hand: see the first test
    solvers.mark_basis(problem, "relaxation")
    highs = _kept(problem)[-1]
    ship[("P", "a")].upBound = 0.0  # "an integer fixed": a's 20 from Q, Q's other 5 to b
    assert _solve(problem)[0] == pytest.approx(20 * 5 + 5 * 3 + 10 * 6 + 18 * 9)
    ship[("P", "a")].upBound = None  # its bound given back, stage 2's row and objective come
    problem.addConstraint(pulp.lpSum(c * ship[k] for k, c in _COSTS.items()) <= 267.0, "held")
    problem.setObjective(4 * ship[("P", "a")] + 6 * ship[("P", "b")] + 9 * ship[("P", "c")])
    strategies.clear()
    run = run_solver(problem, OPTIONS, mip=False, fresh=True, from_mark="relaxation")
    assert run.proven
    assert float(pulp.value(problem.objective)) == pytest.approx(152.0)  # by hand: see above
    assert _kept(problem)[-1] is highs  # in the marked model, from the marked basis ...
    assert strategies == [True]  # ... by the primal simplex (another objective)
    # The same objective as the mark's: the dual simplex (only bounds or rows moved).
    problem._constraints.pop("held")
    problem.setObjective(pulp.lpSum(c * ship[k] for k, c in _COSTS.items()))
    strategies.clear()
    run = run_solver(problem, OPTIONS, mip=False, from_mark="relaxation")
    assert run.proven and float(pulp.value(problem.objective)) == pytest.approx(267.0)
    assert _kept(problem)[-1] is highs and strategies == [False]
    # No mark by that name: `fresh` decides (a model of its own).
    run_solver(problem, OPTIONS, mip=False, fresh=True, from_mark="nothing marked")
    assert _kept(problem)[-1] is not highs


def test_a_mip_past_its_time_limit_is_interrupted(monkeypatch):
    # HiGHS checks its own limit too seldom in its root (a 79 s limit ran 286 s): the interrupt
    # callback stops the run MIP_OVERRUN_GRACE past it. Made to fire 0.5 s into a 30 s limit on
    # G53 (12-40 s to prove optimal), the run stops on the callback (its reason says so; no
    # timed assertion: the machines are shared).
    monkeypatch.setattr(solvers, "MIP_OVERRUN_GRACE", -29.5)
    model = create_model(planning_data(read_instance(HERE / "G53.DAT")))
    run = run_solver(model.problem, SolverOptions(time_limit=30.0), mip=True, time_limit=30.0)
    assert run.reason == "Interrupted by user"


def test_a_part_that_runs_out_of_patience_is_solved_after_the_whole(monkeypatch):
    # Warm from the whole objective's basis, the unmet demand alone crawled (27 s at 400
    # products; degenerate cold too): out of patience, the whole is solved again cold and the
    # part warm from that basis (0.2 s there). No patience at all makes HiGHS stop the warm
    # run at once, as it stops a run out of time.
    monkeypatch.setattr(solvers, "PART_PATIENCE", 0.0)
    monkeypatch.setattr(solvers, "WARM_PATIENCE_FLOOR", 0.0)
    objectives = []
    real = solvers.HiGHSBulk._solve_in

    def solve_in(highs, cost, limit, started, primal):
        objectives.append(list(cost))
        real(highs, cost, limit, started, primal)

    monkeypatch.setattr(solvers.HiGHSBulk, "_solve_in", staticmethod(solve_in))
    problem, ship = _transport()
    assert _solve(problem)[0] == pytest.approx(267.0)  # the whole, cold (see above)

    def part(x: dict) -> pulp.LpAffineExpression:
        return 4 * x[("P", "a")] + 6 * x[("P", "b")] + 9 * x[("P", "c")]

    problem.setObjective(part(ship))
    warm = _solve(problem)
    cold, cold_ship = _transport()
    cold.setObjective(part(cold_ship))
    assert _same(warm, _solve(cold))
    # Only P's shipments cost: P ships the 28 units Q's 25 leave of the 53, the cheapest to
    # P: a's 20 at 4 and 8 of b at 6 (Q ships c's 18 and b's other 7): 80 + 48 = 128.
    assert warm[0] == pytest.approx(128.0)
    assert len(objectives) == 2  # the whole, then the part
    assert objectives[0][:6] == [4, 6, 9, 5, 3, 7] and objectives[1][:6] == [4, 6, 9, 0, 0, 0]
