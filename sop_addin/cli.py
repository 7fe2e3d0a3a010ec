"""The `sop` command line: the same actions as the Excel ribbon, on workbook files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from sop_addin import __version__
from sop_addin.actions import run_cycle
from sop_addin.commands.addin import addin
from sop_addin.commands.approval import (
    approve,
    audit,
    demo_approval,
    distribute,
    review,
    soe,
    verify,
)
from sop_addin.commands.common import (
    echo_json,
    fail,
    out,
    progress_bar,
    saved_workbook,
    user_errors,
)
from sop_addin.commands.forecast import forecast as forecast_command
from sop_addin.commands.scenarios import risk, scenarios
from sop_addin.contract import CONTRACT, Role
from sop_addin.core.planning import SolverOptions
from sop_addin.core.planning.solve import DEFAULT_SOLVER, SOLVERS
from sop_addin.workbook.file_port import FilePort, WorkbookOpenError
from sop_addin.workbook.tables import read_inputs, read_output


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(
        title=f"S&OP plan {summary['plan_version']} ({summary['company'] or 'no company'})"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for name, figure in summary["kpis"].items():
        value = figure["value"]
        unit = figure["unit"] or ""
        detail = figure.get("detail")
        if isinstance(detail, str) and detail:
            unit = f"{unit} ({detail})"  # e.g. the resource and month of the peak
        table.add_row(name, "n/a" if value is None else f"{value:,.1f}", unit)
    plan = summary["plan"]
    table.add_row("Solver", plan["solver"], plan.get("solution", plan["status"]))
    gap = plan.get("mip_gap")
    table.add_row(
        f"{plan.get('problem', 'LP')} objective",
        f"{plan['objective']:,.1f}",
        "gap n/a" if gap is None else f"gap {100 * gap:.2f}%",
    )
    out.print(table)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sop")
def cli() -> None:
    """sop-addin: Sales & Operations Planning on Excel workbooks.

    The same actions as the S&OP ribbon in Excel, run headless on .xlsx/.xlsm files.
    """


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates"),
    show_default=True,
    help="Folder to write sop_planning.xlsx into.",
)
def template(out_dir: Path) -> None:
    """Write the empty S&OP template, built from the workbook contract."""
    from sop_addin.workbook.template import write_template

    path = write_template(out_dir)
    out.print(f"wrote {path}")


@cli.command()
@click.argument("out_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Fill the workbook with the embedded demo company.")
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Random seed of the demo company."
)
@click.option(
    "--skus",
    type=click.IntRange(12, 20000),
    default=40,
    show_default=True,
    help="Number of SKUs of the demo company.",
)
@click.option("--force", is_flag=True, help="Replace OUT_FILE if it exists.")
def new(out_file: Path, demo: bool, seed: int, skus: int, force: bool) -> None:
    """Create a new working workbook OUT_FILE (empty, or the demo company with --demo)."""
    with user_errors():
        path = _new_workbook(out_file, demo, seed, skus, force)
    out.print(f"wrote {path}")


def _new_workbook(out_file: Path, demo: bool, seed: int, skus: int, force: bool) -> Path:
    from sop_addin.workbook.create import create_workbook

    if out_file.suffix.lower() != ".xlsx":
        msg = f"{out_file.name}: a new workbook must be an .xlsx file"
        raise WorkbookOpenError(msg)
    if out_file.exists() and not force:
        msg = f"{out_file} exists; choose another name or pass --force to replace it"
        raise FileExistsError(msg)
    tables = None
    if demo:
        from sop_addin.core.demo_company import generate_demo

        tables = generate_demo(seed=seed, skus=skus)
    return create_workbook(out_file, tables)


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
def validate(workbook: Path) -> None:
    """Check WORKBOOK's inputs against the contract and list every problem."""
    with user_errors():
        inputs = read_inputs(FilePort.open(workbook))
    counts = ", ".join(
        f"{len(f)} {name}" for name, f in inputs.tables.items() if name != "Settings"
    )
    out.print(f"{workbook}: inputs are valid ({counts})")


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
def migrate(workbook: Path) -> None:
    """Rewrite WORKBOOK in the current conventions (0.1 percent overrides become percent).

    A workbook written by sop-addin 0.1 stored a percent override as a share (0.1 = +10%);
    it is read as such either way, and this command makes the file say so in percent (10).
    """
    from sop_addin.workbook.migrate import migrate as migrate_workbook

    with user_errors(), saved_workbook(workbook) as port:
        result = migrate_workbook(port)
    if result["from"] == result["to"]:
        out.print(f"{workbook}: already in the conventions of {result['to']}; nothing to do")
    else:
        out.print(
            f"{workbook}: migrated from {result['from']} to {result['to']} "
            f"({result['overrides_converted']} percent override(s) now in percent)"
        )


