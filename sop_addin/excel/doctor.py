"""`sop addin doctor` and the Diagnose button: what stands between Excel and this Python.

Each check says what it found and, when something is wrong, the fix. The settings are
looked up the way xlwings' VBA (the custom add-in module the add-in embeds) looks them up,
first match wins: the active workbook's xlwings.conf sheet, the add-in's xlwings.conf
sheet, an xlwings.conf file beside the workbook, the user's xlwings.conf, then xlwings'
default (`python` / `pythonw` on the PATH).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import xlwings

from sop_addin import __version__
from sop_addin.excel.addin_build import CONF_SHEET, UDF_MODULE
from sop_addin.excel.setup import (
    EXCEL_OPTIONS_KEY,
    INTERPRETER_KEY,
    MAC,
    UDF_MODULES_KEY,
    WINDOWS,
    Paths,
    read_conf,
)
from sop_addin.excel.vba_read import read_project, vba_project_of

_CORE = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_VERSION_LINE = re.compile(r"^'Version: (\S+)", re.MULTILINE)
INSTALL = "run `sop addin install` with the Python that has sop-addin installed"


@dataclass(frozen=True)
class Check:
    """One finding: ok or a problem, what was seen, and the fix for a problem."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Layer:
    """One place xlwings reads settings from, and what it holds."""

    name: str
    where: str
    settings: Mapping[str, str]


def conf_sheet(path: Path) -> dict[str, str]:
    """The xlwings.conf sheet of a workbook or add-in: keys (upper-cased) from A1 down."""
    from openpyxl import load_workbook

    data = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "[Content_Types].xml":  # openpyxl does not open add-ins
                part = part.replace(b".addin.macroEnabled.", b".sheet.macroEnabled.")
            dst.writestr(info, part)
    wb = load_workbook(data, read_only=True, keep_vba=False)
    try:
        if CONF_SHEET not in wb.sheetnames:
            return {}
        settings: dict[str, str] = {}
        for key, value, *_ in wb[CONF_SHEET].iter_rows(min_col=1, max_col=2, values_only=True):
            if key in (None, ""):
                break  # xlwings stops at the first blank cell of column A
            settings.setdefault(str(key).upper(), "" if value is None else str(value))
        return settings
    finally:
        wb.close()


def addin_version(path: Path) -> str | None:
    """The sop-addin version that built an add-in or template (its core properties)."""
    with zipfile.ZipFile(path) as package:
        core = ElementTree.fromstring(package.read("docProps/core.xml"))
    node = core.find(f"{_CORE}version")
    return node.text if node is not None else None


def embedded_xlwings_version(path: Path) -> str | None:
    """The version line of the xlwings VBA module inside a workbook or add-in."""
    sources = read_project(vba_project_of(path)).sources
    match = _VERSION_LINE.search(sources.get("xlwings", ""))
    return match.group(1) if match else None


def layers(paths: Paths, workbook: Path | None) -> list[Layer]:
    """The settings layers, in xlwings' order of precedence (first wins)."""
    found = []
    # An unsaved or cloud workbook has no file to read its sheet from.
    openable = (".xlsm", ".xlsx", ".xlam")
    if workbook is not None and workbook.is_file() and workbook.suffix.lower() in openable:
        where = f"{workbook.name} [{CONF_SHEET}]"
        found.append(Layer("workbook sheet", where, conf_sheet(workbook)))
    if paths.addin.is_file():
        where = f"{paths.addin.name} [{CONF_SHEET}]"
        found.append(Layer("add-in sheet", where, conf_sheet(paths.addin)))
    if workbook is not None:
        beside = workbook.with_name("xlwings.conf")
        found.append(Layer("workbook folder", str(beside), read_conf(beside, paths.conf_encoding)))
    user = read_conf(paths.user_conf, paths.conf_encoding)
    found.append(Layer("user file", str(paths.user_conf), user))
    return found


def effective(key: str, stack: list[Layer]) -> tuple[str, Layer] | None:
    for layer in stack:
        if key in layer.settings:
            return layer.settings[key], layer
    return None


def same_path(a: str, b: str, platform: str) -> bool:
    """Whether two paths name the same file (Windows paths ignore case and slash style)."""
    if platform == WINDOWS:
        return (
            a.replace("/", "\\").rstrip("\\").lower() == b.replace("/", "\\").rstrip("\\").lower()
        )
    return Path(a) == Path(b)


def _interpreter(paths: Paths, stack: list[Layer], python: str) -> Check:
    key = INTERPRETER_KEY[paths.platform]
    found = effective(key, stack)
    if found is None:
        return Check(
            "Python",
            False,
            f"no {key} setting: Excel starts whatever `python` is first on its PATH",
            INSTALL,
        )
    value, layer = found
    where = f"{key} = {value} (from the {layer.name}: {layer.where})"
    if not value.strip():
        return Check("Python", False, where + ": blank", f"delete that blank row, or {INSTALL}")
    if not same_path(value, python, paths.platform):
        return Check(
            "Python",
            False,
            f"{where}, but this is {python}",
            f"{INSTALL}, or run `sop addin doctor` with {value} to check that one",
        )
    if not Path(value).is_file():
        return Check("Python", False, where + ": no such file", INSTALL)
    return Check("Python", True, where)


