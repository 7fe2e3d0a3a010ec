"""What every `sop` command shares: consoles, exit codes, user errors, progress, workbooks."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sop_addin.commands.progress_lines import ProgressLines
from sop_addin.contract.problems import ValidationError
from sop_addin.core.planning.solve import SolverError
from sop_addin.workbook.file_port import FilePort, WorkbookOpenError
from sop_addin.workbook.lock import WorkbookBusyError, workbook_lock

err = Console(stderr=True)
out = Console()

EXIT_INVALID = 2  # the workbook breaks the contract; nothing was written
EXIT_FAILED = 3  # the inputs were valid but a step could not finish; nothing was written


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def report_problems(error: ValidationError) -> NoReturn:
    table = Table(
        title=f"{len(error.problems)} problem(s) found; nothing was written", title_justify="left"
    )
    for column in ("tab", "table", "row", "column", "problem"):
        table.add_column(column, overflow="fold")
    for p in error.problems[:200]:
        table.add_row(
            p.tab, p.table, "" if p.row is None else str(p.row), p.column or "", p.message
        )
    err.print(table)
    if len(error.problems) > 200:
        err.print(f"... and {len(error.problems) - 200} more")
    sys.exit(EXIT_INVALID)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into a message and an exit code, never a traceback."""
    try:
        yield
    except ValidationError as exc:
        report_problems(exc)
    except WorkbookOpenError as exc:
        fail(str(exc), EXIT_INVALID)
    except SolverError as exc:
        fail(str(exc))
    except PermissionError as exc:
        fail(f"{exc} (close the file if it is open in Excel, and retry)")
    except FileExistsError as exc:
        fail(str(exc), EXIT_INVALID)
    except WorkbookBusyError as exc:
        fail(str(exc))


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    if enabled and not err.is_terminal:  # a log (CI, cron, 2> file): plain timestamped lines
        yield ProgressLines(err.file)
        return
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not enabled,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


def echo_json(summary: Any) -> None:
    click.echo(json.dumps(summary, indent=2, default=str))


@contextmanager
def saved_workbook(workbook: Path, target: Path | None = None) -> Iterator[FilePort]:
    """Open WORKBOOK under its lock, yield its port, then save it atomically (to TARGET).

    Nothing is saved when the body raises, so a failed step leaves the file as it was.
    """
    target = target or workbook
    with contextlib.ExitStack() as locks:
        for path in sorted({workbook.resolve(), target.resolve()}):
            locks.enter_context(workbook_lock(path))
        port = FilePort.open(workbook)
        yield port
        port.save(target)