def _default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _run(
    workbook: Path,
    out_path: Path | None,
    export: Path | None,
    jobs: int,
    options: SolverOptions,
    show_progress: bool,
    scheduler: str | None = None,
) -> dict[str, Any]:
    from sop_addin.core.forecasting.runner import SchedulerError

    target = out_path or workbook
    if target.suffix.lower() != workbook.suffix.lower():
        msg = f"--out {target.name}: the planned workbook keeps the {workbook.suffix} format"
        raise WorkbookOpenError(msg)
    # One writer per workbook: a second run on the same file waits for the first to finish,
    # so it reads the saved result instead of interleaving with it.
    try:
        with progress_bar(show_progress) as progress, saved_workbook(workbook, target) as port:
            summary = run_cycle(port, progress, jobs=jobs, options=options, scheduler=scheduler)
    except SchedulerError as exc:  # the workbook was not saved: nothing half-done
        fail(str(exc))
    summary["workbook"] = str(target)
    if export is not None:
        from sop_addin.workbook.export import export_csv
        from sop_addin.workbook.finance_formulas import formula_templates

        # Live-formula tables (PnL, SkuPnL) have no values until a spreadsheet recalculates
        # them; their figures are exported as FinancePlan.
        outputs = {
            t.name: read_output(port, t.name, produced_by="sop run", allow_empty=True)
            for t in CONTRACT.tables_with_role(Role.OUTPUT)
            if t.name not in formula_templates()
        }
        summary["exported"] = [str(p) for p in export_csv(outputs, export)]
    return summary


_run_options = [
    click.option(
        "--jobs",
        type=click.IntRange(1, 256),
        default=None,
        help="Processes for forecasting (default: all cores).",
    ),
    click.option(
        "--scheduler",
        envvar="SOP_DASK_SCHEDULER",
        default=None,
        metavar="tcp://HOST:PORT",
        help="Forecast on this Dask cluster instead of local processes (same numbers; "
        "needs sop-addin[distributed]; default: $SOP_DASK_SCHEDULER).",
    ),
    click.option(
        "--solver",
        type=click.Choice(SOLVERS),
        default=DEFAULT_SOLVER,
        show_default=True,
        help="LP/MILP solver (HiGHS measured faster; see benchmarks/bench_plan.py).",
    ),
    click.option(
        "--time-limit",
        type=click.FloatRange(min=1),
        default=None,
        help="Solver time limit in seconds (default: none for an LP, 120 s for the "
        "lot-size MILP's search, which then reports its gaps).",
    ),
    click.option(
        "--gap",
        "mip_gap",
        type=click.FloatRange(0, 1),
        default=0.01,
        show_default=True,
        help="Relative MIP gap on cost at which the lot-size search stops (0.01 = within "
        "1%); unmet demand is solved first and never inside it.",
    ),
    click.option(
        "--mip/--lp",
        "mip",
        default=True,
        show_default=True,
        help="Enforce lot sizes, changeovers and MOQs with setup binaries (MILP), or solve "
        "their LP relaxation (faster; lot rules not enforced).",
    ),
    click.option(
        "--whole-units/--fractional",
        "whole_units",
        default=True,
        show_default=True,
        help="Round production and purchases to whole packs (Products pack size, Materials "
        "order multiple; blank: whole units) with every balance kept, or keep the solver's "
        "fractions.",
    ),
]


def _with_run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_run_options):
        func = option(func)
    return func


@cli.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@click.option(
    "--export",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write every output table as DIR/<table>.csv.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the planned workbook here instead of updating WORKBOOK.",
)
@_with_run_options
def run(
    workbook: Path,
    as_json: bool,
    export: Path | None,
    out_path: Path | None,
    jobs: int | None,
    scheduler: str | None,
    solver: str,
    time_limit: float | None,
    mip_gap: float,
    mip: bool,
    whole_units: bool,
) -> None:
    """Run the S&OP cycle on WORKBOOK: forecast, supply plan, finance, exec summary.

    Output tables are written back atomically; input tables are never changed. When the
    inputs are invalid, every problem is listed and nothing is written.
    """
    options = SolverOptions(
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        relax_lots=not mip,
        whole_units=whole_units,
    )
    with user_errors():
        summary = _run(
            workbook, out_path, export, jobs or _default_jobs(), options, not as_json, scheduler
        )
    if as_json:
        echo_json(summary)
    else:
        _print_summary(summary)


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("workbooks/demo"),
    show_default=True,
    help="Folder for sop_demo.xlsx.",
)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Random seed of the demo company."
)
@click.option(
    "--skus", type=click.IntRange(12, 20000), default=40, show_default=True, help="Number of SKUs."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout.")
@_with_run_options
def demo(
    out_dir: Path,
    seed: int,
    skus: int,
    as_json: bool,
    jobs: int | None,
    scheduler: str | None,
    solver: str,
    time_limit: float | None,
    mip_gap: float,
    mip: bool,
    whole_units: bool,
) -> None:
    """Create the demo company's workbook in OUT, run the whole cycle, approve and distribute it."""
    options = SolverOptions(
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        relax_lots=not mip,
        whole_units=whole_units,
    )
    path = out_dir / "sop_demo.xlsx"
    with user_errors():
        _new_workbook(path, demo=True, seed=seed, skus=skus, force=True)
        summary = _run(path, None, None, jobs or _default_jobs(), options, not as_json, scheduler)
        summary.update(demo_approval(path, out_dir, seed))  # approved/ and departments/
    if as_json:
        echo_json(summary)
    else:
        _print_summary(summary)
        out.print(f"planned workbook: {summary['workbook']}")
        out.print(f"approved snapshot: {summary['approval']['snapshot']}")
        out.print(f"department workbooks: {out_dir / 'departments'}")


cli.add_command(addin)
cli.add_command(approve)
cli.add_command(verify)
cli.add_command(distribute)
cli.add_command(audit)
cli.add_command(review)
cli.add_command(soe)
cli.add_command(scenarios)
cli.add_command(risk)
cli.add_command(forecast_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
