"""Crash safety and concurrency: a killed writer, a locked target and two runs at once."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sop_addin.cli import cli
from sop_addin.workbook import atomic
from sop_addin.workbook.atomic import TEMP_PREFIX, WriteFailed, atomic_write_bytes
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.lock import WorkbookBusyError, workbook_lock
from sop_addin.workbook.tables import read_inputs

KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    import sop_addin.workbook.file_port as file_port
    from sop_addin.workbook.atomic import atomic_write
    def write_then_hang(target, data):
        def write(temp):
            temp.write_bytes(data[:1000])  # as if the process died half way through the write
            print("writing", flush=True)
            time.sleep(120)
        atomic_write(target, write)
    file_port.atomic_write_bytes = write_then_hang
    file_port.FilePort.open(sys.argv[1]).save()
    """
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writer_killed_mid_save_leaves_the_previous_file(tiny_workbook):
    before = _digest(tiny_workbook)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tiny_workbook)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "writing"
    child.kill()
    child.wait(timeout=30)
    assert _digest(tiny_workbook) == before
    read_inputs(FilePort.open(tiny_workbook))  # still opens and validates
    strays = list(tiny_workbook.parent.glob(f"{TEMP_PREFIX}*"))
    assert len(strays) == 1 and str(child.pid) in strays[0].name
    FilePort.open(tiny_workbook).save()  # the next write cleans up after the dead one
    assert not list(tiny_workbook.parent.glob(f"{TEMP_PREFIX}*"))


def test_locked_target_asks_to_close_the_file(tiny_workbook, monkeypatch):
    before = _digest(tiny_workbook)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(WriteFailed, match="close the file and retry"):
        FilePort.open(tiny_workbook).save()
    result = CliRunner().invoke(cli, ["run", str(tiny_workbook), "--jobs", "1"])
    assert result.exit_code == 3
    assert "close the file" in result.output and "Traceback" not in result.output
    assert _digest(tiny_workbook) == before
    assert not list(tiny_workbook.parent.glob(f"{TEMP_PREFIX}*"))


def test_failed_write_keeps_the_target(tmp_path):
    target = tmp_path / "plan.xlsx"
    atomic_write_bytes(target, b"old")

    def explode(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic.atomic_write(target, explode)
    assert target.read_bytes() == b"old"
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from sop_addin.workbook.lock import workbook_lock
    with workbook_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_second_writer_waits_or_is_refused(tiny_workbook):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tiny_workbook), "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    busy = pytest.raises(WorkbookBusyError, match="being planned by another sop process")
    with busy, workbook_lock(tiny_workbook, timeout=0.5):
        pass
    with workbook_lock(tiny_workbook, timeout=60):  # waits for the holder, then proceeds
        assert holder.wait(timeout=10) == 0  # the holder has finished before we got in
    assert not list(tiny_workbook.parent.glob(".~sop-lock-*"))


def test_two_runs_on_one_workbook_are_serialised(tiny_workbook):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    command = [
        sys.executable,
        "-m",
        "sop_addin.cli",
        "run",
        str(tiny_workbook),
        "--json",
        "--jobs",
        "1",
    ]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    assert not list(tiny_workbook.parent.glob(".~sop-lock-*"))  # the lock file goes with the run
    read_inputs(FilePort.open(tiny_workbook))
    from sop_addin.workbook.tables import read_output

    kpis = read_output(FilePort.open(tiny_workbook), "KPIs", "t")
    assert len(kpis) > 5
