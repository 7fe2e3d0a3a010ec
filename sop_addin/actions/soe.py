"""S&OE: the approved plan in weeks, the week's actuals beside it, deviations and corrections."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.approval import open_store
from sop_addin.actions.governance import load_actuals, read_port_table
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approved_plan import load_approved_plan
from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.soe import SoeThresholds, week_monday, weekly_execution
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import write_table


def week_problems(weekly: pd.DataFrame, tab: str = "S&OE") -> list[Problem]:
    """Each week label that is not an ISO week, with its row (blanks are reported elsewhere)."""
    table = CONTRACT.table("WeeklyActuals")
    problems = []
    for row, label in weekly["week"].items():
        if pd.isna(label):
            continue
        try:
            week_monday(str(label))
        except ValueError as exc:
            problems.append(
                Problem(tab=tab, table=table.name, row=int(row), column="week", message=str(exc))
            )
    return problems


def check_weeks(weekly: pd.DataFrame, tab: str = "S&OE") -> None:
    """Every week label must be an ISO week; each bad one is reported with its row."""
    problems = week_problems(weekly, tab)
    if problems:
        raise ValidationError(problems)


class OutsidePlan(ValueError):
    """The S&OE date lies outside the approved plan's months: there is no plan to execute."""


def check_in_plan(when: date, months: pd.Series, plan_version: str) -> None:
    """Raise OutsidePlan unless `when` falls in one of the approved plan's months."""
    known = pd.to_datetime(months.dropna())
    if known.empty:
        msg = f"the approved plan {plan_version} has no months in its ProductBalance"
        raise OutsidePlan(msg)
    first, last = known.min(), known.max()
    month = pd.Timestamp(when.year, when.month, 1)
    if not first <= month <= last:
        msg = (
            f"as of {when.isoformat()} lies outside the approved plan {plan_version}, which "
            f"covers {first:%Y-%m} to {last:%Y-%m}: give --as-of a date in those months "
            "(or approve a plan that covers it)"
        )
        raise OutsidePlan(msg)


def default_as_of(weekly: pd.DataFrame, first_month: pd.Timestamp) -> date:
    """The Friday of the latest week with production or receipts, else the plan's first day."""
    done = weekly[weekly["kind"].isin(["production", "receipts"])]
    if len(done):
        latest = max(week_monday(str(w)) for w in done["week"])
        return latest + timedelta(days=4)
    return first_month.date()


def s_and_oe(
    port: WorkbookPort,
    progress: Progress = no_progress,
    weekly: pd.DataFrame | Path | None = None,
    as_of: date | None = None,
    snapshot: Path | None = None,
    store: Path | str | None = None,
    limits: SoeThresholds | None = None,
) -> dict[str, Any]:
    """The next 13 weeks of the last approved plan against open orders and week-to-date actuals."""
    progress("S&OE", 0, 2)
    # The table, a file or a frame, indexed by row; every problem reported in one go.
    weekly = load_actuals(port, "WeeklyActuals", weekly, extra=week_problems)
    open_orders = read_port_table(port, "OpenOrders")
    loaded = load_approved_plan(open_store(port, store), snapshot)
    plan = loaded.plan
    when = as_of or default_as_of(weekly, plan.first_month)
    check_in_plan(when, plan.balance["month"], loaded.manifest["metadata"]["plan_version"])
    progress("S&OE", 1, 2)
    result = weekly_execution(
        plan.balance, plan.production, plan.purchases, weekly, when, open_orders, limits
    )
    write_table(port, "WeeklyPlan", result.weekly_plan)
    write_table(port, "SoeExceptions", result.exceptions)
    progress("S&OE", 2, 2)
    counts = result.exceptions["type"].value_counts().to_dict()
    return {
        "plan_version": loaded.manifest["metadata"]["plan_version"],
        "as_of": when.isoformat(),
        "weeks": [result.weeks[0], result.weeks[-1]],
        "exceptions": {str(k): int(v) for k, v in counts.items()},
    }
