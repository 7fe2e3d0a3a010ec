"""Render the README's pictures: the Demand grid and the Exec page of a planned workbook.

    sop new demo.xlsx --demo && sop run demo.xlsx --lp
    python docs/images/render.py demo.xlsx docs/images

Needs LibreOffice (soffice) and poppler's pdftoppm. Each picture is a one-sheet copy of the
workbook printed to PDF by LibreOffice, its first page turned into a PNG.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from sop_addin.workbook.charts import draw_exec_charts


def _one_sheet(source: Path, keep: str, hidden: tuple[str, ...], target: Path) -> None:
    wb = load_workbook(source)
    for name in list(wb.sheetnames):
        if name != keep and name not in hidden:
            del wb[name]
    for name in hidden:
        wb[name].sheet_state = "hidden"  # the charts' data, not printed
    wb.active = wb.sheetnames.index(keep)
    if keep == "Demand":
        # Open the first family's SKUs (as its + would) and print its rows, twelve months.
        ws = wb[keep]
        first, last_row = None, 3
        for row in range(3, ws.max_row + 1):
            if ws.row_dimensions[row].outlineLevel == 1 and first is None:
                first = ws.cell(row, 1).value
            if first is not None and ws.cell(row, 1).value != first:
                break
            ws.row_dimensions[row].hidden = False
            last_row = row
        ws.print_area = f"A1:P{min(last_row, 50)}"
        ws.page_setup.fitToHeight = 1
    draw_exec_charts(wb)
    wb.save(target)


def main(workbook: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        copies = [work / "demand-grid.xlsx", work / "exec-page.xlsx"]
        _one_sheet(workbook, "Demand", (), copies[0])
        _one_sheet(workbook, "Exec", ("Exec data",), copies[1])
        profile = (work / "profile").resolve().as_uri()
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(work), *map(str, copies)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        for copy in copies:
            pdf = copy.with_suffix(".pdf")
            stem = out_dir / copy.stem
            subprocess.run(
                ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", "-singlefile",
                 str(pdf), str(stem)],
                check=True, timeout=120,
            )  # fmt: skip
            print(stem.with_suffix(".png"))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
