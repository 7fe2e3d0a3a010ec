"""The core is pure: no workbook library is imported anywhere under sop_addin/core."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "sop_addin" / "core"
FORBIDDEN = {"xlwings", "openpyxl"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("sop_addin.") and not node.module.startswith(
                ("sop_addin.core", "sop_addin.contract")
            ):
                names.add(node.module)  # the core must not reach out to the edges either
    return names


def test_core_imports_no_workbook_library():
    files = sorted(CORE.rglob("*.py"))
    assert files, "no core modules found"
    offenders = {
        str(f.relative_to(CORE)): sorted(
            _imports(f) & FORBIDDEN | {n for n in _imports(f) if "." in n}
        )
        for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import openpyxl\nfrom sop_addin.workbook import codec\n")
    assert "openpyxl" in _imports(bad)
    assert "sop_addin.workbook" in _imports(bad)
