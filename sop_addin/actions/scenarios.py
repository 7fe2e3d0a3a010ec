"""Run Scenarios, Compare Scenarios and Promote Scenario: what-ifs on the Scenarios tab."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sop_addin.actions.exec_summary import update_exec_summary
from sop_addin.actions.finance import reconcile_finance
from sop_addin.actions.plan import write_supply_tables
from sop_addin.actions.plan_demand import plan_demand
from sop_addin.actions.progress import Progress, no_progress
from sop_addin.approval.lineage import record_promotion
from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem, ValidationError
from sop_addin.core.inputs import PlanInputs
from sop_addin.core.planning import PlanResult, SolverOptions
from sop_addin.core.scenarios import (
    BASE,
    ScenarioOutcome,
    apply_scenario,
    check_scenarios,
    comparison,
    evaluate,
    plan_figures,
)
from sop_addin.core.scenarios import (
    run_scenarios as evaluate_scenarios,
)
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_inputs, read_output, write_table

WORKING_PLAN = "working plan"


# Where each Supply-tab table comes from in a plan result.
def _problem(
    table: str, message: str, row: int | None = None, column: str | None = None
) -> Problem:
    return Problem(
        tab=CONTRACT.table(table).tab, table=table, row=row, column=column, message=message
    )


def _scenario_table(inputs: PlanInputs) -> pd.DataFrame:
    table = inputs["Scenarios"]
    if table.empty:
        msg = "no scenarios: add rows to the Scenarios table (one change per row)"
        raise ValidationError([_problem("Scenarios", msg)])
    return table


def run_scenarios(
    port: WorkbookPort,
    progress: Progress = no_progress,
    inputs: PlanInputs | None = None,
    names: list[str] | None = None,
    options: SolverOptions | None = None,
) -> dict[str, Any]:
    """Re-plan and re-value the base and every scenario; write them side by side."""
    inputs = inputs or read_inputs(port)
    table = _scenario_table(inputs)
    demand = plan_demand(port)
    compared, _ = evaluate_scenarios(
        inputs,
        demand,
        table,
        options,
        names=names,
        progress=lambda done, total: progress("Scenarios", done, total),
    )
    write_table(port, "ScenarioComparison", compared)
    return _figures(compared)


def _figures(compared: pd.DataFrame) -> dict[str, Any]:
    keep = ["fill_rate", "revenue", "gross_margin", "unmet", "revenue_vs_base", "unmet_vs_base"]
    return {
        str(row["scenario"]): {k: float(row[k]) for k in keep} for _, row in compared.iterrows()
    }


def compare_scenarios(port: WorkbookPort, progress: Progress = no_progress) -> dict[str, Any]:
    """Compare the scenarios already run with the working plan as it stands now.

    No solver run: the working plan's figures come from the Supply and Finance tabs (e.g.
    after a promotion or a re-plan), and every scenario's deltas are taken against them.
    """
    progress("Compare scenarios", 0, 1)
    compared = read_output(port, "ScenarioComparison", produced_by="Run Scenarios")
    balance = read_output(port, "ProductBalance", produced_by="Run Plan")
    capacity = read_output(port, "CapacityUse", produced_by="Run Plan")
    purchases = read_output(port, "PurchasePlan", produced_by="Run Plan", allow_empty=True)
    finance = read_output(port, "FinancePlan", produced_by="Reconcile Finance")
    working = plan_figures(balance, capacity, purchases, finance)
    outcomes = {WORKING_PLAN: _stored(WORKING_PLAN, "as on the Supply and Finance tabs", working)}
    for _, row in compared.iterrows():
        name = str(row["scenario"])
        if name == WORKING_PLAN:
            continue
        figures = {k: row[k] for k in working}
        outcomes[name] = _stored(name, row["changes"], figures)
    result = comparison(outcomes, base=working)
    write_table(port, "ScenarioComparison", result)
    progress("Compare scenarios", 1, 1)
    return _figures(result)


def _stored(name: str, changes: object, figures: dict[str, object]) -> ScenarioOutcome:
    """A comparison row without its plan (only the figures are compared)."""
    empty = pd.DataFrame()
    plan = PlanResult(empty, empty, empty, empty, "stored", 0.0, "", "", 0.0, 0.0, 0, 0)
    text = None if pd.isna(changes) else str(changes)
    return ScenarioOutcome(name=name, changes=text or "", plan=plan, finance=empty, figures=figures)


def _promote_request(inputs: PlanInputs) -> tuple[str, str | None, str]:
    request = inputs["PromoteRequest"]
    if len(request) != 1:
        msg = f"fill in exactly one row to promote a scenario (found {len(request)})"
        raise ValidationError([_problem("PromoteRequest", msg)])
    row = request.iloc[0]
    who = None if pd.isna(row["requested_by"]) else str(row["requested_by"])
    return str(row["scenario"]), who, str(row["reason"])


def _default_store(port: WorkbookPort) -> Any:
    """The plan store beside the workbook, when the workbook has a path."""
    from sop_addin.store.plan_store import PlanStore, resolve_store_dir

    path = getattr(port, "path", None) or getattr(getattr(port, "book", None), "fullname", None)
    return PlanStore(resolve_store_dir(None, Path(path))) if path else None


def _promote_consensus(port: WorkbookPort, promoted: pd.DataFrame, scenario: str) -> None:
    """The Consensus table takes the promoted scenario's demand as a layer of its own.

    Supply plans against the scenario's demand; without this the Consensus table (and the
    Sales department's copy) would keep the base demand beside a ProductBalance that does
    not. The interval moves with the demand (scaled), and the note says which scenario.
    """
    try:
        port.table_location("Consensus")
    except TableNotFound:
        return
    consensus = read_output(port, "Consensus", "Apply Consensus", allow_empty=True)
    if consensus.empty:
        return
    keys = ["sku", "month"]
    new = consensus[keys].merge(promoted[[*keys, "quantity"]], on=keys, how="left")["quantity"]
    old = consensus["consensus"].astype(float)
    new = new.fillna(old).to_numpy(dtype=float)
    delta = new - old.to_numpy()
    earlier = consensus["scenario"] if "scenario" in consensus else pd.Series(0.0, consensus.index)
    consensus["scenario"] = earlier.fillna(0.0).astype(float) + delta
    ratio = pd.Series(1.0, index=consensus.index)
    moved = (old.abs() > 1e-12).to_numpy()
    ratio[moved] = new[moved] / old.to_numpy()[moved]
    for bound in ("lo80", "hi80"):
        consensus[bound] = consensus[bound].astype(float) * ratio
    consensus["consensus"] = new
    changed = abs(delta) > 1e-9
    note = consensus["note"].fillna("").astype(str)
    tag = f"scenario {scenario}"
    consensus.loc[changed, "note"] = [f"{n}; {tag}" if n else tag for n in note[changed]]
    write_table(port, "Consensus", consensus)


def promote_scenario(
    port: WorkbookPort,
    progress: Progress = no_progress,
    scenario: str | None = None,
    promoted_by: str | None = None,
    reason: str | None = None,
    options: SolverOptions | None = None,
    store: Any = None,
) -> dict[str, Any]:
    """Make a scenario the working plan: its supply plan, P&L and exec view; record who and why.

    Without arguments (the ribbon button) the scenario, who and why come from the
    PromoteRequest table. Inputs are never overwritten: the scenario's demand shows in the
    plan's tables, and its price or cost changes are for finance to enter in the assumptions
    (the P&L is valued at the Finance tab's assumptions, like the live formulas).
    """
    inputs = read_inputs(port)
    if scenario is None:
        scenario, requested_by, reason = _promote_request(inputs)
        promoted_by = promoted_by or requested_by
    if not reason or not reason.strip():
        raise ValidationError([_problem("PromoteRequest", "say why the scenario is promoted")])
    who = promoted_by or getpass.getuser()
    table = _scenario_table(inputs)
    check_scenarios(table, inputs)
    rows = table[table["scenario"] == scenario]
    if rows.empty:
        msg = f"no scenario named {scenario!r} in the Scenarios table"
        raise ValidationError([_problem("Scenarios", msg, column="scenario")])
    progress("Promote scenario", 0, 3)
    demand = plan_demand(port)
    outcome = evaluate(scenario, inputs, demand, rows, options)
    write_supply_tables(port, outcome.plan)
    _promote_consensus(port, apply_scenario(inputs, demand, rows)[1], scenario)
    progress("Promote scenario", 1, 3)
    finance = reconcile_finance(port, progress, inputs=inputs)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    # Before the exec summary: its checklist (and later the approval's) names the promotion.
    record_promotion(port, f"{scenario} ({outcome.changes}), by {who} at {when}: {reason.strip()}")
    update_exec_summary(port, progress, inputs=inputs)
    progress("Promote scenario", 2, 3)
    figures = plan_figures(
        outcome.plan.balance, outcome.plan.capacity, outcome.plan.purchases, outcome.finance
    )
    record = {
        "promoted_at": when,
        "scenario": scenario,
        "promoted_by": who,
        "reason": reason.strip(),
        "plan_version": inputs.settings.plan_version,
        "changes": outcome.changes,
        "revenue": finance["revenue"],
        "fill_rate": figures["fill_rate"],
    }
    history = read_output(port, "Promotions", produced_by="Promote Scenario", allow_empty=True)
    write_table(port, "Promotions", pd.concat([history, pd.DataFrame([record])], ignore_index=True))
    store = store if store is not None else _default_store(port)
    audit_seq = None
    if store is not None:
        audit_seq = store.record(
            "promotion",
            who,
            {k: v for k, v in record.items() if k != "promoted_by"},
            plan_version=inputs.settings.plan_version,
        )
    progress("Promote scenario", 3, 3)
    unapplied = sorted(set(rows["change"]) & {"price", "cost"})
    return {
        **record,
        "audit_seq": audit_seq,
        "not_applied_to_assumptions": unapplied,
    }


__all__ = ["BASE", "compare_scenarios", "plan_demand", "promote_scenario", "run_scenarios"]
