"""Second sources in the model: purchases from a material's other suppliers (sourcing.py).

A material's main source is build.py's ``buy`` (material, month); each second source adds
``source_buy`` (material, supplier, month), ordered in t and arriving in t + its own lead time,
at its own price. The families added here, in create_model's order:

- arrivals join the material's ``Material-balance`` row of their arrival month;
- the supplier's overall limit (``Supplier-limit``, daily limit x working days) counts them;
- ``Source-limit[material,supplier,month]``: a source's per-material daily limit (main source
  included) x working days;
- ``Source-share[material,supplier]``: a source's purchases over the plan stay within its most
  share of all the material's purchases;
- ``Source-moq`` / ``Source-open``: a second-source order is nothing or at least its MOQ
  (binaries ``source_order``, like build.py's ``order``).

Their price is in the cost objective, plus a ten-thousandth per unit per priority step, so at
equal price the preferred source is used first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd
import pulp

from sop_addin.core.calendar import weekdays_in_month
from sop_addin.core.planning.model_rows import lookup, lp_row
from sop_addin.core.planning.sourcing import second_sources

if TYPE_CHECKING:  # build.py calls these families: a runtime import would be circular
    from sop_addin.core.planning.build import Key, PlanModel

PRIORITY_STEP = 1e-4  # cost per unit per priority step: a tie-break, never a price


def define_second_source_variables(model: PlanModel) -> None:
    """Units ordered from each second source per month (arrivals inside the plan only), and
    order binaries where the source has an MOQ."""
    data = model.data
    horizon = len(data.months)
    others = second_sources(data.sources) if len(data.sources) else data.sources
    keys = [
        (str(m), str(s), t)
        for (m, s), lead in (others["lead_months"].items() if len(others) else [])
        if m in data.materials.index
        for t in range(horizon)
        if t + int(lead) < horizon
    ]
    model.add_variables("source_buy", keys)
    binary = pulp.LpContinuous if model.relax_lots else pulp.LpBinary
    orders = [k for k in keys if float(others.at[(k[0], k[1]), "moq"]) > 0]
    model.add_variables("source_order", orders, dict.fromkeys(orders, 1.0), cat=binary)


def define_second_source_arrivals(model: PlanModel) -> None:
    """A second source's order joins its material's balance in the month it arrives."""
    bought = model.variables["source_buy"]
    if not bought:
        return
    rows = model.constraints["Material-balance"]
    lead = model.data.sources["lead_months"]
    for (material, supplier, t), var in bought.items():
        rows[(material, t + int(lead[(material, supplier)]))].addInPlace(-1.0 * var)


def define_second_source_supplier_limits(model: PlanModel) -> None:
    """Second-source orders count against their supplier's overall monthly limit."""
    bought = model.variables["source_buy"]
    if not bought:
        return
    data = model.data
    limits = lookup(data.supplier_limits)
    rows = model.constraints.setdefault("Supplier-limit", {})
    for (_material, supplier, t), var in bought.items():
        row = rows.get((supplier, t))
        if row is None:
            limit = limits.get((supplier, data.months[t]), 0.0)
            model.add_constraint("Supplier-limit", (supplier, t), lp_row([(var, 1.0)], -1, limit))
        else:
            row.addInPlace(1.0 * var)


def _source_vars(model: PlanModel) -> dict[tuple[str, str, int], pulp.LpVariable]:
    """Every source's purchase variable, main sources' ``buy`` included, by (m, s, t)."""
    found = {
        (str(m), str(model.data.materials.at[m, "supplier"]), t): var
        for (m, t), var in model.variables["buy"].items()
    }
    found.update(model.variables["source_buy"])
    return found


