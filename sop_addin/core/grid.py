"""Time-phased grids: key figures in rows, months across, totals over families over SKUs.

The grid a planner reads on the Demand, Supply and Finance tabs (the layout of SAP IBP's or
Anaplan's planning sheets), computed from the contract's tables. Which key figures a grid
shows is data (contract/grids.csv); this module only sums them by month at three levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sop_addin.contract import Grid, KeyFigure

HISTORY_MONTHS = 6  # months of history shown before the first plan month

TOTAL, FAMILY, SKU = 0, 1, 2  # row levels, also the Excel outline levels


@dataclass(frozen=True)
class GridRow:
    """One key figure of one member (the total, a family or a SKU), by month."""

    level: int
    family: str
    sku: str
    figure: KeyFigure
    values: tuple[float | None, ...]  # one per month of the grid; None where it has no value
    # Over the figure's months (plan or history): their sum, a stock's last month, or the
    # ratio of the two sums.
    total: float | None


@dataclass(frozen=True)
class GridData:
    """A grid ready to draw: its months (history then plan) and its rows, top to bottom."""

    grid: Grid
    months: tuple[pd.Timestamp, ...]
    first_plan_month: pd.Timestamp
    rows: tuple[GridRow, ...]

    def is_history(self, month: pd.Timestamp) -> bool:
        return month < self.first_plan_month


def _with_family(frame: pd.DataFrame, families: pd.Series) -> pd.DataFrame:
    """The table with a family column (a SKU table gets it from Products)."""
    if "family" in frame.columns:
        out = frame.copy()
        if "sku" in frame.columns:  # the table's own family may be blank: Products decides
            out["family"] = out["sku"].map(families).fillna(out["family"])
    elif "sku" in frame.columns:
        out = frame.assign(family=frame["sku"].map(families))
    else:
        msg = "a grid table needs a family or a sku column"
        raise ValueError(msg)
    out["family"] = out["family"].fillna("(no family)").astype(str)
    return out


def _sums(
    frame: pd.DataFrame, figure: KeyFigure, keys: list[str], months: list[pd.Timestamp]
) -> dict[tuple[str, ...], tuple[list[float | None], float | None]]:
    """Per member (keys), the figure by month and its total."""
    grouped = frame.groupby([*keys, "month"], sort=True)[list(figure.columns)].sum()
    result: dict[tuple[str, ...], tuple[list[float | None], float | None]] = {}
    members = grouped.index.droplevel("month").unique() if keys else [()]
    for member in members:
        key = member if isinstance(member, tuple) else (member,)
        part = grouped.loc[key] if keys else grouped
        part = part.reindex(months, fill_value=0.0)
        if figure.is_ratio:
            num, den = figure.columns
            values = [
                float(n / d) if d else None for n, d in zip(part[num], part[den], strict=True)
            ]
            total_den = float(part[den].sum())
            total = float(part[num].sum()) / total_den if total_den else None
        else:
            sums = [float(v) for v in part[figure.column]]
            total = sums[-1] if figure.total == "last" else float(sum(sums))
            values = list(sums)
        result[tuple(str(k) for k in key)] = (values, total)
    return result


def build_grid(
    grid: Grid,
    tables: dict[str, pd.DataFrame],
    products: pd.DataFrame,
    plan_months: pd.DatetimeIndex,
    history_months: int = HISTORY_MONTHS,
) -> GridData:
    """Sum each key figure by month over the total, each family and each SKU.

    Args:
        grid: the grid's spec from the contract.
        tables: the source tables by name; a missing or empty table leaves its rows blank.
        products: the Products table (sku -> family).
        plan_months: the plan's months.
        history_months: how many months before the plan the history figures show.

    Returns:
        The grid's months and rows: the total block, then per family its block followed by
        the blocks of its SKUs (SKU rows only for key figures whose table has SKUs).
    """
    first = plan_months[0]
    history = [first - pd.DateOffset(months=n) for n in range(history_months, 0, -1)]
    has_history = any(f.history for f in grid.key_figures)
    months = [*(history if has_history else []), *plan_months]
    families = products.set_index("sku")["family"].fillna("(no family)").astype(str)
    sums: dict[tuple[str, int], dict[tuple[str, ...], tuple[list[float | None], float | None]]]
    sums = {}
    family_names: set[str] = set()
    skus_of: dict[str, set[str]] = {}
    for figure in grid.key_figures:
        frame = tables.get(figure.table)
        if frame is None or frame.empty:
            continue
        frame = _with_family(frame, families)
        own = history if figure.history else list(plan_months)
        frame = frame[frame["month"].isin(own)]
        if frame.empty:
            continue
        sums[(figure.label, TOTAL)] = _sums(frame, figure, [], own)
        sums[(figure.label, FAMILY)] = _sums(frame, figure, ["family"], own)
        family_names |= set(frame["family"])
        if "sku" in frame.columns:
            sums[(figure.label, SKU)] = _sums(frame, figure, ["family", "sku"], own)
            for family, sku in frame[["family", "sku"]].drop_duplicates().itertuples(False):
                skus_of.setdefault(str(family), set()).add(str(sku))

    def row(level: int, family: str, sku: str, figure: KeyFigure) -> GridRow:
        member = (family, sku)[:level]
        found = sums.get((figure.label, level), {}).get(tuple(member))
        if found is None:
            return GridRow(level, family, sku, figure, (None,) * len(months), None)
        values, total = found
        own = history if figure.history else list(plan_months)
        by_month = dict(zip(own, values, strict=True))
        return GridRow(level, family, sku, figure, tuple(by_month.get(m) for m in months), total)

    rows = [row(TOTAL, "", "", f) for f in grid.key_figures]
    for family in sorted(family_names):
        rows += [row(FAMILY, family, "", f) for f in grid.key_figures]
        for sku in sorted(skus_of.get(family, ())):
            rows += [row(SKU, family, sku, f) for f in grid.key_figures if (f.label, SKU) in sums]
    return GridData(grid=grid, months=tuple(months), first_plan_month=first, rows=tuple(rows))
