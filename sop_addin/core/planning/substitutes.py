"""Substitute components: an alternate material a SKU may use instead of a BOM material.

A BOMAlternates row (sku, material, alternate_material, ratio, extra_cost, priority) lets units
of the SKU started in a month use ``ratio`` units of the alternate for each unit of the material
its BOM line needs. ``substitute[sku,material,alternate,month]`` counts those units started:

- ``Substitute-cover``: the units on a material's substitutes are at most the units started;
- the material's ``Material-balance`` row uses BOM quantity x substitute less, the alternate's
  row ratio x BOM quantity x substitute more;
- the extra cost per unit started (plus a ten-thousandth per priority step) is in the cost part.

So the demand-first solve (solve.py) uses a substitute to serve demand the primary cannot
(stage 1 does not count cost), and otherwise only when it is cheaper all in (stage 2). The
Substitutions table says which and why: "primary short" when the replaced material's shadow
price was above its price in that month, else "cheaper".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pulp

from sop_addin.core.inputs import PlanInputs

if TYPE_CHECKING:  # build.py calls these families: a runtime import would be circular
    from sop_addin.core.planning.build import PlanModel

PRIORITY_STEP = 1e-4
COLUMNS = [
    "sku",
    "month",
    "material",
    "alternate_material",
    "units",
    "material_saved",
    "alternate_used",
    "extra_cost",
    "reason",
    "explanation",
]


def bom_alternates(inputs: PlanInputs, bom: pd.Series) -> pd.DataFrame:
    """(sku, material, alternate) -> quantity (BOM per unit), ratio, extra_cost, priority; only
    rows whose SKU uses the material."""
    table = inputs.tables.get("BOMAlternates")
    names = ["sku", "material", "alternate"]
    if table is None or table.empty:
        return pd.DataFrame(columns=["quantity", "ratio", "extra_cost", "priority"]).set_index(
            pd.MultiIndex.from_tuples([], names=names)
        )
    rows = table.rename(columns={"alternate_material": "alternate"}).copy()
    keys = list(zip(rows["sku"], rows["material"], strict=True))
    rows["quantity"] = [float(bom.get(k, 0.0)) for k in keys]
    rows["ratio"] = pd.to_numeric(rows["ratio"], errors="coerce").astype(float)
    rows["extra_cost"] = pd.to_numeric(rows.get("extra_cost"), errors="coerce").fillna(0.0)
    rows["priority"] = pd.to_numeric(rows.get("priority"), errors="coerce").fillna(1.0)
    rows = rows[rows["quantity"] > 0]
    return rows.set_index(names)[["quantity", "ratio", "extra_cost", "priority"]].sort_index()


def define_substitute_variables(model: PlanModel) -> None:
    """Units of a SKU started on an alternate material, per BOM line, alternate and month."""
    data = model.data
    alternates = data.substitutes
    known = set(data.materials.index)
    keys = [
        (str(s), str(m), str(a), t)
        for s, m, a in alternates.index
        if m in known and a in known
        for t in range(len(data.months))
    ]
    model.add_variables("substitute", keys)


def define_substitute_constraints(model: PlanModel) -> None:
    """Cover: substitutes of one BOM line <= units started; balances: the material's use falls
    and the alternate's rises."""
    subs = model.variables["substitute"]
    if not subs:
        return
    data = model.data
    make = model.variables["make"]
    routes: dict[str, list[str]] = {}
    for sku, res in data.routings.index:
        routes.setdefault(str(sku), []).append(str(res))
    by_line: dict[tuple[str, str, int], list[pulp.LpVariable]] = {}
    for (sku, material, _alt, t), var in subs.items():
        by_line.setdefault((sku, material, t), []).append(var)
    for (sku, material, t), group in by_line.items():
        terms = [(var, 1.0) for var in group]
        terms += [(make[(sku, res, t)], -1.0) for res in routes.get(sku, [])]
        row = pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=0.0)
        model.add_constraint("Substitute-cover", (sku, material, t), row)
    balance = model.constraints["Material-balance"]
    alternates = data.substitutes
    for (sku, material, alt, t), var in subs.items():
        terms = alternates.loc[(sku, material, alt)]
        saved = float(terms["quantity"])
        balance[(material, t)].addInPlace(-saved * var)
        balance[(alt, t)].addInPlace(saved * float(terms["ratio"]) * var)


def define_substitute_objective(model: PlanModel) -> None:
    """The extra cost of a substitution (and its priority tie-break) joins the cost part."""
    subs = model.variables["substitute"]
    if not subs:
        return
    alternates = model.data.substitutes
    weights = {}
    for key in subs:
        terms = alternates.loc[key[:3]]
        step = PRIORITY_STEP * max(float(terms["priority"]) - 1.0, 0.0)
        weights[key] = float(terms["extra_cost"]) + step
    model.costs["substitute"] = weights
    expr = pulp.LpAffineExpression([(subs[k], w) for k, w in weights.items() if w])
    model.objectives["plan"] = model.objectives["plan"] + expr
    model.problem.objective += expr  # in place: rebuilding the sum costs a pass over it


def substitutions(model: Any, price_of: Any) -> pd.DataFrame:
    """The Substitutions table: every substitution with a quantity, and why.

    Args:
        model: the solved plan model.
        price_of: (kind, key) -> the constraint's shadow price as the explanations quote it
            (a material's premium above its price).
    """
    data = model.data
    rows = []
    for (sku, material, alt, t), var in model.variables.get("substitute", {}).items():
        units = float(var.varValue or 0.0)
        if units <= 1e-6:
            continue
        terms = data.substitutes.loc[(sku, material, alt)]
        saved = units * float(terms["quantity"])
        used = saved * float(terms["ratio"])
        premium = price_of("Material-balance", (material, t))
        label = data.labels[t]
        if premium > 1e-6:
            reason = "primary short"
            text = (
                f"{material} was short in {label} (one more unit would save {premium:,.2f} "
                f"above its price): {units:g} units of {sku} started on {alt} instead"
            )
        else:
            reason = "cheaper"
            text = (
                f"{used:g} {alt} cost less than {saved:g} {material} plus the extra cost in {label}"
            )
        rows.append(
            [
                sku,
                data.months[t],
                material,
                alt,
                units,
                saved,
                used,
                units * float(terms["extra_cost"]),
                reason,
                text,
            ]
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def with_substitute_notes(purchases: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """PurchasePlan with a note on the orders of a material the plan uses as a substitute,
    arriving in or before a month it substitutes in: which material it replaces and why."""
    out = purchases.copy()
    out["note"] = None
    if used.empty or out.empty:
        return out
    for index, order in out.iterrows():
        later = used[
            (used["alternate_material"] == order["material"])
            & (used["month"] >= order["arrival_month"])
        ]
        if later.empty:
            continue
        first = later.sort_values("month").iloc[0]
        out.at[index, "note"] = (
            f"substitute for {first['material']} in {first['sku']} from "
            f"{first['month']:%Y-%m} ({first['reason']})"
        )
    return out
