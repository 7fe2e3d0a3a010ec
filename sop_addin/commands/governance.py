"""`sop review` and `sop soe`: the approved plan against what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sop_addin.commands.common import echo_json, out, saved_workbook
from sop_addin.commands.store_options import approval_errors, store_option


def _save_outputs(workbook: Path, run: Any) -> dict[str, Any]:
    """Open WORKBOOK under its lock, run an action on it, save it atomically."""
    with saved_workbook(workbook) as port:
        summary: dict[str, Any] = run(port)
    return summary


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--actuals",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Actuals file (.csv or .xlsx: month, kind, item, quantity); default: the Actuals table.",
)
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Approved snapshot to compare with (default: the plan store's last approval).",
)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def review(
    workbook: Path,
    actuals: Path | None,
    snapshot: Path | None,
    store_dir: Path | None,
    as_json: bool,
) -> None:
    """Plan vs actual: compare actuals with the last approved plan, onto the Governance tab."""
    from sop_addin.actions.governance import plan_vs_actual

    with approval_errors():
        summary = _save_outputs(
            workbook,
            lambda port: plan_vs_actual(port, actuals=actuals, snapshot=snapshot, store=store_dir),
        )
    if as_json:
        echo_json(summary)
        return
    table = Table(title=f"Plan {summary['plan_version']} vs actual")
    for column in ("measure", "value", "threshold", "status"):
        table.add_column(column)
    for row in summary["adherence"]:
        value = row["value"]
        shown = "n/a" if value is None or value != value else f"{value:.1%}"
        table.add_row(row["measure"], shown, row["threshold"], row["status"])
    out.print(table)
    out.print(f"{summary['deviations']} deviation(s) listed on the Governance tab of {workbook}")


@click.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--actuals",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Weekly actuals (.csv or .xlsx: week, kind, item, quantity); default: WeeklyActuals.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Today (YYYY-MM-DD); default: Friday of the latest week with production or receipts.",
)
@click.option(
    "--snapshot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Approved snapshot (default: the plan store's last approval).",
)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def soe(
    workbook: Path,
    actuals: Path | None,
    as_of: Any,
    snapshot: Path | None,
    store_dir: Path | None,
    as_json: bool,
) -> None:
    """S&OE: the approved plan in weeks (next 13), deviations and corrections, onto the S&OE tab."""
    from sop_addin.actions.soe import s_and_oe

    with approval_errors():
        when: date | None = as_of.date() if as_of is not None else None
        summary = _save_outputs(
            workbook,
            lambda port: s_and_oe(
                port, weekly=actuals, as_of=when, snapshot=snapshot, store=store_dir
            ),
        )
    if as_json:
        echo_json(summary)
        return
    counts = ", ".join(f"{n} {kind}" for kind, n in summary["exceptions"].items()) or "none"
    out.print(
        f"S&OE for plan {summary['plan_version']} as of {summary['as_of']} "
        f"(weeks {summary['weeks'][0]} to {summary['weeks'][1]}): exceptions: {counts}"
    )
