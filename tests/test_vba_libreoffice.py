"""LibreOffice imports the add-in's VBA project and compiles the project's own modules.

LibreOffice Basic is not VBA, but it compiles VBA modules (in its VBA-compatibility mode)
from the project it imports: a real, independent reader of our vbaProject.bin. One batched
run (one LibreOffice start, about 3 s): every module gets a probe function appended, and
LibreOffice is asked to call each probe, which it can do only after compiling the module.
Calibrated by a module with a deliberate syntax error, which must fail, next to its
corrected twin, which must compile. xlwings' own modules (xlwings, Dictionary) use VBA
features LibreOffice Basic lacks and are not asked for.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from sop_addin.excel.addin_build import VBA_PART, XLAM_NAME
from sop_addin.excel.vba_project import VbaModule, build_vba_project
from sop_addin.excel.vba_read import read_project, vba_project_of

ROOT = Path(__file__).resolve().parents[1]
PROBE_SCRIPT = Path(__file__).with_name("lo_compile_probe.py")
SYSTEM_PYTHON = "/usr/bin/python3"
THIRD_PARTY = {"xlwings", "Dictionary"}
PROBE = "Public Function SopCompileProbe() As Long\r\n    SopCompileProbe = 1\r\nEnd Function\r\n"
BROKEN = (
    'Attribute VB_Name = "{name}"\r\n'
    "Public Sub Check()\r\n"
    "    If True Then\r\n"
    "        Debug.Print 1\r\n"
    "{end_if}"
    "End Sub\r\n"
)


def _uno_python() -> str:
    ok = shutil.which("soffice") and subprocess.run(
        [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, check=False
    )
    if not ok or ok.returncode != 0:
        if os.environ.get("SOP_SKIP_LIBREOFFICE") == "1":
            pytest.skip("LibreOffice or python3-uno is missing and SOP_SKIP_LIBREOFFICE=1")
        pytest.fail("LibreOffice's Python bridge is missing: run `make libreoffice` (python3-uno)")
    return SYSTEM_PYTHON


def _probed_workbook(tmp_path: Path) -> tuple[Path, list[str]]:
    """The committed add-in as a workbook, every module with a probe, plus the two twins."""
    addin = ROOT / "templates" / XLAM_NAME
    project = read_project(vba_project_of(addin))
    kinds = {"Document": "document", "Module": "module", "Class": "class"}
    modules = []
    for line in project.project_lines:
        key, _, value = line.partition("=")
        if key in kinds:
            name = value.split("/")[0]
            modules.append(VbaModule(name, kinds[key], project.sources[name]))
    modules += [
        VbaModule("Broken", "module", BROKEN.format(name="Broken", end_if="")),
        VbaModule("Mended", "module", BROKEN.format(name="Mended", end_if="    End If\r\n")),
    ]
    vba = build_vba_project([replace(m, source=m.source + PROBE) for m in modules])
    out = io.BytesIO()
    with zipfile.ZipFile(addin) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = vba if info.filename == VBA_PART else src.read(info.filename)
            if info.filename == "[Content_Types].xml":  # LibreOffice does not open add-ins
                part = part.replace(b".addin.macroEnabled.", b".sheet.macroEnabled.")
            dst.writestr(info, part)
    path = tmp_path / "probed.xlsm"
    path.write_bytes(out.getvalue())
    return path, [m.name for m in modules if m.name not in THIRD_PARTY]


@pytest.mark.libreoffice
def test_libreoffice_compiles_our_modules_and_rejects_a_syntax_error(tmp_path):
    python = _uno_python()
    workbook, names = _probed_workbook(tmp_path)
    done = subprocess.run(
        [python, str(PROBE_SCRIPT), str(tmp_path / "profile"), str(workbook), *names],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert results.pop("Broken") == "failed"  # the calibration: a syntax error is caught
    assert results.pop("Mended") == "compiled"
    assert set(results) >= {"ThisWorkbook", "Sheet1", "SopRibbon"}
    assert results == dict.fromkeys(results, "compiled")
