"""S&OE: the monthly plan in weeks by working days, exceptions and corrections inside the plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sop_addin.cli import cli
from sop_addin.core.soe import (
    LATE,
    SHORTFALL,
    SPIKE,
    elapsed_share,
    split_to_weeks,
    week_label,
    week_monday,
    weekly_execution,
)
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.approval_support import approve_tiny, planned_tiny

FEB, MAR, APR = pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01"), pd.Timestamp("2027-04-01")


def test_week_labels() -> None:
    assert week_label(date(2027, 1, 1)) == "2026-W53"  # a Friday: ISO week of 2026
    assert week_monday("2027-W13") == date(2027, 3, 29)
    with pytest.raises(ValueError, match="YYYY-Www"):
        week_monday("2027-13")
    with pytest.raises(ValueError, match="not an ISO week"):
        week_monday("2027-W54")


def test_split_by_working_days() -> None:
    # February 2027: Monday 1st to Sunday 28th, 20 working days: 50 a week of 200.
    # March: 23 working days (10 units each); April: 22 (10 each). Week 13 (29 March) has
    # three March days and two April days: 50.
    monthly = pd.DataFrame(
        {"item": ["A", "A", "A"], "month": [FEB, MAR, APR], "quantity": [200.0, 230.0, 220.0]}
    )
    mondays = [date(2027, 2, 1) + pd.Timedelta(weeks=i) for i in range(9)]
    weekly = split_to_weeks(monthly, [m.date() if hasattr(m, "date") else m for m in mondays])
    plan = dict(zip(weekly["week"], weekly["plan"], strict=True))
    assert [plan[f"2027-W0{w}"] for w in range(5, 9)] == pytest.approx([50.0] * 4)
    assert plan["2027-W13"] == pytest.approx(50.0)
    assert sum(plan.values()) == pytest.approx(200 + 230 + 20)  # two April days in the window


def test_elapsed_share_counts_working_days() -> None:
    monday = date(2027, 2, 1)
    assert elapsed_share(monday, date(2027, 2, 3)) == pytest.approx(3 / 5)  # Wednesday night
    assert elapsed_share(monday, date(2027, 2, 7)) == 1.0  # Sunday: the week is done


def _plan() -> dict[str, pd.DataFrame]:
    return {
        "balance": pd.DataFrame({"sku": ["A"], "month": [FEB], "demand": [200.0]}),
        "production": pd.DataFrame(
            {
                "sku": ["A"],
                "resource": ["R1"],
                "month": [FEB],
                "good_quantity": [200.0],
                "quantity": [210.0],
            }
        ),
        "purchases": pd.DataFrame(
            {"material": ["X"], "supplier": ["SUP1"], "arrival_month": [FEB], "quantity": [400.0]}
        ),
    }


def _weekly(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["week", "kind", "item", "quantity"])


def test_demand_spike_pulls_production_forward_within_the_month() -> None:
    weekly = _weekly([("2027-W05", "orders", "A", 90.0), ("2027-W06", "orders", "A", 100.0)])
    result = weekly_execution(**_plan(), weekly_actuals=weekly, as_of=date(2027, 2, 1))
    spikes = result.exceptions[result.exceptions["type"] == SPIKE].set_index("week")
    # Week 5: 90 ordered against 50 planned: pull 40, from week 6 (50 planned there).
    assert spikes.loc["2027-W05", "gap"] == pytest.approx(40.0)
    assert "(40 from 2027-W06)" in spikes.loc["2027-W05", "correction"]
    # Week 6: 50 more; week 6's own production is not "later", so weeks 7 and 8 give 50.
    assert "(50 from 2027-W07)" in spikes.loc["2027-W06", "correction"]
    assert "total is unchanged" in spikes.loc["2027-W06", "correction"]


def test_spike_corrections_never_pull_more_than_the_month_holds() -> None:
    weekly = _weekly([(f"2027-W0{w}", "orders", "A", 150.0) for w in (5, 6, 7)])
    result = weekly_execution(**_plan(), weekly_actuals=weekly, as_of=date(2027, 2, 1))
    corrections = result.exceptions.set_index("week")["correction"]
    # 100 extra in week 5: weeks 6 and 7 give 50 each; week 6's spike gets week 8's 50 and
    # escalates 50; week 7's spike finds nothing left.
    assert "(50 from 2027-W06, 50 from 2027-W07)" in corrections["2027-W05"]
    assert "(50 from 2027-W08)" in corrections["2027-W06"]
    assert "the other 50 units exceed the approved 2027-02 plan" in corrections["2027-W06"]
    assert corrections["2027-W07"].startswith("no planned production of A left to pull")


def test_supply_shortfall_to_date_and_late_receipts() -> None:
    weekly = _weekly([("2027-W05", "production", "A", 20.0), ("2027-W05", "receipts", "X", 30.0)])
    open_orders = pd.DataFrame(
        {
            "order_id": ["PO-7"],
            "order_type": ["purchase"],
            "item": ["X"],
            "site": [None],
            "quantity": [75.0],
            "due_month": [pd.Timestamp("2027-01-01")],
        }
    )
    # Wednesday night: 3/5 of week 5's 50 units (30) should be made; 20 were.
    result = weekly_execution(
        **_plan(), weekly_actuals=weekly, as_of=date(2027, 2, 3), open_orders=open_orders
    )
    exceptions = result.exceptions.set_index(["type", "item"])
    short = exceptions.loc[(SHORTFALL, "A")]
    assert (short["plan"], short["actual"], short["gap"]) == pytest.approx((30.0, 20.0, -10.0))
    assert "over the 3 remaining week(s) of 2027-02" in short["correction"]
    assert "+3.3 each" in short["correction"]
    late = result.exceptions[result.exceptions["type"] == LATE]
    # Receipts: 400 in February is 100 a week; 60 due by Wednesday, 30 in.
    weekly_late = late[late["correction"].str.startswith("chase SUP1")].iloc[0]
    assert weekly_late["gap"] == pytest.approx(-30.0)
    order_late = late[late["correction"].str.startswith("purchase order PO-7")].iloc[0]
    assert order_late["plan"] == 75.0


def test_weekly_plan_covers_thirteen_weeks() -> None:
    result = weekly_execution(**_plan(), weekly_actuals=_weekly([]), as_of=date(2027, 2, 1))
    assert result.weeks[0] == "2027-W05" and result.weeks[-1] == "2027-W17"
    demand = result.weekly_plan[result.weekly_plan["measure"] == "demand"]
    assert demand["plan"].sum() == pytest.approx(200.0)  # February's demand, all in the window
    assert result.exceptions.empty


def test_soe_command_on_an_approved_workbook(tmp_path: Path) -> None:
    workbook = planned_tiny(tmp_path)
    approve_tiny(workbook)
    actuals = tmp_path / "weekly.csv"
    actuals.write_text(
        "week,kind,item,quantity\n"
        "2027-W01,orders,A,40\n2027-W01,production,A,1000\n2027-W01,production,B,1\n"
    )
    result = CliRunner().invoke(
        cli, ["soe", str(workbook), "--actuals", str(actuals), "--as-of", "2027-01-08", "--json"]
    )
    assert result.exit_code == 0, result.output
    port = FilePort.open(workbook)
    exceptions = read_output(port, "SoeExceptions", produced_by="soe")
    assert set(zip(exceptions["type"], exceptions["item"], strict=True)) == {
        ("demand spike", "A"),
        ("supply shortfall", "B"),
    }
    weekly = read_output(port, "WeeklyPlan", produced_by="soe")
    assert weekly["week"].iloc[0] == "2027-W01"
    bad = tmp_path / "bad.csv"
    bad.write_text("week,kind,item,quantity\n2027-1,orders,A,40\n")
    failed = CliRunner().invoke(cli, ["soe", str(workbook), "--actuals", str(bad)])
    assert failed.exit_code == 2
    assert "YYYY-Www" in " ".join(failed.output.split())


@pytest.fixture(scope="module")
def approved_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny company approved for 2027-01 to 2027-02 (its two plan months)."""
    workbook = planned_tiny(tmp_path_factory.mktemp("soe-approved"))
    approve_tiny(workbook)
    return workbook


