"""The approved snapshot: values only, locked with SHA-512, signed, verifiable, crash-safe."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sop_addin import __version__
from sop_addin.approval.approve import ApprovalBlocked, digest_summary
from sop_addin.approval.encryption import EncryptionError, is_encrypted
from sop_addin.approval.lineage import input_tables_hash
from sop_addin.approval.manifest import manifest_path
from sop_addin.approval.protection import SPIN_COUNT, hash_password, password_matches
from sop_addin.approval.verify import verify_workbook
from sop_addin.cli import cli
from sop_addin.store import ApprovalConflict, PlanStore
from sop_addin.workbook.charts import EXEC_CHARTS
from sop_addin.workbook.file_port import FilePort
from sop_addin.workbook.tables import read_output
from tests.approval_support import approve_tiny, planned_tiny, set_setting
from tests.libreoffice import convert

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def approved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("approved")
    workbook = planned_tiny(folder)
    summary = approve_tiny(workbook)
    summary["workbook"] = workbook
    return summary


def _key(approved: dict[str, Any]) -> Any:
    """The trusted key: the approving plan store's (as `sop verify --store` trusts it)."""
    return PlanStore(Path(approved["workbook"]).parent / ".sop-store").public_key


def _pub(approved: dict[str, Any]) -> Path:
    return Path(approved["workbook"]).parent / ".sop-store" / "signing-key.pub.pem"


