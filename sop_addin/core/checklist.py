"""The pre-executive review checklist: one line per question, each with a status and why.

Approval runs the same checklist: a line that fails blocks approval unless it is overridden
with a written reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sop_addin.core.kpis import service_level

PASS, WARN, FAIL = "pass", "warn", "fail"
CHECKLIST_COLUMNS = ["check", "status", "detail"]


@dataclass(frozen=True)
class ChecklistThresholds:
    """Where a line turns from pass to warn (or fail)."""

    min_fill_rate: float = 0.95  # below: supply is not feasible enough to approve silently
    max_budget_shortfall: float = 0.05  # revenue below budget by more than this share: warn


def _line(check: str, status: str, detail: str) -> dict[str, str]:
    return {"check": check, "status": status, "detail": detail}


def _demand_line(forecast: pd.DataFrame | None, skus: int) -> dict[str, str]:
    check = "Demand plan reviewed"
    if forecast is None or forecast.empty:
        return _line(check, FAIL, "no forecast: run Refresh Forecast")
    covered = forecast["sku"].nunique()
    if covered < skus:
        return _line(check, FAIL, f"forecast covers {covered} of {skus} SKUs")
    return _line(check, PASS, f"forecast for all {skus} SKUs")


def _supply_line(balance: pd.DataFrame | None, limits: ChecklistThresholds) -> dict[str, str]:
    check = "Supply feasible"
    if balance is None or balance.empty:
        return _line(check, FAIL, "no supply plan: run Run Plan")
    service = service_level(balance)  # the KPIs' definition, not a second one
    unmet, fill = service.unmet, service.fill_rate
    detail = f"fill rate {fill:.1%}, unmet {unmet:,.0f} units"
    if unmet <= 1e-6:
        return _line(check, PASS, detail)
    return _line(check, WARN if fill >= limits.min_fill_rate else FAIL, detail)


def _finance_line(finance: pd.DataFrame | None, limits: ChecklistThresholds) -> dict[str, str]:
    check = "Finance within thresholds"
    if finance is None or finance.empty:
        return _line(check, FAIL, "no finance plan: run Reconcile Finance")
    budgeted = finance[finance["revenue_budget"].notna()]
    if budgeted.empty:
        return _line(check, WARN, "no budget to compare with")
    budget = float(budgeted["revenue_budget"].sum())
    revenue = float(budgeted["revenue"].sum())
    gap = (revenue - budget) / budget if budget else 0.0
    losses = finance[finance["gross_margin"] < 0]
    detail = f"revenue {gap:+.1%} against budget"
    if len(losses):
        families = ", ".join(sorted(losses["family"].astype(str).unique()))
        return _line(check, FAIL, f"{detail}; negative gross margin in {families}")
    status = WARN if gap < -limits.max_budget_shortfall else PASS
    return _line(check, status, detail)


def _margin_line(finance: pd.DataFrame | None) -> dict[str, str] | None:
    """Family-months under finance's gross-margin threshold (flagged by Reconcile Finance)."""
    if finance is None or finance.empty or "margin_flag" not in finance:
        return None
    check = "Gross margin above threshold"
    below = finance[finance["margin_flag"] == "below threshold"]
    if below.empty:
        return _line(check, PASS, "every family-month at or above the threshold")
    families = ", ".join(sorted(below["family"].astype(str).unique()))
    return _line(check, WARN, f"{len(below)} family-month(s) below the threshold: {families}")


def _deviation_line(deviations: pd.DataFrame | None) -> dict[str, str] | None:
    if deviations is None:
        return None
    check = "Deviations authorised"
    if deviations.empty:
        nothing = "no overtime, extra shift, expedite or budget overrun to authorise"
        return _line(check, PASS, nothing)
    kinds = deviations.groupby("kind")["cost"].sum()
    listed = ", ".join(f"{kind} {cost:,.0f}" for kind, cost in kinds.items())
    return _line(check, WARN, f"{len(deviations)} deviation(s) need authorisation: {listed}")


def _tradeoff_line(
    balance: pd.DataFrame | None,
    capacity: pd.DataFrame | None,
    scenarios: pd.DataFrame | None = None,
) -> dict[str, str]:
    check = "Trade-offs listed"
    if balance is None or capacity is None or capacity.empty:
        return _line(check, FAIL, "no supply plan to list trade-offs from")
    full = capacity[capacity["utilisation"] >= 0.999]
    short = balance[balance["unmet"] > 1e-6]
    detail = (
        f"{full['resource'].nunique()} resource(s) at full capacity in {len(full)} "
        f"resource-month(s); {short['sku'].nunique()} SKU(s) with unmet demand"
    )
    if scenarios is not None and len(scenarios) > 1:
        detail += f"; {len(scenarios) - 1} scenario(s) compared with the base plan"
    return _line(check, PASS, detail)


def _decisions_line(balance: pd.DataFrame | None) -> dict[str, str]:
    check = "Open decisions"
    if balance is None or balance.empty:
        return _line(check, FAIL, "no supply plan")
    short = balance[balance["unmet"] > 1e-6]
    below = balance[balance["below_safety_stock"] > 1e-6] if "below_safety_stock" in balance else []
    if len(short) == 0 and len(below) == 0:
        return _line(check, PASS, "none")
    detail = (
        f"{short['sku'].nunique()} SKU(s) short of demand; "
        f"{len(below)} SKU-month(s) below safety stock: decide allocation or extra capacity"
    )
    return _line(check, WARN, detail)


def _working_plan_line(promoted: str | None) -> dict[str, str]:
    """Which plan is up for approval: the base plan, or a scenario promoted over it."""
    check = "Working plan"
    if not promoted:
        return _line(check, PASS, "the base plan: no scenario promoted")
    return _line(check, WARN, f"scenario promoted over the base plan: {promoted}")


def validation_checklist(
    outputs: dict[str, pd.DataFrame],
    skus: int,
    limits: ChecklistThresholds | None = None,
    promoted: str | None = None,
) -> pd.DataFrame:
    """The checklist from the plan's output tables (missing ones count as not run).

    The Exec tab and approval run this same function on the same tables.

    Args:
        outputs: output tables by contract name (Forecast, ProductBalance, CapacityUse,
            FinancePlan; optionally Deviations and ScenarioComparison, whose lines appear
            only when given); a step that has not run is simply absent.
        skus: number of SKUs in the Products table.
        limits: thresholds; defaults when None.
        promoted: the scenario promoted to the working plan (who, when, why), if any.
    """
    limits = limits or ChecklistThresholds()
    balance = outputs.get("ProductBalance")
    finance = outputs.get("FinancePlan")
    lines = [
        _demand_line(outputs.get("Forecast"), skus),
        _supply_line(balance, limits),
        _finance_line(finance, limits),
        _margin_line(finance),
        _deviation_line(outputs.get("Deviations")),
        _tradeoff_line(balance, outputs.get("CapacityUse"), outputs.get("ScenarioComparison")),
        _decisions_line(balance),
        _working_plan_line(promoted),
    ]
    return pd.DataFrame([line for line in lines if line], columns=CHECKLIST_COLUMNS)
