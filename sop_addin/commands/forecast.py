"""`sop forecast`: the forecasting engine on any long panel CSV, outside a workbook.

INPUT has the columns unique_id, ds, y (one row per series and month) and optionally promo (1 for
a promotion month: cleansing takes it back to the baseline); OUT gets unique_id,
ds, model, mean, lo-80, hi-80, lo-95, hi-95, one row per series and step. Bad input exits
with code 2 and a message; a series that cannot be forecast gets 0 and a note (--notes).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True)
EXIT_INVALID = 2
EXIT_FAILED = 3


class BadInput(click.ClickException):
    """A CSV the engine cannot read: exit code 2, like every user-input problem."""

    exit_code = EXIT_INVALID


def _read_panel(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The panel and each row's line in the file (the header is line 1)."""
    try:
        # Blank lines are kept while reading so that row positions stay file lines.
        frame = pd.read_csv(
            path, dtype={"unique_id": str}, low_memory=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"{path}: not a readable CSV ({str(exc).strip().splitlines()[0]})"
        raise BadInput(msg) from exc
    lines = np.arange(len(frame)) + 2
    filled = frame.notna().any(axis=1).to_numpy()
    return frame[filled].reset_index(drop=True), lines[filled]


@click.command("forecast")
@click.argument("input_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--horizon",
    "horizon",
    type=click.IntRange(1, 240),
    required=True,
    help="Months to forecast past each series' end.",
)
@click.option(
    "--out",
    "out_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Forecast CSV to write (replaced atomically).",
)
@click.option(
    "--season-length",
    type=click.IntRange(1, 52),
    default=12,
    show_default=True,
    help="Periods per season.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--scheduler",
    envvar="SOP_DASK_SCHEDULER",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Run on this Dask cluster instead of local processes (same numbers; needs "
    "sop-addin[distributed]; default: $SOP_DASK_SCHEDULER).",
)
@click.option(
    "--metric",
    type=click.Choice(["mase", "wmape"]),
    default="mase",
    show_default=True,
    help="Backtest metric that selects the model per series.",
)
@click.option(
    "--thorough", is_flag=True, help="Also try the slow candidates (SARIMA, Holt linear trend)."
)
@click.option(
    "--notes",
    "notes_csv",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the model and note per series to this CSV.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def forecast(
    input_csv: Path,
    horizon: int,
    out_csv: Path,
    season_length: int,
    jobs: int | None,
    scheduler: str | None,
    metric: str,
    thorough: bool,
    notes_csv: Path | None,
    quiet: bool,
) -> None:
    """Forecast every series of a long panel CSV (unique_id, ds, y[, promo]) HORIZON months ahead.

    Each series is cleansed (isolated spikes only; level shifts are kept), classified
    (smooth, erratic, intermittent, lumpy) and routed to its candidate models (the
    classical Theta, damped trend and ARIMA on seasonally adjusted data, their median
    combination, seasonal models); a rolling-origin backtest ranks them and the median of
    the best three forecasts (unless one wins clearly), with 80% and 95% intervals
    calibrated on the backtest's errors. Runs in local processes (--jobs) or on a Dask
    cluster (--scheduler).
    """
    from sop_addin.core.forecasting.panel import forecast_panel
    from sop_addin.core.forecasting.runner import SchedulerError
    from sop_addin.core.forecasting.selection import BacktestSettings
    from sop_addin.core.forecasting.types import EngineOptions
    from sop_addin.workbook.atomic import atomic_write

    panel, lines = _read_panel(input_csv)
    options = EngineOptions(
        backtest=BacktestSettings(metric=metric, season=season_length), thorough=thorough
    )
    # No refresh thread: the bar is redrawn from the callback, so the engine may fork.
    bar = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        auto_refresh=False,
    )
    started = time.perf_counter()
    with bar:
        task = bar.add_task("Forecast", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            bar.refresh()

        try:
            result, notes = forecast_panel(
                panel,
                horizon,
                options,
                jobs=jobs or os.cpu_count() or 1,
                progress=progress,
                lines=lines,
                scheduler=scheduler,
            )
        except SchedulerError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise SystemExit(EXIT_FAILED) from exc
        except ValueError as exc:
            # One line, not wrapped: the line number and column must stay readable.
            err.print(f"[bold red]error:[/] {input_csv}: {exc}", highlight=False, soft_wrap=True)
            raise SystemExit(EXIT_INVALID) from exc
    seconds = time.perf_counter() - started
    result["ds"] = result["ds"].dt.strftime("%Y-%m-%d")
    atomic_write(out_csv, lambda p: result.to_csv(p, index=False))
    if notes_csv is not None:
        atomic_write(notes_csv, lambda p: notes.to_csv(p, index=False))
    n = len(notes)
    if not quiet:
        err.print(
            f"{n} series, {len(result)} rows in {seconds:.1f} s ({n / max(seconds, 1e-9):.1f} "
            f"series/s): {out_csv}",
            highlight=False,
        )