def _udf_modules(stack: list[Layer]) -> Check:
    found = effective(UDF_MODULES_KEY, stack)
    if found is None:
        return Check(
            "UDF Modules", False, "not set: Import Functions finds no SOP_* functions", INSTALL
        )
    value, layer = found
    names = [n.strip() for n in value.split(";")]
    detail = f"{value} (from the {layer.name})"
    if UDF_MODULE not in names:
        return Check(
            "UDF Modules",
            False,
            detail,
            f"set it to {UDF_MODULE} there (`sop addin install` does it in the user file)",
        )
    return Check("UDF Modules", True, detail)


def _addin_checks(paths: Paths, registry: Mapping[str, str] | None) -> list[Check]:
    if not paths.addin.is_file():
        return [Check("add-in", False, f"{paths.addin} is missing", "run `sop addin install`")]
    checks = []
    built_by = addin_version(paths.addin)
    checks.append(
        Check(
            "add-in version",
            built_by == __version__,
            f"{paths.addin.name} built by sop-addin {built_by}; this Python has {__version__}",
            "" if built_by == __version__ else "run `sop addin install` (copies the matching one)",
        )
    )
    vba = embedded_xlwings_version(paths.addin)
    checks.append(
        Check(
            "xlwings",
            vba == xlwings.__version__,
            f"the add-in's VBA module is xlwings {vba}; this Python has xlwings "
            f"{xlwings.__version__}",
            ""
            if vba == xlwings.__version__
            else f"pip install xlwings=={vba} (sop-addin pins it), or `sop addin install` "
            "after upgrading both",
        )
    )
    if paths.platform == WINDOWS and registry is not None:
        wanted = f'"{paths.addin}"'.lower()
        listed = [k for k, v in registry.items() if k.upper().startswith("OPEN")]
        ok = any(registry[k].strip().lower().replace("/r ", "") == wanted for k in listed)
        checks.append(
            Check(
                "registered",
                ok,
                f"HKCU\\{EXCEL_OPTIONS_KEY}: {'an OPEN entry loads it' if ok else 'no OPEN entry'}",
                "" if ok else "run `sop addin install`, or tick it in File > Options > Add-ins",
            )
        )
    return checks


def _platform_checks(paths: Paths, python: str) -> list[Check]:
    if paths.platform == MAC:
        ok = paths.applescript.is_file()
        return [
            Check(
                "RunPython (Mac)",
                ok,
                f"{paths.applescript} {'is in place' if ok else 'is missing'}",
                "" if ok else "run `xlwings runpython install` (or `sop addin install`)",
            )
        ]
    version = xlwings.__version__
    names = [f"xlwings64-{version}.dll", f"xlwings32-{version}.dll"]
    folders = [Path(python).parent, Path(python).parent.parent]  # a Python, a virtualenv
    found = [folder / name for folder in folders for name in names if (folder / name).is_file()]
    missing = f"neither {' nor '.join(names)} in {folders[0]} or {folders[1]}"
    return [
        Check(
            "xlwings DLL",
            bool(found),
            f"{found[0]}" if found else missing,
            "" if found else f"pip install --force-reinstall xlwings=={version} in that Python",
        )
    ]


def diagnose(
    paths: Paths,
    python: str,
    workbook: Path | None = None,
    registry: Mapping[str, str] | None = None,
) -> tuple[list[Check], list[Layer]]:
    """Every check, and the settings layers they were read from."""
    stack = layers(paths, workbook)
    checks = [
        _interpreter(paths, stack, python),
        _udf_modules(stack),
        *_addin_checks(paths, registry),
        *_platform_checks(paths, python),
    ]
    interpreter_keys = set(INTERPRETER_KEY.values())
    for layer in stack[:-1]:  # a sheet or folder file that names a Python hides the user file
        shadowing = sorted(interpreter_keys & set(layer.settings))
        if shadowing and layer.name != "workbook folder":
            checks.append(
                Check(
                    "precedence",
                    False,
                    f"the {layer.name} ({layer.where}) sets {', '.join(shadowing)}, which "
                    "overrides the user file for every workbook it applies to",
                    "delete those rows unless every user has that Python at that path",
                )
            )
    return checks, stack


def report_text(checks: list[Check], stack: list[Layer]) -> str:
    """The report as plain lines (for a message box and the CLI)."""
    lines = []
    for check in checks:
        lines.append(f"{'OK ' if check.ok else 'PROBLEM'} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"    fix: {check.fix}")
    lines.append("Settings, first match wins:")
    for i, layer in enumerate(stack, start=1):
        keys = ", ".join(sorted(layer.settings)) or "nothing"
        lines.append(f"  {i}. {layer.name}: {layer.where} ({keys})")
    return "\n".join(lines)
