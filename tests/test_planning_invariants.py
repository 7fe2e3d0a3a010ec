"""Invariants of the supply plan on three demo companies (lot rules, changeovers, materials).

Every plan, whatever the data, must balance stock, fit capacity with its changeovers, never
use material it does not have, stay within supplier limits, run only legal lot sizes, and never
lose a sale while closing with stock that could have shipped (demand before buffers).
"""

from __future__ import annotations

import pytest

from sop_addin.core.calendar import weekdays_in_month
from sop_addin.core.planning import SolverOptions, solve_plan
from sop_addin.core.planning.build import legal_runs
from tests.factories import demo_planning_data

TOL = 1e-4


def _demo_plan(seed: int):
    # Stock pooled per SKU, as the demo was before sites: with its Regions and Lanes the
    # lot-size MILP takes about three times as long to prove its gap (seed 1: 66 s against
    # 20 s). The per-site invariants are test_planning_sites'. The limit is room for a loaded
    # machine: seed 1 proves its gap in 21 s alone, and under the suite's two workers on a
    # slow machine it ran past 30 s unproven; the search stops once the gap is proven.
    data = demo_planning_data(seed, pooled=True)
    return data, solve_plan(data, SolverOptions(time_limit=60.0))


@pytest.fixture(scope="module", params=[1, 2, 3])
def plan(request):
    return _demo_plan(request.param)


def test_inventory_balances_month_to_month(plan):
    _, result = plan
    b = result.balance
    flow = b["opening"] + b["production"] + b["receipts"] - b["served"] - b["closing"]
    assert flow.abs().max() < TOL
    for _, rows in b.groupby("sku"):
        assert (
            rows["opening"].iloc[1:].to_numpy() - rows["closing"].iloc[:-1].to_numpy()
        ).max() < TOL
    assert (b["closing"] >= -TOL).all() and (b["unmet"] >= -TOL).all()


def test_capacity_holds_with_changeovers(plan):
    data, result = plan
    cap = result.capacity
    assert (
        cap["used_hours"]
        - (cap["run_hours"] + cap["setup_hours"] + cap["firm_hours"] - cap["overload_hours"])
    ).abs().max() < TOL
    assert (cap["used_hours"] <= cap["available_hours"] + cap["overtime_hours"] + TOL).all()
    # Every run on a routing with a changeover pays its setup hours in its month.
    prod = result.production
    setup = data.routings["setup_hours"]
    needed = (
        prod.assign(
            setup=[setup[(s, r)] for s, r in zip(prod["sku"], prod["resource"], strict=True)]
        )
        .groupby(["resource", "month"])["setup"]
        .sum()
    )
    planned = cap.set_index(["resource", "month"])["setup_hours"]
    assert (needed <= planned.reindex(needed.index) + TOL).all()


def test_runs_are_legal_lot_sizes(plan):
    data, result = plan
    for run in result.production.itertuples():
        legal = legal_runs(data.routings.loc[(run.sku, run.resource)])
        assert legal.up(run.quantity - TOL) == pytest.approx(run.quantity, abs=1e-3)


def test_material_never_goes_negative_and_suppliers_stay_within_limits(plan):
    data, result = plan
    buys = result.purchases
    use = (
        result.production.merge(data.bom.rename("per_unit").reset_index(), on="sku")
        .assign(used=lambda f: f["quantity"] * f["per_unit"])
        .groupby(["material", "month"])["used"]
        .sum()
    )
    # Substitute components (BOMAlternates): the BOM material saved, the alternate used.
    subs = result.substitutions
    if not subs.empty:
        saved = subs.groupby(["material", "month"])["material_saved"].sum()
        alternate = subs.groupby(["alternate_material", "month"])["alternate_used"].sum()
        alternate.index = alternate.index.set_names(["material", "month"])
        use = use.sub(saved, fill_value=0.0).add(alternate, fill_value=0.0)
    arrivals = buys.groupby(["material", "arrival_month"])["quantity"].sum()
    for material, row in data.materials.iterrows():
        stock = float(row["opening"])
        for month in data.months:
            stock += float(arrivals.get((material, month), 0.0))
            stock += float(data.material_receipts.get((material, month), 0.0))
            stock -= float(use.get((material, month), 0.0))
            assert stock >= -TOL, (material, month)
    ordered = buys.groupby(["supplier", "order_month"])["quantity"].sum()
    for (supplier, month), quantity in ordered.items():
        limit = float(data.supplier_limits[(supplier, month)])
        assert quantity <= limit + TOL
        assert weekdays_in_month(month) > 0


def test_no_sale_is_lost_while_stock_that_could_ship_is_kept(plan):
    _, result = plan
    b = result.balance
    # Serving a unit a month sooner weighs 1e-5 of it (build.SOONER); what the solvers'
    # tolerances leave (0.009 of a unit on seed 3) is shipped from stock (stock_noise.py).
    kept = b[(b["lost"] > TOL) & (b["closing"] > TOL)]
    assert kept.empty, kept[["sku", "month", "lost", "closing", "safety_stock"]]
    assert result.status in ("Optimal", "Within the gap")
