"""The validated inputs of one planning run: settings and the planner's tables as frames."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pydantic import BaseModel, ConfigDict

from sop_addin.core.calendar import plan_months


class PlanSettings(BaseModel):
    """The Settings table, typed."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    company: str | None = None
    first_plan_month: pd.Timestamp
    horizon_months: int
    currency: str
    plan_cycle: str
    plan_version: str
    carrying_rate: float
    service_level: float = 0.95

    @property
    def months(self) -> pd.DatetimeIndex:
        return plan_months(self.first_plan_month, self.horizon_months)


@dataclass(frozen=True)
class PlanInputs:
    """Every input and assumption table of the contract, by table name, plus the settings."""

    settings: PlanSettings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def months(self) -> pd.DatetimeIndex:
        return self.settings.months
