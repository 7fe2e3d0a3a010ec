"""Whole units: production and purchases in whole packs, every balance exact (whole_units.py).

Hand-computed cases on the tiny company (one 80-hour resource a month, A at 1 h and 2 a unit),
invariants on demo companies, and the contract's checks of the pack columns.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.cli import cli
from sop_addin.contract.problems import ValidationError
from sop_addin.core.calendar import weekdays_in_month
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.pack_choice import candidates
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs, read_output
from tests.factories import (
    M1,
    M2,
    M3,
    demand,
    demo_planning_data,
    frame,
    inputs_from,
    tiny_tables,
)
from tests.layout_support import header_columns, sheet_with_table, table_bounds

MONTHS = (M1, M2, M3)
EXACT = 1e-9


def _plan(tables, rows, **options):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return data, solve_plan(data, SolverOptions(**options))


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _packs(tables, a=None, b=None):
    tables["Products"]["pack_size"] = pd.array([a, b], dtype="Int64")


def _series(result, sku="A", column="quantity"):
    plan = result.production[result.production["sku"] == sku]
    return plan.set_index("month")[column].reindex(MONTHS, fill_value=0.0).tolist()


def _balance(result, sku="A"):
    return result.balance[result.balance["sku"] == sku].set_index("month")


def _solver(result):
    return dict(zip(result.solver_table["figure"], result.solver_table["value"], strict=True))


def _balances_exact(balance):
    flow = balance["opening"] + balance["production"] + balance["receipts"] - balance["served"]
    if "transfers_in" in balance:  # a SKU's stock per site, moved along lanes
        flow = flow + balance["transfers_in"] - balance["transfers_out"]
    assert (flow - balance["closing"]).abs().max() < EXACT
    keys = [k for k in ("sku", "site") if k in balance]
    for _, rows in balance.groupby(keys):
        carried = rows["opening"].iloc[1:].to_numpy() - rows["closing"].iloc[:-1].to_numpy()
        assert abs(carried).max(initial=0.0) < EXACT
    recorded = balance["served"] - balance["backlog_served"] + balance["unmet"]
    assert (recorded - balance["demand"]).abs().max() < 1e-6


def test_packs_of_twelve_for_fifty_a_month():
    # Demand 50 a month, packs of 12, room for 80. The running total rounded up: January 60
    # (50 -> 5 packs), February 48 (the 10 made ahead leave 40 -> 4 packs), March 48 (42 -> 4
    # packs): 156 made for 150 sold, closing 10, 8, 6, nothing lost. Cost: conversion 156 x 2
    # = 312 against 150 x 2 = 300, holding 0.12 / 12 x 2 = 0.02 a unit-month on 10 + 8 + 6 =
    # 24: 0.48. Objective 312.48, 12.48 more than the fractional plan's 300.
    tables = tiny_tables(3)
    _packs(tables, a=12)
    rows = {("A", m): 50.0 for m in MONTHS}
    _, result = _plan(tables, rows)
    assert _series(result) == [60.0, 48.0, 48.0]
    balance = _balance(result)
    assert balance["closing"].tolist() == pytest.approx([10.0, 8.0, 6.0], abs=EXACT)
    assert balance["served"].tolist() == pytest.approx([50.0, 50.0, 50.0], abs=EXACT)
    assert balance["unmet"].sum() == pytest.approx(0.0, abs=EXACT)
    _balances_exact(result.balance)
    assert result.objective == pytest.approx(312.48, abs=1e-6)
    report = _solver(result)
    assert report["objective before rounding"] == "300.00"
    assert report["rounding cost"] == "12.48 (+4.160%)"
    assert "3 production runs" in report["whole units"]


def test_fractional_keeps_the_solvers_quantities():
    tables = tiny_tables(3)
    _packs(tables, a=12)
    _, result = _plan(tables, {("A", m): 50.0 for m in MONTHS}, whole_units=False)
    assert _series(result) == [50.0, 50.0, 50.0]
    assert result.objective == pytest.approx(300.0, abs=1e-6)
    assert _solver(result)["whole units"] == "off"


def test_blank_pack_is_whole_units_and_a_fractional_demand_stays_as_forecast():
    # 20.4 a month in whole units: 21, 20 (20.4 - 0.6 ahead = 19.8 -> 20), 21 (20.6 -> 21):
    # 62 made for 61.2 sold. Demand and shipments stay fractional; stock takes the rest.
    tables = tiny_tables(3)
    _, result = _plan(tables, {("A", m): 20.4 for m in MONTHS})
    assert _series(result) == [21.0, 20.0, 21.0]
    balance = _balance(result)
    assert balance["served"].tolist() == pytest.approx([20.4] * 3, abs=EXACT)
    assert balance["closing"].tolist() == pytest.approx([0.6, 0.2, 0.8], abs=1e-9)
    _balances_exact(result.balance)


def test_a_tight_month_rounds_down():
    # 75 a month on 80 hours: 7 packs of 12 (84 h) do not fit, so each month makes 6 packs (72)
    # and loses 3; the running total cannot catch up in a month that is always full.
    tables = tiny_tables(3)
    _packs(tables, a=12)
    _, result = _plan(tables, {("A", m): 75.0 for m in MONTHS})
    assert _series(result) == [72.0, 72.0, 72.0]
    assert _balance(result)["unmet"].tolist() == pytest.approx([3.0, 3.0, 3.0], abs=EXACT)
    assert (result.capacity["used_hours"] <= result.capacity["available_hours"] + EXACT).all()
    _balances_exact(result.balance)


def test_rounding_up_uses_the_overtime_the_resource_has():
    # Same 75 a month, with 5 overtime hours a month: 84 h fits (80 + 4), so January makes 84,
    # then February 72 (75 - 9 ahead = 66 -> 6 packs) and March 72 (69 -> 6 packs): 228 made,
    # nothing lost, at most the overtime allowed.
    tables = tiny_tables(3)
    _packs(tables, a=12)
    tables["Resources"]["overtime_hours_max"] = 5.0
    tables["Resources"]["overtime_cost_per_hour"] = 1.0
    _, result = _plan(tables, {("A", m): 75.0 for m in MONTHS})
    assert _series(result) == [84.0, 72.0, 72.0]
    assert _balance(result)["unmet"].sum() == pytest.approx(0.0, abs=EXACT)
    assert result.capacity["overtime_hours"].tolist() == pytest.approx([4.0, 0.0, 0.0])


def _with_material(tables, multiple=None, daily_limit=100.0):
    tables["Materials"] = frame(
        "Materials",
        [{"material": "M", "unit_cost": 1.0, "supplier": "V", "order_multiple": multiple}],
    )
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V",
                "lead_time_days": 0.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": daily_limit,
                "moq": 0.0,
            }
        ],
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])


def _material_stock(data, result):
    """Material M's month-end stock from the written tables: opening + arrivals - use."""
    use = result.production.groupby("month")["quantity"].sum()
    arrivals = result.purchases.groupby("arrival_month")["quantity"].sum()
    stock, out = 0.0, []
    for month in data.months:
        stock += float(arrivals.get(month, 0.0)) - float(use.get(month, 0.0))
        out.append(stock)
    return out


