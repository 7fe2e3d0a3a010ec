"""Whole units: the solved plan's production and purchases rounded to whole packs, every
balance kept exact.

The LP (or the MILP's final LPs) plans in fractions of a unit: 15.92 pumps. After the solve,
each flow (production runs, main-source purchases, second-source purchases; then, in a
second pass, transfers along lanes) is made a whole number of its packs (Products.pack_size
for a run or a transfer, Materials.order_multiple for an order; blank = 1, whole units):

1. Running totals: along a series (a SKU's runs on a resource, a material's orders from a
   supplier) month by month, a value becomes the whole packs of what the series still lacks:
   the rounded running total is the planned one rounded up, so the supply by any month is
   never less than planned and never a pack more (a run or order the surplus already covers
   shrinks). A quantity the plan leaves at 0 stays 0.
2. Legal: every inequality row the rounded values appear in (capacity with setups and
   overtime, lot minimums and caps, supplier and source limits, MOQs, substitute cover) is
   checked with the other values as planned (overtime may rise to its limit); a setup, lot
   count or order switch the LP relaxed follows its run. Material stock must stay at or above
   0 in every later month: a run rounded up draws the extra material from an order that
   arrives in time, raised within its limits; an order its limit holds below what the runs
   use is covered by a substitution saving that material (its alternate's orders raised in
   whole packs), else by one pack off the latest run using it where one pack is enough (more
   output lost for a fraction of an order is a poor trade). Where a row or a
   stock still breaks, the values that broke it go to their own packs rounded up (when
   made-ahead stock took them below an MOQ or a minimum lot), else to the pack below their
   planned quantity (the next month's running total catches up), and if that breaks too they
   keep the planned quantity (counted as kept).
3. The rounded values are fixed and the two LP stages solve again (unmet demand, then buffers
   and cost), so shipments, stock, unmet demand and buffers follow from the whole units: every
   balance holds by construction. Shadow prices stay those of the plan before rounding (with
   the runs fixed, the capacity rows would price at 0 and explain nothing), and substitutions
   stay as planned (or as raised above), so the reasons the Substitutions table gives hold.

Demand stays as forecast (fractional): so do shipments and stock where it is. A run is rounded
in units started; its good units are the started units times the routing's yield, so they are
whole only at 100% yield. Lot rules the MILP fixed (a lot multiple) are already whole and stay;
with ``--lp`` the lot rules stay relaxed and runs are rounded to packs. A plan whose demand is
a hard constraint (the lot-sizing benchmarks) is left as solved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pulp

from sop_addin.core.planning.pack_choice import HELD_KINDS, Flow, PackChooser
from sop_addin.core.planning.solvers import SolverError

if TYPE_CHECKING:  # solve.py calls this module: a runtime import would be circular
    from sop_addin.core.planning.build import PlanModel
    from sop_addin.core.planning.solve import SolveReport

__all__ = ["Flow", "WholeUnits", "round_to_whole_units", "whole_unit_flows"]


def whole_unit_flows(model: PlanModel) -> list[Flow]:
    """The flows rounded, in order: runs first (the material a run rounded up uses is bought
    by raising an order that arrives in time, where its limits allow), then orders (rounded
    up, so they only ever add material)."""
    data = model.data
    packs = _positive(data.products, "pack_size")
    multiples = _positive(data.materials, "order_multiple")
    return [
        Flow("production runs", "make", lambda key: packs.get(key[0], 1.0)),
        Flow("purchase orders", "buy", lambda key: multiples.get(key[0], 1.0), tops_up=True),
        Flow("second-source orders", "source_buy", lambda k: multiples.get(k[0], 1.0), True),
    ]


def transfer_flow(model: PlanModel) -> Flow:
    """Transfers along lanes in whole packs of their SKU, never taking more than a supplying
    site holds. They are rounded in a second pass, once the runs and orders are whole and
    solved again: rounded with them, an origin's stock would be checked against runs the
    orders' pass may still cut."""
    packs = _positive(model.data.products, "pack_size")
    return Flow(
        "transfers",
        "transfer",
        lambda key: packs.get(key[0], 1.0),
        # Stock at a SKU's other sites may not go below 0; at its demand site a pack less
        # arriving is a sale lost or served later, which the LPs solved again decide.
        chains=("Site-balance",),
    )


def _round_transfers(model: PlanModel, resolve: Callable[[], object]) -> PackChooser | None:
    """Round the solved plan's transfers, fix them and solve again; left as solved (counted
    as kept) when the rounded transfers do not solve. None when nothing moves on a lane."""
    if not model.variables.get("transfer"):
        return None
    flow = transfer_flow(model)
    rounder = PackChooser(model, [flow])
    rounder.round_all()
    if not rounder.moved():
        return rounder
    moved = list(model.variables[flow.kind].values())
    bounds = {var: (var.lowBound, var.upBound) for var in moved}
    for var in moved:
        var.lowBound = var.upBound = rounder.value(var)
    try:
        resolve()
    except SolverError:
        for var in moved:
            var.lowBound, var.upBound = bounds[var]
            rounder.staged[var] = rounder.base[var]
        resolve()
    return rounder


def _positive(frame: Any, column: str) -> dict[Any, float]:
    if column not in frame:
        return {}
    return {k: float(v) for k, v in frame[column].items() if v == v and float(v) > 0}