def _copy(snapshot: Path, folder: Path) -> Path:
    """The snapshot and its manifest, copied to `folder` for a test to tamper with."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(snapshot, folder / snapshot.name)
    shutil.copy(manifest_path(snapshot), manifest_path(folder / snapshot.name))
    return folder / snapshot.name


def _cover(path: Path) -> dict[str, Any]:
    ws = load_workbook(path)["Approval"]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}


def test_snapshot_is_values_only_with_no_links_or_macros(approved: dict[str, Any]) -> None:
    path = Path(approved["snapshot"])
    assert path.name == "2027-01-v1.xlsx"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert not [n for n in names if "vbaProject" in n or "externalLink" in n]
    wb = load_workbook(path)
    formulas = [
        f"{ws.title}!{c.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []


def test_every_sheet_protected_with_salted_sha512_and_structure_locked(
    approved: dict[str, Any],
) -> None:
    wb = load_workbook(approved["snapshot"])
    assert wb.sheetnames[0] == "Approval"
    assert {"Setup", "Demand data", "Supply data", "Finance data", "Exec data"} <= set(
        wb.sheetnames
    )
    for ws in wb.worksheets:
        p = ws.protection
        assert p.sheet, ws.title
        assert (p.algorithmName, int(p.spinCount)) == ("SHA-512", SPIN_COUNT), ws.title
        assert len(base64.b64decode(p.saltValue)) == 16
        assert len(base64.b64decode(p.hashValue)) == 64
        assert not p.password  # no legacy 16-bit hash
    assert wb.security.lockStructure
    assert wb.security.workbookAlgorithmName == "SHA-512"


def test_password_hash_follows_the_agile_algorithm() -> None:
    """H0 = SHA-512(salt + UTF-16LE password), then Hn = SHA-512(Hn-1 + uint32le(n-1))."""
    salt = bytes(range(16))
    digest = hashlib.sha512(salt + "Plan!".encode("utf-16-le")).digest()
    for n in range(3):
        digest = hashlib.sha512(digest + n.to_bytes(4, "little")).digest()
    hashed = hash_password("Plan!", salt=salt, spin_count=3)
    assert hashed.hash == base64.b64encode(digest).decode()
    assert hashed.salt == base64.b64encode(salt).decode()
    assert password_matches("Plan!", hashed)
    assert not password_matches("plan!", hashed)


def test_cover_sheet_carries_approval_and_lineage(approved: dict[str, Any]) -> None:
    cover = _cover(Path(approved["snapshot"]))
    assert cover["Plan version"] == "2027-01-v1"
    assert cover["Plan cycle"] == "2027-01"
    assert cover["Company"] == "Tiny Co"
    assert cover["Approver"] == "Ada"
    assert cover["Approved at (UTC)"] == approved["approved_at"]
    assert cover["Status"] == "approved"
    workbook_hash = input_tables_hash(FilePort.open(approved["workbook"]))
    assert cover["Input tables hash (SHA-256)"] == workbook_hash
    assert cover["Solver"].startswith("HiGHS")
    assert cover["sop-addin version (approval)"] == __version__
    assert cover["Random seeds"] == "none used"
    assert cover["Supply feasible"] == "pass"


def test_snapshot_tables_hold_the_plan_values(approved: dict[str, Any]) -> None:
    snapshot = FilePort.open(approved["snapshot"])
    source = FilePort.open(approved["workbook"])
    for table in ("Forecast", "ProductBalance", "ProductionPlan", "KPIs"):
        got = read_output(snapshot, table, produced_by="approval")
        want = read_output(source, table, produced_by="run")
        assert got.equals(want), table


def test_verify_passes_on_a_fresh_snapshot(approved: dict[str, Any]) -> None:
    result = verify_workbook(Path(approved["snapshot"]), public_key=_key(approved))
    assert result.ok, result.problems
    assert "file identical to the approved file, byte for byte" in result.notes


def test_saving_again_unchanged_keeps_the_content_hash(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    wb = load_workbook(copy)
    wb.save(copy)
    assert digest_summary(copy) == approved["content_hash"]
    result = verify_workbook(copy, public_key=_key(approved))
    assert result.ok, result.problems
    assert "the file was saved again; what a reader sees is unchanged" in result.notes


def test_verify_names_the_changed_cell(approved: dict[str, Any], tmp_path: Path) -> None:
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    wb = load_workbook(copy)
    ws = wb["Demand data"]
    column = next(c.column_letter for c in ws[2] if c.value == "Forecast")
    ws[f"{column}4"] = float(ws[f"{column}4"].value) + 1
    wb.save(copy)
    result = verify_workbook(copy, public_key=_key(approved))
    assert result.problems == [f"sheet 'Demand data': value changed in Demand data!{column}4"]


def test_verify_names_the_sheet_whose_protection_was_removed(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    wb = load_workbook(copy)
    wb["Supply data"].protection.sheet = False
    wb.save(copy)
    assert verify_workbook(copy, public_key=_key(approved)).problems == [
        "sheet 'Supply data': protection was removed"
    ]


def test_verify_catches_an_edited_manifest_and_a_foreign_key(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    document = json.loads(manifest_path(copy).read_text())
    document["manifest"]["metadata"]["approver"] = "Mallory"
    manifest_path(copy).write_text(json.dumps(document))
    problems = verify_workbook(copy, public_key=_key(approved)).problems
    assert problems == ["the manifest's signature is not valid: the manifest was altered"]
    other = PlanStore(tmp_path / "other-store")
    problems = verify_workbook(Path(approved["snapshot"]), public_key=other.public_key).problems
    assert len(problems) == 1 and problems[0].startswith("not signed by a trusted key")


def test_verify_command_exit_codes(approved: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(Path(approved["workbook"]).parent / ".sop-store")
    fresh = runner.invoke(cli, ["verify", str(approved["snapshot"]), "--store", store])
    assert fresh.exit_code == 0, fresh.output
    assert "intact" in fresh.output
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    wb = load_workbook(copy)
    wb["Approval"]["B5"] = "Mallory"
    wb.save(copy)
    changed = runner.invoke(cli, ["verify", str(copy), "--store", store])
    assert changed.exit_code == 1
    assert "Approval!B5" in changed.output
    manifest_path(copy).unlink()
    missing = runner.invoke(cli, ["verify", str(copy), "--store", store])
    assert missing.exit_code == 2
    assert "no manifest beside the workbook" in missing.output


def test_a_version_is_approved_once(approved: dict[str, Any]) -> None:
    with pytest.raises(ApprovalConflict, match="already approved by Ada"):
        approve_tiny(approved["workbook"], approver="Bob")


def test_failing_checklist_blocks_unless_overridden_with_a_reason(tmp_path: Path) -> None:
    workbook = planned_tiny(tmp_path, feasible=False)
    with pytest.raises(ApprovalBlocked, match="Supply feasible: fill rate"):
        approve_tiny(workbook)
    assert not (tmp_path / "approved").exists() or not list((tmp_path / "approved").iterdir())
    summary = approve_tiny(workbook, override="capacity added next month, agreed in the meeting")
    assert summary["status"] == "approved with override"
    cover = _cover(Path(summary["snapshot"]))
    assert cover["Supply feasible"] == "overridden"
    assert cover["Override reason"] == "capacity added next month, agreed in the meeting"
    overrides = PlanStore(tmp_path / ".sop-store").events("override")
    assert [(o["actor"], o["payload"]["check"], o["payload"]["old"]) for o in overrides] == [
        ("Ada", "Supply feasible", "fail")
    ]


def test_inputs_changed_after_the_run_block_approval(tmp_path: Path) -> None:
    workbook = planned_tiny(tmp_path)
    set_setting(workbook, "carrying_rate", "0.3")
    with pytest.raises(ApprovalBlocked, match="Plan matches its inputs: inputs changed"):
        approve_tiny(workbook)
    set_setting(workbook, "carrying_rate", "0.12")  # back as planned: approvable again
    set_setting(workbook, "plan_version", "2027-01-v7")  # a label, not a planning input
    assert approve_tiny(workbook)["snapshot"].endswith("2027-01-v7.xlsx")


def test_password_to_open_encryption(tmp_path: Path) -> None:
    workbook = planned_tiny(tmp_path)
    summary = approve_tiny(workbook, open_password="s3cret")
    snapshot = Path(summary["snapshot"])
    assert is_encrypted(snapshot)
    store = PlanStore(tmp_path / ".sop-store")
    with pytest.raises(EncryptionError, match="encrypted"):
        verify_workbook(snapshot, store=store)
    with pytest.raises(EncryptionError, match="cannot decrypt"):
        verify_workbook(snapshot, password="wrong", store=store)
    assert verify_workbook(snapshot, password="s3cret", store=store).ok


def _approve_command(workbook: Path, out: Path, store: Path, approver: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sop_addin.cli",
            "approve",
            str(workbook),
            "--approver",
            approver,
            "--out",
            str(out),
            "--store",
            str(store),
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_sop_approve_processes_at_once_one_wins_one_conflicts(tmp_path: Path) -> None:
    first = planned_tiny(tmp_path / "ada")
    second = tmp_path / "bob" / "tiny.xlsx"
    second.parent.mkdir()
    shutil.copy(first, second)  # the same plan version, approved from two desks
    out, store = tmp_path / "approved", tmp_path / "store"
    PlanStore(store).private_key  # noqa: B018 -- the shared store exists before the race
    runs = [_approve_command(first, out, store, "Ada"), _approve_command(second, out, store, "Bob")]
    done = [run.communicate(timeout=300) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 2], done
    loser = next(err for run, (_, err) in zip(runs, done, strict=True) if run.returncode == 2)
    assert "'2027-01-v1' is already approved by" in " ".join(loser.split())
    assert sorted(p.name for p in out.iterdir()) == ["2027-01-v1.manifest.json", "2027-01-v1.xlsx"]
    assert len(PlanStore(store).events("approval")) == 1
    assert verify_workbook(out / "2027-01-v1.xlsx", store=PlanStore(store)).ok


_SLOW_WRITER = """
import sys
from pathlib import Path
from sop_addin.approval.snapshot import TableValues, build_locked_workbook, save_workbook
header = ["sku", "family", "region", "month", "model", "forecast", "lo80", "hi80", "lo95", "hi95"]
rows = [[f"S{i}", "F", "North", None, "ets", i * 1.5, i, i + 2, i - 1, i + 3] for i in range(25000)]
locked = build_locked_workbook([("cover", "big")], [TableValues("Forecast", [header, *rows])])
print("saving", flush=True)
save_workbook(locked, Path(sys.argv[1]))
print("saved", flush=True)
"""


def test_a_writer_killed_mid_save_leaves_the_previous_snapshot_intact(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    target = _copy(Path(approved["snapshot"]), tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "saving"
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".sop-tmp-*")):  # the temp file is being written
        assert writer.poll() is None, "the writer finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    result = verify_workbook(target, public_key=_key(approved))
    assert result.ok, result.problems
    assert "file identical to the approved file, byte for byte" in result.notes


@pytest.mark.libreoffice
def test_snapshot_opens_in_libreoffice_with_every_sheet_protected(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    snapshot = Path(approved["snapshot"])
    [converted] = convert([snapshot], tmp_path)
    original, reopened = load_workbook(snapshot), load_workbook(converted)
    assert reopened.sheetnames == original.sheetnames
    for ws in reopened.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws.protection.algorithmName == "SHA-512", ws.title
        assert ws.protection.hashValue == original[ws.title].protection.hashValue, ws.title
    # LibreOffice writes numbers to 15 significant digits; the content hash counts no more.
    assert digest_summary(converted) == approved["content_hash"]


def test_the_ribbon_approves_a_live_book_like_the_file(
    approved: dict[str, Any], tmp_path: Path
) -> None:
    """Approve & Snapshot on an Excel book (xlwings port): the snapshot holds the same values."""
    from sop_addin.actions import ACTIONS
    from sop_addin.workbook.xlwings_port import XlwingsPort
    from tests.xlwings_fake import book_from_file

    workbook = tmp_path / "live.xlsx"
    shutil.copy(approved["workbook"], workbook)
    book = book_from_file(workbook)
    book.fullname = str(workbook)  # type: ignore[attr-defined]
    summary = ACTIONS["approve_snapshot"](XlwingsPort(book), lambda *_: None)
    snapshot = Path(summary["snapshot"])
    assert snapshot == tmp_path / "approved" / "2027-01-v1.xlsx"  # beside the live book
    assert verify_workbook(snapshot, store=PlanStore(tmp_path / ".sop-store")).ok
    live, filed = FilePort.open(snapshot), FilePort.open(approved["snapshot"])
    for table in ("Forecast", "ProductionPlan", "FinancePlan"):
        assert read_output(live, table, "x").equals(read_output(filed, table, "x")), table


def test_a_damaged_manifest_is_a_clear_error(approved: dict[str, Any], tmp_path: Path) -> None:
    copy = _copy(Path(approved["snapshot"]), tmp_path)
    document = json.loads(manifest_path(copy).read_text())
    del document["manifest"]["protection"]["salt"]
    manifest_path(copy).write_text(json.dumps(document))
    result = CliRunner().invoke(cli, ["verify", str(copy), "--public-key", str(_pub(approved))])
    assert result.exit_code == 2
    assert "is damaged" in result.output


def test_the_snapshot_holds_the_exec_page_and_its_charts(approved: dict[str, Any]) -> None:
    path = Path(approved["snapshot"])
    wb = load_workbook(path)
    assert wb.sheetnames.index("Exec") + 1 == wb.sheetnames.index("Exec data")
    ws = wb["Exec"]
    tiles = {ws.cell(r, c).value: ws.cell(r + 1, c).value for r in (4, 8) for c in range(1, 8)}
    kpis = read_output(FilePort.open(path), "KPIs", "test").set_index("kpi")["value"]
    # Each tile shows its KPI of the snapshot's own table (the currency in money's label).
    for name in ("Unmet demand", "Fill rate", "Consensus demand", "Gross margin %"):
        assert tiles[name] == pytest.approx(kpis[name]), name
    assert ws.protection.sheet  # locked like every sheet of the snapshot
    names = zipfile.ZipFile(path).namelist()
    assert len([n for n in names if n.startswith("xl/charts/chart")]) == len(EXEC_CHARTS)
    assert verify_workbook(path, public_key=_key(approved)).ok
