"""Choosing whole packs for a solved plan's flows, month by month: steps 1 and 2 of
whole_units.py (running totals rounded up; rows and stocks kept legal). Nothing here solves:
whole_units.py fixes the values chosen and solves the LPs again.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulp

from sop_addin.core.planning.lot_start import INTEGER_KINDS

if TYPE_CHECKING:  # build.py's types only
    from sop_addin.core.planning.build import Key, PlanModel

FREE_KINDS = ("overtime",)  # may rise to its limit to make room for a rounded run
# Balance rows whose stock must stay >= 0 (for the flows that name them) -> the stock's kind.
CHAINS = {
    "Material-balance": "material_stock",
    "Product-balance": "stock",
    "Site-balance": "site_stock",  # a SKU's stock at its other sites (sites.py)
}
# Decisions the re-solve keeps as the rounding left them (so the reasons given for them
# stand); a substitution may rise to cover a material an order held down by its limit lacks.
HELD_KINDS = ("substitute",)
TOLERANCE = 1e-6  # units: a quantity or a change below this is none
# A rounded value is fixed in the LP that follows: a row or a stock may pass its limit only by
# what the solver's own plan did, plus HiGHS's own feasibility tolerance (1e-7, absolute);
# a relative allowance (1e-6 x a 27,600-unit supplier limit) let a rounded-up order break it.
EXACT = 1e-7
MAX_PASSES = 20


@dataclass(frozen=True)
class Flow:
    """A family of planned quantities made whole packs.

    Attributes:
        name: what the notes call it ("production").
        kind: the model's variable kind; its keys end with the month index.
        multiple: units per pack of a key (1 or less: whole units).
        tops_up: may rise (within its rows) to cover what an earlier flow's rounding needs:
            an order bringing the material a run rounded up uses.
        chains: the balances (CHAINS) whose stock the rounded values must keep at 0 or above
            with the other flows as planned: a run's materials; a transfer would add its
            origin's "Product-balance" (a run needs none: less output is lost sales, not
            negative stock).
    """

    name: str
    kind: str
    multiple: Callable[[Key], float]
    tops_up: bool = False
    chains: tuple[str, ...] = ("Material-balance",)


@dataclass
class Choice:
    """A value's candidates in order of preference; the last is the planned value."""

    options: list[float]
    at: int = 0

    @property
    def value(self) -> float:
        return self.options[self.at]

    def advance(self) -> bool:
        if self.at + 1 >= len(self.options):
            return False
        self.at += 1
        return True


def candidates(x: float, carry: float, size: float) -> list[float]:
    """Whole packs for a planned quantity x, given what the series still owes (carry: the
    planned running total less the rounded one, never above a pack): preferred first (the
    running total rounded up), then x's own packs rounded up (an order at its MOQ, a run at
    its minimum, when what was made ahead would take it below), the pack below x, and x."""
    options = [
        max(0.0, size * math.ceil((x + carry) / size - 1e-9)),
        size * math.ceil(x / size - 1e-9),
        size * math.floor(x / size + 1e-9),
        x,
    ]
    unique: list[float] = []
    for value in options:
        if not any(abs(value - seen) < 1e-9 for seen in unique):
            unique.append(value)
    return unique


