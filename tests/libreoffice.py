"""Drive LibreOffice headless, the real spreadsheet the tests open every produced file with."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# Recalculate formulas on load, always (LibreOffice otherwise trusts cached values).
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
  <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""


def soffice() -> str:
    """The soffice binary; a missing LibreOffice fails the test unless explicitly skipped."""
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if binary is None:
        if os.environ.get("SOP_SKIP_LIBREOFFICE") == "1":
            pytest.skip("LibreOffice is not installed and SOP_SKIP_LIBREOFFICE=1")
        pytest.fail("LibreOffice (soffice) is not installed: run `make test`, which installs it")
    return binary


def convert(files: list[Path], out_dir: Path, target: str = "xlsx") -> list[Path]:
    """Convert all files in one LibreOffice start (it is slow to start); return the results."""
    profile = out_dir / "lo-profile"
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
    converted = out_dir / "converted"
    command = [
        soffice(),
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(converted),
        *[str(f) for f in files],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    ext = target.split(":")[0]
    results = [converted / f"{f.stem}.{ext}" for f in files]
    missing = [r.name for r in results if not r.is_file()]
    assert not missing, f"LibreOffice did not convert {missing}: {done.stdout}\n{done.stderr}"
    return results
