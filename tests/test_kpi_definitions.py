"""One definition of unmet demand and fill rate, in all four places that report them."""

from __future__ import annotations

import re

import pandas as pd

from sop_addin.actions import ACTIONS, run_cycle
from sop_addin.core.kpis import service_level
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.factories import M1, frame, tiny_tables


def test_kpis_checklist_json_and_scenario_comparison_agree(tmp_path):
    tables = tiny_tables()
    products = tables["Products"].copy()
    products["unmet_policy"] = ["backlog", "lost-sales"]  # A's shortfall is carried forward
    tables["Products"] = products
    # A's demand: 30 then 10; its resource makes 20 a month. M1 serves 20 and owes 10; M2
    # serves its 10 and the 10 owed. B: 30 of 30 each month.
    tables["Overrides"] = frame(
        "Overrides",
        [
            {"sku": "A", "month": month, "kind": "absolute", "value": value,
             "reason_code": "customer", "author": "t", "entered_on": "2026-12-01"}
            for month, value in ((M1, 30.0), (M1 + pd.DateOffset(months=1), 10.0))
        ],
    )  # fmt: skip
    tables["Scenarios"] = frame(
        "Scenarios", [{"scenario": "slow", "change": "capacity", "level": "all", "value": 25.0}]
    )
    port = FilePort.open(create_workbook(tmp_path / "plan.xlsx", tables))
    summary = run_cycle(port)
    scenarios = ACTIONS["run_scenarios"](port, lambda *_: None)

    balance = read_output(port, "ProductBalance", "test")
    # Over the horizon: demand 30 + 10 + 60 = 100, all of it shipped: unmet 0, fill 100%.
    service = service_level(balance)
    assert (service.demand, service.served, service.unmet, service.fill_rate) == (
        100.0,
        100.0,
        0.0,
        1.0,
    )
    # The months' own unmet still shows M1's 10, caught up in M2: summing it (as the
    # checklist, the scenarios and the JSON once did) reports 10 units never lost.
    assert float(balance["unmet"].sum()) == 10.0

    kpis = read_output(port, "KPIs", "test").set_index("kpi")["value"]
    assert kpis["Unmet demand"] == 0.0 and kpis["Fill rate"] == 100.0

    checklist = read_output(port, "Checklist", "test").set_index("check")
    detail = checklist.loc["Supply feasible", "detail"]
    fill, unmet = re.fullmatch(r"fill rate ([\d.]+)%, unmet ([\d,]+) units", detail).groups()
    assert (float(fill), float(unmet.replace(",", ""))) == (100.0, 0.0)

    assert summary["kpis"]["Unmet demand"]["value"] == 0.0  # what `sop run --json` prints
    assert summary["kpis"]["Fill rate"]["value"] == 100.0
    assert summary["plan"]["unmet_units"] == 0.0

    base = next(iter(scenarios.values()))  # the base plan, first in the comparison
    assert base["unmet"] == 0.0 and base["fill_rate"] == 1.0
    compared = read_output(port, "ScenarioComparison", "test")
    assert compared["unmet"].iloc[0] == 0.0
