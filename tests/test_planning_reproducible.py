"""A plan made in the cycle equals the plan made again from its saved workbook.

The demand the cycle keeps in memory and the same demand read back from the file differ in the
13th digit; the lot-size MILP is chaotic in such digits, so planning data rounds the demand and
its interval to a millionth of a unit (data.DEMAND_DECIMALS).
"""

import pandas as pd

from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from tests.factories import M1, M2, M3, demand, inputs_from, tiny_tables


def _plan(quantities):
    tables = tiny_tables(3)
    rows = demand({(sku, m): q for (sku, m), q in quantities.items()})
    data = prepare_planning_data(inputs_from(tables), rows)
    return data, solve_plan(data, SolverOptions())


def test_demand_residue_below_a_millionth_plans_the_same():
    base = {("A", M1): 40.3, ("A", M2): 55.7, ("A", M3): 61.1, ("B", M1): 20.2, ("B", M2): 0.0}
    # What a float written to a workbook and read back may differ by: a few ulps.
    residue = {key: q * (1 + 3e-15) + 1e-13 for key, q in base.items()}
    data_a, plan_a = _plan(base)
    data_b, plan_b = _plan(residue)
    pd.testing.assert_series_equal(data_a.demand, data_b.demand)
    pd.testing.assert_frame_equal(plan_a.production, plan_b.production)
    pd.testing.assert_frame_equal(plan_a.balance, plan_b.balance)
    assert plan_a.report.objective == plan_b.report.objective


def test_demand_is_planned_to_a_millionth_of_a_unit():
    data, _ = _plan({("A", M1): 10.12345678, ("A", M2): 0.0000004, ("A", M3): 5.0})
    assert data.demand[("A", M1)] == 10.123457
    assert data.demand[("A", M2)] == 0.0  # below DEMAND_NOISE: none
