"""Plan vs actual: hand-checked accuracy, bias, fill rate and adherence; the review command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sop_addin.cli import cli
from sop_addin.core.governance import ApprovedPlan, plan_vs_actual
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.approval_support import approve_tiny, planned_tiny

M1, M2 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")


def _plan() -> ApprovedPlan:
    return ApprovedPlan(
        first_month=M1,
        forecast=pd.DataFrame(
            {"sku": ["A", "A", "B", "B"], "month": [M1, M2, M1, M2], "forecast": [100.0] * 4}
        ),
        balance=pd.DataFrame(
            {
                "sku": ["A", "B"],
                "month": [M1, M1],
                "demand": [100.0, 100.0],
                "served": [100.0, 100.0],
                "closing": [40.0, 60.0],
            }
        ),
        production=pd.DataFrame(
            {
                "sku": ["A", "A", "B"],
                "resource": ["R1", "R2", "R1"],
                "month": [M1, M1, M1],
                "good_quantity": [60.0, 40.0, 100.0],
            }
        ),
        purchases=pd.DataFrame(
            {"material": ["X"], "supplier": ["SUP1"], "arrival_month": [M1], "quantity": [500.0]}
        ),
    )


def _actuals(rows: list[tuple[pd.Timestamp, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["month", "kind", "item", "quantity"])


ACTUALS = _actuals(
    [
        (M1, "orders", "A", 80.0),
        (M1, "orders", "B", 100.0),
        (M2, "orders", "A", 130.0),
        (M2, "orders", "B", 100.0),
        (M1, "shipments", "A", 76.0),
        (M1, "shipments", "B", 95.0),
        (M1, "production", "A", 90.0),
        (M1, "production", "B", 80.0),
        (M1, "receipts", "X", 400.0),
        (M1, "inventory", "A", 40.0),
        (M1, "inventory", "B", 60.0),
    ]
)


def test_accuracy_and_bias_by_lag() -> None:
    accuracy = plan_vs_actual(_plan(), ACTUALS).accuracy.set_index("lag")
    # lag 0: forecast 200, actual 180, |100-80| + |100-100| = 20
    assert accuracy.loc[0, "months"] == 1
    assert accuracy.loc[0, ["forecast", "actual", "abs_error"]].tolist() == [200, 180, 20]
    assert accuracy.loc[0, "accuracy"] == pytest.approx(1 - 20 / 180)
    assert accuracy.loc[0, "bias"] == pytest.approx(20 / 180)
    # lag 1: forecast 200, actual 230, error 30: under-forecast
    assert accuracy.loc[1, "accuracy"] == pytest.approx(1 - 30 / 230)
    assert accuracy.loc[1, "bias"] == pytest.approx(-30 / 230)


def test_adherence_measures() -> None:
    adherence = plan_vs_actual(_plan(), ACTUALS).adherence.set_index("measure")
    fill = adherence.loc["Order fill rate (shipped / ordered)"]
    assert (fill["plan"], fill["actual"]) == (180, 171)  # January's orders and shipments
    assert fill["value"] == pytest.approx(171 / 180)
    assert fill["status"] == "pass"  # 95.0% meets the 95% threshold
    production = adherence.loc["Production plan adherence"]
    # A: planned 100 (two resources), made 90; B: planned 100, made 80 -> 1 - 30/200
    assert production["value"] == pytest.approx(0.85)
    assert production["status"] == "warn"
    receipts = adherence.loc["Receipts vs plan"]
    assert receipts["value"] == pytest.approx(0.8) and receipts["status"] == "warn"
    inventory = adherence.loc["Inventory vs plan"]
    assert inventory["value"] == pytest.approx(1.0) and inventory["status"] == "pass"
    total = adherence.loc["Forecast accuracy (all lags)"]
    assert total["value"] == pytest.approx(1 - 50 / 410)


def test_deviations_beyond_thresholds_are_listed() -> None:
    deviations = plan_vs_actual(_plan(), ACTUALS).deviations
    listed = {(r.area, r.item, r.month.strftime("%Y-%m")) for r in deviations.itertuples()}
    # A in February is 30% over forecast (> 25%); A in January is 20% under (not listed).
    # B made 80 of 100 (-20% < -10%); A made 90 of 100 (-10%, on the line: not listed).
    assert listed == {
        ("demand", "A", "2027-02"),
        ("production", "B", "2027-01"),
        ("receipts", "X", "2027-01"),
    }
    receipts = deviations[deviations["area"] == "receipts"].iloc[0]
    assert receipts["follow_up"] == "receipts below plan: chase supplier SUP1"


def test_no_actuals_of_a_kind_is_not_applicable() -> None:
    only_orders = ACTUALS[ACTUALS["kind"] == "orders"]
    adherence = plan_vs_actual(_plan(), only_orders).adherence.set_index("measure")
    assert adherence.loc["Production plan adherence", "status"] == "n/a"
    assert adherence.loc["Order fill rate (shipped / ordered)", "status"] == "n/a"


@pytest.fixture(scope="module")
def approved_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workbook = planned_tiny(tmp_path_factory.mktemp("review"))
    approve_tiny(workbook)
    return workbook


def test_review_command_writes_the_governance_tab(approved_workbook: Path, tmp_path: Path) -> None:
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "month,kind,item,quantity\n2027-01,orders,A,60\n2027-01,orders,B,30\n"
        "2027-01,shipments,A,60\n2027-01,shipments,B,30\n"
    )
    result = CliRunner().invoke(cli, ["review", str(approved_workbook), "--actuals", str(actuals)])
    assert result.exit_code == 0, result.output
    port = FilePort.open(approved_workbook)
    accuracy = read_output(port, "ForecastAccuracy", produced_by="review")
    assert accuracy["lag"].tolist() == [0]
    assert accuracy["actual"].tolist() == [90]
    adherence = read_output(port, "PlanAdherence", produced_by="review").set_index("measure")
    assert adherence.loc["Order fill rate (shipped / ordered)", "value"] == pytest.approx(1.0)


def test_review_reports_a_bad_actuals_file_by_row_and_column(
    approved_workbook: Path, tmp_path: Path
) -> None:
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("month,kind,item,quantity\n2027-01,orders,A,-5\n2027-13,sales,B,4\n")
    result = CliRunner().invoke(cli, ["review", str(approved_workbook), "--actuals", str(actuals)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "actuals.csv" in text and "quantity" in text and "negative value -5" in text
    assert "'sales' is not one of" in text


def test_accuracy_is_floored_at_zero() -> None:
    # Forecast 200 against 20 sold: errors of 180 exceed the total, so accuracy is 0%.
    actuals = _actuals([(M1, "orders", "A", 20.0), (M1, "orders", "B", 0.0)])
    accuracy = plan_vs_actual(_plan(), actuals).accuracy
    assert accuracy.loc[0, "abs_error"] == 180
    assert accuracy.loc[0, "accuracy"] == 0.0
    assert accuracy.loc[0, "bias"] == pytest.approx(9.0)


def test_receipts_and_stock_against_a_zero_plan_are_not_a_pass() -> None:
    # Nothing was planned to arrive or stay in stock, yet 400 X came in and 40 A sit there:
    # a ratio has no value, so it is a warning, not "nothing happened either".
    plan = _plan()
    plan = ApprovedPlan(
        first_month=M1,
        forecast=plan.forecast,
        balance=plan.balance.assign(closing=0.0),
        production=plan.production,
        purchases=plan.purchases.iloc[0:0],
    )
    adherence = plan_vs_actual(plan, ACTUALS).adherence.set_index("measure")
    receipts = adherence.loc["Receipts vs plan"]
    assert (receipts["plan"], receipts["actual"], receipts["status"]) == (0, 400, "warn")
    assert pd.isna(receipts["value"])
    inventory = adherence.loc["Inventory vs plan"]
    assert (inventory["plan"], inventory["actual"], inventory["status"]) == (0, 100, "warn")


def test_open_purchase_orders_due_in_the_month_are_planned_receipts() -> None:
    # 500 X on the purchase plan plus an open PO of 100 X due in January (a production order
    # and a PO due in February do not count): 400 received of 600 planned.
    orders = pd.DataFrame(
        {
            "order_id": ["PO1", "PO2", "MO1"],
            "order_type": ["purchase", "purchase", "production"],
            "item": ["X", "X", "A"],
            "quantity": [100.0, 70.0, 50.0],
            "due_month": [M1, M2, M1],
        }
    )
    base = _plan()
    plan = ApprovedPlan(
        first_month=M1,
        forecast=base.forecast,
        balance=base.balance,
        production=base.production,
        purchases=base.purchases,
        open_orders=orders,
    )
    receipts = plan_vs_actual(plan, ACTUALS).adherence.set_index("measure").loc["Receipts vs plan"]
    assert (receipts["plan"], receipts["actual"]) == (600, 400)
    assert receipts["value"] == pytest.approx(400 / 600)
    # Only open orders, no purchase plan: still planned receipts.
    only_orders = ApprovedPlan(
        first_month=M1,
        forecast=base.forecast,
        balance=base.balance,
        production=base.production,
        purchases=base.purchases.iloc[0:0],
        open_orders=orders,
    )
    adherence = plan_vs_actual(only_orders, ACTUALS).adherence.set_index("measure")
    assert adherence.loc["Receipts vs plan", "plan"] == 100


def test_review_rejects_unknown_items_with_every_problem_at_once(
    approved_workbook: Path, tmp_path: Path
) -> None:
    # NOPE-1 is no SKU and the tiny company has no materials: both named by row and column,
    # in the same report as the negative quantity, and the workbook is left as it was.
    actuals = tmp_path / "act.csv"
    actuals.write_text(
        "month,kind,item,quantity\n2027-01,orders,A,-5\n2027-01,orders,NOPE-1,50\n"
        "2027-01,receipts,X9,10\n"
    )
    before = approved_workbook.read_bytes()
    result = CliRunner().invoke(cli, ["review", str(approved_workbook), "--actuals", str(actuals)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "3 problem(s)" in text and "act.csv" in text
    assert "negative value -5" in text
    assert "unknown SKU 'NOPE-1'" in text and "unknown material 'X9'" in text
    assert approved_workbook.read_bytes() == before


def test_unknown_items_are_located_by_row_and_column(approved_workbook: Path) -> None:
    from sop_addin.actions.governance import item_problems

    frame = pd.DataFrame(
        {"kind": ["orders", "inventory", "receipts"], "item": ["A", "Z", "A"]}, index=[2, 3, 4]
    )
    problems = item_problems(FilePort.open(approved_workbook), frame, "Actuals", "act.csv")
    assert [(p.tab, p.table, p.row, p.column) for p in problems] == [
        ("act.csv", "Actuals", 3, "item"),
        ("act.csv", "Actuals", 4, "item"),  # A is a SKU, not a material
    ]


def test_audit_log_rejects_an_unknown_event_kind(approved_workbook: Path) -> None:
    store = str(approved_workbook.parent / ".sop-store")
    result = CliRunner().invoke(cli, ["audit", "log", "--store", store, "--event", "nope"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "unknown event kind 'nope'" in text
    assert "approval" in text and "distribution" in text and "plan_vs_actual" in text
    approvals = CliRunner().invoke(cli, ["audit", "log", "--store", store, "--event", "approval"])
    assert approvals.exit_code == 0 and len(approvals.output.splitlines()) == 1


def test_the_approved_plan_carries_its_open_orders(approved_workbook: Path) -> None:
    from sop_addin.approval.approved_plan import load_approved_plan
    from sop_addin.store import PlanStore

    loaded = load_approved_plan(PlanStore(approved_workbook.parent / ".sop-store"))
    assert loaded.plan.open_orders is not None
    assert list(loaded.plan.open_orders.columns[:2]) == ["order_id", "order_type"]