def test_orders_in_bags_of_twentyfive_cover_the_runs():
    # A needs 1 M a unit, bought the month it is used in bags of 25. Runs of 12 as above: 60,
    # 48, 48. The January order rises from 50 to the 60 the run uses, then to whole bags: 75
    # (15 over); February's 48 less the 15 over is 33 -> 50; March likewise 50: 175 bought,
    # 156 used, 15, 17, 19 left. Cost 312 runs + 175 M + holding 0.12 / 12 x (2 + 1) = 0.03 x
    # 24 finished units + 0.01 x 51 material = 488.23.
    tables = tiny_tables(3)
    _packs(tables, a=12)
    _with_material(tables, multiple=25.0)
    data, result = _plan(tables, {("A", m): 50.0 for m in MONTHS})
    assert _series(result) == [60.0, 48.0, 48.0]
    assert result.purchases["quantity"].tolist() == [75.0, 50.0, 50.0]
    assert _material_stock(data, result) == pytest.approx([15.0, 17.0, 19.0], abs=EXACT)
    assert result.objective == pytest.approx(312.0 + 175.0 + 0.72 + 0.51, abs=1e-6)
    assert "3 purchase orders" in _solver(result)["whole units"]


def test_a_supplier_limit_holds_the_run_below_its_next_pack():
    # V ships 2.5 a weekday: 52.5 in January (21 days x 2.5). A run of 60 would need 60 M, and
    # no order can rise past 52.5, so January makes 48 (4 packs) and loses 2; the order is 50
    # (the 48 used, in whole units, rounded up from what the run needs).
    tables = tiny_tables(1)
    _packs(tables, a=12)
    _with_material(tables, daily_limit=2.5)
    data, result = _plan(tables, {("A", M1): 50.0})
    assert weekdays_in_month(M1) * 2.5 == 52.5
    assert _series(result)[:1] == [48.0]
    bought = result.purchases["quantity"].tolist()
    assert bought and all(q == math.floor(q) for q in bought)
    assert sum(bought) <= 52.5 and sum(bought) >= 48.0
    assert min(_material_stock(data, result)) >= -EXACT


