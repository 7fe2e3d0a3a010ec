"""Read and write the contract's tables through any port, with validation."""

from __future__ import annotations

import contextlib

import pandas as pd
from openpyxl.utils import get_column_letter

from sop_addin.contract import CONTRACT, Role, Table
from sop_addin.contract.load import optional_tables
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.contract.rules import check_rules
from sop_addin.contract.validation import check_references, check_table, parse_settings
from sop_addin.core.inputs import PlanInputs, PlanSettings
from sop_addin.core.preflight import preflight
from sop_addin.workbook.codec import block_to_frame, frame_to_block
from sop_addin.workbook.guard import WorkbookOpenError
from sop_addin.workbook.migrate import to_current, version_problems
from sop_addin.workbook.port import TableNotFound, WorkbookPort


def _missing(port: WorkbookPort, table: Table) -> Problem:
    if table.tab not in port.sheet_names():
        message = f"the tab {table.tab!r} is missing (it should hold the table {table.name})"
    else:
        message = f"the Excel table {table.name!r} is missing from the tab {table.tab!r}"
    return Problem(tab=table.tab, table=table.name, message=message)


def has_table(port: WorkbookPort, name: str) -> bool:
    """The workbook holds the table (one made before the table was added may not)."""
    try:
        port.table_location(name)
    except TableNotFound:
        return False
    return True


def read_table(port: WorkbookPort, name: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """One table as a typed frame, with its own problems (types, blanks, bounds, keys)."""
    table = CONTRACT.table(name)
    try:
        _, header_row = port.table_location(name)
        block = port.read_block(name)
    except TableNotFound:
        return None, [_missing(port, table)]
    except WorkbookOpenError as exc:  # e.g. an open-ended table reference: one problem
        return None, [Problem(tab=table.tab, table=name, message=str(exc))]
    frame, problems = block_to_frame(block, table, header_row)
    # A cell the codec could not read is already reported; do not report it again as blank.
    unreadable = {(p.row, p.column) for p in problems}
    problems += [p for p in check_table(frame, table) if (p.row, p.column) not in unreadable]
    if table.role is not Role.OUTPUT:
        problems += _rows_below(port, table)
    return frame, problems


def _rows_below(port: WorkbookPort, table: Table) -> list[Problem]:
    """Data typed right under an input table is not in it (LibreOffice does not extend a
    table as you type, and Excel only sometimes does): report it rather than ignore it."""
    problems = []
    below = port.rows_below(table.name)
    if below:
        rows = f"row {below[0]}" if len(below) == 1 else f"rows {below[0]}-{below[-1]}"
        message = (
            f"{len(below)} row(s) just below the table ({rows}) hold data outside it, so they "
            "are not read: resize the table to take them in (Table Design > Resize Table), or "
            "clear them"
        )
        problems.append(Problem(tab=table.tab, table=table.name, row=below[0], message=message))
    beside = port.columns_beside(table.name)
    if beside:
        letters = ", ".join(get_column_letter(c) for c in beside)
        message = (
            f"column(s) {letters} just right of the table have a header and data but are "
            "outside it, so they are not read: resize the table to take them in, or move them "
            "away"
        )
        problems.append(Problem(tab=table.tab, table=table.name, message=message))
    return problems


def read_inputs(port: WorkbookPort) -> PlanInputs:
    """Every input and assumption table, validated; raise ValidationError listing all problems."""
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for table in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION):
        if table.name in optional_tables() and not has_table(port, table.name):
            continue  # an older workbook: the planning code reads the table as empty
        frame, found = read_table(port, table.name)
        problems += found
        if frame is not None:
            frames[table.name] = frame
    problems += version_problems(frames.get("Settings"))
    frames = to_current(frames)  # one convention for every step (see workbook/migrate.py)
    problems += check_references(frames, CONTRACT)
    settings: dict[str, object] = {}
    if "Settings" in frames:
        settings, found = parse_settings(
            frames["Settings"], CONTRACT.table("Settings"), CONTRACT.settings
        )
        problems += found
    problems += check_placement(port)
    # An optional table an older workbook lacks counts as there (read as empty downstream).
    complete = all(
        t.name in frames or t.name in optional_tables()
        for t in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)
    )
    settings_ok = complete and not any(p.table == "Settings" for p in problems)
    inputs = None
    if settings_ok:
        inputs = PlanInputs(settings=PlanSettings(**settings), tables=frames)  # type: ignore[arg-type]
    # One report: the cross-table rules and every step's checks run even when cells are
    # already reported, on the rows that could be read; a check that trips over a reported
    # cell adds nothing (the report already names that cell).
    for check in (
        (lambda: check_rules(frames, CONTRACT)) if complete else None,
        (lambda: preflight(inputs)) if inputs is not None else None,
    ):
        if check is None:
            continue
        if not problems:
            problems += check()
            continue
        with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
            problems += check()
    if problems:
        raise ValidationError(_unique(problems))
    assert inputs is not None
    return inputs