@dataclass
class PackChooser:
    """Chooses whole packs month by month (the three steps of the module docstring)."""

    model: PlanModel
    flows: list[Flow]
    staged: dict[pulp.LpVariable, float] = field(default_factory=dict)
    choices: dict[pulp.LpVariable, Choice] = field(default_factory=dict)
    pinned: set[pulp.LpVariable] = field(default_factory=set)
    settled: set[pulp.LpVariable] = field(default_factory=set)  # decided: whole from here on
    cutting: bool = False  # an order may cut a settled run rather than stay a fraction

    def __post_init__(self) -> None:
        v = self.model.variables
        self.base = {var: float(var.varValue or 0.0) for var in self.model.problem.variables()}
        self.free = {var for kind in FREE_KINDS for var in v.get(kind, {}).values()}
        flow_of = {var: f for f in self.flows for var in v[f.kind].values()}
        self.switch_vars = {var for kind in INTEGER_KINDS for var in v.get(kind, {}).values()}
        held = {var for kind in HELD_KINDS for var in v.get(kind, {}).values()}
        watched = flow_of.keys() | self.switch_vars | held
        live = self.model.problem._constraints
        self.rows_of: dict[pulp.LpVariable, list[pulp.LpConstraint]] = defaultdict(list)
        self.equal_of: dict[pulp.LpVariable, list[pulp.LpConstraint]] = defaultdict(list)
        # chain item -> per month: the stock's planned value; flow var -> (item, month, coef)
        self.stock: dict[Key, dict[int, float]] = defaultdict(dict)
        self.chain_of: dict[pulp.LpVariable, list[tuple[Key, int, float]]] = defaultdict(list)
        for kind, rows in self.model.constraints.items():
            stock_kind = CHAINS.get(kind)
            for key, row in rows.items():
                if live.get(row.name) is not row:
                    continue  # dropped from the problem (solve.py's redundant rows)
                if stock_kind is not None:
                    item, t = (kind, *key[:-1]), int(key[-1])
                    self.stock[item][t] = self.base.get(v[stock_kind][key], 0.0)
                for var, coef in row.items():
                    if var not in watched:
                        continue
                    if row.sense != pulp.LpConstraintEQ:
                        self.rows_of[var].append(row)
                    elif stock_kind is None:
                        self.equal_of[var].append(row)
                    elif var in held or (var in flow_of and kind in flow_of[var].chains):
                        self.chain_of[var].append((item, t, float(coef)))
        # chain item -> (month, var) of the orders that add to it and of the runs that use
        # it, latest first
        self.supply: dict[Key, list[tuple[int, pulp.LpVariable, float]]] = defaultdict(list)
        self.users: dict[Key, list[tuple[int, pulp.LpVariable, float]]] = defaultdict(list)
        self.size_of: dict[pulp.LpVariable, float] = {}
        for flow in self.flows:
            for key, var in v[flow.kind].items():
                size = flow.multiple(key)
                self.size_of[var] = size if size > 0 else 1.0
                for item, t, coef in self.chain_of.get(var, []):
                    if flow.tops_up and coef < 0:
                        self.supply[item].append((t, var, -coef))
                    elif not flow.tops_up and coef > 0:
                        self.users[item].append((t, var, coef))
        for var in held:  # a substitution saves its primary material: it supplies it
            for item, t, coef in self.chain_of.get(var, []):
                if coef < 0:
                    self.supply[item].append((t, var, -coef))
        for found in self.supply.values():
            found.sort(key=lambda triple: -triple[0])
        for using in self.users.values():
            using.sort(key=lambda triple: -triple[0])
        self.delta: dict[Key, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.owner: dict[pulp.LpVariable, pulp.LpVariable] = {}
        self.following: dict[pulp.LpVariable, list[pulp.LpVariable]] = defaultdict(list)

    # -- values ---------------------------------------------------------------------------

    def _fixed(self, var: pulp.LpVariable) -> bool:
        return var.lowBound is not None and var.lowBound == var.upBound

    def _pinned(self, var: pulp.LpVariable) -> bool:
        """Fixed, or set by an equality whose other values are fixed (a MILP's lot multiple)."""
        if self._fixed(var):
            return True
        return any(
            all(self._fixed(other) for other in row if other is not var)
            for row in self.equal_of.get(var, [])
        )

    def value(self, var: pulp.LpVariable) -> float:
        return self.staged.get(var, self.base.get(var, 0.0))

    def _switches(self, var: pulp.LpVariable, amount: float) -> dict[pulp.LpVariable, float] | None:
        """The relaxed switches (setup, lot count, order) that follow a run or an order of this
        amount: each as near its planned value as its two-value rows allow (None: none fits)."""
        found: dict[pulp.LpVariable, list[float]] = {}
        for row in self.rows_of.get(var, []) + self.equal_of.get(var, []):
            others = [o for o in row if o is not var]
            if len(others) != 1 or others[0] not in self.switch_vars or self._fixed(others[0]):
                continue
            other = others[0]
            a, b = float(row.get(var, 0.0)), float(row.get(other, 0.0))
            if other not in found:
                low = other.lowBound if other.lowBound is not None else -math.inf
                high = other.upBound if other.upBound is not None else math.inf
                found[other] = [low, high]
            rest = -(a * amount + row.constant) / b  # b * other (sense) -(a * amount + c)
            low, high = found[other]
            at_most = (row.sense == pulp.LpConstraintLE) == (b > 0)
            if row.sense == pulp.LpConstraintEQ:
                found[other] = [max(low, rest), min(high, rest)]
            elif at_most:
                found[other] = [low, min(high, rest)]
            else:
                found[other] = [max(low, rest), high]
        values = {}
        for other, (low, high) in found.items():
            if low > high + TOLERANCE:
                return None
            values[other] = min(max(self.base.get(other, 0.0), low), max(low, high))
        return values

    def _stage(self, var: pulp.LpVariable, amount: float) -> bool:
        switches = self._switches(var, amount)
        if switches is None:
            return False
        self._move(var, amount)
        for other, value in switches.items():
            self.owner[other] = var
            self._move(other, value)
        self.following[var] = list(switches)
        return True

    def _move(self, var: pulp.LpVariable, amount: float) -> None:
        change = amount - self.value(var)
        self.staged[var] = amount
        for item, t, coef in self.chain_of.get(var, []):
            self.delta[item][t] -= coef * change

    def _choose(self, var: pulp.LpVariable) -> bool:
        """Stage the choice's current option, moving on while its switches cannot follow."""
        choice = self.choices[var]
        while not self._stage(var, choice.value):
            if not choice.advance():
                return False
        return True

    def _advance(self, var: pulp.LpVariable) -> bool:
        choice = self.choices.get(var)
        if choice is None or not choice.advance():
            return False
        return self._choose(var)

    # -- checks ---------------------------------------------------------------------------

    def _total(self, row: pulp.LpConstraint) -> float:
        """The row's left side with the staged values; free values take their most helpful
        bound (inf when unbounded)."""
        le = row.sense == pulp.LpConstraintLE
        total = row.constant
        for var, coef in row.items():
            if var in self.free and var not in self.staged:
                helps_up = (coef < 0) == le
                bound = var.upBound if helps_up else var.lowBound
                if bound is None:
                    return -math.inf if le else math.inf
                total += coef * float(bound)
            else:
                total += coef * self.value(var)
        return total

    def _excess(self, row: pulp.LpConstraint) -> float:
        """How far the row is broken with the staged values (0 when it holds): past its limit,
        or past what the planned values already used of it (solver tolerance)."""
        sign = 1.0 if row.sense == pulp.LpConstraintLE else -1.0
        base = row.constant + sum(coef * self.base.get(var, 0.0) for var, coef in row.items())
        allowed = max(0.0, sign * base) + EXACT
        return max(0.0, sign * self._total(row) - allowed)

    def _harm(self, var: pulp.LpVariable, row: pulp.LpConstraint) -> float:
        """How much a value and its switches push the row past its limit."""
        sign = 1.0 if row.sense == pulp.LpConstraintLE else -1.0
        moved = [var, *self.following.get(var, [])]
        return sum(
            sign * float(row.get(m, 0.0)) * (self.value(m) - self.base.get(m, 0.0)) for m in moved
        )

    def _fix_rows(self, changed: list[pulp.LpVariable]) -> bool:
        broken = False
        rows = {
            id(r): r
            for var in changed
            for m in [var, *self.following.get(var, [])]
            for r in self.rows_of.get(m, [])
        }
        for row in rows.values():
            while self._excess(row) > 0:
                broken = True
                owners = {self.owner.get(m, m) for m in row}
                culprits = sorted(
                    (var for var in changed if var in owners and self._harm(var, row) > 0),
                    key=lambda var: -self._harm(var, row),
                )
                if not any(self._advance(var) for var in culprits):
                    break
        return broken

    def _fix_chains(self, changed: list[pulp.LpVariable]) -> bool:
        broken = False
        # In order of first use (a set's order would vary from run to run with string hashes).
        items = dict.fromkeys(item for var in changed for item, _t, _c in self.chain_of[var])
        for item in items:
            while (short := self._short(item)) is not None:
                broken = True
                if self._top_up(item, short) or (self.cutting and self._cut(item, short)):
                    continue
                culprits = sorted(
                    (
                        (coef * (self.value(var) - self.base.get(var, 0.0)), var)
                        for var in changed
                        for it, t, coef in self.chain_of.get(var, [])
                        if it == item and t <= short
                    ),
                    key=lambda pair: -pair[0],
                )
                if not any(self._advance(var) for harm, var in culprits if harm > 0):
                    break
        return broken

    def _others_covered(self, var: pulp.LpVariable, depth: int) -> bool:
        """Whether the other stocks a raised value draws on (a substitution's alternate) stay
        at 0 or above, raising their own orders where they would not (one level deep)."""
        for other, _t, _c in self.chain_of[var]:
            while (short := self._short(other)) is not None:
                if depth > 0 or not self._top_up(other, short, depth + 1):
                    return False
        return True

    def _top_up(self, item: Key, month: int, depth: int = 0) -> bool:
        """Raise the latest orders arriving by the month (or a substitution saving the item),
        within their rows and the other stocks they touch, by what the item's stock lacks
        there; False when none could rise."""
        running = sum(d for t, d in self.delta.get(item, {}).items() if t <= month)
        lack = -(self.stock[item][month] + running)
        raised = False
        for t, var, rate in self.supply.get(item, []):
            if t > month or lack <= EXACT:
                continue
            room, value = self._room(var), self.value(var)
            if var in self.settled or var in self.choices:  # whole packs: rises by packs only
                size = self.size_of[var]
                add = size * math.ceil(lack / rate / size - 1e-9)
                if add > room + EXACT or not self._stage(var, value + add):
                    continue
            else:
                add = min(lack / rate, room)
                while add > EXACT and not self._stage(var, value + add):
                    add /= 2  # a relaxed order switch cannot follow that much
            if add > EXACT and not self._others_covered(var, depth):
                self._stage(var, value)  # a substitution short of its alternate: not this one
                continue
            if add > EXACT:
                lack -= add * rate
                raised = True
        return raised

    def _cut(self, item: Key, month: int) -> bool:
        """Take one pack off the latest settled run using the item by the month, where one
        pack gives all the item lacks (an order held down by its limit leaves a little less
        material); False when none can. More than a pack of output for a fraction of an order
        is a poor trade: the order keeps its planned quantity instead."""
        running = sum(d for t, d in self.delta.get(item, {}).items() if t <= month)
        lack = -(self.stock[item][month] + running)
        for t, var, per_unit in self.users.get(item, []):
            value = self.value(var)
            if t > month or var not in self.settled or var in self.pinned or value <= TOLERANCE:
                continue
            size = self.size_of[var]
            if per_unit * size < lack - TOLERANCE:
                continue
            less = max(0.0, value - size)
            if self._stage(var, less):
                moved = [var, *self.following.get(var, [])]
                if all(self._excess(r) == 0 for m in moved for r in self.rows_of.get(m, [])):
                    return True
            self._stage(var, value)  # it was legal as it stood
        return False

    def _room(self, var: pulp.LpVariable) -> float:
        """How far the value may rise before one of its rows breaks (switch rows aside: the
        switch follows)."""
        room = math.inf
        for row in self.rows_of.get(var, []):
            others = [o for o in row if o is not var]
            if len(others) == 1 and others[0] in self.switch_vars and not self._fixed(others[0]):
                continue
            sign = 1.0 if row.sense == pulp.LpConstraintLE else -1.0
            rate = sign * float(row.get(var, 0.0))
            if rate > 0:
                room = min(room, max(0.0, self._slack(row)) / rate)
        return room

    def _slack(self, row: pulp.LpConstraint) -> float:
        """How far the row is from its limit with the staged values (below 0: broken)."""
        total = self._total(row)
        return -total if row.sense == pulp.LpConstraintLE else total

    def _short(self, item: Key) -> int | None:
        """The first month the item's stock would fall below 0, or None."""
        stock, delta, running = self.stock[item], self.delta.get(item, {}), 0.0
        for t in sorted(stock):
            running += delta.get(t, 0.0)
            if stock[t] + running < min(stock[t], 0.0) - EXACT:
                return t
        return None

    # -- rounding -------------------------------------------------------------------------

    def round_all(self) -> None:
        for flow in self.flows:
            self._round_flow(flow)

    def _round_flow(self, flow: Flow) -> None:
        self.cutting = flow.tops_up
        by_month: dict[int, list[tuple[Key, pulp.LpVariable]]] = defaultdict(list)
        for key, var in self.model.variables[flow.kind].items():
            by_month[int(key[-1])].append((key, var))
        carry: dict[Key, float] = defaultdict(float)
        for t in sorted(by_month):
            changed = []
            planned = {var: self.value(var) for _key, var in by_month[t]}
            for key, var in by_month[t]:
                x = planned[var]  # an order may have risen for a run's material
                size = flow.multiple(key)
                size = size if size > 0 else 1.0
                if abs(x) < TOLERANCE:
                    self._move(var, 0.0)
                    continue
                if self._pinned(var):
                    self.pinned.add(var)  # a lot multiple the MILP fixed: its rule's size
                    continue
                packs = round(x / size)
                if abs(x - packs * size) < TOLERANCE:
                    self._move(var, packs * size)  # already whole packs
                    continue
                options = candidates(x, carry[key[:-1]], size)
                self.choices[var] = Choice(options)
                if self._choose(var):
                    changed.append(var)
            for _ in range(MAX_PASSES):
                if not (self._fix_rows(changed) | self._fix_chains(changed)):
                    break
            else:  # never seen: every value's last option is its planned one
                for var in changed:
                    while self._advance(var):
                        pass
            for key, var in by_month[t]:
                carry[key[:-1]] += planned[var] - self.value(var)
                self.settled.add(var)

    def moved(self) -> bool:
        """Whether any value moved from its planned quantity by more than the tolerance."""
        return any(abs(v - self.base.get(var, 0.0)) >= TOLERANCE for var, v in self.staged.items())

    def counts(self, step: str) -> dict[str, tuple[int, int]]:
        """Per flow rounded: (values now whole packs, values kept as planned)."""
        found = {}
        for flow in self.flows:
            if step == "none" or (step == "runs only" and flow is not self.flows[0]):
                continue
            whole = kept = 0
            for key, var in self.model.variables[flow.kind].items():
                size = flow.multiple(key)
                size = size if size > 0 else 1.0
                value = self.value(var)
                if abs(value) < TOLERANCE:
                    continue
                if var in self.pinned or abs(value / size - round(value / size)) * size < TOLERANCE:
                    whole += 1
                else:
                    kept += 1
            found[flow.name] = (whole, kept)
        return found
