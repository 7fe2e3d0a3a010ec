"""Sense checks of the supply network tables (BOMAlternates, Sourcing, Lanes): each names its
cell."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract.model import WorkbookContract
from sop_addin.contract.problems import Problem


def check_network_rules(
    frames: dict[str, pd.DataFrame], contract: WorkbookContract
) -> list[Problem]:
    """A substitute must replace a BOM line of its SKU with another material at a ratio above
    0; a material's sources name each supplier once (the key does) and at least one source may
    carry volume (not every max_share 0)."""
    problems: list[Problem] = []
    alternates = frames.get("BOMAlternates")
    if alternates is not None and len(alternates):
        tab = contract.table("BOMAlternates").tab
        lines = set(zip(frames["BOM"]["sku"], frames["BOM"]["material"], strict=True))

        def add(row: int, column: str, message: str) -> None:
            problem = Problem(
                tab=tab, table="BOMAlternates", row=row, column=column, message=message
            )
            problems.append(problem)

        for index, r in alternates.iterrows():
            row = int(str(index))
            if pd.isna(r["sku"]) or pd.isna(r["material"]):
                continue
            if (r["sku"], r["material"]) not in lines:
                add(row, "material", f"{r['material']!r} is not in the BOM of {r['sku']!r}")
            if r["alternate_material"] == r["material"]:
                add(row, "alternate_material", "a material cannot substitute itself")
            if pd.notna(r["ratio"]) and float(r["ratio"]) <= 0:
                add(row, "ratio", "the ratio must be above 0 (units of the alternate per unit)")
    sourcing = frames.get("Sourcing")
    if sourcing is not None and len(sourcing) and "max_share" in sourcing:
        tab = contract.table("Sourcing").tab
        shares = pd.to_numeric(sourcing["max_share"], errors="coerce")
        for material, rows in sourcing.groupby("material"):
            capped = shares.loc[rows.index]
            if capped.notna().all() and float(capped.sum()) < 1.0 - 1e-9:
                row = int(rows.index[0])
                msg = (
                    f"the sources of {material!r} may carry at most {float(capped.sum()):.0%} "
                    "of its purchases together: leave one max_share blank or make them reach 100%"
                )
                problems.append(
                    Problem(tab=tab, table="Sourcing", row=row, column="max_share", message=msg)
                )
    problems += _lane_problems(frames, contract)
    return problems


def _lane_problems(frames: dict[str, pd.DataFrame], contract: WorkbookContract) -> list[Problem]:
    """A lane joins two different sites (two lanes may join the same pair: a slow, cheap one
    and a fast, dear one)."""
    lanes = frames.get("Lanes")
    if lanes is None or not len(lanes):
        return []
    tab = contract.table("Lanes").tab
    problems: list[Problem] = []
    for index, r in lanes.iterrows():
        if pd.notna(r["from_site"]) and r["from_site"] == r["to_site"]:
            msg = f"a lane joins two sites: from_site and to_site are both {r['to_site']!r}"
            row = int(str(index))
            problems.append(Problem(tab=tab, table="Lanes", row=row, column="to_site", message=msg))
    return problems
