"""Property-based fuzzing of the readers: random cells never crash the reader or the planner.

Thousands of generated tables go through the codec and validation (fast, in memory); a few
hundred whole workbooks go through the real file port and, when valid, the LP planner.
Either a clean report naming cells comes out, or a valid plan: never an unhandled exception.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sop_addin.contract import CONTRACT, ColumnType, Role
from sop_addin.contract.problems import ValidationError
from sop_addin.contract.validation import check_table
from sop_addin.core.planning import prepare_planning_data, solve_plan
from sop_addin.workbook.codec import block_to_frame
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_inputs
from tests.factories import tiny_tables

INPUT_TABLES = [t for t in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)]
FORMULA_LIKE = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("x")']

cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from([*FORMULA_LIKE, "", " ", "N/A", "1,234", "12%", "1e400", " 5 ", "2027-03"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
)


@st.composite
def blocks(draw: st.DrawFn) -> tuple[Any, list[list[Any]]]:
    table = draw(st.sampled_from(INPUT_TABLES))
    header: list[Any] = list(table.column_names)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.integers(0, 9)) == 0:
        header = header[:-1]  # a column deleted by the planner
    width = len(header)
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=8))
    return table, [header, *rows]


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


@settings(
    max_examples=3000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(blocks())
def test_codec_and_validation_never_crash(case):
    table, block = case
    frame, problems = block_to_frame(block, table, header_row=2)
    problems += check_table(frame, table)
    for p in problems:
        assert p.tab == table.tab and p.table == table.name and p.message
    if problems:
        return
    for col in table.columns:
        series = frame[col.name]
        if col.required:
            assert series.notna().all()
        if col.type in (ColumnType.NUMBER, ColumnType.FRACTION, ColumnType.INTEGER):
            assert all(_finite(v) for v in series.dropna())
        if col.enum:
            assert set(series.dropna()) <= set(col.enum)


EDITABLE = {
    "SalesHistory": ["quantity", "month", "sku"],
    "Routings": ["hours_per_unit", "yield", "resource", "priority"],
    "ResourceCalendar": ["working_days", "maintenance_hours"],
    "Prices": ["unit_price", "sku"],
    "Products": ["lifecycle", "family", "sku"],
}


@st.composite
def spoiled_company(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(EDITABLE)))
        column = draw(st.sampled_from(EDITABLE[name]))
        frame = tables[name].astype(object)
        row = draw(st.integers(0, len(frame) - 1))
        frame.iat[row, frame.columns.get_loc(column)] = draw(cells)
        tables[name] = frame
    return tables


def _raw_block(frame: pd.DataFrame) -> list[list[Any]]:
    values = frame.astype(object).where(frame.notna(), None)
    return [list(frame.columns), *values.to_numpy().tolist()]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spoiled_company())
def test_whole_workbooks_give_a_report_or_a_plan(tmp_path: Path, tables):
    path = tmp_path / "fuzz.xlsx"
    port = FilePort.open(create_workbook(path, {}))
    for name, frame in tables.items():
        port.write_block(name, _raw_block(frame))  # raw cells, as a planner might type them
    port.save()
    try:
        inputs = read_inputs(FilePort.open(path))
    except ValidationError as exc:
        assert exc.problems and all(p.tab and p.table for p in exc.problems)
        return
    history = inputs["SalesHistory"]
    demand = history.groupby("sku", as_index=False)["quantity"].mean()
    demand = demand.merge(pd.DataFrame({"month": inputs.months}), how="cross")
    result = solve_plan(prepare_planning_data(inputs, demand))
    balance = result.balance
    assert balance[["demand", "served", "unmet", "closing"]].notna().all().all()
    assert (balance["unmet"] <= balance["demand"] + 1e-6).all()
