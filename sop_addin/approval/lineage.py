"""Lineage of a plan: which inputs, code, solver and seeds produced it.

`record_run_lineage` writes the Lineage table when the cycle runs; approval reads it back,
compares the input hash with the inputs as they are now (a plan run on other inputs is
stale) and copies it onto the snapshot's cover sheet.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd

from sop_addin import __version__
from sop_addin.approval.content import normalise
from sop_addin.contract import CONTRACT, Role
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_table, write_table

LINEAGE_TABLE = "Lineage"
# Labels, not planning inputs: a plan renamed to a new version is still the same plan.
LABEL_SETTINGS = frozenset({"plan_version", "plan_cycle"})


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def input_tables_hash(port: WorkbookPort) -> str:
    """SHA-256 over the values of every input and assumption table, in contract order.

    Only values count (the same canonical form as the content hash), so formatting or a
    re-save does not change it, and any edited input value does; the plan version and cycle
    labels do not count.
    """
    whole = hashlib.sha256(b"sop-addin inputs v1\x00")
    for table in CONTRACT.tables_with_role(Role.INPUT, Role.ASSUMPTION):
        whole.update(f"table\x00{table.name}\x00".encode())
        try:
            block = port.read_block(table.name)
        except TableNotFound:
            whole.update(b"missing\x00")
            continue
        for row in block:
            cells = [normalise(value) or "" for value in row]
            if not any(cells):
                continue  # the empty body row an Excel table keeps
            if table.name == "Settings" and row and row[0] in LABEL_SETTINGS:
                continue
            whole.update(("\x1f".join(cells) + "\x1e").encode("utf-8"))
    return whole.hexdigest()


def find_seeds(summary: Any, prefix: str = "") -> dict[str, Any]:
    """Every `seed` / `*_seed` entry of a run summary, by its path (e.g. scenarios.seed)."""
    seeds: dict[str, Any] = {}
    if isinstance(summary, dict):
        for key, value in summary.items():
            path = f"{prefix}{key}"
            if str(key) == "seed" or str(key).endswith("_seed"):
                seeds[path] = value
            else:
                seeds.update(find_seeds(value, f"{path}."))
    return seeds


def run_lineage(summary: dict[str, Any], input_hash: str) -> dict[str, str]:
    """The lineage items of a finished run, as text (no timestamp: the same inputs and code
    give the same table, so a repeated run changes nothing)."""
    plan = summary.get("plan", {})
    seeds = find_seeds(summary)
    return {
        "input_hash": input_hash,
        "sop_addin_version": __version__,
        "solver": str(plan.get("solver", "not run")),
        "solver_status": str(plan.get("status", "not run")),
        "pulp_version": _package("pulp"),
        "highspy_version": _package("highspy"),
        "statsmodels_version": _package("statsmodels"),
        "python_version": platform.python_version(),
        "random_seeds": json.dumps(seeds, sort_keys=True) if seeds else "none used",
    }


def record_run_lineage(port: WorkbookPort, summary: dict[str, Any]) -> dict[str, str]:
    """Write the Lineage table after a run (its inputs hashed as they are now)."""
    items = run_lineage(summary, input_tables_hash(port))
    frame = pd.DataFrame({"item": list(items), "value": list(items.values())})
    write_table(port, LINEAGE_TABLE, frame)
    return items


PROMOTED = "promoted_scenario"


def record_promotion(port: WorkbookPort, text: str) -> None:
    """Note on the Lineage table that a scenario was promoted over the run's plan.

    The next run writes the table afresh, so the note lasts exactly as long as the promoted
    plan does; the checklist and the approval cover read it from here.
    """
    items = {k: v for k, v in read_lineage(port).items() if k != PROMOTED}
    items[PROMOTED] = text
    frame = pd.DataFrame({"item": list(items), "value": list(items.values())})
    write_table(port, LINEAGE_TABLE, frame)


def read_lineage(port: WorkbookPort) -> dict[str, str]:
    """The Lineage table as a dict; empty when it is missing or was never written."""
    frame, problems = read_table(port, LINEAGE_TABLE)
    if frame is None or problems:
        return {}
    return {str(r.item): "" if pd.isna(r.value) else str(r.value) for r in frame.itertuples()}
