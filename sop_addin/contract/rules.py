"""Rules across tables that a column definition cannot express: the planner's sense checks."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract.model import WorkbookContract
from sop_addin.contract.network_rules import check_network_rules
from sop_addin.contract.problems import Problem


def _problem(
    contract: WorkbookContract, table: str, row: object, column: str, message: str
) -> Problem:
    tab = contract.table(table).tab
    return Problem(tab=tab, table=table, row=int(row), column=column, message=message)  # type: ignore[call-overload]


def check_rules(frames: dict[str, pd.DataFrame], contract: WorkbookContract) -> list[Problem]:
    """Problems a planner must fix before planning: each names its cell."""
    problems: list[Problem] = []
    products = frames["Products"]
    priced = set(frames["Prices"]["sku"].dropna())
    for row, sku in products["sku"].dropna().items():
        if sku not in priced:
            msg = f"SKU {sku!r} has no price: add a row to the Prices table on the Finance tab"
            problems.append(_problem(contract, "Products", row, "sku", msg))

    routings = frames["Routings"]
    routed = set(routings["sku"].dropna())
    for row, sku in products["sku"].dropna().items():
        if sku not in routed:
            msg = (
                f"SKU {sku!r} has no routing: add a row to the Routings table on the "
                f"{contract.table('Routings').tab} tab (which resource makes it, and how fast)"
            )
            problems.append(_problem(contract, "Products", row, "sku", msg))
    for row, hours in routings["hours_per_unit"].dropna().items():
        if hours <= 0:
            msg = "cycle time must be above 0 hours per unit"
            problems.append(_problem(contract, "Routings", row, "hours_per_unit", msg))
    for row, value in routings["yield"].dropna().items():
        if value <= 0:
            problems.append(_problem(contract, "Routings", row, "yield", "yield must be above 0"))

    materials_table = frames["Materials"]
    if "order_multiple" in materials_table:
        for row, value in materials_table["order_multiple"].dropna().items():
            if value <= 0:
                msg = "order multiple must be above 0 (leave it blank to buy in whole units)"
                problems.append(_problem(contract, "Materials", row, "order_multiple", msg))

    resources = frames["Resources"]
    for row, value in resources["efficiency"].dropna().items():
        if value <= 0:
            msg = "efficiency must be above 0 (use the calendar for a resource that is down)"
            problems.append(_problem(contract, "Resources", row, "efficiency", msg))

    orders = frames["OpenOrders"]
    skus = set(products["sku"].dropna())
    materials = set(frames["Materials"]["material"].dropna())
    for row, order in orders.iterrows():
        item, kind = order["item"], order["order_type"]
        if pd.isna(item) or pd.isna(kind):
            continue
        if kind == "purchase" and item not in materials:
            msg = f"purchase order for {item!r}, which is not a material in the Materials table"
            problems.append(_problem(contract, "OpenOrders", row, "item", msg))
        if kind == "production" and item not in skus:
            msg = f"production order for {item!r}, which is not a SKU in the Products table"
            problems.append(_problem(contract, "OpenOrders", row, "item", msg))
    problems += _lifecycle_dates(products, contract)
    problems += check_network_rules(frames, contract)
    return problems


def _lifecycle_dates(products: pd.DataFrame, contract: WorkbookContract) -> list[Problem]:
    """A product cannot stop selling before it starts: end of life before launch is a typo."""
    problems: list[Problem] = []
    for row, item in products.iterrows():
        launch, end = item["launch_month"], item["end_of_life_month"]
        if pd.isna(launch) or pd.isna(end) or pd.Timestamp(end) >= pd.Timestamp(launch):
            continue
        msg = (
            f"end of life {pd.Timestamp(end):%Y-%m} is before the launch month "
            f"{pd.Timestamp(launch):%Y-%m}: the product would never sell"
        )
        problems.append(_problem(contract, "Products", row, "end_of_life_month", msg))
    return problems
