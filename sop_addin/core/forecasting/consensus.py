"""Consensus demand: the statistical baseline plus each function's knowledge, layer by layer.

Per SKU and plan month, in this order (each layer is its own column, so the planner sees
what each function added and the baseline stays as the engine made it):

    statistical                  the Forecast table
  + lifecycle                    launches, phase-outs, cannibalisation (lifecycle.py)
  + sales                        deals and pipeline: quantity x probability
  + marketing                    uplift share x (statistical + lifecycle) + uplift units
  + family_adjustment            family-level units split to its SKUs in proportion to
                                 their demand so far (equally when the family has none)
  + override                     absolute (the demand becomes the value) or percent
  = consensus                    clipped at 0 (and said so) if the layers sum below it

After a SKU's end of life (the Products table's end_of_life_month is the last month with
demand) the lifecycle, sales, marketing and family layers add nothing: such inputs are not
applied and the SKU's note says how many were dropped; a family adjustment is split over
the family's live SKUs only. An explicit override after the end of life is the one
exception: it is kept (a planner may book a last-time buy) and the note says so.

Every override applied is logged with who, when, why, before and after. Inputs for months
outside the plan are not applied and are counted, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError

LAYERS = ("statistical", "lifecycle", "sales", "marketing", "family_adjustment", "override")
CONSENSUS_COLUMNS = (
    "sku",
    "family",
    "region",
    "month",
    *LAYERS,
    "consensus",
    "lo80",
    "hi80",
    "note",
)
OVERRIDE_LOG_COLUMNS = (
    "sku",
    "month",
    "kind",
    "value",
    "before",
    "after",
    "reason_code",
    "author",
    "entered_on",
)
ARCHIVE_LAYERS = ("statistical", "lifecycle", "sales", "marketing", "family_adjustment")


@dataclass(frozen=True)
class ConsensusInputs:
    """The planners' input tables (empty frames when unused)."""

    sales: pd.DataFrame
    marketing: pd.DataFrame
    family_adjustments: pd.DataFrame
    overrides: pd.DataFrame


@dataclass
class ConsensusResult:
    """The consensus table, the override log and what was not applied."""

    consensus: pd.DataFrame
    override_log: pd.DataFrame
    outside_plan: dict[str, int] = field(default_factory=dict)


def _problem(table: str, row: object, column: str, message: str) -> Problem:
    tab = CONTRACT.table(table).tab
    return Problem(tab=tab, table=table, row=int(row), column=column, message=message)  # type: ignore[call-overload]


