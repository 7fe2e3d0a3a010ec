"""Explanations: binding constraints with shadow prices, bottlenecks, slacks; the actions."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.actions import ACTIONS
from sop_addin.actions.explain import explain_shortfalls
from sop_addin.actions.forecast import refresh_forecast
from sop_addin.actions.plan import SUPPLY_TABLES
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.factories import M1, M2, M3, demand, frame, inputs_from, tiny_tables


def _plan(tables, rows, solver="highs"):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return solve_plan(data, SolverOptions(solver=solver))


def _causes(result, sku, month):
    s = result.shortfalls
    return s[(s["sku"] == sku) & (s["month"] == month)].sort_values("rank")


def _material(tables, lead_days, daily_limit, on_hand):
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V1",
                "lead_time_days": lead_days,
                "lead_time_sd_days": 0.0,
                "daily_limit": daily_limit,
                "moq": 0.0,
            }
        ],
    )
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": 1.0, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    tables["MaterialInventory"] = frame(
        "MaterialInventory", [{"material": "M", "site": "S1", "on_hand": on_hand}]
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_capacity_shortfall_names_the_resource_and_its_shadow_price(solver):
    # A and B compete for R1's 80 h; A loses 30 a month. One more hour on R1 serves one more
    # A: a unit served is worth A's margin (10 - 2 = 8) x priority weight 1, plus 1 = 9, and a
    # sale lost sooner weighs 1e-5 more a month before the horizon end: 9.00009 in January.
    tables = tiny_tables()
    rows = {(s, m): q for m in (M1, M2) for s, q in (("A", 50.0), ("B", 30.0))}
    result = _plan(tables, rows, solver)
    jan = _causes(result, "A", M1)
    assert jan["cause"].tolist() == ["capacity"]
    assert jan["constraint"].tolist() == ["Resource-capacity[R1,2027-01]"]
    assert jan["shadow_price"].tolist() == pytest.approx([9.00009])
    assert jan["unmet"].tolist() == pytest.approx([30.0])
    assert "R1 is full in 2027-01" in jan["explanation"].iloc[0]
    feb = _causes(result, "A", M2)
    # February's own month first; January's hours (output built ahead) come second.
    assert feb["constraint"].tolist() == [
        "Resource-capacity[R1,2027-02]",
        "Resource-capacity[R1,2027-01]",
    ]
    assert set(_causes(result, "B", M1)["sku"]) == set()  # B is served in full
    cap = result.capacity
    assert cap["shadow_price"].tolist() == pytest.approx([9.00009, 9.0])
    neck = result.bottlenecks
    assert neck["constraint"].tolist() == ["Resource-capacity[R1]"]
    assert neck[["months_binding", "max_shadow_price", "sum_shadow_price"]].values.tolist() == [
        [2, 9.00009, 18.00009]
    ]


def test_lead_time_shortfall_names_the_material_and_the_arrival_month():
    # 10 M on hand, the supplier takes 2 months: January and February run short of M.
    # One more M in January serves one more A, worth its margin 10 - 2 - 1 = 7, plus 1 = 8,
    # x (1 + 2e-5) for a sale two months before the horizon end: 8.00016.
    tables = tiny_tables(horizon=3)
    _material(tables, 35.0, 100.0, 10.0)
    result = _plan(tables, {("A", m): 20.0 for m in (M1, M2, M3)})
    jan = _causes(result, "A", M1)
    assert jan["cause"].tolist() == ["lead time"]
    assert jan["constraint"].tolist() == ["Material-balance[M,2027-01]"]
    assert jan["shadow_price"].tolist() == pytest.approx([8.00016])
    assert "arrives in 2027-03" in jan["explanation"].iloc[0]
    assert _causes(result, "A", M2)["cause"].iloc[0] == "lead time"


def test_supplier_limit_shortfall_names_the_supplier_month():
    # No lead time, no stock; V1 ships 1 unit a working day: 21 in January 2027.
    tables = tiny_tables()
    _material(tables, 0.0, 1.0, 0.0)
    result = _plan(tables, {("A", M1): 40.0})
    jan = _causes(result, "A", M1)
    assert jan["unmet"].iloc[0] == pytest.approx(19.0)
    assert jan["cause"].iloc[0] == "supplier limit"
    assert jan["constraint"].iloc[0] == "Supplier-limit[V1,2027-01]"
    assert jan["shadow_price"].iloc[0] == pytest.approx(8.00008)  # (7 + 1) x (1 + 1e-5)


def test_storage_shortfall_names_the_store():
    # February needs 120 on 80 h; the store holds 10 at January's end. One more unit of
    # storage lets January build one more A for February: a unit served is worth A's margin
    # 10 - 2 = 8, plus 1 (priority 3 weighs it once): 9.
    tables = tiny_tables()
    tables["Warehouses"] = frame("Warehouses", [{"site": "S1", "storage_capacity": 10.0}])
    result = _plan(tables, {("A", M2): 120.0})
    feb = _causes(result, "A", M2).set_index("constraint")
    assert feb.loc["Resource-capacity[R1,2027-02]", "shadow_price"] == pytest.approx(9.0)
    assert feb.loc["Storage-capacity[S1,2027-01]", "shadow_price"] == pytest.approx(9.0)
    assert feb.loc["Storage-capacity[S1,2027-01]", "cause"] == "storage"


def test_impossible_inputs_are_reported_as_named_slacks_not_a_crash():
    # A released order of 100 A due in January needs 100 h of R1's 80; B's 50 on hand exceed
    # the 10-unit store in both months. The plan still solves and names each slack.
    tables = tiny_tables()
    tables["OpenOrders"] = frame(
        "OpenOrders",
        [
            {
                "order_id": "W1",
                "order_type": "production",
                "item": "A",
                "quantity": 100.0,
                "due_month": M1,
            }
        ],
    )
    tables["ProductInventory"] = frame(
        "ProductInventory", [{"sku": "B", "site": "S1", "on_hand": 50.0, "safety_stock": 0.0}]
    )
    tables["Warehouses"] = frame("Warehouses", [{"site": "S1", "storage_capacity": 10.0}])
    result = _plan(tables, {("A", M1): 100.0})
    assert result.status == "Optimal"
    assert result.report.solution == "Optimal Solution Found"
    slacks = result.slacks.set_index("slack")
    assert slacks.loc["Capacity-overload[R1,2027-01]", "quantity"] == pytest.approx(20.0)
    assert slacks.loc["Capacity-overload[R1,2027-01]", "unit"] == "h"
    # A's receipt is served in its month; B's 50 units overflow the 10-unit store by 40.
    assert slacks.loc["Storage-overflow[S1,2027-01]", "quantity"] == pytest.approx(40.0)
    assert slacks.loc["Storage-overflow[S1,2027-02]", "quantity"] == pytest.approx(40.0)
    assert set(result.slacks["kind"]) == {"capacity overload", "storage overflow"}
    assert (result.slacks["penalty"] > 0).all()
    cap = result.capacity.set_index("month")
    assert cap.loc[M1, "overload_hours"] == pytest.approx(20.0)
    assert cap.loc[M1, "used_hours"] == pytest.approx(80.0)  # never above what exists


def test_explain_shortfalls_action_writes_the_supply_tab(tmp_path):
    tables = tiny_tables()
    # Half the hours: the forecast (50 A + 30 B a month) cannot be made.
    tables["Resources"]["efficiency"] = 0.5
    path = create_workbook(tmp_path / "tiny.xlsx", tables)
    port = FilePort.open(path)
    refresh_forecast(port, jobs=1)
    summary = explain_shortfalls(port)
    assert ACTIONS["explain_shortfalls"] is explain_shortfalls
    assert summary["problem"] == "LP" and summary["mip_gap"] == 0.0
    assert summary["top_causes"] == {"capacity": summary["shortfalls"]}
    assert summary["bottlenecks"] == ["Resource-capacity[R1]"]
    saved = port.save(tmp_path / "planned.xlsx")
    again = FilePort.open(saved)
    outputs = {name: read_output(again, name, "test", allow_empty=True) for name in SUPPLY_TABLES}
    shortfalls = outputs["Shortfalls"]
    assert len(shortfalls) >= 1 and set(shortfalls["cause"]) == {"capacity"}
    assert shortfalls["constraint"].str.startswith("Resource-capacity[R1,").all()
    report = dict(
        zip(outputs["SolverReport"]["figure"], outputs["SolverReport"]["value"], strict=True)
    )
    assert report["status"] == "Optimal" and report["problem"] == "LP"
    assert set(outputs["SafetyStock"]["sku"]) == {"A", "B"}
    assert isinstance(outputs["SlackReport"], pd.DataFrame)
    lost = outputs["SlackReport"]
    assert lost["kind"].eq("lost sales").all()
    assert lost["quantity"].sum() == pytest.approx(outputs["ProductBalance"]["unmet"].sum())


def test_sop_run_reports_the_solver_and_exports_the_supply_tables(tmp_path):
    import json

    from click.testing import CliRunner

    from sop_addin.cli import cli

    tables = tiny_tables()
    tables["Routings"]["min_lot"] = [30.0, 0.0]
    path = create_workbook(tmp_path / "tiny.xlsx", tables)
    runner = CliRunner()
    for flags, problem in ((["--mip", "--gap", "0.02"], "MILP"), (["--lp"], "LP")):
        out = tmp_path / f"export-{problem}"
        result = runner.invoke(
            cli, ["run", str(path), "--json", "--jobs", "1", "--export", str(out), *flags]
        )
        assert result.exit_code == 0, result.output
        plan = json.loads(result.stdout)["plan"]
        assert plan["problem"] == problem
        # A MILP's gap is proven but not 0 at --gap 0.02: "Optimal" is kept for a proof.
        proven = "Optimal" if plan["mip_gap"] <= 1e-9 else "Within the gap"
        assert plan["status"] == proven and plan["objective"] > 0
        assert plan["solution"].startswith("Optimal")
        assert plan["mip_gap"] is not None and plan["mip_gap"] <= 0.02 + 1e-9
        for name in ("SafetyStock", "Shortfalls", "Bottlenecks", "SlackReport", "SolverReport"):
            assert (out / f"{name}.csv").exists(), name
        report = pd.read_csv(out / "SolverReport.csv").set_index("figure")["value"]
        assert report["problem"] == ("MILP (lot rules)" if problem == "MILP" else "LP")


def test_sku_without_routing_is_explained_as_no_routing():
    # A uses material M that arrives too late (a lead time), but A has no routing at all: the
    # only true explanation is that nothing can make it.
    tables = tiny_tables()
    _material(tables, lead_days=60.0, daily_limit=100.0, on_hand=0.0)
    tables["Routings"] = tables["Routings"][tables["Routings"]["sku"] == "B"].reset_index(drop=True)
    result = _plan(tables, {("A", M1): 10.0})
    jan = _causes(result, "A", M1)
    assert jan["cause"].tolist() == ["no routing"]
    assert jan["explanation"].tolist() == ["no routing can make it"]
    assert jan["unmet"].tolist() == pytest.approx([10.0])


def test_sku_without_routing_fails_validation_naming_the_products_row(tmp_path):
    from sop_addin.contract.problems import ValidationError
    from sop_addin.workbook.tables import read_inputs

    tables = tiny_tables()
    tables["Routings"] = tables["Routings"][tables["Routings"]["sku"] == "A"].reset_index(drop=True)
    path = create_workbook(tmp_path / "unrouted.xlsx", tables)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    found = [(p.tab, p.table, p.row, p.column, p.message) for p in caught.value.problems]
    assert len(found) == 1
    tab, table, row, column, message = found[0]
    assert (tab, table, row, column) == (
        "Products",
        "Products",
        4,
        "sku",
    )  # header on row 2, B on 4
    assert message.startswith("SKU 'B' has no routing: add a row to the Routings table")


def test_expedite_deviation_ignores_fractions_of_a_unit():
    from sop_addin.core.finance import FinanceRates, deviations

    shortfalls = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "month": [M1, M1],
            "rank": [1, 1],
            "unmet": [0.013, 12.0],
            "cause": ["lead time", "lead time"],
            "constraint": ["Material-balance[M,2027-01]"] * 2,
            "shadow_price": [1.0, 1.0],
            "explanation": ["", ""],
        }
    )
    plan = pd.DataFrame(
        columns=[
            "family",
            "month",
            "revenue",
            "gross_margin",
            "revenue_budget",
            "margin_budget",
            "gross_margin_pct",
            "margin_flag",
        ]
    )
    rates = FinanceRates(
        labour_rate=1.0,
        overhead_rate=0.0,
        expedite_cost_per_unit=2.0,
        receivable_days=30.0,
        payable_days=15.0,
        gross_margin_threshold=0.5,
    )
    found = deviations(plan, rates, shortfalls=shortfalls)
    assert found["item"].tolist() == ["B"]
    assert found["cost"].tolist() == pytest.approx([24.0])
