"""Approval costs: locked workbook build + save, content digests, verify, store, audit verify.

    .venv/bin/python benchmarks/bench_approval.py [--rows 2000 20000 100000] [--audit-rows 10000]

A synthetic Forecast-shaped table of ROWS rows (10 columns) goes through what approval does
to every table: written as values into a locked workbook (SHA-512, 100,000 spins), saved
atomically, digested, verified; the plan store appends and verifies AUDIT_ROWS rows.
Prints seconds per step and ratios against the smallest size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sop_addin.approval.content import content_hash, workbook_digests
from sop_addin.approval.manifest import build_manifest, file_sha256, sign_manifest, write_manifest
from sop_addin.approval.protection import hash_password
from sop_addin.approval.snapshot import TableValues, build_locked_workbook, save_workbook
from sop_addin.approval.verify import verify_workbook
from sop_addin.store import PlanStore

HEADER = ["sku", "family", "region", "month", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]


def _timed(results: dict[str, float], name: str, func, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func(*args)
    results[name] = time.perf_counter() - start
    return value


def bench_workbook(rows: int, folder: Path) -> dict[str, float]:
    block = [HEADER] + [
        [f"S{i:06d}", "F", "North", None, "ets", i * 1.5, i * 1.0, i + 2.0, i - 1.0, i + 3.0]
        for i in range(rows)
    ]
    results: dict[str, float] = {}
    locked = _timed(
        results,
        "build",
        build_locked_workbook,
        [("cover", "bench")],
        [TableValues("Forecast", block)],
    )
    digests = _timed(results, "digest", workbook_digests, locked.workbook)
    target = folder / f"bench-{rows}.xlsx"
    _timed(results, "save", save_workbook, locked, target)
    store = PlanStore(folder / "store")
    body = build_manifest(
        target.name,
        "snapshot",
        {"plan_version": "bench"},
        digests,
        locked.protection,
        file_sha256(target),
    )
    manifest = folder / f"bench-{rows}.manifest.json"
    write_manifest(manifest, sign_manifest(body, store.private_key))
    result = _timed(results, "verify", lambda: verify_workbook(target, public_key=store.public_key))
    results["manifest MB"] = manifest.stat().st_size / 1e6
    assert result.ok, result.problems
    assert content_hash(digests) == body["content_hash"]
    return results


def bench_store(rows: int, folder: Path) -> dict[str, float]:
    store = PlanStore(folder / "audit-store")
    store.private_key  # noqa: B018
    results: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(rows):
        store.record("note", "bench", {"i": i})
    results["append (per row, ms)"] = (time.perf_counter() - start) / rows * 1000
    findings = _timed(results, "audit verify", store.verify_audit)
    assert findings == []
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--audit-rows", type=int, default=2000)
    args = parser.parse_args()
    start = time.perf_counter()
    hash_password("x")
    print(f"SHA-512 password hash, 100,000 spins: {time.perf_counter() - start:.3f} s")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base: dict[str, float] | None = None
        for rows in args.rows:
            results = bench_workbook(rows, folder)
            base = base or results
            figures = ", ".join(
                f"{k} {v:.2f}{'' if 'MB' in k else ' s'} (x{v / base[k]:.1f})"
                if base[k]
                else f"{k} {v:.2f} s"
                for k, v in results.items()
            )
            print(f"{rows:>7} rows x 10 columns: {figures}")
        store = bench_store(args.audit_rows, folder)
        print(
            f"audit log, {args.audit_rows} rows: append {store['append (per row, ms)']:.2f} ms/row "
            f"(one transaction each, synchronous=FULL), verify {store['audit verify']:.3f} s"
        )


if __name__ == "__main__":
    main()
