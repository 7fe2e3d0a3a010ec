"""`sop` end to end on small demo companies: the files it writes and the figures it prints."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sop_addin.actions import run_cycle
from sop_addin.cli import cli
from sop_addin.contract import CONTRACT, Role
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.finance_formulas import formula_templates
from sop_addin.workbook.tables import read_inputs, read_output
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.factories import INPUT_TABLES
from tests.xlwings_fake import book_from_file

# Live-formula tables (PnL, SkuPnL) only have values once a spreadsheet recalculates them
# (tests/test_exec_tab.py); their figures are FinancePlan's.
OUTPUTS = [
    t.name for t in CONTRACT.tables_with_role(Role.OUTPUT) if t.name not in formula_templates()
]


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    summary = json.loads(
        _invoke("demo", "--out", str(out), "--seed", "3", "--skus", "12", "--json", "--jobs", "1")
    )
    return out / "sop_demo.xlsx", summary


def test_demo_summary_figures(demo_run):
    path, summary = demo_run
    assert summary["workbook"] == str(path)
    # The demo has lot rules: a MILP proven within the 1% gap asked, or to optimality.
    assert summary["plan"]["status"] in ("Optimal", "Within the gap")
    assert summary["forecast"]["skus"] == 12
    kpis = {k: v["value"] for k, v in summary["kpis"].items()}
    demand, served = kpis["Consensus demand"], kpis["Constrained supply (demand served)"]
    assert demand > 0 and 0 < served <= demand + 1e-6
    assert kpis["Fill rate"] == pytest.approx(100 * served / demand)
    assert kpis["Unmet demand"] == pytest.approx(demand - served, abs=1e-3)
    assert kpis["Gross margin"] < kpis["Revenue"]


def test_demo_workbook_outputs_are_consistent(demo_run):
    path, summary = demo_run
    port = FilePort.open(path)
    inputs = read_inputs(port)
    forecast = read_output(port, "Forecast", "t")
    assert len(forecast) == 12 * inputs.settings.horizon_months
    assert forecast[["forecast", "lo80", "hi80", "lo95", "hi95"]].notna().all().all()
    assert (forecast["forecast"] >= 0).all()
    balance = read_output(port, "ProductBalance", "t")
    # The plan is made against the consensus demand (the baseline plus the Demand-tab layers);
    # the demo plans stock per site, so a SKU's sites are summed (only its demand site has any).
    consensus = read_output(port, "Consensus", "t")
    per_sku = balance.groupby(["sku", "month"], as_index=False)["demand"].sum()
    merged = per_sku.merge(consensus, on=["sku", "month"])
    assert len(merged) == len(forecast)
    assert merged["demand"].to_numpy() == pytest.approx(merged["consensus"].to_numpy())
    assert consensus["statistical"].to_numpy() == pytest.approx(forecast["forecast"].to_numpy())
    finance = read_output(port, "FinancePlan", "t")
    assert finance["revenue"].sum() == pytest.approx(summary["kpis"]["Revenue"]["value"])
    capacity = read_output(port, "CapacityUse", "t")
    # Overtime (scheduled hours x efficiency, at most the hours) is capacity too.
    room = capacity["available_hours"] + capacity["overtime_hours"]
    assert (capacity["used_hours"] <= room + 1e-4).all()


def test_run_never_changes_inputs_and_is_repeatable(tmp_path):
    path = tmp_path / "plan.xlsx"
    _invoke("new", str(path), "--demo", "--seed", "5", "--skus", "12")
    before = read_inputs(FilePort.open(path))
    _invoke("run", str(path), "--json", "--jobs", "1")
    first = {
        name: read_output(FilePort.open(path), name, "t", allow_empty=True) for name in OUTPUTS
    }
    _invoke("run", str(path), "--json", "--jobs", "1")
    after = read_inputs(FilePort.open(path))
    for name in INPUT_TABLES:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    for name in OUTPUTS:
        again = read_output(FilePort.open(path), name, "t", allow_empty=True)
        pd.testing.assert_frame_equal(again, first[name], obj=name, atol=1e-6)


def test_export_writes_every_output_as_csv(demo_run, tmp_path):
    path, _ = demo_run
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    _invoke("run", str(copy), "--json", "--jobs", "1", "--export", str(tmp_path / "erp"))
    files = sorted(p.stem for p in (tmp_path / "erp").glob("*.csv"))
    assert files == sorted(OUTPUTS)
    with (tmp_path / "erp" / "ProductionPlan.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == set(CONTRACT.table("ProductionPlan").column_names)
    assert rows[0]["month"][:4].isdigit() and len(rows[0]["month"]) == 7  # 2027-01


def test_both_ports_plan_alike(demo_run, tmp_path):
    path, _ = demo_run
    fresh = tmp_path / "fresh.xlsx"
    fresh.write_bytes(path.read_bytes())
    file_port = FilePort.open(fresh)
    run_cycle(file_port, jobs=1)
    excel_port = XlwingsPort(book_from_file(fresh))
    run_cycle(excel_port, jobs=1)
    for name in OUTPUTS:
        a = read_output(file_port, name, "t", allow_empty=True)
        b = read_output(excel_port, name, "t", allow_empty=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, atol=1e-6, obj=name)


def test_run_out_keeps_the_workbook_format(tmp_path):
    path = tmp_path / "plan.xlsx"
    _invoke("new", str(path), "--demo", "--seed", "5", "--skus", "12")
    result = CliRunner().invoke(cli, ["run", str(path), "--out", str(tmp_path / "plan.csv")])
    assert result.exit_code == 2
    assert "keeps the .xlsx format" in result.output
    assert not (tmp_path / "plan.csv").exists()


def test_new_refuses_to_overwrite(tmp_path):
    path = tmp_path / "plan.xlsx"
    _invoke("new", str(path))
    result = CliRunner().invoke(cli, ["new", str(path)])
    assert result.exit_code == 2
    assert "exists" in result.output


def test_template_command(tmp_path):
    _invoke("template", "--out", str(tmp_path))
    committed = Path(__file__).resolve().parents[1] / "templates" / "sop_planning.xlsx"
    assert (tmp_path / "sop_planning.xlsx").read_bytes() == committed.read_bytes()


def test_help_lists_the_commands():
    output = _invoke("--help")
    for command in ("demo", "new", "run", "template", "validate"):
        assert command in output
