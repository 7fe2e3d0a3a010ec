"""Validation problems, each naming the tab, table, Excel row and column it is about."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Problem(BaseModel):
    """One thing wrong with a workbook, located as precisely as possible."""

    model_config = ConfigDict(frozen=True)

    tab: str
    table: str
    row: int | None = None  # the Excel row number, as the planner sees it
    column: str | None = None
    message: str

    def __str__(self) -> str:
        where = f"{self.tab}!{self.table}"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        return f"{where}: {self.message}"


class ValidationError(Exception):
    """Raised when a workbook's inputs break the contract; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(self.summary())

    def summary(self, limit: int = 50) -> str:
        lines = [f"{len(self.problems)} problem(s) in the workbook inputs:"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)
