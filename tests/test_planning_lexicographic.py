"""The MILP search against a plain two-stage MIP of the same model, on random small companies.

solve_plan reaches its plan through cuts, a rounded start, a weighted first search, a search
over unmet demand alone and a cost stage (mip_search.py). Asked for no gap, its plan must be
the lexicographic optimum: the least weighted unmet demand any plan reaches, then the least
buffer shortfall and cost at that level. The reference here solves the model build.py makes as
two MIPs, nothing else: unmet demand, then cost with that level held as the product holds it.

The companies are the tiny one of tests/factories.py (two SKUs on one resource) with random
lot rules (minimum lots, multiples, changeover hours and costs), yields, capacity, opening and
safety stocks, and a supplier with an MOQ, a daily limit and a lead time; with `extras`, also
backlog, priorities, overtime and a second resource. Run over 300 seeds, 11 plans of the
weighted search alone served less than the optimum (seeds 150-345 below); since the search over
unmet demand alone, none of 1,250 (600 with the extras) has, and costs match to HiGHS's 1e-4.
The reference is HiGHS too, not an oracle: in one case of those (not below) it called a plan
18% dearer than the product's optimal, with or without presolve.
"""

from __future__ import annotations

import random

import pandas as pd
import pulp
import pytest

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.build import create_model
from sop_addin.core.planning.data import PlanningData
from sop_addin.core.planning.solve import STATUS_OPTIMAL
from tests.factories import M1, demand, frame, inputs_from, tiny_tables

# Seeds whose plans once served less than the optimum, and others drawn with them.
SEEDS = [150, 157, 170, 199, 240, 301, 316, 345, 5, 11, 400, 520]
# With backlog, priorities, overtime and a second routing: HiGHS, given a start, called a plan
# 1.3% above the optimum optimal (1192), and reported an objective 0.2% below what its plan
# costs (1000); see solvers.make_solver and solvers._highs_run.
EXTRA_SEEDS = [1192, 1000, 1020, 1100]


def random_company(seed: int, extras: bool = False) -> PlanningData:
    rng = random.Random(seed)
    horizon = rng.choice([2, 3, 4])
    tables = tiny_tables(horizon=horizon)
    routes = tables["Routings"]
    routes["min_lot"] = [float(rng.choice([0, 0, 10, 25, 40, 100])) for _ in range(2)]
    routes["lot_multiple"] = [float(rng.choice([0, 0, 7, 10, 20, 30, 50])) for _ in range(2)]
    routes["setup_hours"] = [float(rng.choice([0, 0, 3, 10, 30])) for _ in range(2)]
    routes["setup_cost"] = [float(rng.choice([0, 0, 20, 50, 200])) for _ in range(2)]
    routes["hours_per_unit"] = [rng.choice([0.5, 1.0, 2.0]), rng.choice([1.0, 2.0, 3.0])]
    routes["yield"] = [rng.choice([1.0, 1.0, 0.9]), rng.choice([1.0, 0.95])]
    tables["Resources"]["hours_per_day"] = [rng.choice([3.0, 5.0, 8.0, 12.0])]
    tables["Prices"]["unit_price"] = [rng.choice([10.0, 50.0, 200.0]), rng.choice([30.0, 100.0])]
    stock = [
        {
            "sku": sku,
            "site": "S1",
            "on_hand": rng.choice([0.0, 10.0, 35.0]),
            "safety_stock": rng.choice([0.0, 15.0, 40.0]),
        }
        for sku in "AB"
        if rng.random() < 0.6
    ]
    if stock:
        tables["ProductInventory"] = frame("ProductInventory", stock)
    if rng.random() < 0.5:
        supplier = {
            "supplier": "V1",
            "lead_time_days": rng.choice([0.0, 0.0, 30.0]),
            "lead_time_sd_days": 0.0,
            "daily_limit": rng.choice([5.0, 20.0, 100.0]),
            "moq": rng.choice([0.0, 10.0, 70.0, 150.0]),
        }
        tables["Suppliers"] = frame("Suppliers", [supplier])
        material = {"material": "M", "unit_cost": rng.choice([1.0, 5.0, 13.0]), "supplier": "V1"}
        tables["Materials"] = frame("Materials", [material])
        uses = [("A", 1.0), ("B", 2.0)]
        bom = [{"sku": s, "material": "M", "quantity_per_unit": q} for s, q in uses]
        tables["BOM"] = frame("BOM", [row for row in bom if rng.random() < 0.7] or bom[:1])
        if rng.random() < 0.5:
            on_hand = rng.choice([0.0, 30.0, 100.0])
            tables["MaterialInventory"] = frame(
                "MaterialInventory", [{"material": "M", "on_hand": on_hand}]
            )
    if extras:
        _add_extras(rng, tables, horizon)
    months = pd.date_range(M1, periods=horizon, freq="MS")
    rows = {(s, m): float(rng.choice([0, 0, 10, 30, 45, 60, 90])) for s in "AB" for m in months}
    return prepare_planning_data(inputs_from(tables), demand(rows))


