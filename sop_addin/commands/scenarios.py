"""`sop scenarios run|compare|promote` and `sop risk`: what-ifs and the plan's risk.

Each command opens the workbook under its lock, runs the action and saves atomically; user
mistakes exit with code 2 and a message naming the cell, failures with code 3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sop_addin.commands.common import echo_json, out, progress_bar, saved_workbook, user_errors


def _on_workbook(workbook: Path, run: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    with user_errors(), progress_bar() as progress, saved_workbook(workbook) as port:
        summary = run((port, progress))
    return summary


def _print_comparison(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(summary)
        return
    table = Table(title="Scenarios against the base", title_justify="left")
    for column in ("scenario", "fill rate", "revenue", "margin", "unmet", "unmet vs base"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for name, f in summary.items():
        table.add_row(
            name,
            f"{f['fill_rate']:.1%}",
            f"{f['revenue']:,.0f}",
            f"{f['gross_margin']:,.0f}",
            f"{f['unmet']:,.0f}",
            f"{f['unmet_vs_base']:+,.0f}",
        )
    out.print(table)


@click.group()
def scenarios() -> None:
    """What-if scenarios from the Scenarios tab: run, compare, promote."""


@scenarios.command("run")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--only", multiple=True, help="Run only this scenario (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def run_command(workbook: Path, only: tuple[str, ...], as_json: bool) -> None:
    """Re-plan and re-value every scenario; write the comparison to the Scenarios tab."""
    from sop_addin.actions.scenarios import run_scenarios

    summary = _on_workbook(
        workbook, lambda pp: run_scenarios(pp[0], pp[1], names=list(only) or None)
    )
    _print_comparison(summary, as_json)


@scenarios.command("compare")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def compare_command(workbook: Path, as_json: bool) -> None:
    """Compare the scenarios already run with the working plan as it stands (no solver)."""
    from sop_addin.actions.scenarios import compare_scenarios

    _print_comparison(_on_workbook(workbook, lambda pp: compare_scenarios(*pp)), as_json)


@scenarios.command("promote")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--scenario", "name", help="Scenario to promote (default: the PromoteRequest row).")
@click.option("--by", "who", help="Who promotes it (default: PromoteRequest, else your login).")
@click.option("--reason", help="Why (required unless the PromoteRequest row says).")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Plan store folder for the audit record (default: $SOP_STORE, else beside the workbook).",
)
def promote_command(
    workbook: Path, name: str | None, who: str | None, reason: str | None, store_dir: Path | None
) -> None:
    """Make a scenario the working plan, recorded with who, when and why."""
    from sop_addin.actions.scenarios import promote_scenario
    from sop_addin.store.plan_store import PlanStore, resolve_store_dir

    if name is not None and not reason:
        raise click.UsageError("--reason is required with --scenario")
    store = PlanStore(resolve_store_dir(store_dir, workbook))
    summary = _on_workbook(
        workbook,
        lambda pp: promote_scenario(
            pp[0], pp[1], scenario=name, promoted_by=who, reason=reason, store=store
        ),
    )
    out.print(
        f"promoted [bold]{summary['scenario']}[/] by {summary['promoted_by']} at "
        f"{summary['promoted_at']} (audit #{summary['audit_seq']})",
        highlight=False,
    )
    if summary["not_applied_to_assumptions"]:
        kinds = " and ".join(summary["not_applied_to_assumptions"])
        out.print(f"note: enter the scenario's {kinds} changes in the Finance assumptions")


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--draws", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@click.option("--seed", type=int, default=20270101, show_default=True)
@click.option(
    "--demand-scale",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Multiplier on the forecast error (0: demand as planned).",
)
@click.option(
    "--lead-time-scale",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Multiplier on the chance a material arrives a month late (0: never).",
)
@click.option(
    "--yield-sd",
    type=click.FloatRange(0),
    default=0.03,
    show_default=True,
    help="Relative spread of good output (0: yield as planned).",
)
def risk(
    workbook: Path,
    draws: int,
    seed: int,
    demand_scale: float,
    lead_time_scale: float,
    yield_sd: float,
) -> None:
    """Monte Carlo of the plan; rewrite the Exec tab with P10/P50/P90 and stock-out risk."""
    from sop_addin.actions.exec_summary import update_exec_summary
    from sop_addin.core.risk import RiskOptions

    options = RiskOptions(draws, seed, demand_scale, lead_time_scale, yield_sd)
    _on_workbook(workbook, lambda pp: update_exec_summary(pp[0], pp[1], risk=options))
    from sop_addin.workbook.file_port import FilePort
    from sop_addin.workbook.tables import read_output

    summary = read_output(FilePort.open(workbook), "RiskSummary", "sop risk")
    table = Table(title=f"Monte Carlo of the plan ({draws} draws, seed {seed})")
    for column in ("metric", "plan", "P10", "P50", "P90"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in summary.itertuples():
        fmt = "{:.1%}" if row.unit == "share" else "{:,.0f}"
        table.add_row(row.metric, *(fmt.format(v) for v in (row.plan, row.p10, row.p50, row.p90)))
    out.print(table)
