"""A view drawn as data: what goes in which cells of a tab, for any workbook to render.

The grids, the Exec dashboard and the forecast chart tab are laid out once, as a
`SheetDrawing`: blocks of values, styles over boxes of cells, column widths, the row outline,
freeze panes, dropdowns and alert colours. Two renderers draw it: openpyxl into a workbook
file (sop_addin.workbook.sheet_openpyxl) and xlwings into a live Excel book
(sop_addin.workbook.xlwings_views), which writes each block and each style in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Box:
    """A rectangle of cells: its top-left cell (1-based) and its size."""

    row: int
    column: int
    rows: int = 1
    columns: int = 1

    @property
    def last_row(self) -> int:
        return self.row + self.rows - 1

    @property
    def last_column(self) -> int:
        return self.column + self.columns - 1

    def cells(self) -> list[tuple[int, int]]:
        return [
            (r, c)
            for r in range(self.row, self.row + self.rows)
            for c in range(self.column, self.column + self.columns)
        ]


@dataclass(frozen=True)
class Style:
    """How cells look; None leaves an attribute as the cells have it. Colours are RRGGBB."""

    number_format: str | None = None
    fill: str | None = None
    bold: bool | None = None
    italic: bool | None = None
    size: float | None = None
    color: str | None = None  # the font's
    horizontal: str | None = None  # "center", ...
    vertical: str | None = None  # "bottom", ...
    wrap: bool | None = None
    unlocked: bool | None = None  # a cell the planner may type into on a protected tab
    top_border: str | None = None  # a thin line above the cells, in this colour

    def over(self, below: Style) -> Style:
        """This style laid over `below`: what is set here wins."""
        return replace(below, **{k: v for k, v in self.__dict__.items() if v is not None})

    @property
    def has_font(self) -> bool:
        return any(v is not None for v in (self.bold, self.italic, self.size, self.color))

    @property
    def has_alignment(self) -> bool:
        return any(v is not None for v in (self.horizontal, self.vertical, self.wrap))


@dataclass(frozen=True)
class ListRule:
    """A dropdown: the cells it applies to and its choices (literal values or a range)."""

    boxes: tuple[Box, ...]
    error: str
    values: tuple[str, ...] = ()
    source: Box | None = None  # a one-column range of the same tab
    allow_blank: bool = False


@dataclass(frozen=True)
class AlertRule:
    """A conditional format: Excel's cellIs operator ("lessThan", "between", ...) and operands
    as Excel formulas ("0.95", '"fail"'), with the fill and font it shows."""

    box: Box
    operator: str
    operands: tuple[str, ...]
    fill: str
    font_color: str


@dataclass(frozen=True)
class LineChart:
    """A line chart over a block whose first row names the series and first column holds the
    months. The file renderer leaves charts to the save (openpyxl drops them on load and
    sop_addin.workbook.charts draws them again); a live book draws it once."""

    source: Box
    anchor: tuple[int, int]
    title: str
    width: float  # points
    height: float


@dataclass(frozen=True)
class TableChart:
    """A chart over columns of a contract table, the categories first (the Exec charts). A
    live book draws it; a file's are drawn on save from the same specs (workbook.charts)."""

    name: str
    table: str
    categories: str
    series: tuple[str, ...]
    kind: str  # "line" or "bar" (vertical bars)
    title: str
    anchor: tuple[int, int]
    width: float  # points
    height: float


@dataclass
class SheetDrawing:
    """Everything a view writes on its tab, in the order it is drawn."""

    tab: str
    before: str  # a new tab goes before this one (the view's data tab)
    tab_color: str
    blocks: list[tuple[int, int, list[list[Any]]]] = field(default_factory=list)
    styles: list[tuple[Box, Style]] = field(default_factory=list)
    column_widths: dict[int, float] = field(default_factory=dict)
    hidden_columns: list[int] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    outline: dict[int, int] = field(default_factory=dict)  # Excel row -> outline level
    collapsed: list[int] = field(default_factory=list)  # rows hidden under a closed outline
    freeze: tuple[int, int] | None = None  # the first cell that scrolls
    lists: list[ListRule] = field(default_factory=list)
    alerts: list[AlertRule] = field(default_factory=list)
    print_area: str | None = None
    print_titles: tuple[str, str] | None = None  # rows "1:2", columns "A:C"
    landscape: bool = False
    fit_width: bool = False  # printed one page wide, as many pages down as it takes
    outline_above: bool = False  # a group's +/- on its summary row above, not below
    gridlines: bool = True
    chart: LineChart | None = None
    table_charts: list[TableChart] = field(default_factory=list)

    def write(self, row: int, column: int, block: list[list[Any]]) -> None:
        """Values from (row, column): text stays text, a `Formula` is a formula; None is blank."""
        if block and block[0]:
            self.blocks.append((row, column, block))

    def cell(self, row: int, column: int, value: Any, style: Style | None = None) -> None:
        self.write(row, column, [[value]])
        if style is not None:
            self.style(Box(row, column), style)

    def style(self, box: Box, style: Style) -> None:
        self.styles.append((box, style))

    def extent(self) -> Box:
        """The smallest box holding every value and style the drawing writes."""
        boxes = [Box(r, c, len(b), max(len(line) for line in b)) for r, c, b in self.blocks]
        boxes += [box for box, _ in self.styles]
        last_row = max(b.last_row for b in boxes)
        last_column = max(b.last_column for b in boxes)
        return Box(1, 1, last_row, last_column)

    def cell_styles(self) -> dict[tuple[int, int], Style]:
        """Each styled cell's style, the later styles laid over the earlier ones."""
        styles: dict[tuple[int, int], Style] = {}
        for box, style in self.styles:
            for cell in box.cells():
                below = styles.get(cell)
                styles[cell] = style if below is None else style.over(below)
        return styles

    def values(self) -> dict[tuple[int, int], Any]:
        """Each written cell's value (None: written blank), the later blocks winning."""
        values: dict[tuple[int, int], Any] = {}
        for row, column, block in self.blocks:
            for i, line in enumerate(block):
                for j, value in enumerate(line):
                    values[(row + i, column + j)] = value
        return values
