"""Shared reading for the demand actions: optional Demand-tab tables and demand settings."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.forecasting.hierarchy import METHODS
from sop_addin.core.forecasting.selection import METRICS
from sop_addin.core.inputs import PlanInputs

DEMAND_SETTINGS = {"reconciliation": METHODS, "backtest_metric": METRICS}


def optional_table(inputs: PlanInputs, name: str) -> pd.DataFrame:
    """An input table, or an empty frame with its columns when the inputs lack it."""
    if name in inputs.tables:
        return inputs.tables[name]
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in CONTRACT.table(name).columns})


def demand_setting(inputs: PlanInputs, name: str) -> str:
    """A demand setting from the Settings table (its default when blank or absent).

    Raises:
        ValidationError: when the value is not one of the allowed ones (names the cell).
    """
    allowed = DEMAND_SETTINGS[name]
    default = next(s.default for s in CONTRACT.settings if s.name == name)
    frame = inputs.tables.get("Settings")
    if frame is None:
        return str(default)
    rows = frame[frame["setting"] == name]
    if rows.empty or pd.isna(rows["value"].iloc[0]) or str(rows["value"].iloc[0]).strip() == "":
        return str(default)
    value = str(rows["value"].iloc[0]).strip()
    if value not in allowed:
        table = CONTRACT.table("Settings")
        msg = f"{name} must be one of {', '.join(allowed)}, got {value!r}"
        problem = Problem(
            tab=table.tab, table=table.name, row=int(rows.index[0]), column="value", message=msg
        )
        raise ValidationError([problem])
    return value