def _lot_rules(days):
    # A runs in lots of 20 (its lot rule wins over its pack of 12); B has a minimum run of 30
    # and packs of 4; `days` x 8 h a month.
    tables = tiny_tables(3)
    _packs(tables, a=12, b=4)
    tables["Routings"]["lot_multiple"] = [20.0, 0.0]
    tables["Routings"]["min_lot"] = [0.0, 30.0]
    tables["Routings"]["setup_cost"] = [0.0, 5.0]
    tables["ResourceCalendar"]["working_days"] = days
    rows = {("A", m): 23.0 for m in MONTHS} | {("B", m): 9.5 for m in MONTHS}
    return _plan(tables, rows, time_limit=20.0)[1]


def test_the_milps_lot_multiples_stay_and_a_min_lot_rounds_up_to_a_pack():
    # 160 h a month: A's runs stay whole 20s; B's one run of 30 (its minimum, for 28.5 sold
    # over the quarter) becomes 32, eight packs of 4 (28 would break the minimum).
    result = _lot_rules(20.0)
    a, b = _series(result, "A"), _series(result, "B")
    assert all(q % 20 == 0 for q in a) and sum(a) >= 69
    assert b == [32.0, 0.0, 0.0]
    assert "4 production runs" in _solver(result)["whole units"]
    _balances_exact(result.balance)


def test_a_min_lot_with_no_legal_pack_in_reach_keeps_its_run():
    # 80 h: January runs A 20 (20 h) and B 30 (60 h) and is full. 32 would need 84 h, 28 breaks
    # B's minimum: the run stays 30, and the report says so.
    result = _lot_rules(10.0)
    assert _series(result, "B") == [30.0, 0.0, 0.0]
    assert "(1 more kept as planned: no legal whole pack)" in _solver(result)["whole units"]
    _balances_exact(result.balance)


def test_candidates_round_the_running_total_up_then_down_then_keep():
    # 50 with 2 still owed: 52 -> 60 (five 12s); the pack below 50 is 48; last, 50 itself.
    assert candidates(50.0, 2.0, 12.0) == [60.0, 48.0, 50.0]
    # 50 with 15 made ahead: 35 -> 36 (three 12s); 50's own packs up, 60; down, 48.
    assert candidates(50.0, -15.0, 12.0) == [36.0, 60.0, 48.0, 50.0]
    # An order at an MOQ of 990 in 25 kg bags, 20 kg ahead: 975 (under the MOQ), then 1000.
    assert candidates(990.0, -20.0, 25.0) == [975.0, 1000.0, 990.0]
    # 0.4 in whole units: 1, then 0, then 0.4.
    assert candidates(0.4, 0.0, 1.0) == [1.0, 0.0, 0.4]


# -- invariants on demo companies -------------------------------------------------------------


def _demo(seed, relax):
    data = demo_planning_data(seed)
    options = SolverOptions(relax_lots=relax, time_limit=30.0)
    return data, solve_plan(data, options)


