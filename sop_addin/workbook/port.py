"""The port interface: what an action needs from a workbook, and nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sop_addin.workbook.sheet_drawing import AlertRule, SheetDrawing


class TableNotFound(LookupError):
    """The workbook has no Excel table (ListObject) of that name."""


class OccupiedCells(Exception):
    """An output table would grow over cells the product does not own; nothing was written."""


class WorkbookPort(Protocol):
    """Moves 2-D blocks of cell values in and out of a workbook's named tables.

    Implemented by `FilePort` (openpyxl, .xlsx/.xlsm files) and `XlwingsPort` (a live Excel
    book). Conversion to frames is the codec's job, so both ports behave alike.
    """

    def sheet_names(self) -> list[str]:
        """Names of the worksheets, in order."""
        ...

    def table_location(self, table: str) -> tuple[str, int]:
        """The sheet holding the table and the Excel row of its header; raise TableNotFound."""
        ...

    def read_block(self, table: str) -> list[list[Any]]:
        """The table's header and body rows as cell values."""
        ...

    def rows_below(self, table: str) -> list[int]:
        """Excel rows right below the table holding values in its columns, up to a blank row
        (data typed under a table that the table does not take in)."""
        ...

    def columns_beside(self, table: str) -> list[int]:
        """Columns right beside the table with a header and data in its rows (a column typed
        next to a table that the table does not take in)."""
        ...

    def write_block(self, table: str, block: list[list[Any]]) -> None:
        """Replace the table's header and body with `block`, resizing the table to fit."""
        ...

    def set_status(self, message: str | None) -> None:
        """Show progress to the user (Excel's status bar); None clears it."""
        ...

    def read_view(self, tab: str) -> list[list[Any]] | None:
        """A view tab's cell values from A1 to its last used cell; None without the tab."""
        ...

    def view_holds_tables(self, tab: str) -> bool:
        """Whether a tab named like a view holds Excel tables (a workbook from before the
        views keeps its tables there: never to be drawn over)."""
        ...

    def draw_view(self, drawing: SheetDrawing) -> None:
        """Draw a view (grid, dashboard, chart tab) on its tab, made before its data tab when
        missing."""
        ...

    def draw_alerts(self, tab: str, rules: list[AlertRule]) -> None:
        """Alert colours (conditional formats) on a table tab's columns, replacing the
        product's earlier ones there."""
        ...