@dataclass(frozen=True)
class WholeUnits:
    """What rounding did and cost.

    Attributes:
        rounded: per flow, the planned quantities (above 0) now whole packs (or whole lots
            where the MILP's lot multiple sets the run).
        kept: per flow, those left as planned: no whole pack near them was legal.
        objective_before / objective_after: buffers and cost (stage 2) before and after.
        service_before / service_after: weighted unmet demand (stage 1) before and after.
        fallback: why some flow was left as planned entirely ("" when none was).
    """

    rounded: dict[str, int]
    kept: dict[str, int]
    objective_before: float
    objective_after: float
    service_before: float
    service_after: float
    fallback: str = ""

    def note(self) -> str:
        """One sentence for the SolverReport."""
        parts = []
        for name, count in self.rounded.items():
            kept = self.kept.get(name, 0)
            extra = f" ({kept} more kept as planned: no legal whole pack)" if kept else ""
            parts.append(f"{count} {name}{extra}")
        text = "in whole packs: " + ", ".join(parts) if parts else "nothing to round"
        if self.fallback:
            text += f"; {self.fallback}"
        return text

    def rows(self) -> list[tuple[str, str]]:
        """The SolverReport rows: what was rounded and what it cost."""
        cost = self.objective_after - self.objective_before
        share = cost / abs(self.objective_before) if self.objective_before else 0.0
        lost = self.service_after - self.service_before
        return [
            ("whole units", self.note()),
            ("objective before rounding", f"{self.objective_before:.2f}"),
            ("rounding cost", f"{cost:.2f} ({100 * share:+.3f}%)"),
            ("unmet demand value before rounding", f"{self.service_before:.2f}"),
            ("unmet demand value added by rounding", f"{lost:.2f}"),
        ]


def round_to_whole_units(
    model: PlanModel, report: SolveReport, resolve: Callable[[], object]
) -> SolveReport:
    """Round the solved plan's flows to whole packs, fix them and solve the LPs again.

    Args:
        model: the solved model (a MILP's integers already fixed).
        report: how the solve ended; its objective and service are replaced by the rounded
            plan's, and the rounding's figures are added.
        resolve: solves the two LP stages again (raises SolverError when infeasible).
    """
    if model.data.all_demand_met:
        return report
    flows = [f for f in whole_unit_flows(model) if model.variables.get(f.kind)]
    problem = model.problem
    duals = {name: row.pi for name, row in problem._constraints.items()}
    priced = set(model.service_priced)
    rounder = PackChooser(model, flows)
    rounder.round_all()
    step, fallback = "all", ""
    if rounder.moved():  # else already whole packs (or nothing to round): no LP again
        step, fallback = _solve_rounded(model, flows, rounder, resolve)
    transfers = _round_transfers(model, resolve) if step == "all" else None
    if not rounder.moved() and (transfers is None or not transfers.moved()):
        return _reported(report, [rounder], "all", report.objective, report.service, "")
    for name, pi in duals.items():
        if name in problem._constraints:
            problem._constraints[name].pi = pi
    model.service_priced.clear()
    model.service_priced.update(priced)
    held = model.objectives.get("held", model.objectives["service"])
    objective = float(pulp.value(model.objectives["plan"]) or 0.0)
    rounders = [rounder] if transfers is None else [rounder, transfers]
    return _reported(report, rounders, step, objective, float(pulp.value(held) or 0.0), fallback)


def _solve_rounded(
    model: PlanModel, flows: list[Flow], rounder: PackChooser, resolve: Callable[[], object]
) -> tuple[str, str]:
    """Fix the rounded values and solve the LP stages again: all flows, else the runs only
    (orders as the LP wants them), else none. Returns the step that solved and why any
    flow was left as planned."""
    bounds = {
        var: (var.lowBound, var.upBound)
        for flow in flows
        for var in model.variables[flow.kind].values()
    }
    for kind in HELD_KINDS:
        for var in model.variables.get(kind, {}).values():
            var.lowBound = var.upBound = rounder.value(var)
    fallback = ""
    for step in ("all", "runs only", "none"):
        for flow in flows:
            fixed = step == "all" or (step == "runs only" and flow is flows[0])
            for var in model.variables[flow.kind].values():
                low, high = bounds[var]
                if fixed:
                    var.lowBound = var.upBound = rounder.value(var)
                else:
                    var.lowBound, var.upBound = low, high
        try:
            resolve()
            return step, fallback
        except SolverError as exc:
            if step == "none":
                raise
            what = "orders" if step == "all" else "runs and orders"
            fallback = f"{what} left as planned: the rounded plan did not solve ({exc})"
    raise AssertionError("unreachable: the last step re-raises")


def _reported(
    report: SolveReport,
    rounders: list[PackChooser],
    step: str,
    objective: float,
    service: float,
    fallback: str,
) -> SolveReport:
    """The report with the rounded plan's objective and service and what rounding did."""
    counts = {name: n for rounder in rounders for name, n in rounder.counts(step).items()}
    whole = WholeUnits(
        rounded={k: v[0] for k, v in counts.items()},
        kept={k: v[1] for k, v in counts.items() if v[1]},
        objective_before=report.objective,
        objective_after=objective,
        service_before=report.service,
        service_after=service,
        fallback=fallback,
    )
    return replace(report, objective=objective, service=service, whole_units=whole)
