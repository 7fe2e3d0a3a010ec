"""Distribution: one locked, signed workbook per department, holding only its tables."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.actions.approval import distribute
from sop_addin.approval.departments import load_departments
from sop_addin.approval.distribute import SnapshotNotIntact, distribute_snapshot
from sop_addin.approval.manifest import manifest_path
from sop_addin.approval.verify import verify_workbook
from sop_addin.cli import cli
from sop_addin.contract import CONTRACT
from sop_addin.store import PlanStore
from sop_addin.workbook.charts import EXEC_CHARTS
from sop_addin.workbook.file_port import FilePort
from tests.approval_support import approve_tiny, planned_tiny
from tests.libreoffice import convert


@pytest.fixture(scope="module")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("distributed")
    workbook = planned_tiny(folder)
    approval = approve_tiny(workbook)
    summary = distribute(FilePort.open(workbook), store=folder / ".sop-store")
    return {"folder": folder, "approval": approval, **summary}


def test_departments_are_configuration() -> None:
    departments = {d.name: d.tables for d in load_departments()}
    assert departments == {
        "Sales": ("Consensus", "ProductBalance"),
        "Operations": (
            "ProductionPlan",
            "CapacityUse",
            "Transfers",
            "Shortfalls",
            "Bottlenecks",
            "ShiftOptions",
        ),
        "Procurement": ("Sourcing", "PurchasePlan"),
        "Finance": ("FinancePlan", "Budget"),
        "Executive": ("KPIs", "MonthlySummary", "Checklist", "ResourceLoad"),
    }


def test_an_unknown_table_in_the_configuration_is_named(tmp_path: Path) -> None:
    config = tmp_path / "departments.csv"
    config.write_text("department,tables,description\nSales,Forecast|Forcast,typo\n")
    with pytest.raises(ValueError, match=r"row 2 \(Sales\): no table Forcast in the contract"):
        load_departments(config)


def test_each_department_workbook_holds_only_its_tables(distributed: dict[str, Any]) -> None:
    assert distributed["plan_version"] == "2027-01-v1"
    assert [d["department"] for d in distributed["departments"]] == [
        "Sales",
        "Operations",
        "Procurement",
        "Finance",
        "Executive",
    ]
    for item in distributed["departments"]:
        path = Path(item["workbook"])
        assert path.parent == distributed["folder"] / "departments"
        assert path.name == f"2027-01-v1-{item['department'].lower()}.xlsx"
        wb = load_workbook(path)
        tables = sorted(name for ws in wb.worksheets for name in ws.tables)
        assert tables == sorted(item["tables"]), item["department"]
        # The tabs in the template's order (ShiftOptions on Resources comes before Supply data).
        wanted = {CONTRACT.table(t).tab for t in item["tables"]}
        order = dict.fromkeys(table.tab for table in CONTRACT.tables.values())
        tabs = ["Approval", *(tab for tab in order if tab in wanted)]
        if "KPIs" in item["tables"]:  # the Exec page, tiles and charts, before its tables
            tabs.insert(tabs.index("Exec data"), "Exec")
        assert wb.sheetnames == tabs
        charts = [n for n in zipfile.ZipFile(path).namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == (len(EXEC_CHARTS) if "KPIs" in item["tables"] else 0)
        for ws in wb.worksheets:
            assert ws.protection.sheet and ws.protection.algorithmName == "SHA-512"
        assert wb.security.lockStructure


def test_department_workbooks_carry_the_approval_and_verify(distributed: dict[str, Any]) -> None:
    store = PlanStore(distributed["folder"] / ".sop-store")
    for item in distributed["departments"]:
        path = Path(item["workbook"])
        cover = {r[0]: r[1] for r in load_workbook(path)["Approval"].iter_rows(values_only=True)}
        assert cover["Plan version"] == "2027-01-v1"
        assert cover["Approver"] == "Ada"
        assert cover["Department"] == item["department"]
        assert distributed["approval"]["content_hash"] in cover["From snapshot"]
        result = verify_workbook(path, store=store)
        assert result.ok, (item["department"], result.problems)
        assert manifest_path(path).is_file()


def test_department_values_equal_the_snapshot(distributed: dict[str, Any]) -> None:
    snapshot = FilePort.open(distributed["approval"]["snapshot"])
    sales = FilePort.open(distributed["departments"][0]["workbook"])
    for table in ("Consensus", "ProductBalance"):
        assert sales.read_block(table) == snapshot.read_block(table)


def test_distribution_is_audited(distributed: dict[str, Any]) -> None:
    event = PlanStore(distributed["folder"] / ".sop-store").events("distribution")[0]
    assert event["plan_version"] == "2027-01-v1"
    assert [f["department"] for f in event["payload"]["files"]] == [
        d["department"] for d in distributed["departments"]
    ]


def test_a_tampered_snapshot_is_not_distributed(
    distributed: dict[str, Any], tmp_path: Path
) -> None:
    snapshot = Path(distributed["approval"]["snapshot"])
    copy = tmp_path / snapshot.name
    shutil.copy(snapshot, copy)
    shutil.copy(manifest_path(snapshot), manifest_path(copy))
    wb = load_workbook(copy)
    wb["Supply data"].protection.sheet = False
    wb.save(copy)
    store = PlanStore(distributed["folder"] / ".sop-store")
    with pytest.raises(SnapshotNotIntact, match="protection was removed"):
        distribute_snapshot(copy, tmp_path / "out", store, "Ada")
    assert not (tmp_path / "out").exists()


def test_distribute_command_finds_the_store_beside_the_approved_folder(
    distributed: dict[str, Any], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["distribute", distributed["approval"]["snapshot"], "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("2027-01-v1-*.xlsx"))) == 5
    store = str(distributed["folder"] / ".sop-store")
    sales = str(tmp_path / "2027-01-v1-sales.xlsx")
    verified = CliRunner().invoke(cli, ["verify", sales, "--store", store])
    assert verified.exit_code == 0, verified.output


@pytest.mark.libreoffice
def test_department_workbooks_open_in_libreoffice_protected(
    distributed: dict[str, Any], tmp_path: Path
) -> None:
    files = [Path(d["workbook"]) for d in distributed["departments"]]
    for original, converted in zip(files, convert(files, tmp_path), strict=True):
        wb = load_workbook(converted)
        assert wb.sheetnames == load_workbook(original).sheetnames
        assert all(ws.protection.sheet for ws in wb.worksheets), original.name
