"""Supply network levers on hand-solved cases: second sources and shifts as a decision."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.contract.problems import ValidationError
from sop_addin.core.finance import deviations, finance_plan, finance_rates
from sop_addin.core.network_finance import network_costs
from sop_addin.core.planning import SolverOptions, prepare_planning_data, solve_plan
from sop_addin.core.planning.sourcing import material_lead_times, material_sources
from sop_addin.core.risk import slip_probability
from sop_addin.core.scenarios import apply_scenario
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs
from tests.factories import M1, M2, M3, demand, frame, inputs_from, tiny_tables

# Weekdays (the supplier calendar): January 2027 21, February 20, March 23.


def _supplier(name: str, days: float, sd: float = 0.0, daily: float = 100.0) -> dict:
    return {
        "supplier": name,
        "lead_time_days": days,
        "lead_time_sd_days": sd,
        "daily_limit": daily,
        "moq": 0.0,
    }


def _dual_sourced(**second: float) -> dict[str, pd.DataFrame]:
    """A (1 h, conversion 2, price 10) uses 1 M per unit. M's main source V1 (Materials'
    supplier) costs 3 and arrives in the month ordered, at most 1 unit a weekday; its second
    source V2 costs 1 but takes 35 days (2 plan months)."""
    tables = tiny_tables(horizon=3)
    tables["Suppliers"] = frame("Suppliers", [_supplier("V1", 0.0), _supplier("V2", 35.0)])
    tables["Materials"] = frame(
        "Materials", [{"material": "M", "unit_cost": 3.0, "supplier": "V1"}]
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    tables["Sourcing"] = frame(
        "Sourcing",
        [
            {"material": "M", "supplier": "V1", "daily_limit": 1.0},
            {"material": "M", "supplier": "V2", "unit_cost": 1.0, **second},
        ],
    )
    return tables


def _plan(tables, rows):
    data = prepare_planning_data(inputs_from(tables), demand(rows))
    return data, solve_plan(data, SolverOptions())


def _bought(result, supplier):
    buys = result.purchases
    return buys[buys["supplier"] == supplier].set_index("order_month")["quantity"].to_dict()


A20 = {("A", m): 20.0 for m in (M1, M2, M3)}


def test_the_cheapest_feasible_mix_of_sources():
    # V2 (price 1) can only deliver from March (order January, arrive March): January and
    # February buy 20 each from V1 at 3 (within its 21 and 20 a month), March's 20 come from
    # V2. Optimal cost: conversion 60 x 2 = 120 + V1 40 x 3 = 120 + V2 20 x 1 = 20 = 260.
    data, result = _plan(_dual_sourced(), A20)
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert _bought(result, "V1") == pytest.approx({M1: 20.0, M2: 20.0})
    assert _bought(result, "V2") == pytest.approx({M1: 20.0})
    v2 = result.purchases[result.purchases["supplier"] == "V2"].iloc[0]
    assert v2["arrival_month"] == M3 and v2["cost"] == pytest.approx(20.0)
    assert result.objective == pytest.approx(260.0, abs=1e-6)
    # The main source is the Materials supplier; V2 is a second source.
    assert data.materials.at["M", "supplier"] == "V1"


def test_a_share_cap_moves_volume_back_to_the_dearer_source():
    # V2 may carry at most 25% of M's 60 units: 15 in March; V1 makes up 5 (room 23 in March).
    # Cost 120 + V1 45 x 3 = 135 + V2 15 x 1 = 15 = 270.
    _, result = _plan(_dual_sourced(max_share=0.25), A20)
    assert _bought(result, "V2") == pytest.approx({M1: 15.0})
    assert _bought(result, "V1") == pytest.approx({M1: 20.0, M2: 20.0, M3: 5.0})
    assert result.objective == pytest.approx(270.0, abs=1e-6)


def test_the_shortfall_names_the_source_that_ran_out():
    # V1 ships at most 0.5 a weekday: 10.5 in January, 10 in February; V2 arrives in March
    # only. In whole units January's order is 10 (an 11th would break the limit), so 10 and 10
    # units of A are short, and the cause is V1's own limit on M.
    tables = _dual_sourced()
    tables["Sourcing"].loc[0, "daily_limit"] = 0.5
    _, result = _plan(tables, A20)
    balance = result.balance[result.balance["sku"] == "A"]
    assert balance["unmet"].tolist() == pytest.approx([10.0, 10.0, 0.0])
    first = result.shortfalls[result.shortfalls["month"] == M1].iloc[0]
    assert first["cause"] == "supplier limit"
    assert first["constraint"] == "Source-limit[M,V1,2027-01]"
    assert "V1 (main source of M)" in first["explanation"]


def test_a_second_source_moq_is_all_or_nothing():
    # V2's MOQ 30 is more than March needs: buying 30 at 1 (30) beats 20 at 3 (60) from V1,
    # so V2 gets one order of 30 (10 left in stock, holding 0.12/12 x 3 x 10 = 0.3 a month
    # for March only... the order arrives in March and stays: 0.3). Cost 120 + 120 + 30 + 0.3.
    _, result = _plan(_dual_sourced(moq=30.0), A20)
    assert _bought(result, "V2") == pytest.approx({M1: 30.0})
    assert result.objective == pytest.approx(270.3, abs=1e-6)


def test_supplier_lost_moves_its_volume_to_the_others():
    # Without V2, March's 20 come from V1 too (room 23): nothing unmet, cost 120 + 60 x 3.
    tables = _dual_sourced()
    inputs = inputs_from(tables)
    rows = pd.DataFrame(
        [
            {
                "scenario": "V2 lost",
                "change": "supplier_lost",
                "level": "supplier",
                "target": "V2",
                "from_month": pd.NaT,
                "to_month": pd.NaT,
                "value": 0.0,
            }
        ]
    )
    changed, wanted = apply_scenario(inputs, demand(A20), rows)
    result = solve_plan(prepare_planning_data(changed, wanted), SolverOptions())
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert _bought(result, "V2") == {}
    assert _bought(result, "V1") == pytest.approx({M1: 20.0, M2: 20.0, M3: 20.0})
    assert result.objective == pytest.approx(300.0, abs=1e-6)


def test_lead_time_of_a_material_is_the_mix_of_its_sources():
    # V1: 10 days, sd 2; V2: 40 days, sd 4; equal shares. Mean 0.5 x 10 + 0.5 x 40 = 25;
    # spread sqrt(0.5 x 4 + 0.5 x 16) = sqrt(10): each order has its own source's spread.
    tables = _dual_sourced()
    tables["Suppliers"] = frame(
        "Suppliers", [_supplier("V1", 10.0, sd=2.0), _supplier("V2", 40.0, sd=4.0)]
    )
    tables["Sourcing"] = frame(
        "Sourcing", [{"material": "M", "supplier": "V1"}, {"material": "M", "supplier": "V2"}]
    )
    lead = material_lead_times(material_sources(inputs_from(tables)))
    assert lead.at["M", "days"] == pytest.approx(25.0)
    assert lead.at["M", "sd_days"] == pytest.approx(math.sqrt(10.0))
    # The Monte Carlo: V1 planned 1 month (30.44 days) is late with P(N(10, 2) > 30.44) ~ 0;
    # V2 planned 2 months (60.88 days) with P(N(40, 4) > 60.88) = sf(5.22): both ~ 0. With
    # V2's spread 20: sf((60.88 - 40) / 20) = sf(1.044) = 0.148, half of it weighted: 0.074.
    tables["Suppliers"].loc[1, "lead_time_sd_days"] = 20.0
    slip = slip_probability(inputs_from(tables), ["A", "B"])
    assert slip[0] == pytest.approx(0.5 * 0.14823, abs=2e-4)
    assert slip[1] == 0.0


def test_a_material_without_sourcing_rows_keeps_its_supplier():
    tables = _dual_sourced()
    tables["Sourcing"] = frame("Sourcing", [])
    sources = material_sources(inputs_from(tables))
    assert list(sources.index) == [("M", "V1")]
    assert sources.iloc[0]["unit_cost"] == 3.0 and bool(sources.iloc[0]["primary"])
    # And without the table at all (a workbook made before it existed).
    del tables["Sourcing"]
    _, result = _plan(tables, A20)
    assert set(result.purchases["supplier"]) == {"V1"}


# -- shifts as a decision -----------------------------------------------------------------


def _shift_case(cost: float, min_months: int = 1, **resource: float) -> dict:
    """R1 has 80 h a month (10 days x 8 h); A needs 1 h a unit (price 10, conversion 2, so a
    unit lost weighs its margin 8 + 1 = 9). An extra shift of 4 h a day adds 40 h a month."""
    tables = tiny_tables(horizon=3)
    for name, value in resource.items():
        tables["Resources"][name] = value
    tables["ShiftOptions"] = frame(
        "ShiftOptions",
        [
            {
                "resource": "R1",
                "hours_per_day": 4.0,
                "cost_per_month": cost,
                "min_months": min_months,
                "max_shifts": 1,
            }
        ],
    )
    return tables


PEAK = {("A", M1): 100.0, ("A", M2): 80.0, ("A", M3): 80.0}


def test_a_shift_is_added_where_it_beats_lost_sales():
    # January needs 100 h: 20 units short without a shift, worth 20 x 9 = 180. A shift for
    # January costs 150 < 180: added. Cost 260 x 2 + 150 = 670.
    _, result = _plan(_shift_case(150.0), PEAK)
    cap = result.capacity.set_index("month")
    assert cap["shifts_added"].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert cap.at[M1, "available_hours"] == pytest.approx(120.0)
    assert cap.at[M1, "shift_cost"] == pytest.approx(150.0)
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert result.objective == pytest.approx(670.0, abs=1e-6)
    # Finance lists it as a deviation needing authorisation, with its cost.
    found = deviations(
        pd.DataFrame(columns=["revenue_budget", "margin_budget", "margin_flag"]),
        finance_rates(inputs_from(_shift_case(150.0))),
        result.capacity,
    )
    shift = found[found["kind"] == "extra shift"]
    assert shift[["item", "month", "cost"]].values.tolist() == [["R1", M1, 150.0]]


def test_a_shift_that_costs_more_than_the_sales_it_saves_is_not_added():
    # At least two months: 2 x 150 = 300 > 180 lost, so January stays 20 short.
    # Cost 240 x 2 = 480.
    _, result = _plan(_shift_case(150.0, min_months=2), PEAK)
    assert result.capacity["shifts_added"].sum() == pytest.approx(0.0)
    assert result.balance["unmet"].sum() == pytest.approx(20.0)
    assert result.objective == pytest.approx(480.0, abs=1e-6)


@pytest.mark.parametrize(("rate", "shifts", "cost"), [(10.0, 1.0, 670.0), (5.0, 0.0, 620.0)])
def test_a_shift_replaces_overtime_only_where_it_is_cheaper(rate, shifts, cost):
    # 40 h of overtime could serve January's 20 extra hours: at 10/h that is 200 > the shift's
    # 150 (cost 520 + 150 = 670); at 5/h it is 100 < 150 (cost 520 + 100 = 620).
    tables = _shift_case(150.0, overtime_hours_max=40.0, overtime_cost_per_hour=rate)
    _, result = _plan(tables, PEAK)
    assert result.capacity["shifts_added"].sum() == pytest.approx(shifts)
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert result.objective == pytest.approx(cost, abs=1e-6)


def test_a_shift_runs_its_minimum_months():
    # Demand 100 in January and February, 80 in March; a shift costs 100 and runs at least
    # 2 months: January and February (200 < 2 x 180); March needs none. Cost 280 x 2 + 200.
    rows = {("A", M1): 100.0, ("A", M2): 100.0, ("A", M3): 80.0}
    _, result = _plan(_shift_case(100.0, min_months=2), rows)
    assert result.capacity["shifts_added"].tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert result.objective == pytest.approx(760.0, abs=1e-6)


# -- finance: the levers' costs in COGS --------------------------------------------------------


def test_network_costs_reach_cogs_by_family_and_month():
    # The cheapest mix buys V2's 20 units at 1 against M's standard price 3: 20 x (1 - 3) = -40
    # in March (arrival), all for family F (only A uses M). COGS of F in March: 20 units served
    # x standard cost (labour 2 h x 1) = 40, less 40 = 0.
    tables = _dual_sourced()
    inputs = inputs_from(tables)
    _, result = _plan(tables, A20)
    network = network_costs(inputs, result.production, result.purchases, result.capacity)
    assert network.values.tolist() == [["F", M3, pytest.approx(-40.0)]]
    plan = finance_plan(inputs, result.balance, finance_rates(inputs), network).set_index(
        ["family", "month"]
    )
    assert plan.at[("F", M3), "network_cost"] == pytest.approx(-40.0)
    assert plan.at[("F", M3), "cogs"] == pytest.approx(0.0)
    assert plan.at[("F", M1), "cogs"] == pytest.approx(40.0)


def test_shift_cost_reaches_cogs_of_the_families_that_use_the_hours():
    # January's shift (150) on R1, which only A (family F) uses in January: F's COGS + 150.
    tables = _shift_case(150.0)
    inputs = inputs_from(tables)
    _, result = _plan(tables, PEAK)
    network = network_costs(inputs, result.production, result.purchases, result.capacity)
    assert network.values.tolist() == [["F", M1, pytest.approx(150.0)]]


# -- older workbooks ------------------------------------------------------------------------


def test_a_workbook_made_before_the_network_tables_still_plans(tiny_workbook):
    # Remove Sourcing and ShiftOptions from a real workbook file: it reads and plans as before.
    wb = load_workbook(tiny_workbook)
    wb["Suppliers"].tables.pop("Sourcing")
    wb["Resources"].tables.pop("ShiftOptions")
    wb.save(tiny_workbook)
    inputs = read_inputs(FilePort.open(tiny_workbook))
    assert "Sourcing" not in inputs.tables and "ShiftOptions" not in inputs.tables
    result = solve_plan(prepare_planning_data(inputs, demand(A20)), SolverOptions())
    assert result.capacity["shifts_added"].sum() == 0.0
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


def test_a_sourcing_row_naming_an_unknown_supplier_is_reported(tiny_workbook):
    tables = _dual_sourced()
    tables["Sourcing"].loc[1, "supplier"] = "V9"
    path = create_workbook(tiny_workbook.parent / "bad.xlsx", tables)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    where = [(p.tab, p.table, p.column) for p in caught.value.problems]
    assert ("Suppliers", "Sourcing", "supplier") in where


# -- substitute components ------------------------------------------------------------------


def _substitutable(v1_daily: float, m2_price: float, ratio: float, extra: float) -> dict:
    """A uses 1 M a unit (price 3, from V1 in the month ordered); the BOM alternate M2 (from
    V2, also at once) replaces each M with `ratio` M2 at `extra` per unit of A started."""
    tables = tiny_tables(horizon=2)
    tables["Suppliers"] = frame(
        "Suppliers", [_supplier("V1", 0.0, daily=v1_daily), _supplier("V2", 0.0)]
    )
    tables["Materials"] = frame(
        "Materials",
        [
            {"material": "M", "unit_cost": 3.0, "supplier": "V1"},
            {"material": "M2", "unit_cost": m2_price, "supplier": "V2"},
        ],
    )
    tables["BOM"] = frame("BOM", [{"sku": "A", "material": "M", "quantity_per_unit": 1.0}])
    tables["BOMAlternates"] = frame(
        "BOMAlternates",
        [
            {
                "sku": "A",
                "material": "M",
                "alternate_material": "M2",
                "ratio": ratio,
                "extra_cost": extra,
            }
        ],
    )
    return tables


A2 = {("A", M1): 20.0, ("A", M2): 20.0}


def test_a_substitute_serves_demand_when_the_primary_is_short():
    # V1 ships 0.5 a weekday: 10.5 M in January, 10 in February. A unit on M2 costs 2 x 2 + 1
    # = 5 against 3 on M, so M goes first and the substitute covers the rest: 9.5 and 10 units.
    # In whole units January's M order is 10 (an 11th breaks V1's limit), so the substitute
    # covers 10 units in each month. Cost: conversion 40 x 2 = 80 + M 20 x 3 = 60 + M2 40 x 2
    # = 80 + extra 20 = 240 (239 in fractions: --fractional).
    tables = _substitutable(0.5, 2.0, 2.0, 1.0)
    _, result = _plan(tables, A2)
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    used = result.substitutions
    assert used["units"].tolist() == pytest.approx([10.0, 10.0])
    assert used["alternate_used"].tolist() == pytest.approx([20.0, 20.0])
    assert set(used["reason"]) == {"primary short"}
    assert "M was short in 2027-01" in used["explanation"].iloc[0]
    assert result.objective == pytest.approx(240.0, abs=1e-6)
    notes = result.purchases.set_index(["material", "order_month"])["note"]
    assert notes[("M2", M1)] == "substitute for M in A from 2027-01 (primary short)"
    assert pd.isna(notes[("M", M1)])
    # Finance: January's substitution costs 20 x 2 - 10 x 3 + 10 x 1 = 20 above standard.
    inputs = inputs_from(tables)
    network = network_costs(
        inputs, result.production, result.purchases, result.capacity, result.substitutions
    ).set_index(["family", "month"])
    assert network.at[("F", M1), "network_cost"] == pytest.approx(20.0)


@pytest.mark.parametrize(("extra", "units", "cost"), [(0.5, 40.0, 140.0), (2.5, 0.0, 200.0)])
def test_a_substitute_is_used_only_when_it_pays(extra, units, cost):
    # M2 at 1 a unit, one for one: with an extra 0.5 a unit costs 1.5 < 3 on M, so all 40 use
    # it (80 + 40 + 20 = 140); with 2.5 it costs 3.5 > 3: none do (80 + 120 = 200).
    _, result = _plan(_substitutable(100.0, 1.0, 1.0, extra), A2)
    total = float(result.substitutions["units"].sum()) if len(result.substitutions) else 0.0
    assert total == pytest.approx(units)
    if units:
        assert set(result.substitutions["reason"]) == {"cheaper"}
    assert result.objective == pytest.approx(cost, abs=1e-6)


def test_network_tables_that_make_no_sense_are_reported_by_cell(tmp_path):
    # A substitute for a material the SKU does not use, at ratio 0; two sources of M whose
    # shares reach only 60% together.
    tables = _substitutable(100.0, 1.0, 0.0, 0.0)
    tables["BOMAlternates"].loc[0, "sku"] = "B"
    tables["Sourcing"] = frame(
        "Sourcing",
        [
            {"material": "M", "supplier": "V1", "max_share": 0.3},
            {"material": "M", "supplier": "V2", "max_share": 0.3},
        ],
    )
    path = create_workbook(tmp_path / "bad.xlsx", tables)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(path))
    found = {(p.tab, p.table, p.row, p.column): p.message for p in caught.value.problems}
    assert found[("Materials", "BOMAlternates", 3, "material")] == "'M' is not in the BOM of 'B'"
    assert "above 0" in found[("Materials", "BOMAlternates", 3, "ratio")]
    assert "at most 60%" in found[("Suppliers", "Sourcing", 3, "max_share")]
