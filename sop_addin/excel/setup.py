"""`sop addin install` / `uninstall`: set up Excel for this Python in one command.

What Excel needs, per platform (all under the user's home, so `home` and `platform` make it
testable anywhere):

- the user's xlwings.conf (xlwings' own location: ``~/.xlwings/xlwings.conf`` on Windows,
  ``~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf`` on the Mac, the sandbox
  Excel reads) naming this Python (Interpreter_Win / Interpreter_Mac) and the worksheet
  functions (UDF Modules); on Windows also "Use UDF Server", so clicks reuse one Python;
- the add-in in the user's add-ins folder, and on Windows an OPEN entry in Excel's options
  (HKCU\\Software\\Microsoft\\Office\\16.0\\Excel\\Options) so Excel loads it at start;
  Excel for Mac has no such setting: the planner ticks it once in Tools > Excel Add-ins;
- on the Mac, RunPython's AppleScript in ``~/Library/Application Scripts/com.microsoft.Excel``
  (what `xlwings runpython install` copies).

Only the lines and files this module wrote are removed by `uninstall`; other settings in
the user's xlwings.conf are kept.
"""

from __future__ import annotations

import csv
import importlib
import io
import shutil
import subprocess
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import xlwings

from sop_addin.excel.addin_build import UDF_MODULE, XLAM_NAME

WINDOWS, MAC = "windows", "mac"
PLATFORMS = (WINDOWS, MAC)
EXCEL_OPTIONS_KEY = r"Software\Microsoft\Office\16.0\Excel\Options"
APPLESCRIPT = f"xlwings-{xlwings.__version__}.applescript"
# Keys as xlwings' VBA asks for them (GetConfig compares them case-insensitively).
INTERPRETER_KEY = {WINDOWS: "INTERPRETER_WIN", MAC: "INTERPRETER_MAC"}
UDF_MODULES_KEY = "UDF MODULES"
UDF_SERVER_KEY = "USE UDF SERVER"


def current_platform() -> str:
    return MAC if sys.platform == "darwin" else WINDOWS


@dataclass(frozen=True)
class Paths:
    """Where Excel looks, for one user on one platform."""

    home: Path
    platform: str

    @property
    def user_conf(self) -> Path:
        if self.platform == MAC:
            return self.home / "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
        return self.home / ".xlwings" / "xlwings.conf"

    @property
    def conf_encoding(self) -> str:
        """VBA's `Input #` reads the ANSI code page on Windows; the Mac's files are UTF-8."""
        return "utf-8" if self.platform == MAC else "cp1252"

    @property
    def addins_folder(self) -> Path:
        if self.platform == MAC:
            return (
                self.home / "Library/Group Containers/UBF8T346G9.Office"
                "/User Content.localized/Add-Ins.localized"
            )
        return self.home / "AppData/Roaming/Microsoft/AddIns"

    @property
    def addin(self) -> Path:
        return self.addins_folder / XLAM_NAME

    @property
    def applescript(self) -> Path:
        return self.home / "Library/Application Scripts/com.microsoft.Excel" / APPLESCRIPT


def read_conf(path: Path, encoding: str = "cp1252") -> dict[str, str]:
    """An xlwings.conf file: one ``"KEY","VALUE"`` line per setting; keys upper-cased."""
    if not path.is_file():
        return {}
    settings: dict[str, str] = {}
    text = path.read_bytes().decode(encoding, errors="replace")
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[0].strip():
            settings.setdefault(row[0].strip().upper(), row[1])  # the first line wins in VBA
    return settings


def write_conf(path: Path, settings: dict[str, str], encoding: str = "cp1252") -> None:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for key, value in settings.items():
        writer.writerow([key, value])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue().encode(encoding))  # CRLF as written, on any OS


def our_settings(platform: str, python: str, udf_server: bool) -> dict[str, str]:
    """The settings install writes into the user's xlwings.conf."""
    settings = {INTERPRETER_KEY[platform]: python, UDF_MODULES_KEY: UDF_MODULE}
    if platform == WINDOWS and udf_server:
        settings[UDF_SERVER_KEY] = "True"
    return settings


def windows_registry() -> MutableMapping[str, str] | None:
    """Excel's Options values (HKCU) on Windows; None elsewhere."""
    if sys.platform != "win32":
        return None
    module = importlib.import_module("sop_addin.excel.winreg_options")  # winreg: Windows only
    options: MutableMapping[str, str] = module.ExcelOptions(EXCEL_OPTIONS_KEY)
    return options


def _open_value(addin: Path) -> str:
    return f'"{addin}"'  # Excel's own form: the quoted full path


