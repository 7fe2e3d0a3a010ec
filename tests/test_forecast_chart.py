"""The Forecast chart tab: a dropdown picks a SKU or family; formulas look up its series."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.actions.cycle import run_cycle
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.forecast_chart import FORECAST_TAB, HEADER_ROW, SELECT_CELL
from sop_addin.workbook.tables import read_output
from tests.factories import M1, tiny_tables
from tests.libreoffice import convert


@pytest.fixture(scope="module")
def charted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("fchart")
    plan = create_workbook(tmp / "family.xlsx", tiny_tables())
    port = FilePort.open(plan)
    run_cycle(port)
    port.save()
    sku = tmp / "sku.xlsx"
    wb = load_workbook(plan)
    wb[FORECAST_TAB][SELECT_CELL] = "B"  # as a planner picks it from the dropdown
    wb.save(sku)
    recalculated = convert([plan, sku], tmp / "lo", "xlsx")
    return {"plan": plan, "family_lo": recalculated[0], "sku_lo": recalculated[1]}


def _rows(path: Path) -> dict[pd.Timestamp, tuple]:
    ws = load_workbook(path, data_only=True)[FORECAST_TAB]
    rows = {}
    for row in ws.iter_rows(min_row=HEADER_ROW + 1, max_col=7, values_only=True):
        if row[0] is None:
            break
        rows[pd.Timestamp(row[0])] = row[1:]
    return rows


def test_the_tab_offers_families_and_skus_and_keeps_a_chart(charted):
    wb = load_workbook(charted["plan"])
    ws = wb[FORECAST_TAB]
    assert wb.sheetnames.index(FORECAST_TAB) == wb.sheetnames.index("Demand") + 1
    assert ws[SELECT_CELL].value == "F"  # the first family
    rule = next(dv for dv in ws.data_validations.dataValidation if SELECT_CELL in dv.sqref)
    low, high = rule.formula1.replace("$", "").split(":")
    members = [ws[f"{low[0]}{r}"].value for r in range(int(low[1:]), int(high[1:]) + 1)]
    assert members == ["F", "G", "A", "B"]  # families, then SKUs
    names = zipfile.ZipFile(charted["plan"]).namelist()
    assert any(n.startswith("xl/charts/chart") for n in names)


def test_libreoffice_computes_the_chosen_series(charted):
    port = FilePort.open(charted["plan"])
    consensus = read_output(port, "Consensus", "t").set_index(["sku", "month"])
    for path, sku, level in ((charted["family_lo"], "A", 50.0), (charted["sku_lo"], "B", 30.0)):
        rows = _rows(path)
        history, plan = rows[M1 - pd.DateOffset(months=1)], rows[M1]
        # Family F is SKU A alone (50 a month), B sells 30: history, then the consensus.
        # A series without a value is #N/A: a gap in the chart's line, not a drop to zero.
        assert history[0] == level and history[1:] == ("#N/A",) * 5
        assert plan[0] == "#N/A" and plan[1] == pytest.approx(level)
        lo80, hi80 = consensus.loc[(sku, M1), ["lo80", "hi80"]]
        assert plan[2] == pytest.approx(lo80) and plan[3] == pytest.approx(hi80)
        assert plan[4] <= plan[2] <= plan[1] <= plan[3] <= plan[5]  # 95% around 80%