@pytest.fixture(scope="module", params=[(1, True), (2, True), (3, False)], ids=str)
def demo_plan(request):
    return _demo(*request.param)


def _kept(result, flow):
    """How many values the SolverReport says were kept as planned for a flow."""
    note = _solver(result)["whole units"]
    for part in note.split(", "):
        if flow in part and "kept" in part:
            return int(part.split("(")[1].split()[0])
    return 0


def test_demo_runs_are_whole_packs_or_whole_lots(demo_plan):
    data, result = demo_plan
    routes = data.routings
    packs = data.products["pack_size"]
    off = 0
    for row in result.production.itertuples():
        multiple = float(routes.at[(row.sku, row.resource), "lot_multiple"])
        # The MILP's lot multiple is the run's rule; with --lp (relaxed lots) the pack is.
        size = multiple if multiple > 0 and "MILP" in _solver(result)["problem"] else 1.0
        pack = float(packs[row.sku])
        whole = any(abs(row.quantity / s - round(row.quantity / s)) < 1e-9 for s in (size, pack))
        off += not whole
    assert off == _kept(result, "production runs")
    assert off <= 2


def test_demo_orders_are_whole_multiples(demo_plan):
    data, result = demo_plan
    multiples = data.materials["order_multiple"]
    off = sum(
        abs(q / m - round(q / m)) > 1e-9
        for q, m in zip(
            result.purchases["quantity"],
            result.purchases["material"].map(multiples),
            strict=True,
        )
    )
    assert off == _kept(result, "purchase orders") + _kept(result, "second-source orders")
    # An order its supplier's limit holds below the bag the runs need stays a fraction rather
    # than cost more than a pack of output (a 25 kg bag short is hundreds of units at 0.05 kg
    # a unit): only an order whose supplier ships its limit that month, or one buying the
    # alternate of a substitution (held as planned, so its reason stands), may stay a fraction.
    buys = result.purchases
    ordered = buys.groupby(["supplier", "order_month"])["quantity"].sum()
    for row in buys.itertuples():
        if (
            abs(
                row.quantity / multiples[row.material]
                - round(row.quantity / multiples[row.material])
            )
            > 1e-9
        ):
            limit = float(data.supplier_limits[(row.supplier, row.order_month)])
            binding = ordered[(row.supplier, row.order_month)] >= limit - multiples[row.material]
            assert binding or "substitute" in str(row.note), row
    assert off <= 0.25 * len(buys)


def test_demo_balances_are_exact(demo_plan):
    _, result = demo_plan
    _balances_exact(result.balance)


def test_demo_material_capacity_and_supplier_limits_hold(demo_plan):
    data, result = demo_plan
    cap = result.capacity
    room = cap["available_hours"] + cap["overtime_hours"] + cap.get("shift_hours", 0.0)
    assert (cap["used_hours"] - cap["overload_hours"] <= room + 1e-6).all()
    assert (cap["overtime_hours"] <= data.resources["overtime_max"].max() + 1e-9).all()
    ordered = result.purchases.groupby(["supplier", "order_month"])["quantity"].sum()
    for (supplier, month), quantity in ordered.items():
        assert quantity <= float(data.supplier_limits[(supplier, month)]) + 1e-6
    bom = data.bom
    use: dict[tuple[str, pd.Timestamp], float] = {}
    for row in result.production.itertuples():
        for (sku, material), qty in bom.items():
            if sku == row.sku:
                key = (str(material), row.month)
                use[key] = use.get(key, 0.0) + qty * row.quantity
    subs = result.substitutions
    for row in subs.itertuples():
        key = (row.material, row.month)
        use[key] = use.get(key, 0.0) - row.material_saved
        key = (row.alternate_material, row.month)
        use[key] = use.get(key, 0.0) + row.alternate_used
    arrivals = result.purchases.groupby(["material", "arrival_month"])["quantity"].sum()
    for material, terms in data.materials.iterrows():
        stock = float(terms["opening"])
        for month in data.months:
            stock += float(arrivals.get((material, month), 0.0))
            stock += float(data.material_receipts.get((material, month), 0.0))
            stock -= use.get((str(material), month), 0.0)
            assert stock >= -1e-6, (material, month)


