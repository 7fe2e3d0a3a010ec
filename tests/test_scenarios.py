"""Scenarios on the tiny company: what each change does to the plan, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from sop_addin.contract.problems import ValidationError
from sop_addin.core.scenarios import BASE, apply_scenario, describe, run_scenarios
from tests.factories import M1, M2, demand, frame, inputs_from, tiny_tables

M6 = pd.Timestamp("2027-06-01")


def _scenarios(rows: list[dict[str, object]]) -> pd.DataFrame:
    table = frame("Scenarios", rows)
    table.index = pd.Index(range(3, 3 + len(table)), name="_row")  # Excel rows
    return table


def _tiny_demand() -> pd.DataFrame:
    # 50 A (1 h each) + 30 B (2 h each) = 110 h a month against 80 h: capacity binds.
    return demand({(s, m): q for m in (M1, M2) for s, q in (("A", 50.0), ("B", 30.0))})


def test_demand_up_10_percent_raises_unmet_where_capacity_binds():
    inputs = inputs_from(tiny_tables())
    table = _scenarios(
        [
            {
                "scenario": "north+10",
                "change": "demand",
                "level": "region",
                "target": "North",
                "value": 10.0,
            }
        ]
    )
    compared, outcomes = run_scenarios(inputs, _tiny_demand(), table)
    base, up = compared.iloc[0], compared.iloc[1]
    assert list(compared["scenario"]) == [BASE, "north+10"]
    assert up["demand"] == pytest.approx(base["demand"] + 10.0)  # 2 months x 10% of 50
    # Capacity is full in both: the extra demand cannot be made, so unmet rises.
    assert base["peak_utilisation"] == pytest.approx(1.0)
    assert up["unmet"] > base["unmet"]
    assert up["unmet_vs_base"] == pytest.approx(up["unmet"] - base["unmet"])
    assert "R1 (2 mo)" in str(base["bottlenecks"])
    assert outcomes["north+10"].plan.balance["demand"].sum() == pytest.approx(170.0)


def test_capacity_loss_and_price_change():
    inputs = inputs_from(tiny_tables())
    table = _scenarios(
        [
            {
                "scenario": "press down",
                "change": "capacity",
                "level": "resource",
                "target": "R1",
                "from_month": M2,
                "to_month": M2,
                "value": 50.0,
            },
            {
                "scenario": "price up",
                "change": "price",
                "level": "sku",
                "target": "B",
                "value": 10.0,
            },
        ]
    )
    compared, outcomes = run_scenarios(inputs, _tiny_demand(), table)
    by = compared.set_index("scenario")
    # February loses 40 of 80 hours: 40 more hours of demand go unmet (at least 20 units).
    hours = outcomes["press down"].plan.capacity.set_index("month")["available_hours"]
    assert hours[M1] == pytest.approx(80.0) and hours[M2] == pytest.approx(40.0)
    assert by.loc["press down", "unmet"] >= by.loc[BASE, "unmet"] + 20.0 - 1e-6
    # B's price +10%: same plan volumes priced higher.
    served_b = outcomes[BASE].plan.balance.query("sku == 'B'")["served"].sum()
    assert by.loc["price up", "revenue_vs_base"] == pytest.approx(served_b * 3.0, rel=1e-6)


def _material_company() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    tables = tiny_tables(horizon=6)
    tables["Suppliers"] = frame(
        "Suppliers",
        [
            {
                "supplier": "V",
                "lead_time_days": 35.0,
                "lead_time_sd_days": 0.0,
                "daily_limit": 1000.0,
                "moq": 0.0,
            }
        ],
    )
    tables["Materials"] = frame("Materials", [{"material": "M", "unit_cost": 1.0, "supplier": "V"}])
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    return tables, demand({("A", M6): 40.0})


def test_doubled_lead_time_moves_purchase_orders_earlier():
    tables, wanted = _material_company()
    table = _scenarios(
        [
            {
                "scenario": "lead x2",
                "change": "lead_time",
                "level": "supplier",
                "target": "V",
                "value": 2.0,
            }
        ]
    )
    _, outcomes = run_scenarios(inputs_from(tables), wanted, table)
    base = outcomes[BASE].plan.purchases
    late = outcomes["lead x2"].plan.purchases
    # 35 days = 2 plan months; 70 days = 3: the order for June moves from April to March.
    assert base["order_month"].min() == pd.Timestamp("2027-04-01")
    assert late["order_month"].min() == pd.Timestamp("2027-03-01")
    assert late["quantity"].sum() == pytest.approx(base["quantity"].sum())
    assert outcomes["lead x2"].figures["unmet"] == pytest.approx(0.0)


def test_apply_scenario_leaves_the_base_untouched():
    tables, wanted = _material_company()
    inputs = inputs_from(tables)
    rows = _scenarios(
        [
            {"scenario": "s", "change": "supplier_delay", "level": "all", "value": 14.0},
            {
                "scenario": "s",
                "change": "demand",
                "level": "family",
                "target": "F",
                "from_month": M6,
                "value": -50.0,
            },
        ]
    )
    changed, changed_demand = apply_scenario(inputs, wanted, rows)
    assert changed["Suppliers"]["lead_time_days"].iloc[0] == pytest.approx(49.0)
    assert inputs["Suppliers"]["lead_time_days"].iloc[0] == pytest.approx(35.0)
    assert changed_demand["quantity"].sum() == pytest.approx(20.0)
    assert wanted["quantity"].sum() == pytest.approx(40.0)
    assert describe(rows) == "supplier delay +14 days all; demand -50% family F 2027-06.."


def test_bad_scenario_rows_are_named():
    inputs = inputs_from(tiny_tables())
    table = _scenarios(
        [
            {
                "scenario": "x",
                "change": "demand",
                "level": "region",
                "target": "Mars",
                "value": 5.0,
            },
            {"scenario": "x", "change": "capacity", "level": "sku", "target": "A", "value": 5.0},
        ]
    )
    with pytest.raises(ValidationError) as caught:
        run_scenarios(inputs, _tiny_demand(), table)
    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {(3, "target"), (4, "level")}


def test_run_compare_and_promote_through_the_workbook(tmp_path):
    from sop_addin.actions import ACTIONS, run_cycle
    from sop_addin.actions.scenarios import compare_scenarios, promote_scenario
    from sop_addin.store.plan_store import PlanStore
    from sop_addin.workbook.create import create_workbook
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.tables import read_output

    tables = tiny_tables()
    tables["Scenarios"] = frame(
        "Scenarios",
        [
            {
                "scenario": "north+10",
                "change": "demand",
                "level": "region",
                "target": "North",
                "value": 10.0,
            },
            {"scenario": "slow", "change": "capacity", "level": "all", "value": 25.0},
        ],
    )
    tables["PromoteRequest"] = frame(
        "PromoteRequest",
        [{"scenario": "north+10", "requested_by": "Ana (S&OP lead)", "reason": "sales deal"}],
    )
    path = create_workbook(tmp_path / "plan.xlsx", tables)
    port = FilePort.open(path)
    run_cycle(port)
    summary = ACTIONS["run_scenarios"](port, lambda *_: None)
    assert list(summary) == [BASE, "north+10", "slow"]
    assert summary["slow"]["unmet_vs_base"] > 0  # a quarter of the hours lost
    compared = read_output(port, "ScenarioComparison", "t")
    assert compared["changes"].iloc[2] == "capacity -25% hours all"

    store = PlanStore(tmp_path / "store")
    record = promote_scenario(port, store=store)
    assert record["promoted_by"] == "Ana (S&OP lead)" and record["reason"] == "sales deal"
    balance = read_output(port, "ProductBalance", "t")
    by = compared.set_index("scenario")
    assert balance["demand"].sum() == pytest.approx(by.loc["north+10", "demand"])
    assert by.loc["north+10", "demand"] > by.loc[BASE, "demand"]
    history = read_output(port, "Promotions", "t")
    assert history[["scenario", "promoted_by", "reason"]].values.tolist() == [
        ["north+10", "Ana (S&OP lead)", "sales deal"]
    ]
    (event,) = store.events("promotion")
    assert event["actor"] == "Ana (S&OP lead)"
    assert not store.verify_audit()

    # Every demand layer tells one story: Consensus, ProductBalance and the KPIs agree.
    consensus = read_output(port, "Consensus", "t")
    keys = ["sku", "month"]
    paired = consensus.merge(balance[[*keys, "demand"]], on=keys, validate="one_to_one")
    assert paired["consensus"].to_numpy() == pytest.approx(paired["demand"].to_numpy())
    layers = ["statistical", "lifecycle", "sales", "marketing", "family_adjustment", "override"]
    summed = consensus[layers].fillna(0.0).sum(axis=1) + consensus["scenario"]
    assert summed.to_numpy() == pytest.approx(consensus["consensus"].to_numpy())
    north = consensus["scenario"] > 0  # only the North region's SKUs moved, by 10%
    assert north.any() and not north.all()
    assert (consensus.loc[north, "note"].str.contains("scenario north\\+10")).all()
    kpis = read_output(port, "KPIs", "t").set_index("kpi")
    assert kpis.loc["Consensus demand", "value"] == pytest.approx(consensus["consensus"].sum())
    checklist = read_output(port, "Checklist", "t").set_index("check")
    assert checklist.loc["Working plan", "status"] == "warn"
    assert "north+10" in checklist.loc["Working plan", "detail"]

    # The promoted plan is now the working plan: the comparison is taken against it.
    again = compare_scenarios(port)
    assert next(iter(again)) == "working plan"
    assert again["north+10"]["unmet_vs_base"] == pytest.approx(0.0, abs=1e-6)
    port.save()
    assert len(read_output(FilePort.open(path), "Promotions", "t")) == 1

    # Approved, the promotion shows on the cover and in the approval's checklist.
    from openpyxl import load_workbook

    from sop_addin.actions.approval import approve_snapshot

    approval = approve_snapshot(
        FilePort.open(path),
        approver="Ada",
        out_dir=tmp_path / "approved",
        store=store.directory,
        override="the short SKUs are agreed with sales",  # the tiny plant cannot serve all
    )
    cover = load_workbook(approval["snapshot"])["Approval"]
    rows = {r[0]: r[1] for r in cover.iter_rows(values_only=True) if r and r[0]}
    assert rows["Promoted scenario"].startswith("north+10 (demand +10% region North")
    assert "by Ana (S&OP lead)" in rows["Promoted scenario"]
    assert rows["Working plan"] == "warn"


def test_cli_scenarios_and_risk(tmp_path):
    from click.testing import CliRunner

    from sop_addin.actions import run_cycle
    from sop_addin.cli import cli
    from sop_addin.workbook.create import create_workbook
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.tables import read_output

    tables = tiny_tables()
    tables["Scenarios"] = frame(
        "Scenarios",
        [{"scenario": "up", "change": "demand", "level": "all", "value": 20.0}],
    )
    path = create_workbook(tmp_path / "plan.xlsx", tables)
    port = FilePort.open(path)
    run_cycle(port)
    port.save()
    runner = CliRunner()
    done = runner.invoke(cli, ["scenarios", "run", str(path), "--json"])
    assert done.exit_code == 0, done.output
    assert '"up"' in done.output
    wrong = runner.invoke(
        cli,
        [
            "scenarios",
            "promote",
            str(path),
            "--scenario",
            "nope",
            "--reason",
            "x",
            "--store",
            str(tmp_path / "store"),
        ],
    )
    assert wrong.exit_code == 2
    assert "no scenario named 'nope'" in wrong.output
    done = runner.invoke(
        cli,
        [
            "scenarios",
            "promote",
            str(path),
            "--scenario",
            "up",
            "--reason",
            "big order",
            "--by",
            "Ana",
            "--store",
            str(tmp_path / "store"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "promoted up by Ana" in done.output
    done = runner.invoke(cli, ["risk", str(path), "--draws", "200", "--seed", "3"])
    assert done.exit_code == 0, done.output
    risk = read_output(FilePort.open(path), "RiskSummary", "t")
    assert risk["metric"].tolist() == ["Fill rate", "Gross margin", "Closing inventory value"]
    assert read_output(FilePort.open(path), "Promotions", "t")["promoted_by"].tolist() == ["Ana"]


def _outcome(name, unmet, margin, service_gap, mip_gap, mip_objective):
    from sop_addin.core.planning.solve import PlanResult, SolveReport
    from sop_addin.core.scenarios import ScenarioOutcome

    report = SolveReport(
        solver="HiGHS",
        status="Within the gap",
        solution="",
        stop_reason="",
        objective=mip_objective,
        mip=True,
        mip_objective=mip_objective,
        mip_gap=mip_gap,
        best_bound=None,
        duals_from="",
        seconds=0.0,
        service_gap=service_gap,
    )
    empty = pd.DataFrame()
    plan = PlanResult(empty, empty, empty, empty, "", 0.0, "", "", 0.0, 0.0, 0, 0, report)
    figures = {
        "fill_rate": 1.0,
        "demand": 1000.0,
        "unmet": unmet,
        "revenue": 5000.0,
        "gross_margin": margin,
        "gross_margin_pct": margin / 5000.0,
        "inventory_value": 0.0,
        "peak_utilisation": 1.0,
        "bottlenecks": None,
        "purchase_spend": 0.0,
    }
    return ScenarioOutcome(name, "x", plan, empty, figures)


def test_differences_within_solver_tolerance_are_shown_as_none():
    from sop_addin.core.scenarios import comparison

    # The base's cost stage stopped at a 1% gap on a cost of 2000: margins within 20 (plus the
    # scenario's own 20) may be the solver's, not the scenario's. Unmet is proven to 0.01 of
    # weighted value, i.e. 0.1 unit at most: 0.05 units apart is no difference, 3 units are.
    base = _outcome(BASE, 10.0, 1500.0, 0.01, 0.01, 2000.0)
    close = _outcome("close", 10.05, 1470.0, 0.0, 0.01, 2000.0)
    far = _outcome("far", 13.0, 1400.0, 0.0, 0.01, 2000.0)
    table = comparison({BASE: base, "close": close, "far": far}).set_index("scenario")
    assert table.loc["close", ["unmet_vs_base", "margin_vs_base"]].tolist() == [0.0, 0.0]
    assert table.loc["far", ["unmet_vs_base", "margin_vs_base"]].tolist() == pytest.approx(
        [3.0, -100.0]
    )