@pytest.mark.parametrize("as_of", ["2030-01-01", "2026-12-15", "2027-03-01"])
def test_soe_outside_the_approved_months_is_refused(approved_tiny: Path, as_of: str) -> None:
    before = approved_tiny.read_bytes()
    result = CliRunner().invoke(cli, ["soe", str(approved_tiny), "--as-of", as_of])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"as of {as_of} lies outside the approved plan" in text
    assert "covers 2027-01 to 2027-02" in text
    assert approved_tiny.read_bytes() == before  # nothing written


def test_soe_on_the_last_day_of_the_plan_runs(approved_tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "tiny.xlsx"
    copy.write_bytes(approved_tiny.read_bytes())
    store = str(approved_tiny.parent / ".sop-store")
    result = CliRunner().invoke(
        cli, ["soe", str(copy), "--as-of", "2027-02-26", "--store", store, "--json"]
    )
    assert result.exit_code == 0, result.output


def test_weekly_actuals_problems_come_in_one_report(approved_tiny: Path, tmp_path: Path) -> None:
    # A negative quantity, a bad week and unknown items: all four reported in one run.
    weekly = tmp_path / "weekly.csv"
    weekly.write_text(
        "week,kind,item,quantity\n"
        "2027-W01,orders,A,-5\n2027-1,orders,B,4\n2027-W02,orders,NOPE-1,50\n"
        "2027-W02,receipts,X9,7\n"
    )
    before = approved_tiny.read_bytes()
    result = CliRunner().invoke(cli, ["soe", str(approved_tiny), "--actuals", str(weekly)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "4 problem(s)" in text
    assert "negative value -5" in text
    assert "'2027-1' is not an ISO week" in text
    # (the table may wrap a message over lines: check its parts)
    assert "unknown SKU 'NOPE-1'" in text and "unknown material 'X9'" in text
    assert approved_tiny.read_bytes() == before
