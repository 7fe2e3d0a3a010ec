"""`sop addin build | install | uninstall | doctor`: the Excel side, set up in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

out = Console(highlight=False, soft_wrap=True)  # paths stay on one line
err = Console(stderr=True)

EXIT_FAILED = 3
EXIT_PROBLEMS = 1  # doctor found something to fix


@click.group()
def addin() -> None:
    """The Excel side: the S&OP ribbon, template (.xlsm) and add-in (.xlam)."""


@addin.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("templates"),
    show_default=True,
    help="Folder to write sop_planning.xlsm and sop_addin.xlam into.",
)
def build(out_dir: Path) -> None:
    """Build sop_planning.xlsm and sop_addin.xlam with the ribbon and the VBA project.

    The ribbon shows a button for every action this version has; the VBA project is
    compiled from sop_addin/excel/vba. The files are byte-reproducible.
    """
    from sop_addin.actions import ACTIONS
    from sop_addin.excel.addin_build import write_addin_files
    from sop_addin.excel.ribbon_xml import shown_buttons

    try:
        paths = write_addin_files(out_dir, ACTIONS)
    except PermissionError as exc:
        err.print(f"[bold red]error:[/] {exc} (close the file if it is open in Excel, and retry)")
        raise SystemExit(EXIT_FAILED) from exc
    buttons = ", ".join(b.label for b in shown_buttons(ACTIONS))
    for path in paths:
        out.print(f"wrote {path}")
    out.print(f"ribbon buttons: {buttons}")


def _target(home: Path | None, platform: str | None):
    from sop_addin.excel.setup import Paths, current_platform, windows_registry

    real = home is None and platform in (None, current_platform())
    paths = Paths(home or Path.home(), platform or current_platform())
    # Excel's registry is written only for the real user on real Windows.
    registry = windows_registry() if real and paths.platform == "windows" else None
    return paths, registry, real


_HOME = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Act on this home folder instead of yours (for testing; no registry is touched).",
)
_PLATFORM = click.option(
    "--platform",
    type=click.Choice(["windows", "mac"]),
    default=None,
    help="The Excel platform to set up (default: this machine's).",
)
_PYTHON = click.option(
    "--python",
    "python",
    default=None,
    help="The interpreter Excel should start (default: this one).",
)


@addin.command()
@_HOME
@_PLATFORM
@_PYTHON
@click.option(
    "--udf-server/--no-udf-server",
    default=True,
    show_default=True,
    help="Windows: let button clicks reuse xlwings' persistent Python (faster after the "
    "first click; restart Excel after updating sop-addin).",
)
def install(home: Path | None, platform: str | None, python: str | None, udf_server: bool) -> None:
    """Set up Excel for this Python: xlwings.conf, the add-in, RunPython on the Mac.

    Writes Interpreter_Win or Interpreter_Mac (this Python) and UDF Modules into your
    xlwings.conf, copies sop_addin.xlam into your add-ins folder and registers it where
    the platform allows (Windows), runs `xlwings runpython install` on the Mac, and prints
    what it did and what is left to do in Excel.
    """
    from sop_addin.actions import ACTIONS
    from sop_addin.excel.addin_build import addin_bytes
    from sop_addin.excel.setup import install as do_install

    paths, registry, real = _target(home, platform)
    report = do_install(
        paths,
        addin_bytes(ACTIONS),
        python or sys.executable,
        registry=registry,
        udf_server=udf_server,
        run_xlwings=real and paths.platform == "mac",
    )
    for line in report.done:
        out.print(f"done: {line}", markup=False)
    for line in report.todo:
        out.print(f"to do: {line}", markup=False)
    out.print("then check with `sop addin doctor` (or the Diagnose button)")


@addin.command()
@_HOME
@_PLATFORM
def uninstall(home: Path | None, platform: str | None) -> None:
    """Undo `sop addin install`: its xlwings.conf lines, the add-in file, its registration."""
    from sop_addin.excel.setup import uninstall as do_uninstall

    paths, registry, _ = _target(home, platform)
    report = do_uninstall(paths, registry)
    for line in report.done:
        out.print(f"done: {line}", markup=False)
    for line in report.todo:
        out.print(f"to do: {line}", markup=False)


@addin.command()
@_HOME
@_PLATFORM
@_PYTHON
@click.option(
    "--workbook",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also read this workbook's xlwings.conf sheet and the xlwings.conf beside it.",
)
def doctor(home: Path | None, platform: str | None, python: str | None, workbook: Path | None):
    """Check what Excel needs: interpreter, versions, DLL or AppleScript, settings.

    Prints each check and, for each problem, its fix; exits 1 when a problem was found.
    """
    from sop_addin.excel.doctor import diagnose, report_text

    paths, registry, _ = _target(home, platform)
    checks, stack = diagnose(paths, python or sys.executable, workbook, registry)
    out.print(report_text(checks, stack), markup=False)
    if not all(c.ok for c in checks):
        raise SystemExit(EXIT_PROBLEMS)


@addin.command("self-test")
def self_test() -> None:
    """Run a tiny S&OP cycle on a scratch demo workbook and report each step.

    The same as the Self-test button; nothing of yours is read or written.
    """
    from sop_addin.excel.setup_actions import self_test as run

    result = run(None)
    out.print(result["report"], markup=False)
    if not result["ok"]:
        raise SystemExit(EXIT_FAILED)
