"""S&OE: the approved plan in weeks, the week's actuals beside it, deviations and corrections."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.approval import open_store
from sop_addin.actions.governance import read_port_table
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.approved_plan import load_approved_plan
from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.soe import SoeThresholds, week_monday, weekly_execution
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.tables import write_table


def check_weeks(weekly: pd.DataFrame, tab: str = "S&OE") -> None:
    """Every week label must be an ISO week; each bad one is reported with its row."""
    table = CONTRACT.table("WeeklyActuals")
    problems = []
    for row, label in weekly["week"].items():
        try:
            week_monday(str(label))
        except ValueError as exc:
            problems.append(
                Problem(tab=tab, table=table.name, row=int(row), column="week", message=str(exc))
            )
    if problems:
        raise ValidationError(problems)


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
    weekly: pd.DataFrame | None = None,
    as_of: date | None = None,
    snapshot: Path | None = None,
    store: Path | str | None = None,
    limits: SoeThresholds | None = None,
) -> dict[str, Any]:
    """The next 13 weeks of the last approved plan against open orders and week-to-date actuals."""
    progress("S&OE", 0, 2)
    if weekly is None:
        weekly = read_port_table(port, "WeeklyActuals")  # indexed by Excel row
        check_weeks(weekly)
    else:
        check_weeks(weekly)
    open_orders = read_port_table(port, "OpenOrders")
    loaded = load_approved_plan(open_store(port, store), snapshot)
    plan = loaded.plan
    when = as_of or default_as_of(weekly, plan.first_month)
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
