"""Actions: one function per ribbon button (read -> core -> write), shared by ribbon, CLI and tests.

Every action takes a workbook port and a progress callback and returns a JSON-able summary.
`ACTIONS` maps the ribbon's button tags to them; a button whose action is absent is not shown.
Each action is imported when it is first looked up, so a ribbon click imports only the
modules its own action needs (the forecast button never imports PuLP or the Monte Carlo).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from sop_addin.actions.progress import Progress, no_progress

if TYPE_CHECKING:
    from sop_addin.workbook.port import WorkbookPort

Action = Callable[["WorkbookPort", Progress], dict[str, Any]]

# Button tag -> "module:function" of its action, in ribbon order.
ACTION_PATHS: dict[str, str] = {
    "refresh_forecast": "sop_addin.actions.forecast:refresh_forecast",
    "apply_consensus": "sop_addin.actions.consensus:apply_consensus",
    "accuracy": "sop_addin.actions.accuracy:accuracy",
    "run_plan": "sop_addin.actions.plan:run_plan",
    "explain_shortfalls": "sop_addin.actions.explain:explain_shortfalls",
    "reconcile_finance": "sop_addin.actions.finance:reconcile_finance",
    "exec_summary": "sop_addin.actions.exec_summary:update_exec_summary",
    "run_scenarios": "sop_addin.actions.scenarios:run_scenarios",
    "compare_scenarios": "sop_addin.actions.scenarios:compare_scenarios",
    "promote_scenario": "sop_addin.actions.scenarios:promote_scenario",
    "run_cycle": "sop_addin.actions.cycle:run_cycle",
    "validate_plan": "sop_addin.actions.approval:validate_plan",
    "approve_snapshot": "sop_addin.actions.approval:approve_snapshot",
    "distribute": "sop_addin.actions.approval:distribute",
    "plan_vs_actual": "sop_addin.actions.governance:plan_vs_actual",
    "s_and_oe": "sop_addin.actions.soe:s_and_oe",
    # Setup: check the installation, prove it with a tiny cycle on a scratch workbook.
    "diagnose": "sop_addin.excel.setup_actions:diagnose",
    "self_test": "sop_addin.excel.setup_actions:self_test",
}


def load(path: str) -> Any:
    """The object a "module:name" path names, imported now."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class LazyActions(MutableMapping[str, Action]):
    """Tag -> action; an action's module is imported on first lookup, then kept."""

    def __init__(self, paths: dict[str, str]) -> None:
        self._paths = dict(paths)
        self._loaded: dict[str, Action] = {}

    def __getitem__(self, tag: str) -> Action:
        if tag not in self._loaded:
            self._loaded[tag] = load(self._paths[tag])  # KeyError for an unknown tag
        return self._loaded[tag]

    def __setitem__(self, tag: str, action: Action) -> None:
        self._paths.setdefault(tag, "")
        self._loaded[tag] = action

    def __delitem__(self, tag: str) -> None:
        del self._paths[tag]
        self._loaded.pop(tag, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, tag: object) -> bool:
        return tag in self._paths


ACTIONS: MutableMapping[str, Action] = LazyActions(ACTION_PATHS)

# `from sop_addin.actions import run_cycle` and the like: imported on first use too.
_EXPORTS = {
    "explain_shortfalls": ACTION_PATHS["explain_shortfalls"],
    "reconcile_finance": ACTION_PATHS["reconcile_finance"],
    "refresh_forecast": ACTION_PATHS["refresh_forecast"],
    "run_cycle": ACTION_PATHS["run_cycle"],
    "run_plan": ACTION_PATHS["run_plan"],
    "update_exec_summary": ACTION_PATHS["exec_summary"],
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return load(_EXPORTS[name])
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "ACTIONS",
    "ACTION_PATHS",
    "Action",
    "LazyActions",
    "Progress",
    "explain_shortfalls",
    "no_progress",
    "reconcile_finance",
    "refresh_forecast",
    "run_cycle",
    "run_plan",
    "update_exec_summary",
]
