"""Consensus typed into the Demand grid becomes an override: absolute units, with its author.

A SKU edit overrides that SKU and month. A family edit is split to the family's SKUs in
proportion to their statistical forecast (evenly when the family has none), each share an
absolute override; a SKU edit in the same month wins over its share of a family edit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sop_addin.contract import CONTRACT


@dataclass(frozen=True)
class GridEdit:
    """One consensus cell the planner changed in the grid."""

    family: str
    sku: str  # "" for a family row
    month: pd.Timestamp
    value: float
    author: str
    reason: str
    row: int  # the Excel row, for messages


def edits_to_overrides(
    edits: list[GridEdit], consensus: pd.DataFrame, families: dict[str, str], entered_on: str
) -> pd.DataFrame:
    """Overrides table rows (absolute units) for the edits, one per SKU and month.

    Args:
        edits: the changed cells.
        consensus: the Consensus table the grid was drawn from (sku, month, statistical).
        families: sku -> family.
        entered_on: the date the run records as "entered on".
    """
    columns = CONTRACT.table("Overrides").column_names
    rows: dict[tuple[str, pd.Timestamp], dict[str, object]] = {}

    def add(sku: str, edit: GridEdit, value: float) -> None:
        rows[(sku, edit.month)] = {
            "sku": sku,
            "month": edit.month,
            "kind": "absolute",
            "value": value,
            "reason_code": edit.reason,
            "author": edit.author,
            "entered_on": entered_on,
        }

    for edit in (e for e in edits if not e.sku):  # families first: SKU edits win
        members = sorted(s for s, f in families.items() if f == edit.family)
        month = consensus[consensus["month"] == edit.month]
        stat = month.groupby("sku")["statistical"].sum().reindex(members, fill_value=0.0).clip(0)
        total = float(stat.sum())
        for sku in members:
            weight = float(stat[sku]) / total if total > 0 else 1 / len(members)
            add(sku, edit, edit.value * weight)
    for edit in (e for e in edits if e.sku):
        add(edit.sku, edit, edit.value)
    return pd.DataFrame(list(rows.values()), columns=columns)


def merge_overrides(existing: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The Overrides table with `new` replacing any override of the same SKU and month."""
    if new.empty:
        return existing
    keys = set(zip(new["sku"].astype(str), pd.to_datetime(new["month"]), strict=True))
    keep = [
        (str(s), pd.Timestamp(m)) not in keys
        for s, m in zip(existing["sku"], existing["month"], strict=True)
    ]
    kept = (
        existing.loc[keep, new.columns] if len(existing) else existing.reindex(columns=new.columns)
    )
    return pd.concat([kept, new], ignore_index=True)
