"""Saving a planned workbook: the lossless package writer against openpyxl's full save.

Builds the demo company's workbook (SKUS SKUs), writes a Forecast-shaped output block
(SKUs x 18 months) through the file port, then times the save both ways:
the package writer (only the changed sheet and table parts rewritten, every other part
copied) and openpyxl's load-model save (which also drops what it does not model).

    PYTHONPATH=. python benchmarks/bench_file_port.py [SKUS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.core.demo_company import generate_demo
from sop_addin.workbook.codec import frame_to_block
from sop_addin.workbook.create import create_workbook
from sop_addin.workbook.file_port import FilePort


def main(skus: int) -> None:
    folder = Path(tempfile.mkdtemp())
    path = create_workbook(folder / "demo.xlsx", generate_demo(seed=7, skus=skus))
    table = CONTRACT.table("Forecast")
    months = pd.date_range("2027-01-01", periods=18, freq="MS")
    rows = [
        {"sku": f"SKU-{i:05d}", "month": m, **{c: 1.5 for c in table.column_names[2:]}}
        for i in range(skus)
        for m in months
    ]
    frame = pd.DataFrame(rows).reindex(columns=table.column_names)
    frame["month"] = pd.to_datetime(frame["month"])
    for column in table.columns:
        if column.type.value == "text" and column.name not in ("sku",):
            frame[column.name] = "x"
    block = frame_to_block(frame, table)
    print(f"workbook {path.stat().st_size / 1e6:.1f} MB, Forecast block {len(block) - 1} rows")

    start = time.perf_counter()
    port = FilePort.open(path)
    opened = time.perf_counter() - start
    port.write_block("Forecast", block)
    start = time.perf_counter()
    port.save(folder / "package.xlsx")
    package_seconds = time.perf_counter() - start

    port = FilePort.open(path)
    port.write_block("Forecast", block)
    start = time.perf_counter()
    port.workbook.save(folder / "openpyxl.xlsx")
    openpyxl_seconds = time.perf_counter() - start
    print(f"open (openpyxl load + baseline): {opened:.2f} s")
    print(f"save, package writer:            {package_seconds:.2f} s")
    print(f"save, openpyxl full save:        {openpyxl_seconds:.2f} s")
    print(f"ratio package / openpyxl:        {package_seconds / openpyxl_seconds:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