def define_source_limit_constraints(model: PlanModel) -> None:
    """A source's per-material daily limit x working days bounds its orders in a month."""
    data = model.data
    if not len(data.sources) or data.sources["daily_limit"].isna().all():
        return
    daily = data.sources["daily_limit"]
    for (material, supplier, t), var in _source_vars(model).items():
        per_day = daily.get((material, supplier))
        if per_day is None or pd.isna(per_day):
            continue
        limit = float(per_day) * weekdays_in_month(data.months[t])
        row = lp_row([(var, 1.0)], pulp.LpConstraintLE, limit)
        model.add_constraint("Source-limit", (material, supplier, t), row)


def define_source_share_constraints(model: PlanModel) -> None:
    """A source's purchases over the plan <= its most share x all the material's purchases."""
    data = model.data
    if not len(data.sources) or data.sources["max_share"].isna().all():
        return
    by_material: dict[str, list[tuple[str, pulp.LpVariable]]] = {}
    for (material, supplier, _t), var in _source_vars(model).items():
        by_material.setdefault(material, []).append((supplier, var))
    for (material, supplier), share in data.sources["max_share"].items():
        if pd.isna(share) or material not in by_material:
            continue
        terms = [
            (var, (1.0 if s == supplier else 0.0) - float(share))
            for s, var in by_material[material]
        ]
        model.add_constraint(
            "Source-share", (material, supplier), lp_row(terms, pulp.LpConstraintLE, 0.0)
        )


def define_second_source_order_constraints(model: PlanModel) -> None:
    """A second-source order is nothing or at least its MOQ (big-M: the supplier's limit or
    what production can still use once it arrives, whichever is smaller)."""
    data = model.data
    bought, orders = model.variables["source_buy"], model.variables["source_order"]
    if not orders:
        return
    from sop_addin.core.planning.build import material_still_useful  # a cycle at module level

    limits = lookup(data.supplier_limits)
    horizon = len(data.months)
    # Only the second-sourced materials: the whole table is build.py's to compute.
    ordered = sorted({key[0] for key in orders})
    need = material_still_useful(replace(data, materials=data.materials.loc[ordered]))
    sources = data.sources
    for key, on in orders.items():
        material, supplier, t = key
        moq = float(sources.at[(material, supplier), "moq"])
        limit = limits.get((supplier, data.months[t]), 0.0)
        per_day = sources.at[(material, supplier), "daily_limit"]
        if not pd.isna(per_day):
            limit = min(limit, float(per_day) * weekdays_in_month(data.months[t]))
        run = bought[key]
        if limit < moq:
            model.add_constraint("Source-moq", key, lp_row([(run, 1.0)], -1, 0.0))
            continue
        arrival = t + int(sources.at[(material, supplier), "lead_months"])
        useful = need[(material, arrival)] if arrival < horizon else 0.0
        big_m = min(limit, max(useful, moq))
        model.add_constraint("Source-moq", key, lp_row([(run, 1.0), (on, -moq)], 1, 0.0))
        model.add_constraint("Source-open", key, lp_row([(run, 1.0), (on, -big_m)], -1, 0.0))


def define_second_source_objective(model: PlanModel) -> None:
    """A second source's price (and its priority tie-break) joins the cost part."""
    bought = model.variables["source_buy"]
    if not bought:
        return
    sources = model.data.sources
    weights = {
        k: float(sources.at[(k[0], k[1]), "unit_cost"])
        + PRIORITY_STEP * max(float(sources.at[(k[0], k[1]), "priority"]) - 1.0, 0.0)
        for k in bought
    }
    model.costs["source_buy"] = weights
    expr = pulp.LpAffineExpression([(bought[k], w) for k, w in weights.items() if w])
    model.objectives["plan"] = model.objectives["plan"] + expr
    model.problem.objective += expr  # in place: rebuilding the sum costs a pass over it


