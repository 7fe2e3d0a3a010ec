"""Writes that never destroy a user's work: occupied cells, other programs' locks, approved
snapshots, symbolic links, read-only places and full disks, the demo's plan store, and the
ribbon's all-or-nothing runs."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.workbook.protection import WorkbookProtection

from sop_addin.approval.snapshot import COVER_SHEET
from sop_addin.cli import cli
from sop_addin.commands.approval import set_aside_previous_demo
from sop_addin.contract.problems import ValidationError
from sop_addin.errors import ApprovedSnapshotError, user_error
from sop_addin.excel.ribbon import run_action
from sop_addin.workbook import atomic
from sop_addin.workbook.atomic import TEMP_PREFIX, WriteFailed, atomic_write_bytes
from sop_addin.workbook.codec import Formula
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.lock import lock_path
from sop_addin.workbook.port import OccupiedCells
from sop_addin.workbook.staging import StagedPort
from sop_addin.workbook.tables import read_inputs
from sop_addin.workbook.xlwings_port import XlwingsPort
from tests.layout_support import fake_sheet_with_table, sheet_with_table, tab_of, table_corner
from tests.xlwings_fake import book_from_file


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(path: Path, *extra: str):
    return CliRunner().invoke(cli, ["run", str(path), "--lp", "--jobs", "1", *extra])


def _forecast_corner(path: Path) -> tuple[str, int, int]:
    """The tab, header row and first column of the Forecast table (an output table)."""
    return table_corner(path, "Forecast")


# -- cells the product does not own ----------------------------------------------------------


def test_a_note_below_an_output_table_stops_the_run_and_nothing_is_written(tiny_workbook):
    tab, header, column = _forecast_corner(tiny_workbook)
    wb = load_workbook(tiny_workbook)
    # The tiny company's forecast has 2 SKUs x 2 months = 4 rows: rows header+1..header+4.
    note = wb[tab].cell(header + 4, column, "call Anna about the Q1 promo")
    wb.save(tiny_workbook)
    before = _digest(tiny_workbook)
    result = _run(tiny_workbook)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert note.coordinate in text and "call Anna about the Q1 promo" in text
    assert "Forecast" in text and "Nothing was written" in text
    assert _digest(tiny_workbook) == before


def test_growing_over_another_table_or_merged_cells_is_refused(tiny_workbook):
    port = FilePort.open(tiny_workbook)
    tab, header, column = _forecast_corner(tiny_workbook)
    ws = port.workbook[tab]
    ws.merge_cells(
        start_row=header + 3, start_column=column, end_row=header + 3, end_column=column + 1
    )
    block = [list(range(10))] + [[f"r{i}"] + [None] * 9 for i in range(5)]
    with pytest.raises(OccupiedCells, match="merged cells"):
        port.check_block("Forecast", block)


def test_a_shrinking_table_clears_only_its_own_old_rows(tiny_workbook, tmp_path):
    assert _run(tiny_workbook).exit_code == 0
    wb = load_workbook(tiny_workbook)
    ws = sheet_with_table(wb, "Forecast")
    ref = ws.tables["Forecast"].ref
    last_row = int("".join(ch for ch in ref.split(":")[1] if ch.isdigit()))
    _, header, column = _forecast_corner(tiny_workbook)
    ws.cell(last_row + 2, column, "keep me")  # a blank row, then the planner's note
    wb.save(tiny_workbook)
    port = FilePort.open(tiny_workbook)
    header_values = port.read_block("Forecast")[0]
    port.write_block("Forecast", [header_values, ["PMP"] + [None] * (len(header_values) - 1)])
    port.save(tmp_path / "shrunk.xlsx")
    after = load_workbook(tmp_path / "shrunk.xlsx")[ws.title]
    assert after.cell(last_row + 2, column).value == "keep me"
    assert after.cell(header + 2, column).value is None  # an old row of the table, cleared


def test_rows_typed_below_an_input_table_are_reported_not_ignored(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    ws = wb["History"]
    ref = ws.tables["SalesHistory"].ref
    first_col = ws[ref.split(":")[0]].column
    last_row = ws[ref.split(":")[1]].row
    for offset in range(1, 4):  # three rows typed in LibreOffice, which does not extend tables
        ws.cell(last_row + offset, first_col, "PMP-1")
    wb.save(tiny_workbook)
    assert CliRunner().invoke(cli, ["validate", str(tiny_workbook)]).exit_code == 2
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    [problem] = caught.value.problems
    assert (problem.tab, problem.table, problem.row) == ("History", "SalesHistory", last_row + 1)
    assert "3 row(s) just below the table" in problem.message
    assert f"rows {last_row + 1}-{last_row + 3}" in problem.message
    # The live-book port sees the same rows.
    book = book_from_file(tiny_workbook)
    assert XlwingsPort(book).rows_below("SalesHistory") == [last_row + i for i in (1, 2, 3)]


# -- other programs, approved snapshots ------------------------------------------------------


@pytest.mark.parametrize(
    ("lock_name", "program"),
    [("~$tiny.xlsx", "Excel"), (".~lock.tiny.xlsx#", "LibreOffice")],
)
def test_a_workbook_open_in_another_program_is_refused(tiny_workbook, lock_name, program):
    (tiny_workbook.parent / lock_name).write_text(",Anna,host,01.12.2026 10:00,file:///x;\n")
    before = _digest(tiny_workbook)
    result = _run(tiny_workbook)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"is open in {program}" in text and lock_name in text
    assert _digest(tiny_workbook) == before


def test_an_approved_snapshot_is_never_replanned(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    cover = wb.create_sheet(COVER_SHEET, 0)
    cover["A1"] = "Approved by"
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(tiny_workbook)
    before = _digest(tiny_workbook)
    result = _run(tiny_workbook)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "approved snapshot" in text and "sop approve" in text and "sop verify" in text
    assert _digest(tiny_workbook) == before


# -- links, read-only places, full disks -----------------------------------------------------


def test_a_symlinked_workbook_is_written_through_to_its_target(tiny_workbook, tmp_path):
    link = tmp_path / "link" / "plan.xlsx"
    link.parent.mkdir()
    link.symlink_to(tiny_workbook)
    assert _run(link).exit_code == 0
    assert link.is_symlink() and link.resolve() == tiny_workbook.resolve()
    forecast = sheet_with_table(load_workbook(tiny_workbook), "Forecast").tables["Forecast"]
    assert forecast.ref.endswith("6")


def test_a_symlink_planted_at_the_lock_file_is_not_followed(tiny_workbook, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    lock_path(tiny_workbook.resolve()).symlink_to(victim)
    before = _digest(tiny_workbook)
    result = _run(tiny_workbook)
    assert result.exit_code == 3
    assert "symbolic link" in " ".join(result.output.split())
    assert victim.read_text() == "precious"
    assert _digest(tiny_workbook) == before


def _fail_with(monkeypatch, code: int) -> None:
    def broken(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.os, "fsync", broken)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only file system")],
)
def test_a_full_disk_or_read_only_place_is_one_message_and_the_file_is_unchanged(
    tiny_workbook, monkeypatch, code, words
):
    before = _digest(tiny_workbook)
    _fail_with(monkeypatch, code)
    result = _run(tiny_workbook)
    assert result.exit_code == 3
    text = " ".join(result.output.split())
    assert words in text and "unchanged" in text and "Traceback" not in text
    assert _digest(tiny_workbook) == before
    assert not list(tiny_workbook.parent.glob(f"{TEMP_PREFIX}*"))


def test_an_export_to_a_full_disk_is_one_message(tiny_workbook, tmp_path, monkeypatch):
    import sop_addin.workbook.export as export

    real = export.atomic_write_text

    def full_disk(target: Path, text: str) -> None:
        _fail_with(monkeypatch, errno.ENOSPC)  # the workbook is saved; the disk fills up now
        real(target, text)

    monkeypatch.setattr(export, "atomic_write_text", full_disk)
    result = _run(tiny_workbook, "--export", str(tmp_path / "csv"))
    assert result.exit_code == 3 and "the disk is full" in result.output


def test_out_elsewhere_reads_the_source_without_a_lock_beside_it(tiny_workbook, tmp_path):
    target = tmp_path / "out" / "planned.xlsx"
    before = _digest(tiny_workbook)
    seen: list[str] = []
    original = atomic_write_bytes

    def spy(path: Path, data: bytes) -> None:
        seen.extend(p.name for p in tiny_workbook.parent.iterdir())
        original(path, data)

    import sop_addin.workbook.file_port as file_port

    file_port.atomic_write_bytes = spy  # type: ignore[assignment]
    try:
        assert _run(tiny_workbook, "--out", str(target)).exit_code == 0
    finally:
        file_port.atomic_write_bytes = original  # type: ignore[assignment]
    assert not [n for n in seen if n.startswith(".~sop-lock-")]  # a read-only share is fine
    assert _digest(tiny_workbook) == before and target.is_file()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_folder_is_one_message(tiny_workbook):  # pragma: no cover - not as root
    folder = tiny_workbook.parent
    folder.chmod(0o555)
    try:
        result = _run(tiny_workbook)
    finally:
        folder.chmod(0o755)
    assert result.exit_code in (2, 3) and "Traceback" not in result.output


def test_atomic_write_through_a_link_keeps_the_link(tmp_path):
    real = tmp_path / "real.bin"
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


# -- the demo's plan store -------------------------------------------------------------------


def test_rerunning_the_demo_never_deletes_a_plan_store(tmp_path):
    store = tmp_path / ".sop-store"
    store.mkdir()
    (store / "audit.sqlite").write_bytes(b"audit log")
    (tmp_path / "approved").mkdir()
    aside = set_aside_previous_demo(tmp_path, (".sop-store", "approved", "departments"))
    assert (
        aside is not None and (aside / ".sop-store" / "audit.sqlite").read_bytes() == b"audit log"
    )
    assert not store.exists() and (aside / "approved").is_dir()
    assert set_aside_previous_demo(tmp_path, (".sop-store",)) is None  # nothing to move


# -- one error model, all-or-nothing ribbon runs ---------------------------------------------


def test_the_ribbon_run_is_all_or_nothing(tiny_workbook):
    book = book_from_file(tiny_workbook)
    before = {s.name: dict(s.cells) for s in book.sheets}
    port = XlwingsPort(book)
    alerts: list[str] = []

    def half_then_fail(port, progress):
        block = port.read_block("KPIs")
        port.write_block("KPIs", [block[0], ["fill_rate"] + [1.0] * (len(block[0]) - 1)])
        assert port.read_block("KPIs")[1][0] == "fill_rate"  # later steps see earlier writes
        read_inputs(port)
        raise WriteFailed("could not save plan.xlsx: the disk is full; the file is unchanged")

    from sop_addin.excel import ribbon

    ribbon.ACTIONS["half_then_fail"] = half_then_fail
    try:
        assert not run_action("half_then_fail", port, alerts.append)
    finally:
        del ribbon.ACTIONS["half_then_fail"]
    assert {s.name: dict(s.cells) for s in book.sheets} == before
    assert alerts == ["could not save plan.xlsx: the disk is full; the file is unchanged"]


def test_a_staged_write_over_occupied_cells_writes_nothing(tiny_workbook):
    book = book_from_file(tiny_workbook)
    sheet, forecast = fake_sheet_with_table(book, "Forecast")
    note = (forecast.range.row + 3, forecast.range.column)
    sheet.cells[note] = "planner's note"
    before = {s.name: dict(s.cells) for s in book.sheets}
    staged = StagedPort(XlwingsPort(book))
    header = staged.read_block("KPIs")[0]
    staged.write_block("KPIs", [header, ["a"] + [None] * (len(header) - 1)])
    width = len(staged.read_block("Forecast")[0])
    staged.write_block("Forecast", [staged.read_block("Forecast")[0]] + [["x"] * width] * 5)
    with pytest.raises(OccupiedCells, match="planner's note"):
        staged.apply()
    assert {s.name: dict(s.cells) for s in book.sheets} == before  # KPIs untouched too


def test_staged_formulas_read_as_their_computed_value(tiny_workbook):
    staged = StagedPort(XlwingsPort(book_from_file(tiny_workbook)))
    staged.write_block("PnL", [["family"], [Formula("=1+1", cached=2.0)]])
    assert staged.read_block("PnL") == [["family"], [2.0]]


def test_excel_messages_never_name_a_command_line_flag():
    snapshot = user_error(ApprovedSnapshotError("plan.xlsx"))
    assert snapshot is not None and snapshot.code == 2
    assert "sop " in snapshot.cli and "sop " not in snapshot.excel and "--" not in snapshot.excel
    for exc in (
        WriteFailed("could not save x: the disk is full"),
        OccupiedCells("the output table Forecast would grow over A7"),
        PermissionError("denied"),
    ):
        found = user_error(exc)
        assert found is not None and "--" not in found.excel and "sop " not in found.excel
    assert user_error(KeyError("bug")) is None  # a bug keeps its traceback


@pytest.mark.parametrize(
    "message",
    [
        "the solver HiGHS returned status 'Not Solved' (time limit); no plan was written: "
        "raise --time-limit or --gap, or plan with --lp (lot rules relaxed)",
        "no actuals: fill the Actuals table on the Governance tab (or pass --actuals FILE)",
        "no approved plan yet (Approve & Snapshot / sop approve), or name the snapshot with "
        "--snapshot",
    ],
)
def test_cli_hints_are_dropped_for_excel_and_the_rest_kept(message):
    from sop_addin.contract.problems import Problem, ValidationError
    from sop_addin.core.planning.solve import SolverError

    for exc in (
        SolverError(message),
        ValidationError([Problem(tab="T", table="X", message=message)]),
    ):
        found = user_error(exc)
        assert found is not None and message in found.cli
        assert "--" not in found.excel and "sop approve" not in found.excel
        assert message.split(":")[0].split(" (")[0] in found.excel  # the finding itself stays


def test_a_column_typed_beside_an_input_table_is_reported(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    ws = wb["Products"]
    ref = ws.tables["Products"].ref
    start, end = ws[ref.split(":")[0]], ws[ref.split(":")[1]]
    beside = end.column + 1
    ws.cell(start.row, beside, "planner_comment")
    ws.cell(start.row + 1, beside, "check price")
    wb.save(tiny_workbook)
    with pytest.raises(ValidationError) as caught:
        read_inputs(FilePort.open(tiny_workbook))
    [problem] = caught.value.problems
    assert (problem.tab, problem.table) == ("Products", "Products")
    assert "just right of the table" in problem.message
    assert XlwingsPort(book_from_file(tiny_workbook)).columns_beside("Products") == [beside]


def test_merged_cells_inside_an_output_table_stop_the_write(tiny_workbook):
    tab, header, column = _forecast_corner(tiny_workbook)
    wb = load_workbook(tiny_workbook)
    wb[tab].merge_cells(
        start_row=header + 1, start_column=column, end_row=header + 1, end_column=column + 1
    )
    wb.save(tiny_workbook)
    before = _digest(tiny_workbook)
    result = _run(tiny_workbook)
    assert result.exit_code == 2 and "merged cells" in " ".join(result.output.split())
    assert "Traceback" not in result.output and _digest(tiny_workbook) == before


def test_every_ribbon_action_validates_first(tiny_workbook):
    wb = load_workbook(tiny_workbook)
    supply = tab_of(wb, "ProductBalance")  # the tab holding the supply plan's tables
    wb[supply].title = "Supply plan"  # a renamed tab: every step would fail at its end
    wb.save(tiny_workbook)
    called: list[str] = []
    alerts: list[str] = []
    from sop_addin.excel import ribbon

    ribbon.ACTIONS["probe"] = lambda port, progress: called.append("ran") or {}
    try:
        assert not run_action("probe", XlwingsPort(book_from_file(tiny_workbook)), alerts.append)
    finally:
        del ribbon.ACTIONS["probe"]
    assert called == [] and f"rename the tab back to '{supply}'" in alerts[0]
