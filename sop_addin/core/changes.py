"""What changed since the last approved plan: the figures by family and the inputs behind them.

How an executive S&OP meeting starts: demand, supply, revenue and margin by family against
the approved plan, and which input tables changed (and by how many rows) to move them.
"""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT

# measure, table, column: each summed by family over the plan.
PLAN_MEASURES = (
    ("demand", "ProductBalance", "demand"),
    ("supply", "ProductBalance", "production"),
    ("revenue", "FinancePlan", "revenue"),
    ("gross margin", "FinancePlan", "gross_margin"),
)
TOTAL = "Total"


def _by_family(frame: pd.DataFrame | None, column: str, families: pd.Series) -> pd.Series:
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    if "family" not in frame.columns:
        frame = frame.assign(family=frame["sku"].map(families))
    keyed = frame.assign(family=frame["family"].fillna("(no family)").astype(str))
    return keyed.groupby("family")[column].sum().astype(float)


def plan_changes(
    approved: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame], products: pd.DataFrame
) -> list[dict[str, object]]:
    """Rows (plan, family, measure, approved, current, change), the Total first per measure."""
    families = products.set_index("sku")["family"].fillna("(no family)").astype(str)
    rows: list[dict[str, object]] = []
    for measure, table, column in PLAN_MEASURES:
        then = _by_family(approved.get(table), column, families)
        now = _by_family(current.get(table), column, families)
        both = sorted(set(then.index) | set(now.index))
        then, now = then.reindex(both, fill_value=0.0), now.reindex(both, fill_value=0.0)
        items = [(TOTAL, float(then.sum()), float(now.sum()))]
        items += [(f, float(then[f]), float(now[f])) for f in both]
        rows += [
            {
                "kind": "plan",
                "item": item,
                "measure": measure,
                "approved": a,
                "current": c,
                "change": c - a,
            }
            for item, a, c in items
        ]
    return rows


def _row_keys(frame: pd.DataFrame) -> set[tuple[str, ...]]:
    """Each row as text, so a value typed again the same way is not a change."""
    text = frame.reset_index(drop=True).astype(object).where(frame.notna().to_numpy(), None)
    return {tuple("" if v is None else str(v) for v in row) for row in text.itertuples(False)}


def input_changes(
    approved: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame]
) -> list[dict[str, object]]:
    """One row per input table whose rows differ: rows then and now, rows added or changed."""
    rows: list[dict[str, object]] = []
    for name in current:
        if name not in approved or CONTRACT.table(name).role.value == "output":
            continue
        then, now = approved[name], current[name]
        columns = [c for c in now.columns if c in then.columns]
        fresh = _row_keys(now[columns]) - _row_keys(then[columns])
        gone = _row_keys(then[columns]) - _row_keys(now[columns])
        if not fresh and not gone:
            continue
        rows.append(
            {
                "kind": "input",
                "item": name,
                "measure": "rows",
                "approved": float(len(then)),
                "current": float(len(now)),
                "change": float(len(fresh)),
            }
        )
    return rows


def changes_table(
    approved: dict[str, pd.DataFrame],
    current: dict[str, pd.DataFrame],
    products: pd.DataFrame,
) -> pd.DataFrame:
    """The Changes table: plan figures by family, then the input tables that changed."""
    rows = plan_changes(approved, current, products) + input_changes(approved, current)
    return pd.DataFrame(rows, columns=CONTRACT.table("Changes").column_names)
