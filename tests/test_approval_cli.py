"""`sop demo` through approval and distribution, then audit, review and S&OE on its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sop_addin.cli import cli


def _invoke(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo-approved")
    result = _invoke("demo", "--out", str(out), "--skus", "12", "--jobs", "1", "--json")
    return out, json.loads(result.stdout)


def test_demo_leaves_the_snapshot_manifest_and_department_workbooks(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    out, summary = demo
    version = summary["plan_version"]
    assert sorted(p.name for p in (out / "approved").iterdir()) == [
        f"{version}.manifest.json",
        f"{version}.xlsx",
    ]
    departments = sorted(p.name for p in (out / "departments").glob("*.xlsx"))
    assert departments == sorted(
        f"{version}-{d}.xlsx"
        for d in ("sales", "operations", "procurement", "finance", "executive")
    )
    assert summary["approval"]["approver"] == "Demo Executive"
    for path in [out / "approved" / f"{version}.xlsx", *(out / "departments").glob("*.xlsx")]:
        store = str(out / ".sop-store")
        assert "intact" in _invoke("verify", str(path), "--store", store).output


def test_demo_audit_log_verifies(demo: tuple[Path, dict[str, Any]]) -> None:
    out, summary = demo
    store = str(out / ".sop-store")
    log = _invoke("audit", "log", "--store", store).output.splitlines()
    events = [json.loads(line)["event"] for line in log]
    # failing checklist lines the demo overrode, and the demand overrides in its plan
    overrides = summary["approval"]["overrides"] + summary["approval"]["demand_overrides"]
    assert events == [
        "store_created",  # row 1 pins the store key's fingerprint
        "plan_version",
        *["override"] * overrides,
        "approval",
        "distribution",
        "plan_vs_actual",  # the demo reviews its own Actuals against the approved plan
    ]
    result = _invoke("audit", "verify", "--store", store)
    assert f"audit log intact: {len(events)} row(s)" in result.output


def test_review_and_soe_run_on_the_demo_actuals(demo: tuple[Path, dict[str, Any]]) -> None:
    out, _ = demo
    workbook = out / "sop_demo.xlsx"
    review = json.loads(_invoke("review", str(workbook), "--json").stdout)
    assert [row["lag"] for row in review["accuracy"]] == [0]
    soe = json.loads(_invoke("soe", str(workbook), "--json").stdout)
    assert soe["exceptions"].get("demand spike", 0) >= 1


def test_demo_exec_kpis_show_the_forecast_bias_of_its_actuals(
    demo: tuple[Path, dict[str, Any]],
) -> None:
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.tables import read_output

    out, summary = demo
    port = FilePort.open(out / "sop_demo.xlsx")
    kpis = read_output(port, "KPIs", produced_by="demo").set_index("kpi")
    accuracy = read_output(port, "ForecastAccuracy", produced_by="demo")
    lag0 = accuracy.set_index("lag").loc[0]
    assert kpis.loc["Forecast bias", "detail"] == "lag 0"
    assert kpis.loc["Forecast bias", "value"] == pytest.approx(100 * lag0["bias"])
    assert summary["review"]["accuracy"][0]["lag"] == 0
