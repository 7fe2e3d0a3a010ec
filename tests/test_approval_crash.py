"""Crash-safe approval: the process killed at each step of the commit-and-rename, and the next
command finishing (or the approval never having happened). Never a lost approved snapshot."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sop_addin.approval.verify import verify_workbook
from sop_addin.cli import cli
from sop_addin.store import PlanStore
from sop_addin.store.plan_store import CRASH_ENV, PENDING_PREFIX
from tests.approval_support import planned_tiny

ROOT = Path(__file__).resolve().parent.parent
VERSION = "2027-01-v1"
# Every point where approval can die, in order; the tests kill it at each one.
POINTS = ("before-commit", "after-commit", "after-rename-json", "after-rename-xlsx")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder per crash point: the planned company, approved by a process killed there."""
    base = tmp_path_factory.mktemp("crash")
    planned = planned_tiny(base / "planned")
    runs = {}
    for point in POINTS:
        folder = base / point
        folder.mkdir()
        shutil.copy(planned, folder / "tiny.xlsx")
        env = {**os.environ, CRASH_ENV: point, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "sop_addin.cli", "approve", str(folder / "tiny.xlsx")]
        command += ["--approver", "Ada", "--json"]
        runs[point] = (
            folder,
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        )
    for point, (_, run) in runs.items():
        _, err = run.communicate(timeout=300)
        assert run.returncode == -signal.SIGKILL, (point, err)  # killed at the point, not before
    return {point: folder for point, (folder, _) in runs.items()}


def _files(folder: Path) -> list[str]:
    approved = folder / "approved"
    return sorted(p.name for p in approved.iterdir()) if approved.is_dir() else []


def test_killed_before_the_commit_nothing_is_approved_and_it_can_be_approved_again(
    crashed: dict[str, Path],
) -> None:
    folder = crashed["before-commit"]
    pending = [n for n in _files(folder) if n.startswith(PENDING_PREFIX)]
    assert len(pending) == 2  # the snapshot and its manifest, left as they were
    store = PlanStore(folder / ".sop-store")  # the next command: the transaction rolled back
    assert store.approvals() == [] and store.pending() == []
    assert store.verify_audit() == []
    result = CliRunner().invoke(cli, ["approve", str(folder / "tiny.xlsx"), "--approver", "Bob"])
    assert result.exit_code == 0, result.output
    assert store.approval(VERSION).approver == "Bob"  # type: ignore[union-attr]
    assert verify_workbook(folder / "approved" / f"{VERSION}.xlsx", store=store).ok
    assert sorted(set(_files(folder)) - set(pending)) == [
        f"{VERSION}.manifest.json",
        f"{VERSION}.xlsx",
    ]


@pytest.mark.parametrize("point", POINTS[1:])
def test_killed_after_the_commit_the_next_command_finishes_the_approval(
    crashed: dict[str, Path], point: str
) -> None:
    folder = crashed[point]
    before = PlanStore(folder / ".sop-store", create=False)
    assert [p.plan_version for p in before.pending()] == [VERSION]  # recorded with the commit
    assert [n for n in _files(folder) if n.endswith(".xlsx")], "the snapshot was deleted"
    log = CliRunner().invoke(cli, ["audit", "log", "--store", str(folder / ".sop-store")])
    assert log.exit_code == 0  # any command that opens the store finishes the approval
    assert _files(folder) == [f"{VERSION}.manifest.json", f"{VERSION}.xlsx"]
    store = PlanStore(folder / ".sop-store", create=False)
    assert store.pending() == []
    result = verify_workbook(folder / "approved" / f"{VERSION}.xlsx", store=store)
    assert result.ok, result.problems
    audit = CliRunner().invoke(cli, ["audit", "verify", "--store", str(folder / ".sop-store")])
    assert audit.exit_code == 0, audit.output
    events = [json.loads(line)["event"] for line in log.output.splitlines()]
    assert events.count("approval") == 1


def test_a_pending_approval_whose_file_is_gone_is_reported(tmp_path: Path) -> None:
    """The commit happened, then someone deleted the pending snapshot: said, never hidden."""
    from sop_addin.store.plan_store import PendingApproval

    store = PlanStore(tmp_path / "store")
    out = tmp_path / "approved"
    pending = PendingApproval(
        VERSION,
        out / f"{VERSION}.xlsx",
        out / f"{PENDING_PREFIX}x-{VERSION}.xlsx",
        out / f"{VERSION}.manifest.json",
        out / f"{PENDING_PREFIX}x-{VERSION}.manifest.json",
    )
    store.approve(VERSION, "2027-01", "Ada", str(pending.snapshot), "c0ffee", {}, pending=pending)
    assert PlanStore(tmp_path / "store").pending() == [pending]  # kept, not dropped
    audit = CliRunner().invoke(cli, ["audit", "verify", "--store", str(tmp_path / "store")])
    assert audit.exit_code == 1
    assert "committed but its files never reached" in " ".join(audit.output.split())