def _cell_index(
    frame: pd.DataFrame, key: str, keys: dict[str, int], months: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row position in the grid, month position, and which rows fall inside the plan."""
    first = months[0]
    m = pd.DatetimeIndex(pd.to_datetime(frame["month"]))
    j = ((m.year - first.year) * 12 + m.month - first.month).to_numpy(dtype=np.int64)
    i = np.array([keys.get(str(v), -1) for v in frame[key]], dtype=np.int64)
    inside = (j >= 0) & (j < len(months)) & (i >= 0)
    return i, j, inside


def _alive(
    skus: list[str], months: pd.DatetimeIndex, end_of_life: Mapping[str, object]
) -> tuple[np.ndarray, list[str]]:
    """Per SKU and month, whether the SKU still sells; and each SKU's end of life as text."""
    alive = np.ones((len(skus), len(months)), dtype=bool)
    text = [""] * len(skus)
    first = months[0]
    for k, sku in enumerate(skus):
        eol = end_of_life.get(sku)
        if eol is None or pd.isna(eol):
            continue
        m = pd.Timestamp(eol)
        j_end = (m.year - first.year) * 12 + m.month - first.month
        alive[k, np.arange(len(months)) > j_end] = False
        text[k] = f"{m:%Y-%m}"
    return alive, text


def build_consensus(
    forecast: pd.DataFrame,
    lifecycle: pd.DataFrame,
    inputs: ConsensusInputs,
    months: pd.DatetimeIndex,
    end_of_life: Mapping[str, object] | None = None,
) -> ConsensusResult:
    """The Consensus and OverrideLog tables.

    Args:
        forecast: the Forecast table (sku, family, region, month, forecast, lo80, hi80),
            one row per SKU and plan month.
        lifecycle: sku, month, lifecycle, note (from ``lifecycle_layer``).
        inputs: sales inputs, marketing uplifts, family adjustments, overrides.
        months: the plan months.
        end_of_life: each SKU's end_of_life_month (blank or missing: no end of life).

    Raises:
        ValidationError: an absolute override below 0, an uplift row with neither a
            share nor units; each names its row and column.
    """
    skus = list(dict.fromkeys(forecast["sku"].astype(str)))
    n, h = len(skus), len(months)
    keys = {s: k for k, s in enumerate(skus)}
    grid = forecast.assign(sku=forecast["sku"].astype(str)).set_index(["sku", "month"])
    index = pd.MultiIndex.from_product([skus, months], names=["sku", "month"])
    grid = grid.reindex(index)

    def layer(column: str, frame: pd.DataFrame | None = None) -> np.ndarray:
        source = grid if frame is None else frame.set_index(["sku", "month"]).reindex(index)
        return source[column].fillna(0.0).to_numpy(dtype=np.float64).reshape(n, h)

    statistical = layer("forecast")
    lifecycle_units = layer("lifecycle", lifecycle.assign(sku=lifecycle["sku"].astype(str)))
    problems: list[Problem] = []
    outside: dict[str, int] = {}
    notes = [[] for _ in range(n)]  # type: list[list[str]]
    alive, eol_text = _alive(skus, months, end_of_life or {})
    dropped = np.zeros(n, dtype=np.int64)  # inputs after a SKU's end of life, not applied

    def live(i: np.ndarray, j: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """``inside`` without the cells after an end of life (those are counted)."""
        dead = inside.copy()
        dead[inside] = ~alive[i[inside], j[inside]]
        np.add.at(dropped, i[dead], 1)
        return inside & ~dead

    for sku, text in zip(lifecycle["sku"].astype(str), lifecycle["note"], strict=True):
        if isinstance(text, str) and text and sku in keys and text not in notes[keys[sku]]:
            notes[keys[sku]].append(text)

    sales = np.zeros((n, h))
    if len(inputs.sales):
        i, j, inside = _cell_index(inputs.sales, "sku", keys, months)
        outside["SalesInputs"] = int((~inside).sum())
        inside = live(i, j, inside)
        weighted = (inputs.sales["quantity"] * inputs.sales["probability"]).to_numpy(float)
        np.add.at(sales, (i[inside], j[inside]), weighted[inside])

    marketing = np.zeros((n, h))
    if len(inputs.marketing):
        mk = inputs.marketing
        for row in mk.index[mk["uplift_pct"].isna() & mk["uplift_units"].isna()]:
            msg = "give an uplift share (uplift_pct) or units (uplift_units)"
            problems.append(_problem("MarketingUplifts", row, "uplift_pct", msg))
        i, j, inside = _cell_index(mk, "sku", keys, months)
        outside["MarketingUplifts"] = int((~inside).sum())
        inside = live(i, j, inside)
        pct = mk["uplift_pct"].fillna(0.0).to_numpy(float)
        units = mk["uplift_units"].fillna(0.0).to_numpy(float)
        base = statistical + lifecycle_units
        uplift = pct[inside] * base[i[inside], j[inside]] + units[inside]
        np.add.at(marketing, (i[inside], j[inside]), uplift)
        for k in np.unique(i[inside]):
            campaigns = sorted(set(mk["campaign"].to_numpy()[inside & (i == k)].astype(str)))
            notes[k].append(f"campaign {', '.join(campaigns)}")

    before_family = statistical + lifecycle_units + sales + marketing
    family_adj = np.zeros((n, h))
    if len(inputs.family_adjustments):
        fa = inputs.family_adjustments
        firsts = forecast.drop_duplicates("sku")
        by_sku = dict(zip(firsts["sku"].astype(str), firsts["family"].astype(str), strict=True))
        sku_family = np.array([by_sku[k] for k in skus], dtype=object)
        first = months[0]
        for _, adj in fa.iterrows():
            m = pd.Timestamp(adj["month"])
            j = (m.year - first.year) * 12 + m.month - first.month
            if not 0 <= j < h:
                outside["FamilyAdjustments"] = outside.get("FamilyAdjustments", 0) + 1
                continue
            members = np.flatnonzero(sku_family == str(adj["family"]))
            # A SKU past its end of life takes no share of a family adjustment.
            members = members[alive[members, j]]
            if members.size == 0:
                continue
            base = np.maximum(before_family[members, j], 0.0)
            total = float(base.sum())
            weights = base / total if total > 0 else np.full(members.size, 1 / members.size)
            share = float(adj["units"]) * weights
            # A cut larger than a SKU's demand takes it to 0, not below.
            share = np.maximum(share, -base)
            family_adj[members, j] += share
            for k in members:
                notes[k].append(f"family adjustment {adj['family']} {m:%Y-%m}")

    before_override = before_family + family_adj
    override = np.zeros((n, h))
    log_rows = []
    if len(inputs.overrides):
        ov = inputs.overrides
        i, j, inside = _cell_index(ov, "sku", keys, months)
        outside["Overrides"] = int((~inside).sum())
        for pos, (row, o) in enumerate(ov.iterrows()):
            value = float(o["value"])
            if o["kind"] == "absolute" and value < 0:
                msg = "an absolute override is the demand itself: it must be at least 0"
                problems.append(_problem("Overrides", row, "value", msg))
                continue
            if not inside[pos]:
                continue
            a, b = int(i[pos]), int(j[pos])
            before = float(before_override[a, b])
            # percent: 10 means +10%, as in Scenarios (contract_version 0.2; the reader turns
            # a 0.1 workbook's shares into percent).
            after = value if o["kind"] == "absolute" else before * (1 + value / 100)
            override[a, b] = after - before
            notes[a].append(f"override by {o['author']} ({o['reason_code']})")
            if not alive[a, b]:
                notes[a].append(
                    f"override in {months[b]:%Y-%m} after end of life {eol_text[a]} kept"
                )
            log_rows.append(
                {
                    "sku": skus[a],
                    "month": months[b],
                    "kind": o["kind"],
                    "value": value,
                    "before": before,
                    "after": after,
                    "reason_code": o["reason_code"],
                    "author": o["author"],
                    "entered_on": str(o["entered_on"]),
                }
            )
    if problems:
        raise ValidationError(problems)
    for k in np.flatnonzero(dropped):
        notes[k].append(f"{dropped[k]} input(s) after end of life {eol_text[k]} not applied")

    total = before_override + override
    consensus = np.maximum(total, 0.0)
    for a, b in zip(*np.nonzero(total < 0), strict=True):
        notes[a].append(f"layers sum below 0 in {months[b]:%Y-%m}: consensus 0")
    delta = consensus - statistical
    lo80 = np.clip(layer("lo80") + delta, 0.0, consensus)
    hi80 = np.maximum(layer("hi80") + delta, consensus)

    def flat(values: np.ndarray) -> np.ndarray:
        return values.ravel()

    first_rows = forecast.drop_duplicates("sku")
    family_of = dict(zip(first_rows["sku"].astype(str), first_rows["family"], strict=True))
    region_of = dict(zip(first_rows["sku"].astype(str), first_rows["region"], strict=True))
    frame = pd.DataFrame(
        {
            "sku": np.repeat(np.array(skus, dtype=object), h),
            "family": np.repeat(np.array([family_of[k] for k in skus], dtype=object), h),
            "region": np.repeat(np.array([region_of[k] for k in skus], dtype=object), h),
            "month": np.tile(months.to_numpy(), n),
            "statistical": flat(statistical),
            "lifecycle": flat(lifecycle_units),
            "sales": flat(sales),
            "marketing": flat(marketing),
            "family_adjustment": flat(family_adj),
            "override": flat(override),
            "consensus": flat(consensus),
            "lo80": flat(lo80),
            "hi80": flat(hi80),
            "note": np.repeat(
                np.array(["; ".join(dict.fromkeys(x)) for x in notes], dtype=object), h
            ),
        },
        columns=list(CONSENSUS_COLUMNS),
    )
    frame["month"] = frame["month"].astype("datetime64[ns]")
    log = pd.DataFrame(log_rows, columns=list(OVERRIDE_LOG_COLUMNS))
    log["month"] = pd.to_datetime(log["month"]).astype("datetime64[ns]")
    for c in ("value", "before", "after"):
        log[c] = log[c].astype("float64")
    return ConsensusResult(frame, log, {k: v for k, v in outside.items() if v})


def archive_rows(consensus: pd.DataFrame, made_in: pd.Timestamp) -> pd.DataFrame:
    """The consensus as ForecastArchive rows: the cumulative forecast after each layer.

    What a planner pastes into the ForecastArchive table each cycle, so that later cycles
    can measure each layer's accuracy and value added.
    """
    running = np.zeros(len(consensus))
    parts = []
    for layer_name in ARCHIVE_LAYERS:
        running = running + consensus[layer_name].to_numpy(dtype=np.float64)
        parts.append((layer_name, np.maximum(running, 0.0)))
    parts.append(("consensus", consensus["consensus"].to_numpy(dtype=np.float64)))
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "made_in": made_in,
                    "sku": consensus["sku"].to_numpy(),
                    "month": consensus["month"].to_numpy(),
                    "layer": name,
                    "quantity": values,
                }
            )
            for name, values in parts
        ],
        ignore_index=True,
    )