def round_source_orders(model: PlanModel) -> dict[pulp.LpVariable, float]:
    """Second-source orders open where the relaxation already buys the MOQ (so the plan stays
    feasible), closed elsewhere."""
    bought, orders = model.variables["source_buy"], model.variables["source_order"]
    sources = model.data.sources
    values: dict[pulp.LpVariable, float] = {}
    for key, var in orders.items():
        moq = float(sources.at[(key[0], key[1]), "moq"])
        values[var] = 1.0 if float(bought[key].varValue or 0.0) >= moq - 1e-6 else 0.0
    return values


def second_source_purchases(model: PlanModel, main: pd.DataFrame) -> pd.DataFrame:
    """PurchasePlan with the second sources' orders, each at its own price and arrival."""
    data = model.data
    rows = []
    for (material, supplier, t), var in model.variables.get("source_buy", {}).items():
        qty = float(var.varValue or 0.0)
        if qty > 1e-6:
            terms = data.sources.loc[(material, supplier)]
            rows.append(
                {
                    "material": material,
                    "supplier": supplier,
                    "order_month": data.months[t],
                    "arrival_month": data.months[t + int(terms["lead_months"])],
                    "quantity": qty,
                    "cost": qty * float(terms["unit_cost"]),
                }
            )
    if not rows:
        return main
    frame = pd.concat([main, pd.DataFrame(rows, columns=main.columns)], ignore_index=True)
    return frame.sort_values(["material", "order_month", "supplier"], ignore_index=True)


def fastest_source(data: Any, material: str) -> tuple[str, int]:
    """The material's source with the shortest lead time (months): the main source's when it
    has no other (or no faster one)."""
    supplier = str(data.materials.at[material, "supplier"])
    lead = int(data.materials.at[material, "lead_months"])
    if len(data.sources) and material in data.sources.index.get_level_values(0):
        for other, months in data.sources.loc[material, "lead_months"].items():
            if int(months) < lead:
                supplier, lead = str(other), int(months)
    return supplier, lead


def _binding_limits(tracer: Any, material: str, tau: int) -> list[tuple[str, Key, str, float]]:
    """The source limits binding on orders of the material that could arrive by month tau:
    (kind, key, supplier, shadow price); a main source's overall limit is explain.py's."""
    data = tracer.data
    if not len(data.sources) or material not in data.sources.index.get_level_values(0):
        return []
    rows = tracer.model.constraints
    found = []
    for supplier, terms in data.sources.loc[material].iterrows():
        for order in range(tau - int(terms["lead_months"]) + 1):
            keys: list[tuple[str, Key]] = [("Source-limit", (material, supplier, order))]
            if not terms["primary"]:
                keys.append(("Supplier-limit", (supplier, order)))
            for kind, key in keys:
                if key in rows.get(kind, {}):
                    price = tracer.price(kind, key)
                    if price > 1e-6:
                        found.append((kind, key, str(supplier), price))
    return found


def source_limited(tracer: Any, material: str, tau: int) -> bool:
    """A source of the material ran out: the shortfall is its limit, not the material."""
    return bool(_binding_limits(tracer, material, tau))


def second_source_causes(tracer: Any, sku: str, tau: int, add: Any) -> None:
    """Shortfall causes at the sources: a source's own limit, or a second source's supplier
    limit, binding on an order that could have arrived by month tau."""
    data = tracer.data
    yield_ = float(tracer.best_yield.get(sku, 1.0))
    labels = tracer.labels
    for material, qty in tracer.bom.get(sku, []):
        for kind, key, supplier, price in _binding_limits(tracer, material, tau):
            main = bool(data.sources.at[(material, supplier), "primary"])
            role = "main source" if main else "second source"
            which = "its daily limit for" if kind == "Source-limit" else "its daily limit, all of"
            text = (
                f"{supplier} ({role} of {material}) ships no more in {labels[key[-1]]} "
                f"({which} {material if kind == 'Source-limit' else 'its materials'} x working "
                f"days), so {material} arriving by {labels[tau]} is short"
            )
            add(kind, key, price * qty / yield_, "supplier limit", text)
