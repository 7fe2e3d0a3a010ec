"""Small hand-built companies for tests: every number chosen so results can be checked by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.bench_lotsizing import Instance, planning_data
from sop_addin.contract import CONTRACT, Role
from sop_addin.core.demo_company import generate_demo
from sop_addin.core.inputs import PlanInputs, PlanSettings
from sop_addin.core.planning import prepare_planning_data
from sop_addin.core.planning.data import PlanningData
from sop_addin.workbook.codec import empty_frame

M1, M2, M3 = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01"), pd.Timestamp("2027-03-01")


def frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with the contract's columns (missing ones blank) and dtypes."""
    base = empty_frame(CONTRACT.table(table)).reset_index(drop=True)
    if not rows:
        return base
    data = pd.DataFrame(rows)
    for column in base.columns:
        if column not in data:
            data[column] = None
    return data[list(base.columns)].astype(base.dtypes.to_dict())


def tiny_tables(horizon: int = 2) -> dict[str, pd.DataFrame]:
    """Two SKUs on one 80-hour resource; no materials unless a test adds them.

    Every other input table of the contract is present and empty, so the company stays
    valid as the contract grows.
    """
    tables = _tiny_tables(horizon)
    for name in INPUT_TABLES:
        tables.setdefault(name, frame(name, []))
    return tables


def _tiny_tables(horizon: int) -> dict[str, pd.DataFrame]:
    return {
        "Settings": frame(
            "Settings",
            [
                {"setting": "company", "value": "Tiny Co"},
                {"setting": "first_plan_month", "value": "2027-01"},
                {"setting": "horizon_months", "value": str(horizon)},
                {"setting": "currency", "value": "EUR"},
                {"setting": "plan_cycle", "value": "2027-01"},
                {"setting": "plan_version", "value": "2027-01-v1"},
                {"setting": "carrying_rate", "value": "0.12"},
                {"setting": "contract_version", "value": "0.2"},  # percent overrides in %
            ],
        ),
        "Products": frame(
            "Products",
            [
                {"sku": "A", "family": "F", "region": "North", "lifecycle": "mature"},
                {"sku": "B", "family": "G", "region": "South", "lifecycle": "mature"},
            ],
        ),
        "SalesHistory": frame(
            "SalesHistory",
            [
                {"sku": sku, "month": m, "quantity": q}
                for sku, q in (("A", 50.0), ("B", 30.0))
                for m in pd.date_range("2024-01-01", "2026-12-01", freq="MS")
            ],
        ),
        "Resources": frame(
            "Resources",
            [{"resource": "R1", "site": "S1", "hours_per_day": 8.0, "efficiency": 1.0}],
        ),
        "ResourceCalendar": frame(
            "ResourceCalendar",
            [
                {"resource": "R1", "month": m, "working_days": 10.0, "maintenance_hours": 0.0}
                for m in pd.date_range(M1, periods=horizon, freq="MS")
            ],
        ),
        "Routings": frame(
            "Routings",
            [
                {
                    "sku": "A",
                    "resource": "R1",
                    "priority": 1,
                    "hours_per_unit": 1.0,
                    "cost_per_unit": 2.0,
                    "yield": 1.0,
                },
                {
                    "sku": "B",
                    "resource": "R1",
                    "priority": 1,
                    "hours_per_unit": 2.0,
                    "cost_per_unit": 3.0,
                    "yield": 1.0,
                },
            ],
        ),
        "Materials": frame("Materials", []),
        "BOM": frame("BOM", []),
        "Suppliers": frame("Suppliers", []),
        "ProductInventory": frame("ProductInventory", []),
        "MaterialInventory": frame("MaterialInventory", []),
        "OpenOrders": frame("OpenOrders", []),
        "Prices": frame(
            "Prices", [{"sku": "A", "unit_price": 10.0}, {"sku": "B", "unit_price": 30.0}]
        ),
        "Budget": frame(
            "Budget",
            [{"family": "F", "month": M1, "revenue_budget": 400.0, "gross_margin_budget": 100.0}],
        ),
        # Unit costs equal to the routings' conversion costs (labour rate 1, no overhead).
        "UnitCosts": frame(
            "UnitCosts",
            [
                {"sku": "A", "material_cost": 0.0, "labour_hours": 2.0},
                {"sku": "B", "material_cost": 0.0, "labour_hours": 3.0},
            ],
        ),
        "Freight": frame(
            "Freight",
            [
                {"region": "North", "freight_per_unit": 0.5, "service_cost_pct": 0.0},
                {"region": "South", "freight_per_unit": 1.0, "service_cost_pct": 0.1},
            ],
        ),
        "FinanceRates": frame(
            "FinanceRates",
            [
                {"rate": "labour_rate", "value": 1.0},
                {"rate": "overhead_rate", "value": 0.0},
                {"rate": "expedite_cost_per_unit", "value": 2.0},
                {"rate": "receivable_days", "value": 30.0},
                {"rate": "payable_days", "value": 15.0},
                {"rate": "gross_margin_threshold", "value": 0.5},
            ],
        ),
    }


