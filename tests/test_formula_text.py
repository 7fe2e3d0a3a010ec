"""Text that would become a formula stays text in every file the product writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from sop_addin.actions import run_cycle
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.export import export_csv
from sop_addin.workbook.file_port import FilePort
from tests.approval_support import approve_tiny
from tests.factories import tiny_tables

HOSTILE = ["=cmd|' /c calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "bell\x07"]


def test_formula_like_text_survives_plan_and_approval_as_text(tmp_path: Path):
    tables = tiny_tables()
    tables["ResourceCalendar"]["working_days"] = 20.0  # feasible, so approval passes
    products = tables["Products"].astype(object)
    products.loc[0, "description"] = HOSTILE[0]
    products.loc[1, "description"] = HOSTILE[1]
    tables["Products"] = products
    path = create_workbook(tmp_path / "plan.xlsx", tables)
    port = FilePort.open(path)
    run_cycle(port, jobs=1)
    port.save()
    summary = approve_tiny(path)
    written = [path, *[Path(p) for p in Path(tmp_path / "approved").glob("*.xlsx")]]
    assert len(written) >= 2, summary
    for workbook in written:
        ws = load_workbook(workbook)["Products"]
        cells = {c.value: c.data_type for row in ws.iter_rows() for c in row if c.value}
        for text in HOSTILE[:2]:
            assert cells.get(text) == "s", (workbook.name, text)


def test_csv_export_escapes_formula_starts_and_keeps_other_text(tmp_path: Path):
    kpis = pd.DataFrame({"kpi": [*HOSTILE, "Fill rate"], "value": 1.0, "unit": "%"})
    (target,) = export_csv({"KPIs": kpis}, tmp_path)
    with target.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = [r["kpi"] for r in rows]
    assert got[:6] == ["'" + t for t in HOSTILE[:6]]
    assert got[6:] == ["bell\x07", "Fill rate"]


def test_control_characters_are_cleaned_so_the_save_succeeds(tmp_path: Path):
    tables = tiny_tables()
    products = tables["Products"].astype(object)
    products.loc[0, "description"] = "pump\x00\x07 head\x1b"
    tables["Products"] = products
    path = create_workbook(tmp_path / "plan.xlsx", tables)
    assert load_workbook(path)["Products"]["B3"].value == "pump head"
