"""All-or-nothing writes for a live workbook: stage every table an action writes, apply at the end.

A file is saved only when the whole action succeeded; a live Excel book changes as soon as a
cell is written. The ribbon therefore runs an action on a `StagedPort`: reads see the staged
tables (a later step reads what an earlier one wrote), and nothing reaches the book until
`apply`, which first checks that every table's new extent is free, then writes the tables and
draws the views.
"""

from __future__ import annotations

from typing import Any

from sop_addin.workbook.codec import Formula
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.sheet_drawing import AlertRule, SheetDrawing


def _as_read(value: Any) -> Any:
    # A staged formula reads as its computed result, as the file port reads a saved one.
    return value.cached if isinstance(value, Formula) else value


class StagedPort:
    """A port whose writes (tables, then views) wait in memory until `apply`."""

    def __init__(self, port: WorkbookPort) -> None:
        self.port = port
        self.staged: dict[str, tuple[str, list[list[Any]]]] = {}
        self.views: dict[str, SheetDrawing] = {}  # the last drawing of each tab
        self.alerts: dict[str, list[AlertRule]] = {}

    def sheet_names(self) -> list[str]:
        return self.port.sheet_names()

    def table_location(self, table: str) -> tuple[str, int]:
        return self.port.table_location(table)

    def read_block(self, table: str) -> list[list[Any]]:
        staged = self.staged.get(table.lower())
        if staged is not None:
            return [[_as_read(v) for v in row] for row in staged[1]]
        return self.port.read_block(table)

    def rows_below(self, table: str) -> list[int]:
        return self.port.rows_below(table)

    def columns_beside(self, table: str) -> list[int]:
        return self.port.columns_beside(table)

    def write_block(self, table: str, block: list[list[Any]]) -> None:
        self.staged[table.lower()] = (table, block)

    def set_status(self, message: str | None) -> None:
        self.port.set_status(message)

    def read_view(self, tab: str) -> list[list[Any]] | None:
        return self.port.read_view(tab)

    def view_holds_tables(self, tab: str) -> bool:
        return self.port.view_holds_tables(tab)

    def draw_view(self, drawing: SheetDrawing) -> None:
        self.views[drawing.tab] = drawing

    def draw_alerts(self, tab: str, rules: list[AlertRule]) -> None:
        self.alerts[tab] = rules

    def apply(self) -> None:
        """Write every staged table; first check them all, so a refusal writes nothing."""
        check = getattr(self.port, "check_block", None)
        if check is not None:
            for table, block in self.staged.values():
                check(table, block)
        for table, block in self.staged.values():
            self.port.write_block(table, block)
        self.staged.clear()
        for drawing in self.views.values():  # the views show the tables just written
            self.port.draw_view(drawing)
        self.views.clear()
        for tab, rules in self.alerts.items():
            self.port.draw_alerts(tab, rules)
        self.alerts.clear()
