"""Everything a planning step would reject, found before the first step runs.

`sop validate`, the start of `sop run` and every ribbon action read the inputs through
`sop_addin.workbook.tables.read_inputs`, which runs these checks after the contract's own
(types, keys, references, cross-table rules). Each step's own check is called here rather
than copied, so a step cannot reject what validation passed: finance rates, unit costs,
cost-to-serve, scenarios, analog SKUs, demand settings. Added here: overrides (negative
absolute values, percent bounds), the first plan month against the history, and codes that
the live P&L formulas (SUMIFS) cannot match exactly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.inputs import PlanInputs

# Override kind "percent": 10 means +10% (as in Scenarios). A change beyond these bounds is a
# typo far more often than a plan: refused, with the way to enter it on purpose.
# The lower bound, -100, is the contract's (columns.csv), shared by both kinds.
PERCENT_MAX = 500.0
MAX_HISTORY_GAP_MONTHS = 12  # a plan starting later than this after the history has no base
LAST_PLANNABLE_YEAR = 2199
# Characters a reader cannot see: zero-width spaces and joiners, marks, soft hyphen, BOM.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
CODE_COLUMNS = (("Products", "sku"), ("Products", "family"), ("Products", "region"))


def _problem(table: str, row: Any, column: str | None, message: str) -> Problem:
    return Problem(
        tab=CONTRACT.table(table).tab,
        table=table,
        row=None if row is None else int(row),
        column=column,
        message=message,
    )


def _collect(check: Callable[[], object]) -> list[Problem]:
    try:
        check()
    except ValidationError as exc:
        return list(exc.problems)
    return []


def preflight(inputs: PlanInputs) -> list[Problem]:
    """Every problem a step would raise later, with its tab, table, row and column."""
    from sop_addin.core.finance import _freight, finance_rates, unit_costs
    from sop_addin.core.scenarios import check_scenarios

    problems = _collect(lambda: finance_rates(inputs))
    if not problems:  # unit costs need the rates
        problems += _collect(lambda: unit_costs(inputs))
    problems += _collect(lambda: _freight(inputs))
    scenarios = inputs.tables.get("Scenarios")
    if scenarios is not None and len(scenarios):
        problems += _collect(lambda: check_scenarios(scenarios, inputs))
    problems += _demand_settings(inputs)
    problems += override_problems(inputs["Overrides"])
    problems += _analogs(inputs)
    problems += _plan_start(inputs)
    for table, column in CODE_COLUMNS:
        problems += code_problems(inputs[table], table, column)
    return problems


def _demand_settings(inputs: PlanInputs) -> list[Problem]:
    from sop_addin.core.forecasting.hierarchy import METHODS
    from sop_addin.core.forecasting.selection import METRICS

    allowed = {"reconciliation": METHODS, "backtest_metric": METRICS}
    frame = inputs.tables.get("Settings")
    problems: list[Problem] = []
    if frame is None:
        return problems
    for row, item in frame.iterrows():
        name, value = item["setting"], item["value"]
        text = value.strip() if isinstance(value, str) else ""
        if name in allowed and text and text not in allowed[name]:
            msg = f"{name} must be one of {', '.join(allowed[name])}, got {text!r}"
            problems.append(_problem("Settings", row, "value", msg))
    return problems


def override_problems(overrides: pd.DataFrame) -> list[Problem]:
    """Absolute overrides are demand (at least 0); percent overrides are at most +500%."""
    problems: list[Problem] = []
    for row, item in overrides.iterrows():
        kind, value = item["kind"], item["value"]
        if pd.isna(value) or pd.isna(kind):
            continue
        value = float(value)
        if kind == "absolute" and value < 0:
            msg = "an absolute override is the demand itself: it must be at least 0"
            problems.append(_problem("Overrides", row, "value", msg))
        elif kind == "percent" and value > PERCENT_MAX:
            msg = (
                f"a percent override of {value:g} (x{1 + value / 100:g}) is beyond the bound of "
                f"+{PERCENT_MAX:g}%: 10 means +10%; for a deliberate jump enter the demand "
                "itself as an absolute override"
            )
            problems.append(_problem("Overrides", row, "value", msg))
    return problems


def _analogs(inputs: PlanInputs) -> list[Problem]:
    from sop_addin.core.forecasting.lifecycle import analog_profile

    problems: list[Problem] = []
    history = inputs["SalesHistory"]
    for row, item in inputs["NewProducts"].iterrows():
        analog = item.get("analog_sku")
        if isinstance(analog, str) and analog:
            try:
                analog_profile(history, analog)
            except ValueError as exc:
                problems.append(_problem("NewProducts", row, "analog_sku", str(exc)))
    return problems


def _plan_start(inputs: PlanInputs) -> list[Problem]:
    settings = inputs.tables.get("Settings")
    if settings is None:
        return []
    rows = settings.index[settings["setting"] == "first_plan_month"]
    row = rows[0] if len(rows) else None
    first = pd.Timestamp(inputs.settings.first_plan_month)
    last_month = first + pd.DateOffset(months=inputs.settings.horizon_months - 1)
    if last_month.year > LAST_PLANNABLE_YEAR or first.year < 1900:
        msg = f"first_plan_month {first:%Y-%m} is not a month a plan can start in"
        return [_problem("Settings", row, "value", msg)]
    history = inputs["SalesHistory"]["month"].dropna()
    if history.empty:
        return []
    start, end = pd.Timestamp(history.min()), pd.Timestamp(history.max())
    if first <= start:
        msg = (
            f"first_plan_month {first:%Y-%m} is not after the first history month "
            f"{start:%Y-%m}: the forecast would have no history to learn from"
        )
        return [_problem("Settings", row, "value", msg)]
    gap = (first.year - end.year) * 12 + first.month - end.month - 1
    if gap > MAX_HISTORY_GAP_MONTHS:
        msg = (
            f"first_plan_month {first:%Y-%m} is {gap} months after the last history month "
            f"{end:%Y-%m}: add the missing history or correct the month"
        )
        return [_problem("Settings", row, "value", msg)]
    return []


def unsafe_code_reason(code: str) -> str | None:
    """Why Excel's SUMIFS cannot match `code` exactly, or None when it can."""
    if any(ch in code for ch in "*?~"):
        return (
            "contains * ? or ~, which Excel formulas (SUMIFS) read as wildcards: the live P&L "
            "would add up other codes too"
        )
    if code[:1] in ("=", "<", ">"):
        return "starts with = < or >, which Excel formulas (SUMIFS) read as a comparison"
    if _INVISIBLE.search(code) or any(unicodedata.category(ch) == "Cc" for ch in code):
        return "contains an invisible character (a zero-width space, joiner or control)"
    if code != code.strip():
        return "starts or ends with a space"
    return None


def code_problems(frame: pd.DataFrame, table: str, column: str) -> list[Problem]:
    """Codes the workbook's live formulas could not tell apart: refused, with the reason.

    SUMIFS matches text case-insensitively, reads * ? ~ as wildcards and a leading = < > as
    an operator; such a code would make the P&L formulas disagree with the Python figures.
    """
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for row, value in frame[column].dropna().items():
        code = str(value)
        reason = unsafe_code_reason(code)
        if reason is not None:
            problems.append(_problem(table, row, column, f"{column} {code!r} {reason}: rename it"))
            continue
        key = unicodedata.normalize("NFKC", code).casefold()
        if key in seen and seen[key][0] != code:
            other, first_row = seen[key]
            msg = (
                f"{column} {code!r} differs from {other!r} (row {first_row}) only in upper/lower "
                "case or character form; Excel formulas treat them as one code: rename one"
            )
            problems.append(_problem(table, row, column, msg))
        seen.setdefault(key, (code, int(row)))
    return problems
