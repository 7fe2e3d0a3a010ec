"""Sites and lanes in the planning data: where each SKU's demand is served from, where its
stock may sit, and the lanes that move it (the Regions and Lanes tables, both optional).

Without either table every SKU's stock is pooled at one site, as before sites existed
(data.py ``_home_sites``). With one of them filled the plan holds stock per SKU and site:

- the demand site of a SKU is the site its region is served from (Regions); a region not
  listed keeps the pooled rule's site (the largest inventory row, else the primary resource's);
- its other sites are where it is made (its routings' resources), where it has stock on hand,
  and the sites on a lane path from those to the demand site;
- its demand, backlog, safety stock and open production orders are at the demand site (a SKU
  sells in one region, so all of its demand and buffer sit there).
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from sop_addin.core.inputs import PlanInputs

LANE_COLUMNS = ["from_site", "to_site", "lead_months", "cost_per_unit", "capacity"]


def _table(inputs: PlanInputs, name: str) -> pd.DataFrame | None:
    table = inputs.tables.get(name)
    return None if table is None or table.empty else table


def sites_modelled(inputs: PlanInputs) -> bool:
    """Stock is planned per site when the workbook fills Regions or Lanes."""
    return _table(inputs, "Regions") is not None or _table(inputs, "Lanes") is not None


def lanes_frame(inputs: PlanInputs) -> pd.DataFrame:
    """Lanes by name: from and to site, lead time (whole months), cost per unit, capacity per
    month (NaN: no limit)."""
    table = _table(inputs, "Lanes")
    if table is None:
        return pd.DataFrame(columns=LANE_COLUMNS, index=pd.Index([], name="lane"))
    capacity = (
        pd.to_numeric(table["capacity_per_month"], errors="coerce")
        if "capacity_per_month" in table
        else pd.Series(float("nan"), index=table.index)
    )
    frame = pd.DataFrame(
        {
            "lane": table["lane"].astype(str),
            "from_site": table["from_site"].astype(str),
            "to_site": table["to_site"].astype(str),
            "lead_months": pd.to_numeric(table["lead_months"]).fillna(0).astype(int),
            "cost_per_unit": pd.to_numeric(table["cost_per_unit"]).fillna(0.0).astype(float),
            "capacity": capacity.astype(float),
        }
    )
    return frame.set_index("lane").sort_index()


def demand_sites(inputs: PlanInputs, pooled: pd.Series) -> pd.Series:
    """Per SKU, the site serving its demand: its region's (Regions), else the pooled site."""
    regions = _table(inputs, "Regions")
    if regions is None:
        return pooled
    served_from = regions.set_index("region")["site"].astype(str)
    region = inputs["Products"].set_index("sku")["region"].reindex(pooled.index)
    return region.map(served_from).fillna(pooled).astype(str)


def _reachable(start: set[str], edges: dict[str, set[str]], stop: str = "") -> set[str]:
    """The sites reached from start along the edges, not going on from `stop`."""
    seen, todo = set(start), [s for s in start if s != stop]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                if nxt != stop:
                    todo.append(nxt)
    return seen


def remote_sites(
    inputs: PlanInputs,
    home: pd.Series,
    routings: pd.DataFrame,
    lanes: pd.DataFrame,
) -> pd.Series:
    """(sku, site) -> units on hand at the start, for every site of a SKU other than its
    demand site: where it is made, where it is held, and the sites on a lane path from those
    to the demand site."""
    stock = inputs["ProductInventory"].groupby(["sku", "site"])["on_hand"].sum()
    sources: dict[str, set[str]] = defaultdict(set)
    for (sku, _res), site in routings["site"].items():
        sources[str(sku)].add(str(site))
    for (sku, site), units in stock.items():
        if units > 0:
            sources[str(sku)].add(str(site))
    forward: dict[str, set[str]] = defaultdict(set)
    backward: dict[str, set[str]] = defaultdict(set)
    for lane in lanes.itertuples():
        forward[lane.from_site].add(lane.to_site)
        backward[lane.to_site].add(lane.from_site)
    rows: dict[tuple[str, str], float] = {}
    for sku, site in home.items():
        # Paths from where it is made or held to where it sells, not through its demand site
        # (stock never leaves it): a SKU made and held only there has no other site.
        start = sources.get(str(sku), set()) - {str(site)}
        between = _reachable(start, forward, stop=str(site)) & _reachable({str(site)}, backward)
        for other in start | (between - {str(site)}):
            rows[(str(sku), other)] = 0.0
    for (sku, site), units in stock.items():
        if (str(sku), str(site)) in rows:
            rows[(str(sku), str(site))] += float(units)
    index = pd.MultiIndex.from_tuples(sorted(rows), names=["sku", "site"])
    return pd.Series([rows[k] for k in index], index=index, dtype=float)