def _unique(problems: list[Problem]) -> list[Problem]:
    """The same cell reported by two checks once (the first check's message)."""
    seen: set[tuple[str, str, int | None, str | None, str]] = set()
    result = []
    for p in problems:
        key = (p.tab, p.table, p.row, p.column, p.message)
        if key not in seen:
            seen.add(key)
            result.append(p)
    return result


def check_placement(port: WorkbookPort) -> list[Problem]:
    """Output tables present, and every table on the tab the contract gives it (formulas and
    charts refer to it there; a renamed tab would fail at the end of a run)."""
    from sop_addin.workbook.finance_formulas import formula_templates
    from sop_addin.workbook.layout import FIRST_DATA_ROW

    problems: list[Problem] = []
    for table in CONTRACT.tables.values():
        try:
            sheet, header_row = port.table_location(table.name)
        except TableNotFound:
            # inputs are reported by read_table; an optional output an older workbook lacks
            # is not written (optional_tables.csv)
            if table.role is Role.OUTPUT and table.name not in optional_tables():
                problems.append(_missing(port, table))
            continue
        except WorkbookOpenError as exc:  # an open-ended reference
            if table.role is Role.OUTPUT:
                problems.append(Problem(tab=table.tab, table=table.name, message=str(exc)))
            continue
        if sheet != table.tab:
            msg = (
                f"the table {table.name} is on the tab {sheet!r}, but belongs on {table.tab!r}: "
                f"rename the tab back to {table.tab!r}"
                + ("" if table.tab not in port.sheet_names() else " or move the table there")
            )
            problems.append(Problem(tab=sheet, table=table.name, message=msg))
        elif table.name in formula_templates() and header_row != FIRST_DATA_ROW - 1:
            msg = (
                f"the {table.name} table must keep its header on row {FIRST_DATA_ROW - 1} "
                "(its formulas refer to the other tables by position): move it back"
            )
            problems.append(Problem(tab=sheet, table=table.name, row=header_row, message=msg))
    return problems + _missing_views(port)


def _missing_views(port: WorkbookPort) -> list[Problem]:
    """The tabs a run redraws whole (the grids, the Exec page, the forecast chart) present:
    a save replaces them but never adds a tab, so a run without one would fail at its end."""
    from sop_addin.workbook.file_port import view_tabs  # here: file_port imports this module

    sheets = set(port.sheet_names())
    views = sorted(view_tabs())
    return [
        Problem(
            tab=view,
            table=view,
            message=(
                f"the tab {view!r} is missing (every run redraws it and never adds a tab): "
                f"if you renamed it, rename the tab back to {view!r}; if you deleted it, add "
                "an empty tab with that name"
            ),
        )
        for view in views
        if view not in sheets
    ]


def read_output(
    port: WorkbookPort, name: str, produced_by: str, allow_empty: bool = False
) -> pd.DataFrame:
    """An output of an earlier step; a clear error if the step has not run yet."""
    frame, problems = read_table(port, name)
    if problems:
        raise ValidationError(problems)
    assert frame is not None
    if frame.empty and not allow_empty:
        table = CONTRACT.table(name)
        msg = f"the {name} table on the {table.tab} tab is empty: run {produced_by} first"
        raise ValidationError([Problem(tab=table.tab, table=name, message=msg)])
    return frame.reset_index(drop=True)


def write_table(port: WorkbookPort, name: str, frame: pd.DataFrame) -> None:
    """Write an output table; inputs and assumptions are never written by a planning step."""
    table = CONTRACT.table(name)
    if table.role is not Role.OUTPUT:
        msg = f"{name} is an {table.role.value} table: planning steps never overwrite inputs"
        raise ValueError(msg)
    port.write_block(name, frame_to_block(frame, table))


def write_input_table(port: WorkbookPort, name: str, frame: pd.DataFrame) -> None:
    """Fill an input table (only for creating workbooks, e.g. the demo company)."""
    port.write_block(name, frame_to_block(frame, CONTRACT.table(name)))
