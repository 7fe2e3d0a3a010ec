"""Between Excel's cells and the core: argument conversion, Excel errors and a result cache.

A worksheet function receives what xlwings hands over: numbers as floats, ranges as 2-D
lists (``ndim=2``), ``None`` for a blank cell, and a cell error as its text ("#N/A")
because every range argument is read with ``err_to_str=True``. `call` converts each
argument with its `Arg` rule, runs a pure core function and shapes the answer for a cell
or a spilled range. It never raises: a bad argument or a failing figure comes back as the
Excel error string a planner expects (an error in the input propagates, as in Excel's own
functions). Results are cached on the exact arguments, so a recalculation that changes
nothing returns at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from sop_addin.core.udf_math import NotAvailable, OutOfRange

log = logging.getLogger(__name__)

NA, VALUE, NUM, DIV0 = "#N/A", "#VALUE!", "#NUM!", "#DIV/0!"
EXCEL_ERRORS = frozenset(
    {"#NULL!", DIV0, VALUE, "#REF!", "#NAME?", NUM, NA, "#GETTING_DATA", "#SPILL!", "#CALC!"}
)
CACHE_SIZE = 1024


class CellError(Exception):
    """An argument that is (or holds) an Excel error: the function's answer is that error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Logical(Enum):
    """A TRUE/FALSE cell inside a cache key: Python's True equals 1.0 and would share its
    cache entry, though a number cell and a logical cell must not give the same answer."""

    FALSE = False
    TRUE = True


def _is_error(value: Any) -> bool:
    return isinstance(value, str) and value in EXCEL_ERRORS


def _number(value: Any, what: str) -> float:
    if _is_error(value):
        raise CellError(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{what} must be a number, got {value!r}"
        raise ValueError(msg)
    return float(value)


def _cells(value: Any) -> list[list[Any]]:
    """Any argument as rows of cells: a scalar is a 1x1 range."""
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], list | tuple):
            return [list(row) for row in value]
        return [list(value)]
    return [[value]]


def _line(value: Any, what: str) -> list[Any]:
    """The cells of a one-row or one-column range, in order."""
    rows = _cells(value)
    if len(rows) == 1:
        return rows[0]
    if all(len(row) == 1 for row in rows):
        return [row[0] for row in rows]
    msg = f"{what} must be a single row or column, got {len(rows)}x{len(rows[0])} cells"
    raise ValueError(msg)


def _first_error(cells: Sequence[Any]) -> None:
    for cell in cells:
        if _is_error(cell):
            raise CellError(cell)


def _blank(cell: Any) -> bool:
    return cell is None or cell == ""


def _to_series(raw: Any, _: Any) -> list[float]:
    cells = _line(raw, "the history")
    _first_error(cells)
    filled = [i for i, c in enumerate(cells) if not _blank(c)]
    if not filled:
        return []
    inner = cells[filled[0] : filled[-1] + 1]
    return [0.0 if _blank(c) else _number(c, "every history cell") for c in inner]


def _to_pairs(raw: Any, side: int) -> list[float]:
    a, f = _line(raw[0], "actual"), _line(raw[1], "forecast")
    _first_error(a)
    _first_error(f)
    if len(a) != len(f):
        msg = f"actual has {len(a)} cells and forecast {len(f)}"
        raise NotAvailable(msg)
    kept = [pair for pair in zip(a, f, strict=True) if not (_blank(pair[0]) or _blank(pair[1]))]
    return [_number(pair[side], "every actual and forecast") for pair in kept]


def _to_numbers(raw: Any, blank: float | None) -> list[float]:
    cells = _line(raw, "the range")
    _first_error(cells)
    out = []
    for c in cells:
        if not _blank(c):
            out.append(_number(c, "every cell"))
        elif blank is None:
            msg = "a cell of the range is blank"
            raise NotAvailable(msg)
        else:
            out.append(blank)
    return out


def _to_matrix(raw: Any, blank: float) -> list[list[float]]:
    rows = _cells(raw)
    for row in rows:
        _first_error(row)
    return [[blank if _blank(c) else _number(c, "every cell") for c in row] for row in rows]


def _to_number(raw: Any, default: float | None) -> float:
    if _blank(raw):
        if default is None:
            msg = "a required number is missing"
            raise ValueError(msg)
        return default
    return _number(raw, "the argument")


def _to_whole(raw: Any, default: int | None) -> int:
    x = _to_number(raw, None if default is None else float(default))
    if not math.isfinite(x) or x != int(x):
        msg = f"expected a whole number, got {x}"
        raise ValueError(msg)
    return int(x)