def inputs_from(tables: dict[str, pd.DataFrame]) -> PlanInputs:
    """PlanInputs straight from frames (the workbook path is tested elsewhere)."""
    settings = dict(zip(tables["Settings"]["setting"], tables["Settings"]["value"], strict=True))
    typed = PlanSettings(
        company=settings["company"],
        first_plan_month=pd.Timestamp(settings["first_plan_month"] + "-01"),
        horizon_months=int(settings["horizon_months"]),
        currency=settings["currency"],
        plan_cycle=settings["plan_cycle"],
        plan_version=settings["plan_version"],
        carrying_rate=float(settings["carrying_rate"]),
    )
    return PlanInputs(settings=typed, tables=tables)


def demand(rows: dict[tuple[str, pd.Timestamp], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"sku": s, "month": m, "quantity": q} for (s, m), q in rows.items()],
        columns=["sku", "month", "quantity"],
    )


def demo_planning_data(seed: int, pooled: bool = False) -> PlanningData:
    """Planning data of a 12-SKU, 6-month demo company with demand 30% above its recent mean,
    so capacity and materials bind somewhere; `pooled` drops its Regions and Lanes (stock
    pooled per SKU, as before sites)."""
    tables = generate_demo(seed=seed, skus=12, horizon_months=6)
    if pooled:
        tables = {**tables, **{name: tables[name].iloc[0:0] for name in ("Regions", "Lanes")}}
    inputs = inputs_from(tables)
    history = tables["SalesHistory"]
    recent = history[history["month"] >= history["month"].max() - pd.DateOffset(months=11)]
    mean = recent.groupby("sku")["quantity"].mean()
    rows = [
        {"sku": sku, "month": month, "quantity": 1.3 * float(q)}
        for sku, q in mean.items()
        for month in inputs.months
    ]
    return prepare_planning_data(inputs, pd.DataFrame(rows))


INPUT_TABLES = [t.name for t in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION)]


def lot_sized_company(
    demand: list[list[float]],
    capacity: float = 1000.0,
    setup_cost: float = 100.0,
    setup_hours: float = 0.0,
    holding: float = 1.0,
    **product_columns: list[float],
) -> PlanningData:
    """Items on one resource R1 (1 h a unit), one routing each; demand is periods x items.
    Lost sales allowed (a unit lost weighs 10), unless product_columns say otherwise."""
    table = np.array(demand, dtype=float)
    n = table.shape[1]
    instance = Instance(
        name="case",
        capacity=capacity,
        hours=np.ones(n),
        holding=np.full(n, holding),
        setup_hours=np.full(n, setup_hours),
        setup_cost=np.full(n, setup_cost),
        demand=table,
    )
    data = planning_data(instance)
    products = data.products.copy()
    products["unmet_penalty"] = 10.0
    products["safety_penalty"] = 5.0
    for column, values in product_columns.items():
        products[column] = values
    return replace(data, products=products, all_demand_met=False)


def random_lot_sized_company(seed: int, buffered: bool = False) -> PlanningData:
    """Three items, six months on one resource, tight capacity with changeover hours; opening
    stock, a receipt, lost sales, a second routing (yield 0.9, on a smaller resource) for I02,
    a minimum lot for I01. Not `buffered`: I01 has stock, I02 a buffer, I03 a lot multiple of
    25; `buffered`: every item has stock and a buffer (the draws differ, seed for seed)."""
    rng = np.random.default_rng(seed)
    demand = rng.integers(0, 60, size=(6, 3)).astype(float)
    if buffered:
        opening = [float(v) for v in rng.integers(0, 50, size=3)]
        safety = [float(v) for v in rng.integers(5, 40, size=3)]
        multiples = [0.0, 0.0, 0.0]
    else:
        opening = [float(rng.integers(0, 40)), 0.0, 0.0]
        safety = [0.0, float(rng.integers(0, 20)), 0.0]
        multiples = [0.0, 0.0, 25.0]
    data = lot_sized_company(
        demand.tolist(),
        capacity=float(demand.sum(axis=1).mean() * 1.1),
        setup_cost=80.0,
        setup_hours=5.0,
        opening=opening,
        safety_stock=safety,
    )
    routes = data.routings.copy()
    routes["min_lot"] = [30.0, 0.0, 0.0]
    routes["lot_multiple"] = multiples
    second = routes.loc[[("I02", "R1")]].rename(index={"R1": "R2"}, level="resource")
    second["yield"] = 0.9
    second["setup_cost"] = 40.0
    routes = pd.concat([routes, second])
    capacity = pd.concat(
        [data.capacity, data.capacity.rename(index={"R1": "R2"}, level="resource") * 0.3]
    )
    resources = pd.concat([data.resources, data.resources.rename(index={"R1": "R2"})])
    receipts = pd.Series(
        [float(rng.integers(0, 30))],
        index=pd.MultiIndex.from_tuples([("I03", data.months[2])], names=["sku", "month"]),
    )
    return replace(
        data,
        routings=routes,
        capacity=capacity,
        resources=resources,
        resource_sites=pd.Series({"R1": "S1", "R2": "S1"}),
        receipts=receipts,
    )
