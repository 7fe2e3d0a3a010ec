"""Hostile and broken files: each refused with a clear message, nothing read, nothing lost."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin.cli import cli
from sop_addin.contract.problems import ValidationError
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.guard import ReadLimits, UnsafeWorkbookError, WorkbookOpenError
from sop_addin.workbook.tables import read_inputs, read_table
from tests.hostile import BILLION_LAUGHS, flip_crc, quadratic_blowup, rewrite, sheet_part, xxe


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(path: Path, words: str, limits: ReadLimits | None = None) -> str:
    with pytest.raises(WorkbookOpenError) as caught:
        FilePort.open(path, limits) if limits else FilePort.open(path)
    assert words in str(caught.value)
    return str(caught.value)


def test_billion_laughs_is_refused(tiny_workbook, tmp_path):
    bad = rewrite(
        tiny_workbook,
        tmp_path / "laughs.xlsx",
        lambda n, d: d,
        extra={"xl/sharedStrings.xml": BILLION_LAUGHS},
    )
    _refused(bad, "DTD")


def test_quadratic_blowup_is_refused(tiny_workbook, tmp_path):
    bad = rewrite(  # stored, not deflated: the DTD check, not the ratio check, must catch it
        tiny_workbook,
        tmp_path / "quad.xlsx",
        lambda n, d: d,
        extra={"xl/sharedStrings.xml": quadratic_blowup()},
        compression=zipfile.ZIP_STORED,
    )
    _refused(bad, "DTD")


def test_xxe_never_reads_the_file(tiny_workbook, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-PAYROLL")
    part = sheet_part(tiny_workbook, "Products")

    def inject(name: str, data: bytes) -> bytes:
        if name != part:
            return data
        root = data.index(b"<worksheet")
        entity = (
            b'<!DOCTYPE x [ <!ENTITY xxe SYSTEM "' + secret.resolve().as_uri().encode() + b'"> ]>'
        )
        return data[:root] + entity + data[root:].replace(b"<v>", b"<v>&xxe;", 1)

    bad = rewrite(tiny_workbook, tmp_path / "xxe.xlsx", inject)
    message = _refused(bad, "DTD")
    assert "TOP-SECRET" not in message
    also_bad = rewrite(
        tiny_workbook,
        tmp_path / "xxe2.xlsx",
        lambda n, d: d,
        extra={"xl/sharedStrings.xml": xxe(secret)},
    )
    assert "TOP-SECRET" not in _refused(also_bad, "DTD")


def test_zip_bomb_ratio_and_size_limits(tiny_workbook, tmp_path):
    bomb = rewrite(
        tiny_workbook,
        tmp_path / "bomb.xlsx",
        lambda n, d: d,
        extra={"xl/media/padding.bin": b"\0" * 20_000_000},
    )
    _refused(bomb, "zip bomb")
    _refused(tiny_workbook, "above the limit", ReadLimits(max_file_bytes=1000))
    _refused(tiny_workbook, "parts, above the limit", ReadLimits(max_parts=5))
    _refused(tiny_workbook, "expands to", ReadLimits(max_uncompressed_bytes=10_000))


def test_corrupt_zip_and_crc_mismatch(tiny_workbook, tmp_path):
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(tiny_workbook.read_bytes()[:2000])
    _refused(truncated, "corrupt workbook")
    crc = flip_crc(tiny_workbook, tmp_path / "crc.xlsx", sheet_part(tiny_workbook, "Products"))
    _refused(crc, "corrupt workbook")
    text = tmp_path / "notes.xlsx"
    text.write_text("just some notes")
    _refused(text, "corrupt workbook")


def test_encrypted_workbook(tmp_path):
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    _refused(encrypted, "workbook is encrypted")


def test_cli_reports_hostile_file_and_keeps_it(tiny_workbook, tmp_path):
    bad = rewrite(
        tiny_workbook,
        tmp_path / "laughs.xlsx",
        lambda n, d: d,
        extra={"xl/sharedStrings.xml": BILLION_LAUGHS},
    )
    before = _digest(bad)
    result = CliRunner().invoke(cli, ["run", str(bad)])
    assert result.exit_code == 2
    assert "DTD" in result.output and "Traceback" not in result.output
    assert _digest(bad) == before


def test_far_away_cell_and_lying_table_ref_do_not_allocate(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    ws = wb["Products"]
    ws["XFD1048576"] = "far away"
    table = ws.tables["Products"]
    table.ref = table.ref.rstrip("0123456789") + "1048576"  # a table claiming a million rows
    wb.save(tiny_workbook)
    tracemalloc.start()
    frame, problems = read_table(FilePort.open(tiny_workbook), "Products")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert problems == []
    assert frame is not None and frame["sku"].tolist() == ["A", "B"]
    assert peak < 60 * 1024 * 1024  # a full million-row table would need gigabytes


def test_lying_dimension_does_not_truncate(tiny_workbook, tmp_path):
    part = sheet_part(tiny_workbook, "History")

    def lie(name: str, data: bytes) -> bytes:
        if name == part:
            return data.replace(b'<dimension ref="', b'<dimension ref="A1:A1" x="', 1)
        return data

    liar = rewrite(tiny_workbook, tmp_path / "liar.xlsx", lie)
    inputs = read_inputs(FilePort.open(liar))
    assert len(inputs["SalesHistory"]) == 72  # 2 SKUs x 36 months, none dropped


def test_merged_cells_and_stray_blank_rows_are_named(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    history = wb["History"]
    for col in "ABC":
        history[f"{col}10"] = None  # a blank line in the middle of the table
    products = wb["Products"]
    products.merge_cells("B3:C3")
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    found = {(p.table, p.row, p.column): p.message for p in caught.value.problems}
    assert "blank row inside the table" in found[("SalesHistory", 10, None)]
    assert "merged cells (B3:C3)" in found[("Products", 3, "family")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,234", "expected a number, got the text '1,234'"),
        ("12%", "expected a number, got the text '12%'"),
        ("N/A", "expected a number, got the text 'N/A'"),
        ("1e400", "expected a finite number"),
        (" 5 ", "number stored as text ' 5 '"),
        (True, "logical value"),
    ],
)
def test_numbers_in_disguise(tiny_workbook, value, message):
    wb = load_workbook(tiny_workbook)
    wb["History"]["C7"] = value
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    (problem,) = caught.value.problems
    assert (problem.tab, problem.table, problem.row, problem.column) == (
        "History",
        "SalesHistory",
        7,
        "quantity",
    )
    assert message in problem.message


def test_numeric_overflow_in_the_file_xml(tiny_workbook, tmp_path):
    part = sheet_part(tiny_workbook, "History")

    def overflow(name: str, data: bytes) -> bytes:
        return data.replace(b"<v>50</v>", b"<v>1e400</v>", 1) if name == part else data

    bad = rewrite(tiny_workbook, tmp_path / "overflow.xlsx", overflow)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(bad))
    assert "finite" in caught.value.problems[0].message


def test_dates_as_text_in_a_month_column(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    wb["History"]["B8"] = "2024-06"
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (8, "month")
    assert "date stored as text '2024-06'" in problem.message


def test_a_formula_without_saved_value_in_an_input(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    wb["History"]["C9"] = "=40+10"  # typed by a planner, never calculated by Excel
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (9, "quantity")
    assert "formula without a saved result" in problem.message


def test_guard_accepts_every_file_the_product_writes(tiny_workbook):
    with zipfile.ZipFile(tiny_workbook) as z:
        assert z.testzip() is None
    FilePort.open(tiny_workbook)  # passes the guard with default limits
    with pytest.raises(UnsafeWorkbookError):
        FilePort.open(tiny_workbook, ReadLimits(max_ratio=1.0))
