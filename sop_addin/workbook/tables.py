"""Read and write the contract's tables through any port, with validation."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT, Role, Table
from sop_addin.contract.load import optional_tables
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.contract.rules import check_rules
from sop_addin.contract.validation import check_references, check_table, parse_settings
from sop_addin.core.inputs import PlanInputs, PlanSettings
from sop_addin.workbook.codec import block_to_frame, frame_to_block
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
    except TableNotFound:
        return None, [_missing(port, table)]
    frame, problems = block_to_frame(port.read_block(name), table, header_row)
    # A cell the codec could not read is already reported; do not report it again as blank.
    unreadable = {(p.row, p.column) for p in problems}
    problems += [p for p in check_table(frame, table) if (p.row, p.column) not in unreadable]
    return frame, problems


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
    problems += check_references(frames, CONTRACT)
    settings: dict[str, object] = {}
    if "Settings" in frames:
        settings, found = parse_settings(
            frames["Settings"], CONTRACT.table("Settings"), CONTRACT.settings
        )
        problems += found
    if not problems:
        problems += check_rules(frames, CONTRACT)
    if problems:
        raise ValidationError(problems)
    return PlanInputs(settings=PlanSettings(**settings), tables=frames)  # type: ignore[arg-type]


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
