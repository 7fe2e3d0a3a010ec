"""Consensus typed into the Demand grid becomes an override on the next run, and stays."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sop_addin.actions.cycle import run_cycle
from sop_addin.contract.problems import ValidationError
from sop_addin.core.grid_edits import GridEdit, edits_to_overrides, merge_overrides
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.grids import EDIT_COLUMNS, FIRST_ROW, HEADER_ROW
from sop_addin.workbook.tables import read_output, read_table
from tests.factories import M1, tiny_tables

M2 = M1 + pd.DateOffset(months=1)
CONSENSUS = pd.DataFrame(
    {
        "sku": ["A", "B", "C", "A"],
        "month": [M1, M1, M1, M2],
        "statistical": [30.0, 10.0, 5.0, 99.0],
    }
)
FAMILIES = {"A": "F", "B": "F", "C": "G"}


def _edit(family: str, sku: str, value: float) -> GridEdit:
    return GridEdit(family, sku, M1, value, "ana", "promotion", 7)


def test_a_family_edit_is_split_by_the_statistical_forecast_and_a_sku_edit_wins():
    out = edits_to_overrides([_edit("F", "", 200.0)], CONSENSUS, FAMILIES, "2027-01-05")
    # 200 split 30 : 10 over A and B (M2's statistical forecast does not count): 150 and 50.
    assert dict(zip(out["sku"], out["value"], strict=True)) == {"A": 150.0, "B": 50.0}
    assert set(out["kind"]) == {"absolute"} and set(out["author"]) == {"ana"}
    both = edits_to_overrides(
        [_edit("F", "B", 70.0), _edit("F", "", 200.0)], CONSENSUS, FAMILIES, "2027-01-05"
    )
    assert dict(zip(both["sku"], both["value"], strict=True)) == {"A": 150.0, "B": 70.0}


def test_a_family_without_a_statistical_forecast_is_split_evenly():
    zero = CONSENSUS.assign(statistical=0.0)
    out = edits_to_overrides([_edit("F", "", 9.0)], zero, FAMILIES, "2027-01-05")
    assert out["value"].tolist() == [4.5, 4.5]


def test_a_new_override_replaces_the_old_one_of_the_same_cell():
    old = edits_to_overrides([_edit("F", "A", 1.0), _edit("G", "C", 2.0)], CONSENSUS, FAMILIES, "d")
    new = edits_to_overrides([_edit("F", "A", 5.0)], CONSENSUS, FAMILIES, "d")
    merged = merge_overrides(old, new)
    assert sorted(zip(merged["sku"], merged["value"], strict=True)) == [("A", 5.0), ("C", 2.0)]


def _consensus_cell(ws, family: str, sku: str | None, month: pd.Timestamp) -> tuple[int, int]:
    column = next(c for c in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, c).value == month)
    row = next(
        r
        for r in range(FIRST_ROW, ws.max_row + 1)
        if (ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 3).value)
        == (family, sku, "Consensus demand")
    )
    return row, column


def _edit_columns(ws) -> tuple[int, int]:
    headers = {ws.cell(HEADER_ROW, c).value: c for c in range(1, ws.max_column + 1)}
    return headers[EDIT_COLUMNS[0]], headers[EDIT_COLUMNS[1]]


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    path = create_workbook(tmp_path / "plan.xlsx", tiny_tables())
    port = FilePort.open(path)
    run_cycle(port)
    port.save()
    return path


def test_an_edit_becomes_an_override_and_survives_the_run(planned):
    wb = load_workbook(planned)
    ws = wb["Demand"]
    author, reason = _edit_columns(ws)
    row, column = _consensus_cell(ws, "F", "A", M1)
    assert ws.cell(row, column).value == 50  # the tiny company's A: 50 a month
    ws.cell(row, column).value = 120
    ws.cell(row, author).value = "Ana"
    ws.cell(row, reason).value = "promotion"
    family_row, family_column = _consensus_cell(ws, "G", None, M2)
    ws.cell(family_row, family_column).value = 90  # family G holds only B (30 a month)
    ws.cell(family_row, author).value = "Bo"
    ws.cell(family_row, reason).value = "Market"  # case does not matter
    wb.save(planned)

    port = FilePort.open(planned)
    run_cycle(port)
    port.save()
    port = FilePort.open(planned)
    overrides, problems = read_table(port, "Overrides")
    assert not problems and overrides is not None
    got = {
        (r.sku, pd.Timestamp(r.month)): (r.kind, r.value, r.author, r.reason_code, r.entered_on)
        for r in overrides.itertuples()
    }
    today = date.today().isoformat()
    assert got == {
        ("A", M1): ("absolute", 120.0, "Ana", "promotion", today),
        ("B", M2): ("absolute", 90.0, "Bo", "market", today),
    }
    log = read_output(port, "OverrideLog", "test")
    assert sorted(zip(log["sku"], log["before"], log["after"], strict=True)) == [
        ("A", 50.0, 120.0),
        ("B", 30.0, 90.0),
    ]
    consensus = read_output(port, "Consensus", "test").set_index(["sku", "month"])
    assert consensus.loc[("A", M1), "consensus"] == 120.0
    ws = load_workbook(planned)["Demand"]
    row, column = _consensus_cell(ws, "F", "A", M1)
    assert ws.cell(row, column).value == 120  # the edited value survives the run
    assert ws.cell(*_consensus_cell(ws, "Total", None, M1)).value == 150  # 120 + B 30
    # A third run with nothing typed adds nothing.
    port = FilePort.open(planned)
    run_cycle(port)
    overrides, _ = read_table(port, "Overrides")
    assert overrides is not None and len(overrides) == 2


def test_an_edit_without_author_or_reason_is_named(planned):
    wb = load_workbook(planned)
    ws = wb["Demand"]
    row, column = _consensus_cell(ws, "F", "A", M1)
    ws.cell(row, column).value = 10
    wb.save(planned)
    with pytest.raises(ValidationError) as caught:
        run_cycle(FilePort.open(planned))
    where = {(p.tab, p.row, p.column) for p in caught.value.problems}
    assert where == {("Demand", row, "Edited by"), ("Demand", row, "Reason")}
