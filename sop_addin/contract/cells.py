"""Typing of single cell values: the one place a cell becomes text, a number or a month."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import pandas as pd

from sop_addin.contract.model import ColumnType

_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[ T]00:00(?::00)?)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class CellError(ValueError):
    """A cell value that cannot be read as its column's type."""


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number, e.g. SKU 10045
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value)


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        raise CellError(f"expected a number, got the logical value {value}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _PLAIN_NUMBER.match(text):
            raise CellError(f"expected a number, got the text {value!r}")
        number = float(text)
    elif isinstance(value, datetime | date):
        raise CellError(f"expected a number, got the date {value}")
    else:
        raise CellError(f"expected a number, got {value!r}")
    if not math.isfinite(number):
        raise CellError(f"expected a finite number, got {value!r}")
    return number


MAX_INTEGER = 2**53  # beyond this a float cell cannot hold a whole number exactly


def _as_integer(value: Any) -> int:
    number = _as_number(value)
    if not number.is_integer():
        raise CellError(f"expected a whole number, got {number:g}")
    if abs(number) > MAX_INTEGER:
        raise CellError(f"whole number {number:g} is too large")
    return int(number)


def _as_month(value: Any) -> pd.Timestamp:
    if isinstance(value, datetime | date):
        return pd.Timestamp(value.year, value.month, 1)
    if isinstance(value, str):
        match = _MONTH_TEXT.match(value.strip())
        if match and 1 <= int(match.group(2)) <= 12:
            return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)
        raise CellError(f"expected a month such as 2027-03, got the text {value!r}")
    raise CellError(f"expected a month such as 2027-03, got {value!r}")


CONVERTERS = {
    ColumnType.TEXT: _as_text,
    ColumnType.NUMBER: _as_number,
    ColumnType.FRACTION: _as_number,
    ColumnType.INTEGER: _as_integer,
    ColumnType.MONTH: _as_month,
}


def convert_cell(value: Any, column_type: ColumnType, strict: bool = True) -> Any:
    """Convert one non-blank cell value to its column type, or raise CellError.

    Args:
        value: the cell's value as a port returns it.
        column_type: the contract type of its column.
        strict: table cells are strict: a number or date stored as text is reported rather
            than read (Excel would not sum or sort it either). Key/value settings, whose value
            column is text by design, are read leniently.
    """
    converted = CONVERTERS[column_type](value)
    if strict and isinstance(value, str) and column_type is not ColumnType.TEXT:
        kind = "date" if column_type is ColumnType.MONTH else "number"
        raise CellError(f"{kind} stored as text {value!r}: enter it as a {kind}")
    return converted
