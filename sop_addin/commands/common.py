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
from sop_addin.errors import (
    EXIT_FAILED,
    EXIT_INVALID,
    ApprovedSnapshotError,
    is_approved_snapshot,
    user_error,
)
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.lock import refuse_if_open_elsewhere, workbook_lock

err = Console(stderr=True)
out = Console()

__all__ = ["EXIT_FAILED", "EXIT_INVALID", "fail", "saved_workbook", "user_errors"]


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
    except Exception as exc:
        found = user_error(exc)
        if found is None:
            raise  # a bug: keep its traceback
        fail(found.cli, found.code)


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

    Refused before anything runs: a target another program has open (Excel's or
    LibreOffice's lock file beside it) and an approved snapshot. Nothing is saved when the
    body raises, so a failed step leaves the file as it was. Only the target is locked: the
    source is read once, whole, and may sit in a read-only folder.
    """
    target = target or workbook
    refuse_if_open_elsewhere(target)
    with contextlib.ExitStack() as locks:
        locks.enter_context(workbook_lock(target.resolve()))
        port = FilePort.open(workbook)
        refuse_approved_snapshot(port, workbook)
        yield port
        port.save(target)


def refuse_approved_snapshot(port: FilePort, workbook: Path) -> None:
    """Raise ApprovedSnapshotError for a snapshot: it is verified and distributed, not planned."""
    security = port.workbook.security
    locked = bool(security is not None and security.lockStructure)
    if is_approved_snapshot(port.sheet_names(), locked):
        raise ApprovedSnapshotError(workbook.name)
