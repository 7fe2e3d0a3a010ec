"""Check typed input frames against the contract: blanks, enums, bounds, keys, references."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sop_addin.contract.cells import CellError, convert_cell
from sop_addin.contract.model import ColumnType, Setting, Table, WorkbookContract
from sop_addin.contract.problems import Problem


def _problem(table: Table, message: str, row: Any = None, column: str | None = None) -> Problem:
    return Problem(
        tab=table.tab,
        table=table.name,
        row=int(row) if row is not None else None,
        column=column,
        message=message,
    )


def check_table(frame: pd.DataFrame, table: Table) -> list[Problem]:
    """Problems within one table: required blanks, enumerations, bounds and duplicate keys."""
    problems: list[Problem] = []
    for col in table.columns:
        series = frame[col.name]
        blank = series.isna()
        if col.required:
            for row in series.index[blank]:
                what = "key" if col.key else "value"
                problems.append(
                    _problem(table, f"empty {what}: a value is required", row, col.name)
                )
        present = series[~blank]
        if col.enum:
            allowed = set(col.enum)
            for row, value in present.items():
                if value not in allowed:
                    msg = f"{value!r} is not one of {', '.join(col.enum)}"
                    problems.append(_problem(table, msg, row, col.name))
        if col.type in (ColumnType.NUMBER, ColumnType.FRACTION, ColumnType.INTEGER):
            numbers = present.astype(float)
            if col.min is not None:
                for row, value in numbers[numbers < col.min].items():
                    word = "negative" if col.min == 0 else f"below {col.min:g}"
                    msg = f"{word} value {value:g} is not allowed"
                    problems.append(_problem(table, msg, row, col.name))
            if col.max is not None:
                for row, value in numbers[numbers > col.max].items():
                    msg = f"value {value:g} is above the maximum {col.max:g}"
                    problems.append(_problem(table, msg, row, col.name))
    keys = table.key_columns
    if keys and len(frame):
        complete = frame[keys].notna().all(axis=1)
        keyed = frame.loc[complete, keys]
        dup = keyed.duplicated(keep=False)
        if dup.any():
            first_row: dict[tuple[Any, ...], int] = {}
            for row, values in keyed[dup].iterrows():
                key = tuple(values.tolist())
                if key in first_row:
                    shown = ", ".join(str(_show(v)) for v in key)
                    msg = f"duplicate key ({shown}), first used on row {first_row[key]}"
                    problems.append(_problem(table, msg, row, keys[-1]))
                else:
                    first_row[key] = int(row)
    return problems


def _show(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m")
    return value


def check_references(frames: dict[str, pd.DataFrame], contract: WorkbookContract) -> list[Problem]:
    """Problems across tables: values that must exist in another table's column."""
    problems: list[Problem] = []
    for name, frame in frames.items():
        table = contract.table(name)
        for col in table.columns:
            targets = col.ref_targets
            if not targets or any(t not in frames for t, _ in targets):
                continue
            known: set[Any] = set()
            for ref_table, ref_column in targets:
                known.update(frames[ref_table][ref_column].dropna().tolist())
            series = frame[col.name].dropna()
            where = " or ".join(f"{t}.{c}" for t, c in targets)
            for row, value in series[~series.isin(known)].items():
                msg = f"unknown reference {value!r}: not found in {where}"
                problems.append(_problem(table, msg, row, col.name))
    return problems


def parse_settings(
    frame: pd.DataFrame, table: Table, settings: tuple[Setting, ...]
) -> tuple[dict[str, Any], list[Problem]]:
    """Read the key/value Settings table into typed values, reporting each bad or missing one."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    rows = {str(s): r for r, s in frame["setting"].items() if isinstance(s, str)}
    known = {s.name for s in settings}
    for name, row in rows.items():
        if name not in known:
            problems.append(_problem(table, f"unknown setting {name!r}", row, "setting"))
    for setting in settings:
        row = rows.get(setting.name)
        raw = frame.at[row, "value"] if row is not None else None
        if raw is None or (isinstance(raw, float) and pd.isna(raw)):
            raw = setting.default
        if raw is None:
            if setting.required:
                msg = f"setting {setting.name!r} needs a value ({setting.description})"
                problems.append(_problem(table, msg, row, "value"))
            values[setting.name] = None
            continue
        try:
            value = convert_cell(raw, setting.type, strict=False)
        except CellError as exc:
            problems.append(_problem(table, f"{setting.name}: {exc}", row, "value"))
            continue
        if setting.min is not None and value < setting.min:
            msg = f"{setting.name} must be at least {setting.min:g}"
            problems.append(_problem(table, msg, row, "value"))
        if setting.max is not None and value > setting.max:
            msg = f"{setting.name} must be at most {setting.max:g}"
            problems.append(_problem(table, msg, row, "value"))
        values[setting.name] = value
    return values, problems