def _add_extras(rng: random.Random, tables: dict[str, pd.DataFrame], horizon: int) -> None:
    """Backlog or lost sales, priorities, overtime, and a second resource A may run on."""
    products, resources = tables["Products"], tables["Resources"]
    if rng.random() < 0.5:
        products["unmet_policy"] = [rng.choice(["lost-sales", "backlog"]) for _ in range(2)]
    if rng.random() < 0.5:
        products["priority"] = [rng.choice([1, 3, 5]) for _ in range(2)]
    if rng.random() < 0.4:
        resources["overtime_hours_max"] = [rng.choice([5.0, 20.0])]
        resources["overtime_cost_per_hour"] = [rng.choice([1.0, 10.0])]
    if rng.random() < 0.4:
        second = {"resource": "R2", "site": "S1", "hours_per_day": rng.choice([2.0, 6.0])}
        tables["Resources"] = pd.concat(
            [resources, frame("Resources", [{**second, "efficiency": 1.0}])], ignore_index=True
        )
        days = [
            {"resource": "R2", "month": m, "working_days": 10.0, "maintenance_hours": 0.0}
            for m in pd.date_range(M1, periods=horizon, freq="MS")
        ]
        tables["ResourceCalendar"] = pd.concat(
            [tables["ResourceCalendar"], frame("ResourceCalendar", days)], ignore_index=True
        )
        route = {
            "sku": "A",
            "resource": "R2",
            "priority": 2,
            "hours_per_unit": rng.choice([0.5, 1.5]),
            "cost_per_unit": rng.choice([1.0, 4.0]),
            "yield": 1.0,
            "min_lot": rng.choice([0.0, 30.0]),
            "lot_multiple": rng.choice([0.0, 20.0]),
            "setup_hours": rng.choice([0.0, 4.0]),
            "setup_cost": rng.choice([0.0, 60.0]),
        }
        tables["Routings"] = pd.concat(
            [tables["Routings"], frame("Routings", [route])], ignore_index=True
        )


def two_stage_optimum(data: PlanningData) -> tuple[float, float]:
    """(least weighted unmet demand, least buffers + cost at it), from two plain MIPs."""
    model = create_model(data)
    problem = model.problem
    solver = pulp.HiGHS(msg=False, gapRel=0.0, gapAbs=0.0)
    service, plan = model.objectives["service"], model.objectives["plan"]
    problem.setObjective(service)
    assert problem.solve(solver) == pulp.LpStatusOptimal
    level = float(pulp.value(service) or 0.0)
    # Held as stages.hold_service holds it: roundoff room only.
    problem += service <= level + 1e-7 + 1e-12 * abs(level), "held"
    problem.setObjective(plan)
    assert problem.solve(solver) == pulp.LpStatusOptimal
    return level, float(pulp.value(plan) or 0.0)


@pytest.mark.parametrize(
    ("seed", "extras"), [(s, False) for s in SEEDS] + [(s, True) for s in EXTRA_SEEDS]
)
def test_plan_asked_for_no_gap_is_the_lexicographic_optimum(seed, extras):
    data = random_company(seed, extras)
    level, cost = two_stage_optimum(data)
    result = solve_plan(data, SolverOptions(mip_gap=0.0, whole_units=False))
    assert result.report is not None
    assert result.report.service == pytest.approx(level, rel=1e-6, abs=1e-6)
    assert result.objective == pytest.approx(cost, rel=1e-6, abs=1e-6)
    assert result.status == STATUS_OPTIMAL  # both proven: the unmet demand and the cost