def _to_text(raw: Any, default: str) -> str:
    if _blank(raw):
        return default
    if _is_error(raw):
        raise CellError(raw)
    if not isinstance(raw, str):
        msg = f"expected text, got {raw!r}"
        raise ValueError(msg)
    return raw


def _to_flag(raw: Any, default: bool) -> bool:
    if _blank(raw):
        return default
    if _is_error(raw):
        raise CellError(raw)
    if isinstance(raw, Logical):
        return raw.value
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    msg = f"expected TRUE or FALSE, got {raw!r}"
    raise ValueError(msg)


_CONVERTERS: dict[str, Callable[[Any, Any], Any]] = {
    "series": _to_series,
    "pairs": _to_pairs,
    "numbers": _to_numbers,
    "matrix": _to_matrix,
    "number": _to_number,
    "whole": _to_whole,
    "text": _to_text,
    "flag": _to_flag,
}


def _freeze(value: Any) -> Any:
    """A hashable copy of an argument (lists become tuples), for the cache key."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, bool):
        return Logical(value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Arg:
    """An argument as Excel passed it (frozen) and the rule that converts it."""

    kind: str
    value: Any
    option: Any = None


def series(value: Any) -> Arg:
    """A history in one row or column. Blanks at either end are room to grow and are
    dropped; a blank between numbers is a period without demand (0)."""
    return Arg("series", _freeze(value))


def pairs(actual: Any, forecast: Any) -> tuple[Arg, Arg]:
    """Two equal-size ranges; periods where either cell is blank are left out of both."""
    joined = (_freeze(actual), _freeze(forecast))
    return Arg("pairs", joined, 0), Arg("pairs", joined, 1)


def numbers(value: Any, blank: float | None = None) -> Arg:
    """A row or column of numbers; blank cells become `blank` (#N/A when it is None)."""
    return Arg("numbers", _freeze(value), blank)


def matrix(value: Any, blank: float = 0.0) -> Arg:
    """A block of numbers (rows x columns); blank cells count as `blank`."""
    return Arg("matrix", _freeze(value), blank)


def number(value: Any, default: float | None = None) -> Arg:
    """One number; an omitted or blank argument takes `default` (required when None)."""
    return Arg("number", _freeze(value), default)


def whole(value: Any, default: int | None = None) -> Arg:
    """A whole number (Excel hands every number over as a float)."""
    return Arg("whole", _freeze(value), default)


def text(value: Any, default: str) -> Arg:
    """A word such as a method name; omitted or blank means `default`."""
    return Arg("text", _freeze(value), default)


def flag(value: Any, default: bool = False) -> Arg:
    """TRUE/FALSE (or 1/0); omitted or blank means `default`."""
    return Arg("flag", _freeze(value), default)


def _cell(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return NUM
    return value


def _shape(result: Any) -> Any:
    """A number for one cell, rows of cells for a spilled range (frozen for the cache)."""
    if isinstance(result, list | tuple):
        return tuple(tuple(_cell(c) for c in row) for row in result)
    return _cell(result)


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, CellError):
        return exc.code
    if isinstance(exc, NotAvailable):
        return NA
    if isinstance(exc, OutOfRange):
        return NUM
    if isinstance(exc, ZeroDivisionError):
        return DIV0
    return VALUE


@lru_cache(maxsize=CACHE_SIZE)
def _evaluate(function: Callable[..., Any], args: tuple[Arg, ...]) -> Any:
    try:
        converted = [_CONVERTERS[arg.kind](arg.value, arg.option) for arg in args]
        return _shape(function(*converted))
    except Exception as exc:  # a cell must show an Excel error, never a Python traceback
        if not isinstance(exc, ValueError | ArithmeticError | CellError):
            log.exception("S&OP worksheet function %s failed", function.__name__)
        return _error_code(exc)


def call(function: Callable[..., Any], *args: Arg) -> Any:
    """Run a core function on converted arguments: an Excel-shaped answer, never a raise.

    Results are cached on (function, arguments): unchanged inputs return at once.
    """
    try:
        return _thaw(_evaluate(function, args))
    except TypeError:  # an unhashable argument xlwings should never pass: no caching
        return _thaw(_evaluate.__wrapped__(function, args))


def clear_cache() -> None:
    """Forget every cached result."""
    _evaluate.cache_clear()


def cache_info() -> Any:
    """Hits, misses and size of the result cache."""
    return _evaluate.cache_info()
