"""`sop addin build`: the macro-enabled template and the S&OP add-in."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

out = Console()
err = Console(stderr=True)

EXIT_FAILED = 3


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
    out.print(f"ribbon buttons: {buttons}", highlight=False)