def test_demo_rounding_is_reported_with_its_cost(demo_plan):
    _, result = demo_plan
    report = _solver(result)
    assert report["whole units"].startswith("in whole packs: ")
    before = float(report["objective before rounding"])
    lost = float(report["unmet demand value added by rounding"])
    # Demand first: rounding may lose sales (and then save their cost), never gain both ways.
    assert lost > 0.005 or result.objective >= before - 0.005
    assert float(report["rounding cost"].split()[0]) == pytest.approx(
        result.objective - before, abs=0.01
    )


# -- the contract's columns -------------------------------------------------------------------


def _cell(wb, table, row, column):
    ws = sheet_with_table(wb, table)
    _, header, _, _ = table_bounds(ws, table)
    return ws.cell(header + row, header_columns(ws, table)[column])


def test_bad_pack_sizes_and_order_multiples_name_their_cells(tmp_path: Path):
    tables = tiny_tables()
    _with_material(tables)
    path = create_workbook(tmp_path / "packs.xlsx", tables)
    wb = load_workbook(path)
    _cell(wb, "Products", 1, "pack_size").value = 0
    _cell(wb, "Products", 2, "pack_size").value = 2.5
    _cell(wb, "Materials", 1, "order_multiple").value = 0
    wb.save(path)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    found = {(p.tab, p.table, p.row, p.column): p.message for p in caught.value.problems}
    products_tab = sheet_with_table(wb, "Products").title
    materials_tab = sheet_with_table(wb, "Materials").title
    _, header, _, _ = table_bounds(sheet_with_table(wb, "Products"), "Products")
    assert found[(products_tab, "Products", header + 1, "pack_size")] == (
        "below 1 value 0 is not allowed"
    )
    assert (products_tab, "Products", header + 2, "pack_size") in found
    _, header, _, _ = table_bounds(sheet_with_table(wb, "Materials"), "Materials")
    assert (
        "order multiple must be above 0"
        in found[(materials_tab, "Materials", header + 1, "order_multiple")]
    )


def test_pack_sizes_round_trip_through_the_workbook(tmp_path: Path):
    tables = tiny_tables()
    _packs(tables, a=12)
    _with_material(tables, multiple=25.0)
    inputs = read_inputs(FilePort.open(create_workbook(tmp_path / "packs.xlsx", tables)))
    assert inputs["Products"]["pack_size"].tolist()[0] == 12
    assert pd.isna(inputs["Products"]["pack_size"].tolist()[1])
    assert inputs["Materials"]["order_multiple"].tolist() == [25.0]


def test_a_flow_is_one_line(monkeypatch):
    # Any variable family keyed (..., month) rounds the same way: here the runs in fives
    # instead of the pack (as transfers will join: one Flow more in whole_unit_flows).
    from sop_addin.core.planning import whole_units

    fives = [whole_units.Flow("runs", "make", lambda key: 5.0)]
    monkeypatch.setattr(whole_units, "whole_unit_flows", lambda model: fives)
    tables = tiny_tables(3)
    _, result = _plan(tables, {("A", m): 50.4 for m in MONTHS})
    # 50.4 -> 55 (eleven 5s), 45.8 -> 50... the running total rounded up: 55, 50, 50.
    assert _series(result) == [55.0, 50.0, 50.0]
    assert _solver(result)["whole units"] == "in whole packs: 3 runs"


