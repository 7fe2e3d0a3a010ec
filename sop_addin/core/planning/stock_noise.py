"""Solver noise cleared from a solved plan: a sale lost in a month that closes with stock.

The objective never keeps stock while a sale is lost (a unit lost sooner weighs more,
build.SOONER), but the solvers stop within their tolerances (1e-7 relative): seed 3 of the demo
left 0.009 of a unit lost in a month that closed with stock. Shipping it from that stock is the
plan the objective asks for; this does so, moving at most `NOISE` units a month, so a real
shortfall (the buffer kept, a bug) stays in the plan and its explanation.
"""

from __future__ import annotations

from typing import Any

NOISE = 0.05  # units: the largest lost sale taken as solver noise


def ship_kept_stock(model: Any) -> int:
    """Serve from stock what the solution lost while stock stayed; return the months changed.

    Shipping d more in month t leaves d less in stock from t on, so d is at most that month's
    stock; where a later month holds less than d, that month loses d more instead (its stock,
    and every month's after it, stays as it was): the same units are lost, later, which is what
    the objective prefers. The buffer shortfall grows by what the stock falls below its target.
    """
    v, data = model.variables, model.data
    lost, stock, below = v["lost"], v["stock"], v.get("below_safety", {})
    targets = data.products["safety_stock"]
    horizon = len(data.months)
    changed = 0
    for (sku, t), var in lost.items():
        unmet = _value(var)
        shipped = min(unmet, _value(stock[(sku, t)]))
        if unmet <= 0.0 or shipped <= 0.0 or shipped > NOISE:
            continue
        held: list[Any] = []
        later_loss = None
        for u in range(t, horizon):
            if _value(stock[(sku, u)]) < shipped:
                later_loss = lost.get((sku, u))
                room = (later_loss.upBound if later_loss is not None else None) or 0.0
                if later_loss is None or room - _value(later_loss) < shipped:
                    held = []  # no month can lose it later: leave the plan as it is
                break
            held.append(stock[(sku, u)])
        if not held:
            continue
        var.varValue = unmet - shipped
        if later_loss is not None:
            later_loss.varValue = _value(later_loss) + shipped
        for u, kept in enumerate(held, start=t):
            kept.varValue = _value(kept) - shipped
            short = below.get((sku, u))
            if short is not None:
                short.varValue = max(_value(short), float(targets[sku]) - kept.varValue)
        changed += 1
    return changed


def _value(var: Any) -> float:
    return float(var.varValue or 0.0)
