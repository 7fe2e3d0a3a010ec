"""`sop addin install | uninstall | doctor` on a stand-in home folder, for Windows and Mac."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xlwings
from click.testing import CliRunner

from sop_addin import __version__
from sop_addin.cli import cli
from sop_addin.excel import setup
from sop_addin.excel.doctor import conf_sheet, diagnose, embedded_xlwings_version
from sop_addin.excel.setup import MAC, WINDOWS, Paths, read_conf, register, unregister

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_ADDIN = ROOT / "templates" / "sop_addin.xlam"
DLL = f"xlwings64-{xlwings.__version__}.dll"


@pytest.fixture
def python(tmp_path) -> Path:
    """A stand-in Windows virtualenv: Scripts/python.exe, the xlwings DLL at its root."""
    venv = tmp_path / "venv"
    (venv / "Scripts").mkdir(parents=True)
    exe = venv / "Scripts" / "python.exe"
    exe.write_bytes(b"")
    (venv / DLL).write_bytes(b"")
    return exe


def _run(*args: str):
    return CliRunner().invoke(cli, ["addin", *args])


def test_windows_install_writes_the_conf_copies_the_addin_and_doctor_agrees(tmp_path, python):
    home = tmp_path / "home"
    result = _run("install", "--home", str(home), "--platform", "windows", "--python", str(python))
    assert result.exit_code == 0, result.output
    paths = Paths(home, WINDOWS)
    conf = paths.user_conf
    assert conf == home / ".xlwings" / "xlwings.conf"  # where xlwings' VBA reads it
    # The exact lines xlwings' VBA `Input #` reads: quoted key, quoted value.
    assert conf.read_bytes().decode() == (
        f'"INTERPRETER_WIN","{python}"\r\n"UDF MODULES","sop_addin.udfs"\r\n'
        '"USE UDF SERVER","True"\r\n'
    )
    assert paths.addin == home / "AppData/Roaming/Microsoft/AddIns/sop_addin.xlam"
    # The copied add-in is the committed, byte-reproducible build.
    assert paths.addin.read_bytes() == COMMITTED_ADDIN.read_bytes()
    assert f"done: {conf}: INTERPRETER_WIN = {python}" in result.output
    assert "to do: in Excel: File > Options > Add-ins" in result.output  # no registry here

    doctor = _run("doctor", "--home", str(home), "--platform", "windows", "--python", str(python))
    assert doctor.exit_code == 0, doctor.output
    assert "PROBLEM" not in doctor.output
    assert f"OK  xlwings DLL: {python.parent.parent / DLL}" in doctor.output
    assert "1. add-in sheet: sop_addin.xlam [xlwings.conf] (UDF MODULES)" in doctor.output


def test_reinstall_keeps_the_users_own_settings_and_uninstall_removes_only_ours(tmp_path, python):
    paths = Paths(tmp_path / "home", WINDOWS)
    setup.write_conf(paths.user_conf, {"INTERPRETER_WIN": "C:\\old\\python.exe", "DEBUG UDFS": "1"})
    for _ in range(2):
        setup.install(paths, b"xlam", str(python))
    assert read_conf(paths.user_conf) == {
        "INTERPRETER_WIN": str(python),
        "UDF MODULES": "sop_addin.udfs",
        "USE UDF SERVER": "True",
        "DEBUG UDFS": "1",
    }
    report = setup.uninstall(paths)
    assert read_conf(paths.user_conf) == {"DEBUG UDFS": "1"}
    assert not paths.addin.exists()
    assert any("removed INTERPRETER_WIN, UDF MODULES, USE UDF SERVER" in d for d in report.done)
    assert setup.uninstall(paths).done == [
        "nothing to remove: sop-addin was not installed for this user"
    ]


def test_no_udf_server_leaves_runpython_starting_a_fresh_python(tmp_path, python):
    paths = Paths(tmp_path, WINDOWS)
    setup.install(paths, b"xlam", str(python), udf_server=False)
    assert "USE UDF SERVER" not in read_conf(paths.user_conf)


def test_mac_install_puts_runpythons_applescript_where_excel_runs_it(tmp_path):
    home = tmp_path / "home"
    python = "/Users/planner/venv/bin/python"
    result = _run("install", "--home", str(home), "--platform", "mac", "--python", python)
    assert result.exit_code == 0, result.output
    paths = Paths(home, MAC)
    assert paths.user_conf == home / "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
    assert read_conf(paths.user_conf, "utf-8") == {
        "INTERPRETER_MAC": python,
        "UDF MODULES": "sop_addin.udfs",
    }  # no UDF server on the Mac
    script = home / "Library/Application Scripts/com.microsoft.Excel" / setup.APPLESCRIPT
    assert script.read_bytes() == Path(xlwings.__file__).with_name(setup.APPLESCRIPT).read_bytes()
    assert "Tools > Excel Add-ins" in result.output
    assert "Privacy & Security > Automation" in result.output
    # The interpreter is not on this machine: doctor says exactly that, with the fix.
    doctor = _run("doctor", "--home", str(home), "--platform", "mac", "--python", python)
    assert doctor.exit_code == 1
    assert "PROBLEM Python: INTERPRETER_MAC = /Users/planner/venv/bin/python" in doctor.output
    assert "no such file" in doctor.output
    assert "OK  RunPython (Mac)" in doctor.output
    assert _run("uninstall", "--home", str(home), "--platform", "mac").exit_code == 0
    assert not paths.user_conf.exists() and not paths.addin.exists()


def test_registration_takes_the_next_free_open_entry_once():
    # Excel's Options key: OPEN, OPEN1, ... each a quoted path ("/R " = read-only).
    addin = Path("C:/Users/p/AppData/Roaming/Microsoft/AddIns/sop_addin.xlam")
    options = {"OPEN": '/R "C:\\other.xlam"', "Options": "0"}
    assert register(options, addin) == "OPEN1"
    assert register(options, addin) == "OPEN1"  # not twice
    assert options["OPEN1"] == f'"{addin}"'
    assert unregister(options, addin) == ["OPEN1"]
    assert options == {"OPEN": '/R "C:\\other.xlam"', "Options": "0"}


def test_doctor_finds_each_problem_and_names_its_fix(tmp_path, python):
    paths = Paths(tmp_path / "home", WINDOWS)
    checks, _ = diagnose(paths, str(python))
    problems = {c.name: c for c in checks if not c.ok}
    assert set(problems) == {"Python", "UDF Modules", "add-in"}
    assert "sop addin install" in problems["Python"].fix

    # An add-in from another version, with another xlwings inside.
    paths.addins_folder.mkdir(parents=True)
    paths.addin.write_bytes(_with_version(COMMITTED_ADDIN.read_bytes(), "0.0.9"))
    setup.write_conf(paths.user_conf, {"INTERPRETER_WIN": "C:\\elsewhere\\python.exe"})
    registry = {"OPEN": '"C:\\other.xlam"'}
    checks, _ = diagnose(paths, str(python), registry=registry)
    problems = {c.name: c for c in checks if not c.ok}
    assert "built by sop-addin 0.0.9" in problems["add-in version"].detail
    assert "but this is" in problems["Python"].detail
    assert "no OPEN entry" in problems["registered"].detail
    assert embedded_xlwings_version(paths.addin) == xlwings.__version__  # its VBA is right


def test_doctor_follows_xlwings_precedence_and_flags_a_sheet_that_names_a_python(tmp_path, python):
    paths = Paths(tmp_path / "home", WINDOWS)
    setup.install(paths, COMMITTED_ADDIN.read_bytes(), str(python))
    workbook = tmp_path / "plan.xlsm"
    workbook.write_bytes(_with_conf_rows(ROOT / "templates" / "sop_planning.xlsm"))
    assert conf_sheet(workbook)["INTERPRETER_WIN"] == "C:\\shared\\python.exe"
    checks, stack = diagnose(paths, str(python), workbook)
    assert [layer.name for layer in stack] == [
        "workbook sheet",
        "add-in sheet",
        "workbook folder",
        "user file",
    ]
    problems = {c.name: c for c in checks if not c.ok}
    # The workbook's sheet wins over the user file, as in xlwings' GetConfig.
    assert "from the workbook sheet" in problems["Python"].detail
    assert "overrides the user file" in problems["precedence"].detail


def _with_version(xlam: bytes, version: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlam)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                assert f"<cp:version>{__version__}</cp:version>".encode() in data
                data = data.replace(
                    f"<cp:version>{__version__}<".encode(), f"<cp:version>{version}<".encode()
                )
            dst.writestr(info, data)
    return out.getvalue()


def _with_conf_rows(xlsm: Path) -> bytes:
    """The template with an Interpreter_Win row added to its xlwings.conf sheet (openpyxl)."""
    from openpyxl import load_workbook

    wb = load_workbook(xlsm, keep_vba=True)
    ws = wb["xlwings.conf"]
    ws["A2"], ws["B2"] = "Interpreter_Win", "C:\\shared\\python.exe"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_windows_registry_entry_is_written_checked_and_removed(tmp_path, python):
    # A dict stands in for HKCU\...\Excel\Options (string values by name, as winreg gives).
    paths = Paths(tmp_path / "home", WINDOWS)
    registry = {"OPEN": '/R "C:\\Program Files\\Other\\other.xlam"', "Options": "0"}
    report = setup.install(paths, COMMITTED_ADDIN.read_bytes(), str(python), registry=registry)
    assert registry["OPEN1"] == f'"{paths.addin}"'
    assert any(line.endswith("Options OPEN1") for line in report.done)
    checks, _ = diagnose(paths, str(python), registry=registry)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    setup.uninstall(paths, registry)
    assert registry == {"OPEN": '/R "C:\\Program Files\\Other\\other.xlam"', "Options": "0"}


def test_on_a_real_mac_install_runs_xlwings_runpython_install(tmp_path):
    # The xlwings command beside the interpreter is what runs (here a stand-in script).
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    marker = tmp_path / "ran.txt"
    script = bin_dir / "xlwings"
    script.write_text(f'#!/bin/sh\necho "$@" > "{marker}"\n')
    script.chmod(0o755)
    paths = Paths(tmp_path / "home", MAC)
    report = setup.install(paths, b"xlam", str(bin_dir / "python"), run_xlwings=True)
    assert marker.read_text().strip() == "runpython install"
    assert f"ran {script} runpython install" in report.done
    assert not paths.applescript.exists()  # xlwings itself put it in the real home


def test_windows_paths_compare_without_case_or_slash_style():
    from sop_addin.excel.doctor import same_path

    assert same_path(
        "C:\\Users\\Ada\\venv\\Scripts\\python.exe", "c:/users/ada/venv/scripts/PYTHON.EXE", WINDOWS
    )
    assert not same_path("/Users/ada/venv/bin/python", "/users/ada/venv/bin/python", MAC)
