"""The pre-executive checklist's statuses on hand-made plan tables."""

from __future__ import annotations

import pandas as pd

from sop_addin.core.checklist import validation_checklist
from tests.factories import M1

FORECAST = pd.DataFrame({"sku": ["A", "B"], "month": [M1, M1], "forecast": [10.0, 5.0]})
CAPACITY = pd.DataFrame({"resource": ["R1"], "month": [M1], "utilisation": [1.0]})


def _balance(unmet_a: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": ["A", "B"],
            "month": [M1, M1],
            "demand": [100.0, 100.0],
            "served": [100.0 - unmet_a, 100.0],  # lost sales: served + unmet = demand
            "unmet": [unmet_a, 0.0],
            "below_safety_stock": [0.0, 0.0],
        }
    )


def _finance(revenue: float, margin: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family": ["F"],
            "month": [M1],
            "revenue": [revenue],
            "gross_margin": [margin],
            "revenue_budget": [1000.0],
        }
    )


def _status(outputs, skus=2) -> dict[str, str]:
    table = validation_checklist(outputs, skus)
    return dict(zip(table["check"], table["status"], strict=True))


def test_a_clean_plan_passes_every_line():
    outputs = {
        "Forecast": FORECAST,
        "ProductBalance": _balance(0.0),
        "CapacityUse": CAPACITY,
        "FinancePlan": _finance(1000.0, 300.0),
    }
    assert set(_status(outputs).values()) == {"pass"}


def test_shortfalls_and_margins_change_the_status():
    outputs = {
        "Forecast": FORECAST,
        "ProductBalance": _balance(5.0),
        "CapacityUse": CAPACITY,
        "FinancePlan": _finance(900.0, 300.0),
    }
    status = _status(outputs)
    assert status["Supply feasible"] == "warn"  # fill 97.5% >= 95%
    assert status["Open decisions"] == "warn"
    assert status["Finance within thresholds"] == "warn"  # -10% against budget
    outputs["ProductBalance"] = _balance(40.0)  # fill 80%
    outputs["FinancePlan"] = _finance(1000.0, -1.0)
    status = _status(outputs)
    assert status["Supply feasible"] == "fail"
    assert status["Finance within thresholds"] == "fail"


def test_missing_steps_fail():
    status = _status({}, skus=2)
    assert {k: v for k, v in status.items() if k != "Working plan"} == {
        k: "fail" for k in status if k != "Working plan"
    }
    assert status["Working plan"] == "pass"  # no scenario promoted
    assert _status({"Forecast": FORECAST.head(1)})["Demand plan reviewed"] == "fail"


def test_margin_threshold_and_deviation_lines():
    finance = _finance(1000.0, 300.0).assign(margin_flag=["below threshold"])
    deviations = pd.DataFrame(
        {"kind": ["overtime", "expedite", "overtime"], "cost": [100.0, 40.0, 50.0]}
    )
    outputs = {
        "Forecast": FORECAST,
        "ProductBalance": _balance(0.0),
        "CapacityUse": CAPACITY,
        "FinancePlan": finance,
        "Deviations": deviations,
    }
    table = validation_checklist(outputs, 2).set_index("check")
    assert table.loc["Gross margin above threshold", "status"] == "warn"
    assert table.loc["Gross margin above threshold", "detail"].endswith(": F")
    assert table.loc["Deviations authorised", "status"] == "warn"
    assert "expedite 40, overtime 150" in table.loc["Deviations authorised", "detail"]
    outputs["FinancePlan"] = finance.assign(margin_flag=["ok"])
    outputs["Deviations"] = deviations.iloc[0:0]
    assert set(_status(outputs).values()) == {"pass"}
    # Without the optional tables their lines are left out, not failed.
    del outputs["Deviations"]
    assert "Deviations authorised" not in _status(outputs)


def test_a_promoted_scenario_is_a_line_of_its_own():
    outputs = {
        "Forecast": FORECAST,
        "ProductBalance": _balance(0.0),
        "CapacityUse": CAPACITY,
        "FinancePlan": _finance(1000.0, 300.0),
    }
    plain = validation_checklist(outputs, 2).set_index("check")
    assert plain.loc["Working plan", "detail"] == "the base plan: no scenario promoted"
    promoted = validation_checklist(outputs, 2, promoted="north+10, by Ana: deal").set_index(
        "check"
    )
    assert promoted.loc["Working plan", "status"] == "warn"
    assert promoted.loc["Working plan", "detail"].endswith("north+10, by Ana: deal")
