"""Every workbook the product writes opens in LibreOffice headless and converts, values intact.

One LibreOffice start converts all of them (it is the slow part of the suite).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.cli import cli
from sop_addin.contract import CONTRACT
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs
from sop_addin.workbook.template import sheet_order, write_template
from tests.factories import INPUT_TABLES
from tests.libreoffice import convert

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> dict[str, Path]:
    """One of each kind of workbook the product writes."""
    out = tmp_path_factory.mktemp("produced")
    runner = CliRunner()
    files = {"template": write_template(out / "template")}
    files["empty"] = out / "empty.xlsx"
    assert runner.invoke(cli, ["new", str(files["empty"])]).exit_code == 0
    files["demo_input"] = out / "demo_input.xlsx"
    args = ["new", str(files["demo_input"]), "--demo", "--seed", "11", "--skus", "12"]
    assert runner.invoke(cli, args).exit_code == 0
    files["planned"] = out / "planned.xlsx"
    args = [
        "run",
        str(files["demo_input"]),
        "--out",
        str(files["planned"]),
        "--json",
        "--jobs",
        "1",
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return files


@pytest.fixture(scope="module")
def converted(produced, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("lo")
    names = list(produced)
    results = convert([produced[n] for n in names], out)
    return dict(zip(names, results, strict=True))


def test_every_file_converts_with_all_tabs(converted):
    tabs = sheet_order(CONTRACT)  # the contract's tabs and the views (grids, Exec) among them
    for name, path in converted.items():
        wb = load_workbook(path)
        assert wb.sheetnames == tabs, name


def test_values_survive_libreoffice(produced, converted):
    original = load_workbook(produced["planned"], data_only=True)
    roundtrip = load_workbook(converted["planned"], data_only=True)
    views = ("Demand", "Supply", "Finance", "Exec")
    for tab in ("Products", *views, *(f"{view} data" for view in views)):
        a = [[c for c in row] for row in original[tab].iter_rows(min_row=2, values_only=True)]
        b = [[c for c in row] for row in roundtrip[tab].iter_rows(min_row=2, values_only=True)]
        assert len(b) >= len(a), tab
        for row_a, row_b in zip(a, b, strict=False):
            for va, vb in zip(row_a, row_b, strict=False):
                if isinstance(va, float):
                    assert vb == pytest.approx(va, rel=1e-9, abs=1e-9), tab
                elif va is not None:
                    assert vb == va, tab


def test_protection_survives_libreoffice(converted):
    wb = load_workbook(converted["planned"])
    for tab in CONTRACT.tabs:
        assert bool(wb[tab.name].protection.sheet) == tab.protected, tab.name


def test_libreoffice_saved_workbook_reads_back_the_same_inputs(produced, converted):
    ours = read_inputs(FilePort.open(produced["demo_input"]))
    theirs = read_inputs(FilePort.open(converted["demo_input"]))
    assert theirs.settings == ours.settings
    for name in INPUT_TABLES:
        pd.testing.assert_frame_equal(theirs[name], ours[name], check_dtype=False, obj=name)