def register(options: MutableMapping[str, str], addin: Path) -> str:
    """Add an OPEN, OPEN1, ... value for the add-in unless one exists; return its name."""
    wanted = _open_value(addin).lower()
    opens = {k: v for k, v in options.items() if k.upper().startswith("OPEN")}
    for name, value in opens.items():
        if value.strip().lower().replace("/r ", "") == wanted:
            return name
    index = 0
    while (f"OPEN{index}" if index else "OPEN") in opens:
        index += 1
    name = f"OPEN{index}" if index else "OPEN"
    options[name] = _open_value(addin)
    return name


def unregister(options: MutableMapping[str, str], addin: Path) -> list[str]:
    wanted = _open_value(addin).lower()
    names = [
        k
        for k, v in list(options.items())
        if k.upper().startswith("OPEN") and v.strip().lower().replace("/r ", "") == wanted
    ]
    for name in names:
        del options[name]
    return names


@dataclass
class Report:
    """What install/uninstall did, line by line, for the CLI to print."""

    done: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def install(
    paths: Paths,
    addin_bytes: bytes,
    python: str,
    registry: MutableMapping[str, str] | None = None,
    udf_server: bool = True,
    run_xlwings: bool = False,
) -> Report:
    """Write the user's xlwings.conf, copy and register the add-in, enable RunPython (Mac).

    Args:
        paths: the user's folders on the target platform.
        addin_bytes: the .xlam to install (built fresh by the caller).
        python: the interpreter Excel must start (this one, normally).
        registry: Excel's Windows Options values; None where there are none to write.
        udf_server: on Windows, let RunPython reuse xlwings' persistent Python.
        run_xlwings: on a real Mac, run `xlwings runpython install` instead of copying.
    """
    report = Report()
    conf = read_conf(paths.user_conf, paths.conf_encoding)
    ours = our_settings(paths.platform, python, udf_server)
    kept = {k: v for k, v in conf.items() if k not in ours}
    write_conf(paths.user_conf, {**ours, **kept}, paths.conf_encoding)
    for key, value in ours.items():
        report.done.append(f"{paths.user_conf}: {key} = {value}")

    paths.addins_folder.mkdir(parents=True, exist_ok=True)
    paths.addin.write_bytes(addin_bytes)
    report.done.append(f"copied the add-in to {paths.addin}")
    if paths.platform == WINDOWS:
        if registry is not None:
            name = register(registry, paths.addin)
            report.done.append(f"registered it: HKCU\\{EXCEL_OPTIONS_KEY} {name}")
        else:
            report.todo.append(
                "in Excel: File > Options > Add-ins > Manage: Excel Add-ins > Go... > Browse,"
                f" pick {paths.addin} and tick it (not on Windows now: registry not written)"
            )
    else:
        report.todo.append(
            "in Excel: Tools > Excel Add-ins... > Browse, pick "
            f"{paths.addin.name} in {paths.addins_folder} and tick it"
        )
        if run_xlwings:
            command = [str(Path(python).with_name("xlwings")), "runpython", "install"]
            subprocess.run(command, check=True)
            report.done.append("ran " + " ".join(command))
        else:
            source = Path(xlwings.__file__).with_name(APPLESCRIPT)
            paths.applescript.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, paths.applescript)
            report.done.append(
                f"copied {APPLESCRIPT} to {paths.applescript.parent} "
                "(what `xlwings runpython install` does)"
            )
        report.todo.append(
            "the first click asks to let Excel control System Events/Terminal: allow it "
            "(System Settings > Privacy & Security > Automation)"
        )
    return report


def uninstall(paths: Paths, registry: MutableMapping[str, str] | None = None) -> Report:
    """Undo `install`: our conf lines, the add-in file, its registration."""
    report = Report()
    conf = read_conf(paths.user_conf, paths.conf_encoding)
    ours = {INTERPRETER_KEY[paths.platform], UDF_MODULES_KEY, UDF_SERVER_KEY}
    removed = [k for k in conf if k in ours]
    if removed:
        rest = {k: v for k, v in conf.items() if k not in ours}
        if rest:
            write_conf(paths.user_conf, rest, paths.conf_encoding)
        else:
            paths.user_conf.unlink()
        report.done.append(f"{paths.user_conf}: removed {', '.join(removed)}")
    if paths.addin.is_file():
        paths.addin.unlink()
        report.done.append(f"removed {paths.addin}")
    if registry is not None:
        for name in unregister(registry, paths.addin):
            report.done.append(f"unregistered HKCU\\{EXCEL_OPTIONS_KEY} {name}")
    if paths.platform == MAC:
        report.todo.append("in Excel: Tools > Excel Add-ins..., untick S&OP if it is listed")
    if not report.done:
        report.done.append("nothing to remove: sop-addin was not installed for this user")
    return report
