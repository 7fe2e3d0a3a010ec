"""Actions: one function per ribbon button (read -> core -> write), shared by ribbon, CLI and tests.

Every action takes a workbook port and a progress callback and returns a JSON-able summary.
`ACTIONS` maps the ribbon's button tags to them; a button whose action is absent is not shown.
"""

from collections.abc import Callable
from typing import Any

from sop_addin.actions.accuracy import accuracy
from sop_addin.actions.approval import approve_snapshot, distribute, validate_plan
from sop_addin.actions.consensus import apply_consensus
from sop_addin.actions.cycle import run_cycle
from sop_addin.actions.exec_summary import update_exec_summary
from sop_addin.actions.explain import explain_shortfalls
from sop_addin.actions.finance import reconcile_finance
from sop_addin.actions.forecast import refresh_forecast
from sop_addin.actions.governance import plan_vs_actual
from sop_addin.actions.plan import run_plan
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.actions.scenarios import compare_scenarios, promote_scenario, run_scenarios
from sop_addin.actions.soe import s_and_oe
from sop_addin.workbook.port import WorkbookPort

Action = Callable[[WorkbookPort, Progress], dict[str, Any]]

ACTIONS: dict[str, Action] = {
    "refresh_forecast": refresh_forecast,
    "apply_consensus": apply_consensus,
    "accuracy": accuracy,
    "run_plan": run_plan,
    "explain_shortfalls": explain_shortfalls,
    "reconcile_finance": reconcile_finance,
    "exec_summary": update_exec_summary,
    "run_scenarios": run_scenarios,
    "compare_scenarios": compare_scenarios,
    "promote_scenario": promote_scenario,
    "run_cycle": run_cycle,
    "validate_plan": validate_plan,
    "approve_snapshot": approve_snapshot,
    "distribute": distribute,
    "plan_vs_actual": plan_vs_actual,
    "s_and_oe": s_and_oe,
}

__all__ = [
    "ACTIONS",
    "Action",
    "Progress",
    "explain_shortfalls",
    "no_progress",
    "reconcile_finance",
    "refresh_forecast",
    "run_cycle",
    "run_plan",
    "update_exec_summary",
]
