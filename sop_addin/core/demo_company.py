"""A made-up but realistic mid-size manufacturer to run the S&OP cycle on.

`generate_demo` returns one frame per input and assumption table of the workbook contract:
pumps, valves, controls, filters and seals sold in two regions, made on machines in two
plants, from purchased materials. Demand has trend, seasonality, promotions, noise,
intermittent spare parts, a launch and a phase-out; capacity is sized from that demand so
the plan has real trade-offs (seasonal overloads, alternate routings, a little unmet demand).

Pure numpy + pandas: everything is drawn from one `numpy.random.default_rng(seed)`, so a
seed always gives the same company.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sop_addin.contract import CONTRACT, ColumnType, Role
from sop_addin.core.demo_actuals import demo_actuals
from sop_addin.core.demo_network import demo_network

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Two regular SKUs per family (one per region) plus the launch, the phase-out and a spare part.
MIN_SKUS = 10
MIN_HISTORY = 12  # the budget needs last year's months


@dataclass(frozen=True)
class _Family:
    code: str  # SKU prefix
    name: str  # family name: the planning and budget level
    nouns: tuple[str, ...]
    sizes: tuple[str, ...]
    kind: str  # resource kind code that makes the family
    kind_name: str
    peak: int  # month of the seasonal peak, 0 = January
    hours: float  # typical cycle time in hours per unit (rescaled to fit capacity)


_FAMILIES = (
    _Family(
        "PMP",
        "Pumps",
        ("Centrifugal pump", "Booster pump", "Circulator pump", "Drainage pump"),
        ("DN25", "DN32", "DN40", "DN50", "DN65", "DN80"),
        "CNC",
        "CNC machining centre",
        6,
        0.25,
    ),
    _Family(
        "VLV",
        "Valves",
        ("Ball valve", "Butterfly valve", "Check valve", "Gate valve"),
        ('1/2"', '3/4"', '1"', '1 1/4"', '2"', "DN100"),
        "ASM",
        "Valve assembly line",
        3,
        0.10,
    ),
    _Family(
        "CTL",
        "Controls",
        ("Room thermostat", "Pump controller", "Valve actuator", "Pressure switch"),
        ("basic", "plus", "pro", "wifi", "24 V", "230 V"),
        "SMT",
        "SMT electronics line",
        10,
        0.06,
    ),
    _Family(
        "FLT",
        "Filters",
        ("Strainer", "Filter cartridge", "Y-filter", "Magnetic filter"),
        ("5 um", "10 um", "25 um", "50 um", "DN20", "DN50"),
        "MLD",
        "Injection moulding cell",
        4,
        0.04,
    ),
    _Family(
        "SEA",
        "Seals",
        ("Mechanical seal", "Gasket set", "Shaft seal", "O-ring kit"),
        ("12 mm", "16 mm", "22 mm", "28 mm", "35 mm", "45 mm"),
        "PRS",
        "Press cell",
        8,
        0.03,
    ),
)
_REGIONS = (("North", "N"), ("South", "S"))
_SITES = (("LYON", "LY"), ("BRNO", "BR"))
# Public holidays per plant and calendar month (Jan..Dec) that fall on weekdays in a
# typical year, Christmas-week closures included: Lyon (France), Brno (Czechia).
_HOLIDAYS = np.array(
    [
        [1, 0, 0, 1, 3, 0, 1, 1, 0, 0, 2, 3],
        [1, 0, 0, 2, 2, 0, 2, 0, 1, 1, 1, 4],
    ],
    dtype=np.int64,
)
# (name, unit, median unit cost, quantity per unit (low, high), families that use it)
_MATERIALS: tuple[tuple[str, str, float, tuple[float, float], str], ...] = (
    ("Cast iron housing", "pcs", 18.0, (1, 1), "PMP VLV FLT"),
    ("Stainless steel sheet", "kg", 4.6, (0.2, 2.0), "PMP FLT SEA"),
    ("Steel bar", "kg", 2.1, (0.3, 3.0), "PMP VLV SEA"),
    ("Brass bar", "kg", 7.4, (0.1, 1.2), "VLV CTL"),
    ("Ball bearing", "pcs", 3.2, (1, 2), "PMP SEA"),
    ("Electric motor", "pcs", 48.0, (1, 1), "PMP CTL"),
    ("PCB assembly", "pcs", 12.5, (1, 1), "CTL"),
    ("Polymer granulate", "kg", 2.7, (0.05, 0.8), "FLT CTL VLV"),
    ("Copper wire", "m", 0.55, (0.5, 6.0), "CTL PMP"),
    ("EPDM compound", "kg", 5.2, (0.02, 0.3), "SEA VLV"),
    ("Fastener set", "pcs", 0.75, (1, 3), "PMP VLV CTL FLT SEA"),
    ("Carton box", "pcs", 0.9, (1, 1), "PMP VLV CTL FLT SEA"),
    ("Filter media", "m", 1.9, (0.2, 1.5), "FLT"),
    ("Graphite ring", "pcs", 4.1, (1, 2), "SEA PMP"),
)
_PACKS = {"VLV": 6, "CTL": 10}  # finished-goods pack per family code (units per box)
_ORDER_MULTIPLES = {"kg": 25.0, "m": 100.0}  # bought in 25 kg bags and 100 m rolls (pcs: 1)
_SUPPLIERS = (
    "Rhone Fonderie SA",
    "Morava Metal s.r.o.",
    "Elbe Components GmbH",
    "Danube Polymers Kft.",
    "Alpen Electronics AG",
    "Baltic Packaging UAB",
    "Lombard Bearings SpA",
    "Silesia Steel Sp. z o.o.",
    "Iberia Seals SL",
    "Nordic Motors AB",
    "Shenzhen Brightboard Ltd",
    "Anatolia Castings AS",
)
_COMPANIES = (
    "Valtaris Flow Systems",
    "Nordhavn Pumps & Controls",
    "Celestra Fluidtechnik",
    "Brenmoor Industrial",
)


@dataclass(frozen=True)
class _Calendar:
    first: pd.Timestamp
    history: pd.DatetimeIndex
    plan: pd.DatetimeIndex

    @property
    def h(self) -> int:
        return len(self.history)

    @property
    def f(self) -> int:
        return len(self.plan)


@dataclass(frozen=True)
class _Products:
    n_fam: int
    sku: list[str]
    description: list[str]
    family: IntArray
    region: IntArray
    lifecycle: list[str]
    intermittent: BoolArray
    launch: int  # index of the new product
    launch_offset: int  # months between its launch and the first plan month
    phase_out: int  # index of the product being phased out
    eol_offset: int  # plan month (0-based) of its last sales
    complexity: FloatArray  # scales cycle time and material use; complex products sell less


@dataclass(frozen=True)
class _Demand:
    history: FloatArray  # units sold, SKU x history month
    rows: BoolArray  # which history cells become SalesHistory rows
    expected: FloatArray  # expected demand, SKU x plan month (no promotions, no noise)


@dataclass(frozen=True)
class _Plant:
    code: list[str]
    site: IntArray
    description: list[str]
    hours_per_day: FloatArray
    efficiency: FloatArray
    rate: FloatArray  # conversion cost per resource hour
    working_days: FloatArray  # resource x plan month
    maintenance: FloatArray  # resource x plan month
    primary: IntArray  # primary resource per SKU
    hours: FloatArray
    yield_: FloatArray
    cost: FloatArray
    alt_sku: IntArray
    alt_resource: IntArray
    alt_hours: FloatArray
    alt_yield: FloatArray
    alt_cost: FloatArray

    @property
    def sku_site(self) -> IntArray:
        return self.site[self.primary]


@dataclass(frozen=True)
class _Supply:
    code: list[str]
    description: list[str]
    unit: list[str]
    unit_cost: FloatArray
    supplier: IntArray
    bom_sku: IntArray
    bom_material: IntArray
    bom_quantity: FloatArray
    material_cost: FloatArray  # per unit of SKU started
    requirement: FloatArray  # site x material x plan month, from expected demand
    sup_code: list[str]
    sup_name: list[str]
    lead_time: FloatArray
    lead_time_sd: FloatArray
    daily_limit: FloatArray
    moq: FloatArray


def generate_demo(
    seed: int = 7,
    skus: int = 40,
    first_plan_month: str = "2027-01",
    history_months: int = 36,
    horizon_months: int = 18,
) -> dict[str, pd.DataFrame]:
    """Generate the demo company: every input and assumption table of the workbook contract.

    Args:
        seed: seed of the random generator; the same seed gives the same company.
        skus: number of SKUs (at least 10).
        first_plan_month: first month of the plan, e.g. "2027-01"; history ends the month before.
        history_months: months of sales history (at least 12).
        horizon_months: months planned (1 to 60).

    Returns:
        One frame per contract table with role input or assumption, keyed by table name,
        with exactly the contract's columns in contract order.
    """
    if skus < MIN_SKUS:
        raise ValueError(f"skus must be at least {MIN_SKUS}, got {skus}")
    if history_months < MIN_HISTORY:
        raise ValueError(f"history_months must be at least {MIN_HISTORY}, got {history_months}")
    horizon = CONTRACT.setting("horizon_months")
    lo, hi = int(horizon.min or 1), int(horizon.max or 60)
    if not lo <= horizon_months <= hi:
        raise ValueError(f"horizon_months must be between {lo} and {hi}, got {horizon_months}")
    try:
        first = pd.Timestamp(first_plan_month).to_period("M").to_timestamp()
    except ValueError as exc:
        raise ValueError(f"first_plan_month must be a month such as 2027-01: {exc}") from exc

    rng = np.random.default_rng(seed)
    cal = _Calendar(
        first=first,
        history=pd.date_range(
            end=first - pd.offsets.MonthBegin(1), periods=history_months, freq="MS"
        ),
        plan=pd.date_range(first, periods=horizon_months, freq="MS"),
    )
    products = _products(rng, skus, cal)
    demand = _demand(rng, products, cal)
    plant = _plant(rng, products, demand, cal)
    supply = _supply(rng, products, demand, plant, cal)

    # Planning rules (priorities, lot sizes, overtime, storage) draw from their own stream, so
    # adding them left every other figure of a seed unchanged.
    rules = _planning_rules(np.random.default_rng([seed, 4]), products, demand, plant)
    rules = _with_changeovers(np.random.default_rng([seed, 6]), plant, rules)
    frames = {
        "Settings": _settings(rng, cal),
        "Products": _products_frame(products, cal, rules),
        "SalesHistory": _history_frame(products, demand, cal),
        **_plant_frames(products, plant, cal, rules),
        **_supply_frames(rng, products, demand, plant, supply, cal),
        "Warehouses": _warehouses_frame(products, demand, plant),
        **_finance_frames(rng, products, demand, plant, supply, cal),
        **_scenario_frames(products, plant, supply, cal),
        # Demand-side inputs (deals, campaign, override, NPI, archive): their own stream too.
        **_demand_input_frames(np.random.default_rng([seed, 5]), products, demand, cal),
    }
    # Supply network levers (second source, shift option, substitute, sites): no random draws.
    network = ("Sourcing", "ShiftOptions", "BOMAlternates", "Regions", "Lanes")
    empty = {name: _empty(name) for name in network}
    frames.update(demo_network({**frames, **empty}))
    frames.update(demo_actuals(frames, seed))  # governance and S&OE: the first plan month
    wanted = [t.name for t in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)]
    return {name: frames[name] for name in wanted}


# --- products and demand ------------------------------------------------------------------


def _products(rng: np.random.Generator, skus: int, cal: _Calendar) -> _Products:
    n_fam = min(len(_FAMILIES), max(3, skus // 10))
    # The first 2 * n_fam SKUs cover every family x region pair; the rest follow uneven family
    # weights, as real portfolios are lopsided.
    cover = 2 * n_fam
    family = np.empty(skus, dtype=np.int64)
    region = np.empty(skus, dtype=np.int64)
    family[:cover] = np.arange(cover) % n_fam
    region[:cover] = np.arange(cover) // n_fam
    weights = rng.dirichlet(np.full(n_fam, 4.0))
    family[cover:] = rng.choice(n_fam, size=skus - cover, p=weights)
    region[cover:] = (rng.random(skus - cover) < 0.45).astype(np.int64)
    covering = np.arange(skus) < cover
    order = np.lexsort((region, family))
    family, region, covering = family[order], region[order], covering[order]

    # Special products come from outside the covering set when there are enough SKUs, so every
    # family and region keeps regular products to size capacity on.
    n_int = max(1, round(0.1 * skus))
    pool = np.flatnonzero(~covering)
    if len(pool) < 2 + n_int:
        pool = np.arange(skus)
    picks = rng.permutation(pool)
    launch, phase_out = int(picks[0]), int(picks[1])
    intermittent = np.zeros(skus, dtype=bool)
    intermittent[picks[2 : 2 + n_int]] = True

    stages = np.array(["growth", "mature", "decline"], dtype=object)
    lifecycle = stages[rng.choice(3, size=skus, p=[0.25, 0.55, 0.20])]
    lifecycle[intermittent] = np.where(rng.random(n_int) < 0.7, "mature", "decline")
    lifecycle[launch] = "launch"
    lifecycle[phase_out] = "phase-out"

    launch_offset = min(int(rng.integers(4, 8)), cal.h - 1)
    eol_offset = min(int(rng.integers(2, 6)), cal.f - 1)

    noun_pick = rng.integers(0, 4, skus)
    size_pick = rng.integers(0, 6, skus)
    sku: list[str] = []
    description: list[str] = []
    for i in range(skus):
        fam = _FAMILIES[family[i]]
        sku.append(f"{fam.code}-{_REGIONS[region[i]][1]}-{i + 1:04d}")
        noun = "Service kit" if intermittent[i] else fam.nouns[noun_pick[i] % len(fam.nouns)]
        description.append(f"{noun} {fam.sizes[size_pick[i]]}")
    description[launch] += " (new)"

    return _Products(
        n_fam=n_fam,
        sku=sku,
        description=description,
        family=family,
        region=region,
        lifecycle=[str(v) for v in lifecycle],
        intermittent=intermittent,
        launch=launch,
        launch_offset=launch_offset,
        phase_out=phase_out,
        eol_offset=eol_offset,
        complexity=np.exp(rng.normal(0.0, 0.45, skus)),
    )


def _demand(rng: np.random.Generator, p: _Products, cal: _Calendar) -> _Demand:
    s, h = len(p.sku), cal.h
    t = np.arange(h + cal.f, dtype=np.float64) - h  # months from the first plan month
    months = cal.history.append(cal.plan)
    moy = months.month.to_numpy() - 1

    # Seasonality: one phase and amplitude per family, a little jitter per SKU.
    peak = (np.array([f.peak for f in _FAMILIES[: p.n_fam]]) + rng.integers(-1, 2, p.n_fam)) % 12
    amp = rng.uniform(0.1, 0.3, p.n_fam)[p.family] * rng.uniform(0.8, 1.2, s)
    season = 1.0 + amp[:, None] * np.cos(2 * np.pi * (moy[None, :] - peak[p.family][:, None]) / 12)

    life = np.array(p.lifecycle)
    growth = np.select(
        [life == "growth", life == "decline", life == "phase-out", life == "launch"],
        [
            rng.uniform(0.008, 0.02, s),
            rng.uniform(-0.02, -0.008, s),
            rng.uniform(-0.045, -0.025, s),
            np.full(s, 0.02),
        ],
        rng.uniform(-0.003, 0.004, s),
    )
    # Level at the first plan month; complex (expensive) products sell fewer units.
    level = np.clip(np.exp(rng.normal(np.log(260.0), 0.8, s)) / p.complexity**0.7, 15.0, 20000.0)
    # A product being phased out is one of the smaller ones by now.
    level[p.phase_out] = min(level[p.phase_out], 0.5 * float(np.median(level)))
    mean = level[:, None] * np.exp(growth[:, None] * t[None, :]) * season

    # Launch: nothing before the launch month, then a ramp-up.
    since = t + p.launch_offset
    mean[p.launch] *= np.where(since >= 0, 1.0 - np.exp(-(since + 1.0) / 3.0), 0.0)
    # Phase-out: nothing after the end-of-life month.
    mean[p.phase_out, h + p.eol_offset + 1 :] = 0.0

    # Intermittent spare parts: occasional small lumps.
    occurrence = rng.uniform(0.15, 0.4, s)
    lump = rng.uniform(3.0, 25.0, s)
    spare = lump[:, None] * season * np.exp(growth[:, None] * t[None, :])
    mean[p.intermittent] = spare[p.intermittent]

    # History: promotions (an uplift, then a pull-forward dip), noise, whole units.
    base = mean[:, :h]
    promo = rng.random((s, h)) < 0.035
    uplift = np.where(promo, rng.uniform(1.4, 2.0, (s, h)), 1.0)
    dip = np.zeros_like(promo)
    dip[:, 1:] = promo[:, :-1] & ~promo[:, 1:]
    uplift = np.where(dip, 0.85, uplift)
    noise = np.exp(rng.normal(0.0, rng.uniform(0.06, 0.18, s)[:, None], (s, h)))
    regular = rng.poisson(base * uplift * noise).astype(np.float64)
    occurs = rng.random((s, h)) < occurrence[:, None]
    spares = (occurs * rng.poisson(base)).astype(np.float64)
    history = np.where(p.intermittent[:, None], spares, regular)

    rows = np.ones((s, h), dtype=bool)
    rows[p.launch, : h - p.launch_offset] = False  # a new product has no rows before its launch
    history[~rows] = 0.0

    expected = mean[:, h:].copy()
    expected[p.intermittent] *= occurrence[p.intermittent, None]
    return _Demand(history=history, rows=rows, expected=expected)


# --- plants, resources and routings --------------------------------------------------------


def _plant(rng: np.random.Generator, p: _Products, d: _Demand, cal: _Calendar) -> _Plant:
    s = len(p.sku)
    n_res = max(6, s // 8)
    yield_ = np.round(rng.uniform(0.9, 0.995, s), 3)
    raw_hours = np.array([f.hours for f in _FAMILIES])[p.family] * p.complexity
    started = d.expected / yield_[:, None]  # units started per plan month to meet demand
    raw_load = started.mean(axis=1) * raw_hours

    # Resources per family in proportion to its work, each family at least one. Every machine
    # carries at least one regular product (launch, phase-out and spare parts are too small or
    # too short-lived to size a machine on), and a family gets no more resources than its work
    # fills evenly (its biggest SKU's load per resource, then half of it, ...), so no machine
    # is left with one small product and absurd cycle times.
    regular = ~p.intermittent
    regular[[p.launch, p.phase_out]] = False
    most = np.bincount(p.family[regular], minlength=p.n_fam)
    fam_load = np.bincount(p.family, weights=raw_load, minlength=p.n_fam) + 1e-9
    biggest = np.zeros(p.n_fam)
    np.maximum.at(biggest, p.family, raw_load)
    for relax in (1.0, 0.5, 1 / 3, 0.25, 0.0):
        even = np.floor(fam_load / np.maximum(biggest * relax, 1e-12))
        caps = np.minimum(np.maximum(even, 1), most)
        if caps.sum() >= n_res:
            break
    alloc = np.ones(p.n_fam, dtype=np.int64)
    for _ in range(n_res - p.n_fam):
        ratio = np.where(alloc < caps, fam_load / alloc, -np.inf)
        alloc[int(np.argmax(ratio))] += 1
    res_family = np.repeat(np.arange(p.n_fam), alloc)
    # Alternate the plants within each family so every family is made in both where it can.
    within = np.concatenate([np.arange(a) for a in alloc])
    site = ((within + res_family) % 2).astype(np.int64)

    code: list[str] = []
    description: list[str] = []
    seen: dict[tuple[int, int], int] = {}
    for r in range(n_res):
        fam = _FAMILIES[res_family[r]]
        n = seen[(site[r], res_family[r])] = seen.get((site[r], res_family[r]), 0) + 1
        code.append(f"{_SITES[site[r]][1]}-{fam.kind}{n:02d}")
        description.append(f"{fam.kind_name} {n} ({_SITES[site[r]][0].title()})")

    # Primary routing: longest-processing-time assignment balances the work within a family;
    # regular products first, so each machine gets one before the special ones join.
    primary = np.empty(s, dtype=np.int64)
    for f in range(p.n_fam):
        heap = [(0.0, 0, int(r)) for r in np.flatnonzero(res_family == f)]
        heapq.heapify(heap)
        members = np.flatnonzero(p.family == f)
        order = np.lexsort((-raw_load[members], ~regular[members]))
        for i in members[order]:
            work, count, r = heapq.heappop(heap)
            primary[i] = r
            heapq.heappush(heap, (work + float(raw_load[i]), count + 1, r))

    hours_per_day = rng.choice(np.array([8.0, 16.0, 24.0]), size=n_res, p=[0.15, 0.5, 0.35])
    efficiency = np.round(rng.uniform(0.75, 0.92, n_res), 2)
    rate = np.round(rng.uniform(45.0, 110.0, n_res))
    working_days, maintenance = _resource_calendar(rng, site, hours_per_day, cal)
    available = (hours_per_day[:, None] * working_days - maintenance) * efficiency[:, None]

    # Capacity sizing: scale each resource's cycle times so its primary load over the horizon
    # is 80-95% of its available hours on average. Seasonal peaks and shutdown months then
    # push some resources past 100%, which alternates, pre-build or lost sales must absorb.
    target = rng.uniform(0.80, 0.95, n_res)
    load = np.zeros((n_res, cal.f))
    np.add.at(load, primary, started * raw_hours[:, None])
    total = load.sum(axis=1)
    scale = np.where(total > 0, target * available.sum(axis=1) / np.maximum(total, 1e-12), np.nan)
    scale = np.where(
        np.isnan(scale), np.nanmedian(scale) if np.isfinite(scale).any() else 1.0, scale
    )
    hours = _round_sig(raw_hours * scale[primary], 3)
    cost = np.maximum(np.round(hours * rate[primary], 2), 0.01)

    # Alternates: 40% of SKUs, slower, costlier and lower-yield. They prefer a machine of the
    # same kind (the family's other resources), mostly at the other plant, whose shutdown
    # falls in another month; a family with a single machine borrows any other resource.
    n_alt = math.ceil(0.4 * s)
    alt_sku = np.sort(rng.choice(s, size=n_alt, replace=False)).astype(np.int64)
    want_other = rng.random(n_alt) < 0.6
    u = rng.random(n_alt)
    everything = np.arange(n_res)
    alt_resource = np.empty(n_alt, dtype=np.int64)
    for j, i in enumerate(alt_sku):
        r = primary[i]
        pool = everything[(res_family == p.family[i]) & (everything != r)]
        if not len(pool):
            pool = everything[everything != r]
        preferred = pool[(site[pool] != site[r]) == want_other[j]]
        if len(preferred):
            pool = preferred
        alt_resource[j] = pool[int(u[j] * len(pool))]
    other = site[alt_resource] != site[primary[alt_sku]]
    if not other.any():  # at least one SKU can move to the other plant
        elsewhere = everything[site != site[primary[alt_sku[0]]]]
        alt_resource[0] = elsewhere[int(u[0] * len(elsewhere))]
        other[0] = True
    alt_hours = _round_sig(hours[alt_sku] * rng.uniform(1.15, 1.5, n_alt), 3)
    alt_yield = np.clip(yield_[alt_sku] - rng.uniform(0.005, 0.03, n_alt), 0.9, 0.995)
    alt_yield = np.round(alt_yield, 3).astype(np.float64)
    freight = np.where(other, 1.05, 1.0)  # moving stock between plants costs a little
    alt_cost = np.round(
        np.maximum(alt_hours * rate[alt_resource], cost[alt_sku] * 1.1) * freight, 2
    )

    return _Plant(
        code=code,
        site=site,
        description=description,
        hours_per_day=hours_per_day,
        efficiency=efficiency,
        rate=rate,
        working_days=working_days,
        maintenance=maintenance,
        primary=primary,
        hours=hours,
        yield_=yield_,
        cost=cost,
        alt_sku=alt_sku,
        alt_resource=alt_resource,
        alt_hours=alt_hours,
        alt_yield=alt_yield,
        alt_cost=alt_cost,
    )


def _resource_calendar(
    rng: np.random.Generator, site: IntArray, hours_per_day: FloatArray, cal: _Calendar
) -> tuple[FloatArray, FloatArray]:
    """Working days (weekdays less holidays) and maintenance hours per resource and plan month."""
    n_res = len(site)
    start = cal.plan.to_numpy().astype("datetime64[D]")
    end = (cal.plan + pd.offsets.MonthBegin(1)).to_numpy().astype("datetime64[D]")
    moy = cal.plan.month.to_numpy() - 1
    weekdays = np.busday_count(start, end)
    days = np.maximum(weekdays[None, :] - _HOLIDAYS[:, moy], 0).astype(np.float64)
    working_days = days[site]

    # Preventive maintenance in about half the months (a few hours), and one planned
    # shutdown a year: Lyon mostly closes in August, Brno mostly over Christmas.
    preventive = rng.random((n_res, cal.f)) < 0.45
    hours = np.where(
        preventive, np.round(hours_per_day[:, None] * rng.uniform(0.25, 0.75, (n_res, cal.f))), 0.0
    )
    shutdown_probs = np.array([[0.7, 0.2, 0.1], [0.2, 0.6, 0.2]])
    choice = (rng.random(n_res)[:, None] > shutdown_probs[site].cumsum(axis=1)).sum(axis=1)
    shutdown_month = np.where(choice == 0, 7, np.where(choice == 1, 11, rng.integers(0, 12, n_res)))
    shut = moy[None, :] == shutdown_month[:, None]
    shut_days = rng.integers(2, 6, (n_res, cal.f))
    hours = np.where(shut, hours_per_day[:, None] * shut_days, hours)
    # Never more than 40% of the month's scheduled time.
    hours = np.minimum(hours, np.floor(0.4 * hours_per_day[:, None] * working_days))
    return working_days, hours.astype(np.float64)


# --- materials and suppliers ---------------------------------------------------------------


def _supply(
    rng: np.random.Generator, p: _Products, d: _Demand, plant: _Plant, cal: _Calendar
) -> _Supply:
    s = len(p.sku)
    n_mat = max(8, round(3 * math.sqrt(s)))
    n_sup = max(3, round(n_mat / 5))
    cat = np.arange(n_mat) % len(_MATERIALS)
    variant = np.arange(n_mat) // len(_MATERIALS)
    entries = [_MATERIALS[c] for c in cat]
    code = [f"MAT-{m + 1:04d}" for m in range(n_mat)]
    description = [
        e[0] if v == 0 else f"{e[0]} {v + 1}" for e, v in zip(entries, variant, strict=True)
    ]
    unit = [e[1] for e in entries]
    unit_cost = np.maximum(
        np.round(np.array([e[2] for e in entries]) * np.exp(rng.normal(0.0, 0.3, n_mat)), 2), 0.01
    )
    supplier = np.concatenate([np.arange(n_sup), rng.integers(0, n_sup, n_mat - n_sup)])
    supplier = rng.permutation(supplier).astype(np.int64)

    # BOM: 2-4 materials per SKU, drawn with a bias to the materials its family uses.
    fam_codes = [f.code for f in _FAMILIES[: p.n_fam]]
    fits = np.array([[fc in e[4].split() for fc in fam_codes] for e in entries])  # mat x fam
    key = rng.random((s, n_mat)) - 0.7 * fits[:, p.family].T
    first4 = np.argpartition(key, 3, axis=1)[:, :4]
    first4 = np.take_along_axis(first4, np.argsort(np.take_along_axis(key, first4, 1), 1), 1)
    n_lines = rng.integers(2, 5, s)
    take = np.arange(4)[None, :] < n_lines[:, None]
    bom_sku = np.repeat(np.arange(s), 4).reshape(s, 4)[take]
    bom_material = first4[take]
    # Every material is used somewhere: give unused ones to a SKU with room in its BOM.
    unused = np.setdiff1d(np.arange(n_mat), bom_material)
    room = rng.permutation(np.flatnonzero(n_lines < 4))[: len(unused)]
    unused = unused[: len(room)]
    bom_sku = np.concatenate([bom_sku, room])
    bom_material = np.concatenate([bom_material, unused])
    order = np.lexsort((bom_material, bom_sku))
    bom_sku, bom_material = bom_sku[order].astype(np.int64), bom_material[order].astype(np.int64)

    lo = np.array([e[3][0] for e in entries])[bom_material]
    hi = np.array([e[3][1] for e in entries])[bom_material]
    pieces = np.array([e[1] == "pcs" for e in entries])[bom_material]
    spread = rng.random(len(bom_sku))
    counted = np.floor(lo + spread * (hi - lo + 1))
    measured = (lo + spread * (hi - lo)) * p.complexity[bom_sku]
    bom_quantity = np.where(pieces, counted, np.maximum(np.round(measured, 3), 0.001))
    material_cost = np.bincount(
        bom_sku, weights=bom_quantity * unit_cost[bom_material], minlength=s
    ).astype(np.float64)

    # Material requirement per plant, material and month from expected starts.
    started = d.expected / plant.yield_[:, None]
    requirement = np.zeros((2, n_mat, cal.f))
    np.add.at(
        requirement,
        (plant.sku_site[bom_sku], bom_material),
        started[bom_sku] * bom_quantity[:, None],
    )

    # Suppliers: the daily limit covers a typical month with a little room, so it binds only in
    # peak months; the MOQ is about a month of a supplier's smaller materials.
    per_material = requirement.sum(axis=0)
    per_supplier = np.zeros((n_sup, cal.f))
    np.add.at(per_supplier, supplier, per_material)
    mean_days = (
        np.busday_count(
            cal.plan.to_numpy().astype("datetime64[D]"),
            (cal.plan + pd.offsets.MonthBegin(1)).to_numpy().astype("datetime64[D]"),
        ).mean()
        - 1.5
    )
    daily = np.quantile(per_supplier, 0.75, axis=1) / mean_days * rng.uniform(1.0, 1.15, n_sup)
    daily_limit = np.maximum(_ceil_sig(daily, 2), 10.0)
    monthly = per_material.mean(axis=1)
    moq = np.empty(n_sup)
    for k in range(n_sup):
        mine = monthly[supplier == k]
        moq[k] = np.quantile(mine, 0.25) if len(mine) else 100.0
    moq = np.maximum(_round_sig(moq * rng.uniform(0.5, 1.0, n_sup), 2), 1.0)
    lead_time = rng.integers(10, 46, n_sup).astype(np.float64)
    overseas = rng.random(n_sup) < 0.2
    lead_time = np.where(overseas, rng.integers(45, 61, n_sup), lead_time).astype(np.float64)
    lead_time_sd = np.round(lead_time * rng.uniform(0.1, 0.35, n_sup), 1)
    sup_name = [
        _SUPPLIERS[k % len(_SUPPLIERS)]
        + ("" if k < len(_SUPPLIERS) else f" {k // len(_SUPPLIERS) + 1}")
        for k in range(n_sup)
    ]
    return _Supply(
        code=code,
        description=description,
        unit=unit,
        unit_cost=unit_cost,
        supplier=supplier,
        bom_sku=bom_sku,
        bom_material=bom_material,
        bom_quantity=bom_quantity,
        material_cost=material_cost,
        requirement=requirement,
        sup_code=[f"SUP-{k + 1:03d}" for k in range(n_sup)],
        sup_name=sup_name,
        lead_time=lead_time,
        lead_time_sd=lead_time_sd,
        daily_limit=daily_limit,
        moq=moq,
    )


# --- planning rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    priority: IntArray  # per SKU: 1 = served first when supply is short
    backlog: BoolArray  # per SKU: customers wait (backlog) rather than buy elsewhere
    overtime_max: FloatArray  # per resource: hours per month
    overtime_cost: FloatArray  # per resource: extra cost per overtime hour
    min_lot: FloatArray  # per routing (primary then alternates, as in _plant_frames)
    lot_multiple: FloatArray
    setup_hours: FloatArray  # per routing: changeover hours per run
    setup_cost: FloatArray  # per routing: cost per changeover (labour and scrap)
    pack_size: IntArray  # per SKU: units per pack (1: whole units)


def _planning_rules(rng: np.random.Generator, p: _Products, d: _Demand, plant: _Plant) -> _Rules:
    """Who is served first, who waits, overtime limits and lot rules, as a planner sets them."""
    s = len(p.sku)
    # Key accounts are in the North; spare parts and the launch are served first everywhere
    # (service contracts, a launch promise) and their customers wait rather than go elsewhere.
    priority = np.where(p.region == 0, 2, 3).astype(np.int64)
    backlog = p.intermittent.copy()
    backlog[p.launch] = True
    priority[backlog] = 1
    # A Saturday shift (4 x 8 h) where the resource does not already run around the clock;
    # overtime costs half the hourly rate on top of the conversion cost.
    overtime_max = np.where(plant.hours_per_day < 24.0, 32.0, 0.0)
    overtime_cost = np.round(0.5 * plant.rate, 0)
    # Lot rules on about a quarter of the primary routings of regular products: a minimum run
    # of 30-60% of a month's demand, or runs in pallet multiples (10, 20 or 50 units).
    monthly = d.expected.mean(axis=1)
    regular = ~p.intermittent
    regular[[p.launch, p.phase_out]] = False
    n_routes = s + len(plant.alt_sku)
    min_lot, lot_multiple = np.zeros(n_routes), np.zeros(n_routes)
    draw = rng.random(s)
    share = rng.uniform(0.3, 0.6, s)
    pallet = rng.choice(np.array([10.0, 20.0, 50.0]), size=s)
    with_min = regular & (draw < 0.15) & (monthly >= 20)
    with_multiple = regular & (draw >= 0.15) & (draw < 0.25) & (monthly >= 5 * pallet)
    min_lot[:s] = np.where(with_min, np.maximum(np.round(monthly * share, -1), 10.0), 0.0)
    lot_multiple[:s] = np.where(with_multiple, pallet, 0.0)
    none = np.zeros(n_routes)
    # Valves leave the line boxed in sixes and controls in tens where a month is at least ten
    # boxes; pumps, spare parts and the launch go out one by one.
    box = np.array([_PACKS.get(f.code, 1) for f in _FAMILIES], dtype=np.int64)[p.family]
    pack_size = np.where(regular & (monthly >= 10 * box), box, 1).astype(np.int64)
    return _Rules(
        priority, backlog, overtime_max, overtime_cost, min_lot, lot_multiple, none, none, pack_size
    )


def _with_changeovers(rng: np.random.Generator, plant: _Plant, rules: _Rules) -> _Rules:
    """Changeovers where runs are batched: every primary routing with a lot rule has one (2-8
    hours, costed at the resource's hourly rate plus 50-200 of scrap)."""
    n_routes = len(rules.min_lot)
    batched = (rules.min_lot > 0) | (rules.lot_multiple > 0)
    hours = np.where(batched, np.round(rng.uniform(2.0, 8.0, n_routes), 1), 0.0)
    resource = np.concatenate([plant.primary, plant.alt_resource])
    scrap = np.round(rng.uniform(50.0, 200.0, n_routes), -1)
    cost = np.where(batched, np.round(hours * plant.rate[resource] + scrap, 0), 0.0)
    return replace(rules, setup_hours=hours, setup_cost=cost)


def _warehouses_frame(p: _Products, d: _Demand, plant: _Plant) -> pd.DataFrame:
    """Finished-goods stores sized at 1.6 months of the site's average demand: enough for the
    buffer and a normal month, tight for building far ahead of a seasonal peak."""
    monthly = d.expected.mean(axis=1)
    capacity = np.bincount(plant.sku_site, weights=monthly * 1.6, minlength=len(_SITES)).astype(
        np.float64
    )
    return _frame(
        "Warehouses",
        site=[name for name, _ in _SITES],
        storage_capacity=np.maximum(_ceil_sig(capacity, 2), 100.0),
    )


# --- frames --------------------------------------------------------------------------------


def _settings(rng: np.random.Generator, cal: _Calendar) -> pd.DataFrame:
    month = cal.first.strftime("%Y-%m")
    values = {
        "company": str(rng.choice(np.array(_COMPANIES))),
        "first_plan_month": month,
        "horizon_months": str(cal.f),
        "currency": "EUR",
        "plan_cycle": month,
        "plan_version": f"{month}-v1",
        "carrying_rate": "0.2",
    }
    settings = CONTRACT.settings
    return _frame(
        "Settings",
        setting=[s.name for s in settings],
        value=[values.get(s.name, s.default) for s in settings],
        unit=[s.unit or None for s in settings],
        description=[s.description or None for s in settings],
    )


def _products_frame(p: _Products, cal: _Calendar, rules: _Rules) -> pd.DataFrame:
    s = len(p.sku)
    launch = np.full(s, np.datetime64("NaT"), dtype="datetime64[ns]")
    eol = launch.copy()
    launch[p.launch] = cal.history[cal.h - p.launch_offset].to_datetime64()
    eol[p.phase_out] = cal.plan[p.eol_offset].to_datetime64()
    return _frame(
        "Products",
        sku=p.sku,
        description=p.description,
        family=[_FAMILIES[f].name for f in p.family],
        region=[_REGIONS[r][0] for r in p.region],
        lifecycle=p.lifecycle,
        launch_month=launch,
        end_of_life_month=eol,
        priority=rules.priority,
        unmet_policy=np.where(rules.backlog, "backlog", "lost-sales"),
        pack_size=rules.pack_size,
    )


def _history_frame(p: _Products, d: _Demand, cal: _Calendar) -> pd.DataFrame:
    mask = d.rows.ravel()
    return _frame(
        "SalesHistory",
        sku=np.repeat(np.array(p.sku, dtype=object), cal.h)[mask],
        month=np.tile(cal.history.to_numpy(), len(p.sku))[mask],
        quantity=d.history.ravel()[mask],
    )


def _plant_frames(
    p: _Products, plant: _Plant, cal: _Calendar, rules: _Rules
) -> dict[str, pd.DataFrame]:
    n_res = len(plant.code)
    codes = np.array(plant.code, dtype=object)
    skus = np.array(p.sku, dtype=object)
    s, n_alt = len(p.sku), len(plant.alt_sku)
    route_sku = np.concatenate([np.arange(s), plant.alt_sku])
    priority = np.concatenate([np.ones(s, dtype=np.int64), np.full(n_alt, 2, dtype=np.int64)])
    order = np.lexsort((priority, route_sku))
    return {
        "Resources": _frame(
            "Resources",
            resource=codes,
            site=[_SITES[k][0] for k in plant.site],
            description=plant.description,
            hours_per_day=plant.hours_per_day,
            efficiency=plant.efficiency,
            overtime_hours_max=rules.overtime_max,
            overtime_cost_per_hour=rules.overtime_cost,
        ),
        "ResourceCalendar": _frame(
            "ResourceCalendar",
            resource=np.repeat(codes, cal.f),
            month=np.tile(cal.plan.to_numpy(), n_res),
            working_days=plant.working_days.ravel(),
            maintenance_hours=plant.maintenance.ravel(),
        ),
        "Routings": _frame(
            "Routings",
            sku=skus[route_sku[order]],
            resource=codes[np.concatenate([plant.primary, plant.alt_resource])[order]],
            priority=priority[order],
            hours_per_unit=np.concatenate([plant.hours, plant.alt_hours])[order],
            cost_per_unit=np.concatenate([plant.cost, plant.alt_cost])[order],
            yield_=np.concatenate([plant.yield_, plant.alt_yield])[order],
            min_lot=rules.min_lot[order],
            lot_multiple=rules.lot_multiple[order],
            setup_hours=rules.setup_hours[order],
            setup_cost=rules.setup_cost[order],
        ),
    }


def _supply_frames(
    rng: np.random.Generator,
    p: _Products,
    d: _Demand,
    plant: _Plant,
    sup: _Supply,
    cal: _Calendar,
) -> dict[str, pd.DataFrame]:
    skus = np.array(p.sku, dtype=object)
    mats = np.array(sup.code, dtype=object)
    sites = np.array([name for name, _ in _SITES], dtype=object)
    s = len(p.sku)

    # Finished goods: on hand 0.5-1.5 months of demand, safety stock 0.3-0.6 months.
    near = d.expected[:, : min(3, cal.f)].mean(axis=1)
    on_hand = np.round(near * rng.uniform(0.5, 1.5, s))
    safety = np.round(near * rng.uniform(0.3, 0.6, s))
    safety[p.phase_out] = 0.0  # no buffer for a product on its way out

    # Materials: stock at each plant that uses them, 0.6-1.6 months of its requirement.
    monthly = sup.requirement.mean(axis=2)  # site x material
    used = monthly > 0
    used[0, ~used.any(axis=0)] = True  # a material nothing needs yet is still listed at Lyon
    site_idx, mat_idx = np.nonzero(used)
    order = np.lexsort((site_idx, mat_idx))
    site_idx, mat_idx = site_idx[order], mat_idx[order]
    mat_on_hand = np.round(monthly[site_idx, mat_idx] * rng.uniform(0.6, 1.6, len(mat_idx)))

    # Open orders: purchase orders due in the first two plan months, production orders in the
    # first; released before the cycle so the plan must take them as given.
    n_po = min(len(mat_idx), max(3, min(40, len(sup.code) // 3)))
    po = np.sort(rng.choice(len(mat_idx), size=n_po, replace=False))
    po_mat, po_site = mat_idx[po], site_idx[po]
    po_qty = np.maximum(
        np.round(monthly[po_site, po_mat] * rng.uniform(0.4, 1.0, n_po)),
        sup.moq[sup.supplier[po_mat]],
    )
    po_due = cal.plan.to_numpy()[rng.integers(0, min(2, cal.f), n_po)]
    candidates = np.flatnonzero((d.expected[:, 0] >= 2) & ~p.intermittent)
    n_wo = min(len(candidates), max(2, min(30, s // 10)))
    wo = np.sort(rng.choice(candidates, size=n_wo, replace=False))
    wo_qty = np.maximum(np.round(d.expected[wo, 0] * rng.uniform(0.3, 0.8, n_wo)), 1.0)
    ids = [f"PO-{45001 + k}" for k in range(n_po)] + [f"WO-{71001 + k}" for k in range(n_wo)]

    return {
        "Materials": _frame(
            "Materials",
            material=mats,
            description=sup.description,
            unit=sup.unit,
            unit_cost=sup.unit_cost,
            supplier=np.array(sup.sup_code, dtype=object)[sup.supplier],
            order_multiple=[_ORDER_MULTIPLES.get(unit, np.nan) for unit in sup.unit],
        ),
        "BOM": _frame(
            "BOM",
            sku=skus[sup.bom_sku],
            material=mats[sup.bom_material],
            quantity_per_unit=sup.bom_quantity,
        ),
        "Suppliers": _frame(
            "Suppliers",
            supplier=sup.sup_code,
            name=sup.sup_name,
            lead_time_days=sup.lead_time,
            lead_time_sd_days=sup.lead_time_sd,
            daily_limit=sup.daily_limit,
            moq=sup.moq,
        ),
        "ProductInventory": _frame(
            "ProductInventory",
            sku=skus,
            site=sites[plant.sku_site],
            on_hand=on_hand,
            safety_stock=safety,
        ),
        "MaterialInventory": _frame(
            "MaterialInventory",
            material=mats[mat_idx],
            site=sites[site_idx],
            on_hand=mat_on_hand,
        ),
        "OpenOrders": _frame(
            "OpenOrders",
            order_id=ids,
            order_type=["purchase"] * n_po + ["production"] * n_wo,
            item=np.concatenate([mats[po_mat], skus[wo]]),
            site=np.concatenate([sites[po_site], sites[plant.sku_site[wo]]]),
            quantity=np.concatenate([po_qty, wo_qty]),
            due_month=np.concatenate([po_due, np.repeat(cal.plan.to_numpy()[:1], n_wo)]),
        ),
    }


def _finance_frames(
    rng: np.random.Generator,
    p: _Products,
    d: _Demand,
    plant: _Plant,
    sup: _Supply,
    cal: _Calendar,
) -> dict[str, pd.DataFrame]:
    s = len(p.sku)
    # Price from the standard cost per good unit and a target gross margin of 25-45%, with a
    # few low-margin products (the ones allocation by margin gives up first).
    standard = (sup.material_cost + plant.cost) / plant.yield_
    margin = rng.uniform(0.25, 0.45, s)
    low = rng.choice(s, size=max(1, round(0.05 * s)), replace=False)
    margin[low] = rng.uniform(0.05, 0.15, len(low))
    price = np.maximum(np.round(standard / (1.0 - margin), 2), 0.01)

    # Budget: last year's same month at today's prices, grown by a target per family.
    j = np.arange(cal.f)
    last_year = d.history[:, cal.h - 12 + j % 12]  # SKU x plan month
    target = rng.uniform(0.02, 0.08, p.n_fam)
    uplift = (1.0 + target[:, None]) ** (j // 12 + 1)[None, :]  # family x plan month
    revenue = np.zeros((p.n_fam, cal.f))
    gross = np.zeros((p.n_fam, cal.f))
    np.add.at(revenue, p.family, last_year * price[:, None])
    np.add.at(gross, p.family, last_year * (price - standard)[:, None])
    # Finance's standard costs: material and labour hours per good unit; the labour rate and
    # overhead are set so that labour with overhead matches the plant's average conversion rate.
    overhead = 0.6
    labour_rate = round(float(np.median(plant.cost / plant.hours)) / (1.0 + overhead), 2)
    # Cost-to-serve: the far region ships further and pays more commission.
    region_names = [name for name, _ in _REGIONS]
    region_price = [
        float(price[p.region == r].mean()) if (p.region == r).any() else 0.0
        for r in range(len(_REGIONS))
    ]
    freight = np.round(np.array(region_price) * np.array([0.025, 0.04])[: len(_REGIONS)], 2)
    rates = {
        "labour_rate": (labour_rate, "currency/h", "Labour cost per hour"),
        "overhead_rate": (overhead, "share", "Overhead as a share of labour cost"),
        "expedite_cost_per_unit": (
            round(float(np.median(standard)) * 0.15, 2),
            "currency/unit",
            "Extra cost per unit of an expedited delivery",
        ),
        "receivable_days": (45.0, "days", "Days sales outstanding"),
        "payable_days": (60.0, "days", "Days payables outstanding"),
        "gross_margin_threshold": (0.2, "share", "Lowest acceptable gross margin % per family"),
    }
    return {
        "UnitCosts": _frame(
            "UnitCosts",
            sku=p.sku,
            material_cost=np.round(sup.material_cost / plant.yield_, 4),
            labour_hours=np.round(plant.hours / plant.yield_, 4),
        ),
        "Freight": _frame(
            "Freight",
            region=region_names,
            freight_per_unit=freight,
            service_cost_pct=np.array([0.02, 0.03])[: len(_REGIONS)],
        ),
        "FinanceRates": _frame(
            "FinanceRates",
            rate=list(rates),
            value=[v[0] for v in rates.values()],
            unit=[v[1] for v in rates.values()],
            description=[v[2] for v in rates.values()],
        ),
        "Prices": _frame("Prices", sku=p.sku, unit_price=price),
        "Budget": _frame(
            "Budget",
            family=np.repeat(np.array([f.name for f in _FAMILIES[: p.n_fam]], dtype=object), cal.f),
            month=np.tile(cal.plan.to_numpy(), p.n_fam),
            revenue_budget=np.round(revenue * uplift).ravel(),
            gross_margin_budget=np.round(gross * uplift).ravel(),
        ),
    }


def _scenario_frames(
    p: _Products, plant: _Plant, sup: _Supply, cal: _Calendar
) -> dict[str, pd.DataFrame]:
    """The what-ifs an S&OP meeting asks about, on the demo's busiest resource and supplier."""
    busiest = plant.code[int(np.bincount(plant.primary, minlength=len(plant.code)).argmax())]
    main_supplier = sup.sup_code[int(np.bincount(sup.supplier[sup.bom_material]).argmax())]
    family = _FAMILIES[0].name
    start, end = cal.plan[min(2, cal.f - 1)], cal.plan[min(3, cal.f - 1)]
    rows = [
        (
            "North +10%",
            "demand",
            "region",
            _REGIONS[0][0],
            None,
            None,
            10.0,
            "Key account rollout in the North",
        ),
        (
            "Supplier late",
            "supplier_delay",
            "supplier",
            main_supplier,
            None,
            None,
            14.0,
            "Main supplier announces 14 days delay",
        ),
        ("Lead times x2", "lead_time", "all", None, None, None, 2.0, "Freight disruption"),
        (
            "Press down",
            "capacity",
            "resource",
            busiest,
            start,
            end,
            30.0,
            "Overhaul of the busiest resource",
        ),
        (
            f"{family} price -5%",
            "price",
            "family",
            family,
            None,
            None,
            -5.0,
            "Competitive pricing response",
        ),
    ]
    columns = list(zip(*rows, strict=True))
    return {
        "Scenarios": _frame(
            "Scenarios",
            scenario=columns[0],
            change=columns[1],
            level=columns[2],
            target=columns[3],
            from_month=pd.to_datetime(pd.Series(columns[4], dtype=object)),
            to_month=pd.to_datetime(pd.Series(columns[5], dtype=object)),
            value=np.array(columns[6], dtype=float),
            note=columns[7],
        ),
        "PromoteRequest": _frame(
            "PromoteRequest",
            scenario=["North +10%"],
            requested_by=["S&OP lead"],
            reason=["Key account confirmed the North rollout"],
        ),
    }


# --- helpers -------------------------------------------------------------------------------

_DTYPES: dict[ColumnType, Any] = {
    ColumnType.TEXT: object,
    ColumnType.NUMBER: "float64",
    ColumnType.FRACTION: "float64",
    ColumnType.INTEGER: "int64",
    ColumnType.MONTH: "datetime64[ns]",
}


ARCHIVE_MAX_SKUS = 300  # stored past forecasts for at most this many SKUs (workbook size)
ARCHIVE_MONTHS = 6


def _demand_input_frames(
    rng: np.random.Generator, p: _Products, d: _Demand, cal: _Calendar
) -> dict[str, pd.DataFrame]:
    """What sales, marketing and product management add to the statistical forecast.

    A few deals and pipeline opportunities on the biggest SKUs, one spring campaign on a
    family, one family adjustment, one override with its reason, the launch product
    following an analog of its family, the phase-out ramping down with part of its demand
    cannibalised by the launch, and six months of stored past forecasts (lag 1 and 3) so
    that accuracy and forecast value added have something to measure. The stored
    forecasts are synthetic: the actuals with noise, the consensus layer less noisy.
    """
    s, f = len(p.sku), cal.f
    volume = d.expected.mean(axis=1)
    special = {p.launch, p.phase_out}
    regular = [i for i in np.argsort(-volume) if i not in special and not p.intermittent[i]]
    first_months = min(6, f)

    deals = regular[:3]
    sales_rows: dict[str, Any] = {
        "sku": [p.sku[i] for i in deals] * 2,
        "month": [cal.plan[int(rng.integers(0, first_months))] for _ in range(2 * len(deals))],
        "reference": [f"Tender {k + 1}" for k in range(len(deals))]
        + [f"Opportunity {k + 1}" for k in range(len(deals))],
        "stage": ["deal"] * len(deals) + ["pipeline"] * len(deals),
        "quantity": np.round(np.r_[volume[deals] * 0.3, volume[deals] * 0.5]),
        "probability": np.r_[np.full(len(deals), 0.9), rng.uniform(0.2, 0.5, len(deals)).round(2)],
        "author": ["Key accounts"] * (2 * len(deals)),
    }
    campaign_family = p.family[regular[0]]
    members = [i for i in regular if p.family[i] == campaign_family][:3]
    promo_months = cal.plan[1 : min(3, f)] if f > 1 else cal.plan[:1]
    uplift_rows: dict[str, Any] = {
        "campaign": ["Spring promotion"] * (len(members) * len(promo_months)),
        "sku": [p.sku[i] for i in members for _ in promo_months],
        "month": [m for _ in members for m in promo_months],
        "uplift_pct": np.full(len(members) * len(promo_months), 0.15),
        "uplift_units": np.full(len(members) * len(promo_months), np.nan),
    }
    target = regular[min(3, len(regular) - 1)]
    override_month = cal.plan[min(2, f - 1)]
    overrides: dict[str, Any] = {
        "sku": [p.sku[target]],
        "month": [override_month],
        "kind": ["absolute"],
        "value": [float(np.round(d.expected[target, min(2, f - 1)] * 1.25))],
        "reason_code": ["customer"],
        "author": ["A. Planner"],
        "entered_on": [f"{(cal.first - pd.Timedelta(days=10)):%Y-%m-%d}"],
    }
    adj_family = p.family[regular[1]]
    fam_volume = float(d.expected[p.family == adj_family, min(3, f - 1)].sum())
    family_adjustments: dict[str, Any] = {
        "family": [_FAMILIES[adj_family].name],
        "month": [cal.plan[min(3, f - 1)]],
        "units": [float(np.round(0.05 * fam_volume))],
        "reason_code": ["market"],
        "author": ["Sales director"],
    }
    analog_pool = [i for i in regular if p.family[i] == p.family[p.launch]] or regular
    analog = analog_pool[0]
    new_products: dict[str, Any] = {
        "sku": [p.sku[p.launch]],
        "analog_sku": [p.sku[analog]],
        "launch_volume": [float(np.round(volume[p.launch]))],
        "launch_curve": [None],
    }
    curve_shares = [0.3, 0.55, 0.75, 0.9, 1.0]
    launch_curves: dict[str, Any] = {
        "curve": ["standard"] * len(curve_shares),
        "month_number": list(range(1, len(curve_shares) + 1)),
        "share": curve_shares,
    }
    phase_outs: dict[str, Any] = {
        "sku": [p.sku[p.phase_out]],
        "ramp_months": [min(3, p.eol_offset + 1)],
    }
    cannibalisation: dict[str, Any] = {
        "predecessor": [p.sku[p.phase_out]],
        "successor": [p.sku[p.launch]],
        "share": [0.3],
        "from_month": [cal.plan[0]],
    }

    step = max(1, s // ARCHIVE_MAX_SKUS)
    stored = [i for i in range(0, s, step) if i != p.launch][:ARCHIVE_MAX_SKUS]
    archive: dict[str, list[Any]] = {
        k: [] for k in ("made_in", "sku", "month", "layer", "quantity")
    }
    for j in range(cal.h - ARCHIVE_MONTHS, cal.h):
        for lag in (1, 3):
            noise = 0.18 if lag == 1 else 0.25
            for i in stored:
                actual = float(d.history[i, j])
                stat = max(0.0, actual * (1 + rng.normal(0.04, noise)))
                consensus = max(
                    0.0, stat + 0.4 * (actual - stat) + rng.normal(0, 0.04 * actual + 0.1)
                )
                sales = max(0.0, stat + 0.25 * (actual - stat))
                for layer, q in (("statistical", stat), ("sales", sales), ("consensus", consensus)):
                    archive["made_in"].append(cal.history[j] - pd.DateOffset(months=lag))
                    archive["sku"].append(p.sku[i])
                    archive["month"].append(cal.history[j])
                    archive["layer"].append(layer)
                    archive["quantity"].append(round(q))
    return {
        "SalesInputs": _frame("SalesInputs", **sales_rows),
        "MarketingUplifts": _frame("MarketingUplifts", **uplift_rows),
        "Overrides": _frame("Overrides", **overrides),
        "FamilyAdjustments": _frame("FamilyAdjustments", **family_adjustments),
        "NewProducts": _frame("NewProducts", **new_products),
        "LaunchCurves": _frame("LaunchCurves", **launch_curves),
        "PhaseOuts": _frame("PhaseOuts", **phase_outs),
        "Cannibalisation": _frame("Cannibalisation", **cannibalisation),
        "ForecastArchive": _frame("ForecastArchive", **archive),
    }


def _frame(name: str, /, **columns: Sequence[Any] | npt.NDArray[Any]) -> pd.DataFrame:
    """A frame with exactly the contract table's columns, in order, with the agreed dtypes.

    Keyword names ending in "_" stand for Python keywords or builtins (`yield_` is `yield`).
    """
    table = CONTRACT.table(name)
    given = {key.rstrip("_"): value for key, value in columns.items()}
    if sorted(given) != sorted(table.column_names):
        raise AssertionError(f"{name}: built {sorted(given)}, contract has {table.column_names}")
    data: dict[str, pd.Series] = {}
    for col in table.columns:
        values = given[col.name]
        if col.type is ColumnType.TEXT:
            # Plain Python str (or None) in an object column, whatever numpy handed us.
            items = [None if v is None else str(v) for v in values]
            data[col.name] = pd.Series(items, dtype=object)
        else:
            data[col.name] = pd.Series(np.asarray(values)).astype(_DTYPES[col.type])
    return pd.DataFrame(data)


def _empty(name: str) -> pd.DataFrame:
    """A contract table with no rows, its columns typed."""
    return _frame(name, **{c: [] for c in CONTRACT.table(name).column_names})


def _round_sig(x: FloatArray, digits: int) -> FloatArray:
    """Round to significant digits, dividing by exact powers of ten so 0.0873 stays 0.0873."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    nz = x != 0
    exp = digits - 1 - np.floor(np.log10(np.abs(x[nz]))).astype(np.int64)
    up = np.maximum(exp, 0).astype(np.float64)
    down = np.maximum(-exp, 0).astype(np.float64)
    out[nz] = np.round(x[nz] * 10.0**up / 10.0**down) / 10.0**up * 10.0**down
    return out


def _ceil_sig(x: FloatArray, digits: int) -> FloatArray:
    """Round up to significant digits (limits stated as round numbers)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    nz = x > 0
    exp = digits - 1 - np.floor(np.log10(x[nz])).astype(np.int64)
    up = np.maximum(exp, 0).astype(np.float64)
    down = np.maximum(-exp, 0).astype(np.float64)
    out[nz] = np.ceil(x[nz] * 10.0**up / 10.0**down) / 10.0**up * 10.0**down
    return out
