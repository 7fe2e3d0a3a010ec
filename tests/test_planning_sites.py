"""Sites and transfer lanes on hand-solved cases: stock per SKU and site, moved along lanes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.cli import cli
from sop_addin.contract.problems import ValidationError
from sop_addin.core.finance import finance_plan, finance_rates
from sop_addin.core.network_finance import network_costs
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.scenarios import apply_scenario, check_scenarios, evaluate
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import has_table, read_inputs, read_output
from tests.factories import M1, M2, M3, demand, demo_planning_data, frame, inputs_from, tiny_tables

B20 = {("B", m): 20.0 for m in (M1, M2, M3)}


def _two_sites(capacity: float | None = None, lead: int = 1, **extra) -> dict:
    """B (price 30, conversion 3, 2 h a unit) is made only on R1 at S1 (80 h a month: 40
    units) and sells in region South, served from S2 (Regions). Lane L12 moves stock from S1
    to S2 in `lead` months at 1 a unit, at most `capacity` units a month. S2 stores 1000."""
    tables = tiny_tables(horizon=3)
    tables["Regions"] = frame(
        "Regions", [{"region": "North", "site": "S1"}, {"region": "South", "site": "S2"}]
    )
    lane = {
        "lane": "L12",
        "from_site": "S1",
        "to_site": "S2",
        "lead_months": lead,
        "cost_per_unit": 1.0,
        "capacity_per_month": capacity,
    }
    tables["Lanes"] = frame("Lanes", [{**lane, **extra}])
    # S2 is a distribution centre: a site is known by its resources, stock or store.
    tables["Warehouses"] = frame("Warehouses", [{"site": "S2", "storage_capacity": 1000.0}])
    return tables


def _plan(tables, rows=B20):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return data, solve_plan(data, SolverOptions())


def _rows(result, sku, site):
    """The SKU's balance at the site by month; an other site's month with nothing is no row."""
    balance = result.balance
    rows = balance[(balance["sku"] == sku) & (balance["site"] == site)].set_index("month")
    numbers = rows.select_dtypes("number")
    return numbers.reindex([M1, M2, M3], fill_value=0.0)


def test_a_transfer_serves_demand_that_would_otherwise_be_lost():
    # Nothing is made at S2, so without the lane all 60 units of B's demand there are lost.
    # With it, a unit made at S1 in month t ships in t and arrives in t + 1: January's 20 are
    # lost (nothing arrives in January), February's and March's are made and shipped in
    # January and February. Optimal cost: conversion 40 x 3 = 120 + transfers 40 x 1 = 40 =
    # 160 (no stock closes a month anywhere: made, shipped and sold in step; goods in transit
    # carry no holding cost).
    data, result = _plan(_two_sites())
    assert data.products.at["B", "site"] == "S2"
    s2, s1 = _rows(result, "B", "S2"), _rows(result, "B", "S1")
    assert s2["unmet"].tolist() == pytest.approx([20.0, 0.0, 0.0])
    assert s2["transfers_in"].tolist() == pytest.approx([0.0, 20.0, 20.0])
    assert s2["production"].sum() == pytest.approx(0.0)
    assert s1["production"].tolist() == pytest.approx([20.0, 20.0, 0.0])
    assert s1["transfers_out"].tolist() == pytest.approx([20.0, 20.0, 0.0])
    assert s1["demand"].sum() == pytest.approx(0.0)
    assert result.objective == pytest.approx(160.0, abs=1e-6)
    moved = result.transfers
    assert moved[["sku", "lane", "from_site", "to_site"]].drop_duplicates().values.tolist() == [
        ["B", "L12", "S1", "S2"]
    ]
    assert moved["ship_month"].tolist() == [M1, M2]
    assert moved["arrival_month"].tolist() == [M2, M3]
    assert moved["quantity"].tolist() == pytest.approx([20.0, 20.0])
    assert moved["cost"].tolist() == pytest.approx([20.0, 20.0])


def test_without_the_lane_the_demand_site_cannot_be_served():
    # Regions alone: B sells at S2 and is made at S1 with no lane between: all 60 lost, nothing
    # made (cost 0), and the shortfall is that no routing lands at S2... it is cost: making it
    # at S1 serves nobody.
    tables = _two_sites()
    tables["Lanes"] = frame("Lanes", [])
    _, result = _plan(tables)
    assert _rows(result, "B", "S2")["unmet"].sum() == pytest.approx(60.0)
    assert result.transfers.empty
    assert result.objective == pytest.approx(0.0, abs=1e-6)


def test_a_workbook_without_sites_pools_stock_as_before():
    # No Regions, no Lanes: B is made and sold at S1, all 60 served, one row per SKU and month.
    # Cost 60 x 3 = 180.
    tables = tiny_tables(horizon=3)
    _, result = _plan(tables)
    balance = result.balance
    assert len(balance) == 2 * 3
    assert set(balance["site"]) == {"S1"}
    assert balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert balance["transfers_in"].sum() == balance["transfers_out"].sum() == 0.0
    assert result.transfers.empty
    assert result.objective == pytest.approx(180.0, abs=1e-6)


def test_stock_on_hand_at_the_demand_site_serves_first():
    # 5 units of B on hand at S2 and 8 at S1: January serves S2's 5 (15 lost); S1's 8 ship in
    # January with 12 made, for February; March's 20 are made in February. Cost: conversion
    # 32 x 3 = 96 + transfers 40 x 1 = 40 = 136.
    tables = _two_sites()
    tables["ProductInventory"] = frame(
        "ProductInventory",
        [
            {"sku": "B", "site": "S2", "on_hand": 5.0, "safety_stock": 0.0},
            {"sku": "B", "site": "S1", "on_hand": 8.0, "safety_stock": 0.0},
        ],
    )
    _, result = _plan(tables)
    s2, s1 = _rows(result, "B", "S2"), _rows(result, "B", "S1")
    assert s2["unmet"].tolist() == pytest.approx([15.0, 0.0, 0.0])
    assert s2.at[M1, "opening"] == pytest.approx(5.0)
    assert s1.at[M1, "opening"] == pytest.approx(8.0)
    assert s1["production"].tolist() == pytest.approx([12.0, 20.0, 0.0])
    assert result.objective == pytest.approx(136.0, abs=1e-6)


def test_a_lane_at_capacity_is_named_in_the_shortfalls():
    # At most 15 units a month on L12: 15 arrive in February and 15 in March, so 5 are short
    # in each; January's 20 are short as before. Cost 30 x 3 + 30 x 1 = 120.
    _, result = _plan(_two_sites(capacity=15.0))
    assert _rows(result, "B", "S2")["unmet"].tolist() == pytest.approx([20.0, 5.0, 5.0])
    assert result.objective == pytest.approx(120.0, abs=1e-6)
    february = result.shortfalls[result.shortfalls["month"] == M2].iloc[0]
    assert february["cause"] == "lane capacity"
    assert february["constraint"] == "Lane-capacity[L12,2027-01]"
    assert "lane L12 (S1 to S2) is full in 2027-01" in february["explanation"]
    # A unit more of the lane serves a unit of February lost: B's margin 27 x 1 + 1 = 28 (and
    # a hair for selling sooner).
    assert february["shadow_price"] == pytest.approx(28.0, rel=1e-3)
    assert "Lane-capacity[L12]" in result.bottlenecks["constraint"].tolist()


@pytest.mark.parametrize("lead", [0, 1, 2])
def test_the_balance_holds_per_site(lead):
    # Every row: closing = opening + production + receipts + transfers in - out - served, and
    # a month opens with the last one's closing, per SKU and site; every unit shipped arrives.
    rows = {**B20, ("A", M1): 30.0, ("A", M2): 50.0, ("A", M3): 10.0}
    _, result = _plan(_two_sites(capacity=25.0, lead=lead), rows)
    b = result.balance
    flow = b["opening"] + b["production"] + b["receipts"] + b["transfers_in"]
    assert (b["closing"] - (flow - b["transfers_out"] - b["served"])).abs().max() < 1e-6
    for _, site_rows in b.groupby(["sku", "site"]):
        ordered = site_rows.sort_values("month")
        assert ordered["opening"].iloc[1:].tolist() == pytest.approx(
            ordered["closing"].iloc[:-1].tolist()
        )
    moved = result.transfers["quantity"].sum()
    assert b["transfers_out"].sum() == pytest.approx(moved)
    assert b["transfers_in"].sum() == pytest.approx(moved)
    assert (b["closing"] >= -1e-9).all()


def test_transfer_cost_reaches_cogs_of_the_family_in_the_ship_month():
    # B is family G: 20 units moved in January and 20 in February at 1 each add 20 to G's COGS
    # in each of those months.
    tables = _two_sites()
    inputs = inputs_from(tables)
    _, result = _plan(tables)
    network = network_costs(
        inputs, result.production, result.purchases, result.capacity, transfers=result.transfers
    )
    assert network.set_index(["family", "month"])["network_cost"].to_dict() == pytest.approx(
        {("G", M1): 20.0, ("G", M2): 20.0}
    )
    plan = finance_plan(inputs, result.balance, finance_rates(inputs), network).set_index(
        ["family", "month"]
    )
    # February: 20 served x standard cost 3 = 60 + 20 transfer cost.
    assert plan.at[("G", M2), "cogs"] == pytest.approx(80.0)


# Scenario "L12 lost": lane L12 carries nothing for the whole horizon.
L12_LOST = pd.DataFrame(
    [
        {
            "scenario": "L12 lost",
            "change": "lane_lost",
            "level": "lane",
            "target": "L12",
            "from_month": pd.NaT,
            "to_month": pd.NaT,
            "value": 0.0,
            "note": "",
        }
    ]
)


def test_a_lost_lane_moves_nothing():
    # Scenario "lane lost": L12 carries nothing, so all of B's demand at S2 is lost.
    tables = _two_sites()
    changed, wanted = apply_scenario(inputs_from(tables), demand(B20), L12_LOST)
    result = solve_plan(prepare_planning_data(changed, wanted), SolverOptions())
    assert result.transfers.empty
    assert _rows(result, "B", "S2")["unmet"].sum() == pytest.approx(60.0)


def test_the_demo_plan_balances_per_site_and_keeps_lanes_within_capacity():
    # The demo company (12 SKUs, 6 months, demand 30% above its recent mean) with its two
    # sites and lanes, planned as an LP: every (sku, site) balances month to month, every unit
    # shipped arrives, and no lane carries more than its capacity in a month.
    data = demo_planning_data(1)
    result = solve_plan(data, SolverOptions(relax_lots=True))
    b = result.balance
    assert b["demand"].sum() == pytest.approx(float(data.demand.sum()))
    moved = b["transfers_in"] - b["transfers_out"]
    flow = b["opening"] + b["production"] + b["receipts"] + moved - b["served"] - b["closing"]
    assert flow.abs().max() < 1e-4
    for _, at_site in b.groupby(["sku", "site"]):
        # An other site's month with nothing in it is no row: it opens and closes at 0.
        gap = at_site["opening"].iloc[1:].to_numpy() - at_site["closing"].iloc[:-1].to_numpy()
        assert len(gap) == 0 or abs(gap).max() < 1e-4
    transfers = result.transfers
    assert len(transfers) > 0
    assert b["transfers_in"].sum() == pytest.approx(transfers["quantity"].sum())
    assert b["transfers_out"].sum() == pytest.approx(transfers["quantity"].sum())
    per_month = transfers.groupby(["lane", "ship_month"])["quantity"].sum()
    capacity = data.lanes["capacity"]  # by lane
    assert (per_month <= per_month.index.get_level_values("lane").map(capacity) + 1e-6).all()


# -- through a real workbook file ---------------------------------------------------------------


def _sop(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_sop_run_writes_transfers_and_the_balance_per_site(tmp_path):
    # A workbook file with Regions and Lanes, planned by `sop run --lp` (forecast from its
    # history, then the plan): Transfers and ProductBalance read back from the file agree.
    path = create_workbook(tmp_path / "sites.xlsx", _two_sites(lead=0))
    _sop("run", str(path), "--lp", "--json", "--jobs", "1")
    port = FilePort.open(path)
    transfers = read_output(port, "Transfers", "t")
    balance = read_output(port, "ProductBalance", "t")
    assert len(transfers) > 0
    assert set(transfers["lane"]) == {"L12"} and set(transfers["sku"]) == {"B"}
    assert (transfers["arrival_month"] == transfers["ship_month"]).all()  # lead 0
    assert transfers["cost"].to_numpy() == pytest.approx(transfers["quantity"].to_numpy())
    s1 = balance[(balance["sku"] == "B") & (balance["site"] == "S1")].set_index("month")
    s2 = balance[(balance["sku"] == "B") & (balance["site"] == "S2")].set_index("month")
    shipped = transfers.set_index("ship_month")["quantity"]
    assert s1["transfers_out"].reindex(shipped.index).to_numpy() == pytest.approx(shipped)
    assert s2["transfers_in"].reindex(shipped.index).to_numpy() == pytest.approx(shipped)
    assert s2["demand"].sum() > 0 and s1["demand"].sum() == 0
    # A's demand site is S1 (North), where it is made: it never travels.
    assert set(balance.loc[balance["sku"] == "A", "site"]) == {"S1"}


def test_a_workbook_made_before_sites_still_runs(tmp_path):
    # Remove Regions, Lanes and Transfers from a real workbook file: it plans pooled stock as
    # before and writes no Transfers table.
    path = create_workbook(tmp_path / "old.xlsx", tiny_tables(horizon=3))
    wb = load_workbook(path)
    for name in ("Regions", "Lanes", "Transfers"):
        sheet = next(ws for ws in wb.worksheets if name in ws.tables)
        sheet.tables.pop(name)
    wb.save(path)
    _sop("run", str(path), "--lp", "--json", "--jobs", "1")
    port = FilePort.open(path)
    assert not has_table(port, "Transfers")
    balance = read_output(port, "ProductBalance", "t")
    assert len(balance) == 2 * 3 and set(balance["site"]) == {"S1"}


def test_lanes_that_make_no_sense_are_reported_by_cell(tmp_path):
    # A lane from a site to itself, a lane to an unknown site, a region served from an unknown
    # site and a negative lead time: each named by tab, table, row and column.
    tables = _two_sites()
    tables["Lanes"] = frame(
        "Lanes",
        [
            {"lane": "L11", "from_site": "S1", "to_site": "S1", "lead_months": 0},
            {"lane": "L19", "from_site": "S1", "to_site": "S9", "lead_months": 0},
            {"lane": "L12", "from_site": "S1", "to_site": "S2", "lead_months": -1},
        ],
    )
    tables["Lanes"]["cost_per_unit"] = 1.0
    tables["Regions"].loc[1, "site"] = "S8"
    path = create_workbook(tmp_path / "bad.xlsx", tables)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    where = {(p.tab, p.table, p.row, p.column) for p in caught.value.problems}
    # Tables start on row 2 (title row 1): the header is row 2, the first data row 3.
    assert ("Inventory", "Lanes", 3, "to_site") in where  # S1 to S1
    assert ("Inventory", "Lanes", 4, "to_site") in where  # S9 unknown
    assert ("Inventory", "Lanes", 5, "lead_months") in where  # below 0
    assert ("Inventory", "Regions", 4, "site") in where  # S8 unknown


def test_a_scenario_values_its_transfers_and_losing_the_lane_costs_the_sales():
    # evaluate() plans and values a scenario as Run Scenarios does. Base: 40 units moved at 1
    # reach G's COGS (January and February, 20 each); 40 of B's 60 are served. With L12 lost
    # nothing moves: no transfer cost, and none of B is served.
    tables = _two_sites()
    inputs = inputs_from(tables)
    base = evaluate("base", inputs, demand(B20), pd.DataFrame())
    g = base.finance[base.finance["family"] == "G"].set_index("month")
    assert g["network_cost"].to_dict() == pytest.approx({M1: 20.0, M2: 20.0, M3: 0.0})
    assert g["units"].sum() == pytest.approx(40.0)
    check_scenarios(L12_LOST, inputs)
    outcome = evaluate("L12 lost", inputs, demand(B20), L12_LOST)
    assert outcome.changes == "lane lost lane L12"
    g = outcome.finance[outcome.finance["family"] == "G"]
    assert g["network_cost"].sum() == pytest.approx(0.0) and g["units"].sum() == 0.0