def test_the_plan_is_the_same_whatever_the_string_hash(tmp_path: Path):
    # Sets of strings iterate in an order that moves with PYTHONHASHSEED: the rounding must
    # not depend on it (a repeated run writes the same workbook).
    script = tmp_path / "plan.py"
    script.write_text(
        "from tests.test_whole_units import _demo\n"
        "_, result = _demo(2, True)\n"
        "print(result.production['quantity'].tolist(), result.purchases['quantity'].tolist())\n"
    )
    root = Path(__file__).resolve().parents[1]
    outputs = set()
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            check=True,
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_sop_run_fractional_keeps_the_solvers_fractions(tmp_path: Path):
    path = tmp_path / "plan.xlsx"
    _invoke("new", str(path), "--demo", "--seed", "5", "--skus", "12")
    summary = json.loads(_invoke("run", str(path), "--lp", "--fractional", "--json", "--jobs", "1"))
    assert summary["plan"]["whole_units"] == "off"
    report = read_output(FilePort.open(path), "SolverReport", "t")
    assert dict(zip(report["figure"], report["value"], strict=True))["whole units"] == "off"
    plan = read_output(FilePort.open(path), "ProductionPlan", "t")
    assert (plan["quantity"] % 1 != 0).any()  # the LP's fractions, as the solver left them


def test_a_flow_keeps_the_stocks_it_names(monkeypatch):
    # 50 a month on 55 hours (6.875 days x 8 h), packs of 12: 60 does not fit, 48 does. A flow
    # that names its SKU's balance (as a transfer will, for the stock it ships from) may not
    # take that stock below 0 with shipments as planned: 48 would ship 2 units it does not
    # have, so the run keeps its 50 and is reported kept. The production flow names only its
    # materials: 48, and 2 units lost.
    from sop_addin.core.planning import whole_units

    tables = tiny_tables(1)
    _packs(tables, a=12)
    tables["ResourceCalendar"]["working_days"] = 6.875
    _, result = _plan(tables, {("A", M1): 50.0})
    assert _series(result)[:1] == [48.0]
    assert _balance(result)["unmet"].tolist() == pytest.approx([2.0], abs=EXACT)

    packs = {"A": 12.0}
    guarded = [
        whole_units.Flow(
            "runs",
            "make",
            lambda key: packs.get(key[0], 1.0),
            False,
            (
                "Material-balance",
                "Product-balance",
            ),
        )
    ]
    monkeypatch.setattr(whole_units, "whole_unit_flows", lambda model: guarded)
    _, result = _plan(tables, {("A", M1): 50.0})
    assert _series(result)[:1] == [50.0]
    assert "(1 more kept as planned" in _solver(result)["whole units"]


def test_when_the_rounded_plan_does_not_solve_the_orders_are_left_as_planned():
    # A solver that fails the first re-solve (as an infeasible rounding would): the runs stay
    # whole, the orders go back to what the LP wants, and the report says why.
    from sop_addin.core.planning.build import create_model
    from sop_addin.core.planning.solve import solve_model
    from sop_addin.core.planning.solvers import SolverError
    from sop_addin.core.planning.stages import lp_stages
    from sop_addin.core.planning.whole_units import round_to_whole_units

    tables = tiny_tables(3)
    _packs(tables, a=12)
    _with_material(tables, multiple=25.0)
    data = prepare_planning_data(inputs_from(tables), demand({("A", m): 50.0 for m in MONTHS}))
    model = create_model(data)
    options = SolverOptions()
    report = solve_model(model, options)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise SolverError("no plan (test)")
        return lp_stages(model, options)

    rounded = round_to_whole_units(model, report, flaky)
    assert len(calls) == 2
    made = [model.variables["make"][("A", "R1", t)].varValue for t in range(3)]
    bought = [model.variables["buy"][("M", t)].varValue for t in range(3)]
    assert made == [60.0, 48.0, 48.0]
    assert bought == pytest.approx([60.0, 48.0, 48.0])  # just what the runs use, unrounded
    whole = rounded.whole_units
    assert whole is not None and "orders left as planned" in whole.fallback
    assert "purchase orders" not in whole.note().split(";")[0]


def test_demo_transfers_are_whole_packs(demo_plan):
    data, result = demo_plan
    packs = data.products["pack_size"]
    moved = result.transfers
    assert len(moved)  # the demo's lanes carry stock (demo_network.py)
    off = sum(
        abs(q / p - round(q / p)) > 1e-9
        for q, p in zip(moved["quantity"], moved["sku"].map(packs), strict=True)
    )
    assert off == _kept(result, "transfers")
