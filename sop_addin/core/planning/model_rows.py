"""Rows and lookups every part of the plan model builds with (build.py and the define_*
families in sites.py, second_sources.py, lot_location.py, lot_cuts.py).

A leaf module: build.py imports those families, so they cannot import build.py for these.
"""

from __future__ import annotations

from typing import Any

import pulp

Terms = list[tuple[pulp.LpVariable, float]]


def lookup(series: Any) -> dict[Any, float]:
    """A keyed Series as a plain dict: the model reads it per cell, and dicts are 100x faster."""
    return {k: float(v) for k, v in series.items()}


def expression(terms: Terms) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


def lp_row(terms: Terms, sense: int, rhs: float) -> pulp.LpConstraint:
    return pulp.LpConstraint(expression(terms), sense, rhs=rhs)


def add_row(
    model: Any, kind: str, key: tuple[Any, ...], terms: Terms, sense: int, rhs: float = 0.0
) -> None:
    """Add `terms sense rhs` to the model under its readable kind and key (PlanModel)."""
    model.add_constraint(kind, key, lp_row(terms, sense, rhs))
