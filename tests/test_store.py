"""The plan store: approvals unique per version, an append-only audit log that catches tampering."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from sop_addin.store import ApprovalConflict, PlanStore, resolve_store_dir
from sop_addin.store.keys import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE
from sop_addin.store.plan_store import DB_FILE, GENESIS, row_hash


def _approve(store: PlanStore, version: str = "2027-01-v1", approver: str = "Ada") -> None:
    store.approve(
        version,
        "2027-01",
        approver,
        f"/plans/{version}.xlsx",
        "c0ffee",
        details={"input_hash": "abc"},
        overrides=[
            {"check": "Supply feasible", "old": "fail", "new": "overridden", "reason": "ok"}
        ],
    )


def _raw(store: PlanStore) -> sqlite3.Connection:
    """A plain connection, as someone editing the file with the sqlite3 shell would have."""
    return sqlite3.connect(store.directory / DB_FILE, isolation_level=None)


def test_store_is_created_on_first_use_with_its_key_pair(tmp_path: Path) -> None:
    store = PlanStore(tmp_path / "store")
    assert (tmp_path / "store" / DB_FILE).is_file()
    store.record("note", "Ada", {"x": 1})  # the first write creates the key pair
    private = tmp_path / "store" / PRIVATE_KEY_FILE
    assert private.is_file() and (tmp_path / "store" / PUBLIC_KEY_FILE).is_file()
    assert private.stat().st_mode & 0o077 == 0  # owner only
    again = PlanStore(tmp_path / "store")
    assert again.key_fingerprint() == store.key_fingerprint()


def test_store_location_option_then_environment_then_beside_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = tmp_path / "plans" / "book.xlsx"
    monkeypatch.delenv("SOP_STORE", raising=False)
    assert resolve_store_dir(None, workbook) == (tmp_path / "plans" / ".sop-store").resolve()
    monkeypatch.setenv("SOP_STORE", str(tmp_path / "shared"))
    assert resolve_store_dir(None, workbook) == tmp_path / "shared"
    assert resolve_store_dir(tmp_path / "given", workbook) == tmp_path / "given"


def test_approval_records_version_overrides_and_approval_in_order(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    events = store.events()
    # row 1 is the store's own: it pins the key's fingerprint
    assert [e["event"] for e in events] == ["store_created", "plan_version", "override", "approval"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert events[0]["payload"] == {"key_fingerprint": store.key_fingerprint()}
    override = events[2]["payload"]
    assert (override["old"], override["new"], override["reason"]) == ("fail", "overridden", "ok")
    assert store.approval("2027-01-v1").audit_seq == 4  # type: ignore[union-attr]
    assert store.verify_audit() == []


def test_second_approval_of_a_version_is_a_conflict_and_not_logged(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    with pytest.raises(ApprovalConflict, match=r"'2027-01-v1' is already approved by Ada"):
        _approve(store, approver="Bob")
    assert len(store.events("approval")) == 1
    assert len(store.events()) == 4  # the failed attempt left nothing behind
    _approve(store, version="2027-01-v2", approver="Bob")  # a new version is fine
    assert [a.plan_version for a in store.approvals()] == ["2027-01-v1", "2027-01-v2"]


def test_the_log_refuses_update_and_delete(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    with _raw(store) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET actor = 'Mallory' WHERE seq = 1")
    with _raw(store) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit WHERE seq = 3")


def _drop_triggers(db: sqlite3.Connection) -> None:
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")


def test_audit_verify_catches_an_edited_row(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    with _raw(store) as db:
        _drop_triggers(db)
        db.execute("UPDATE audit SET actor = 'Mallory' WHERE seq = 4")
    findings = store.verify_audit()
    assert (findings[0].seq, "edited" in findings[0].problem) == (4, True)


def test_audit_verify_catches_a_deleted_middle_row(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    with _raw(store) as db:
        _drop_triggers(db)
        db.execute("DELETE FROM audit WHERE seq = 3")
    problems = [(f.seq, f.problem) for f in store.verify_audit()]
    assert (4, "row(s) 3 deleted: the sequence jumps") in problems


def test_audit_verify_catches_a_deleted_last_row(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    _approve(store)
    with _raw(store) as db:
        _drop_triggers(db)
        db.execute("DELETE FROM audit WHERE seq = 4")
    assert [f.problem for f in store.verify_audit()] == [
        "row(s) 4-4 deleted from the end",
        "approvals table: '2027-01-v1' points to no approval row of the chain",
    ]


def test_a_rewritten_chain_is_caught_by_the_signed_head(tmp_path: Path) -> None:
    """Recomputing every hash after an edit does not help without the signing key."""
    store = PlanStore(tmp_path)
    _approve(store)
    with _raw(store) as db:
        _drop_triggers(db)
        rows = db.execute(
            "SELECT seq, at, actor, event, plan_version, payload FROM audit ORDER BY seq"
        ).fetchall()
        prev = GENESIS
        for seq, at, actor, event, version, payload in rows:
            actor = "Mallory" if event == "approval" else actor
            digest = row_hash(seq, at, actor, event, version, payload, prev)
            db.execute(
                "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (actor, prev, digest, seq),
            )
            prev = digest
        db.execute("UPDATE audit_head SET hash = ?", (prev,))
    problems = [f.problem for f in store.verify_audit()]
    assert problems == [
        "the head record's signature is not valid",
        "approvals table: the row of '2027-01-v1' was edited",
    ]


def _approve_in_process(folder: str, approver: str, barrier: object, results: object) -> None:
    store = PlanStore(folder)
    store.private_key  # noqa: B018 -- both processes ready before the race starts
    barrier.wait()  # type: ignore[attr-defined]
    try:
        _approve(store, approver=approver)
        results.put((approver, "approved"))  # type: ignore[attr-defined]
    except ApprovalConflict as exc:
        results.put((approver, f"conflict: {exc}"))  # type: ignore[attr-defined]


def test_two_processes_approving_the_same_version_at_once(tmp_path: Path) -> None:
    PlanStore(tmp_path).private_key  # noqa: B018 -- one key pair, created before the race
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=_approve_in_process, args=(str(tmp_path), name, barrier, results))
        for name in ("Ada", "Bob")
    ]
    for worker in workers:
        worker.start()
    outcome = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    statuses = sorted(value.split(":")[0] for value in outcome.values())
    assert statuses == ["approved", "conflict"]
    winner = next(name for name, value in outcome.items() if value == "approved")
    loser = next(value for value in outcome.values() if value.startswith("conflict"))
    assert f"already approved by {winner}" in loser
    store = PlanStore(tmp_path)
    assert len(store.events("approval")) == 1
    assert store.approval("2027-01-v1").approver == winner  # type: ignore[union-attr]
    assert store.verify_audit() == []


def test_audit_verify_command_exit_codes(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sop_addin.cli import cli

    store = PlanStore(tmp_path)
    _approve(store)
    runner = CliRunner()
    intact = runner.invoke(cli, ["audit", "verify", "--store", str(tmp_path)])
    assert intact.exit_code == 0 and "audit log intact: 4 row(s)" in intact.output
    with _raw(store) as db:
        _drop_triggers(db)
        db.execute("DELETE FROM audit WHERE seq = 3")
    broken = runner.invoke(cli, ["audit", "verify", "--store", str(tmp_path)])
    assert broken.exit_code == 1
    assert "row 4: row(s) 3 deleted" in " ".join(broken.output.split())
    missing = runner.invoke(cli, ["audit", "verify", "--store", str(tmp_path / "nowhere")])
    assert missing.exit_code == 3 and "no plan store at" in missing.output


def test_a_demand_override_is_logged_under_its_author(tmp_path: Path) -> None:
    store = PlanStore(tmp_path)
    demand = {"kind": "demand", "sku": "A", "old": 100.0, "new": 140.0, "author": "Cleo"}
    store.approve("v1", "c", "Ada", "/s.xlsx", "h", details={}, overrides=[demand])
    [logged] = store.events("override")
    assert logged["actor"] == "Cleo"
    assert (logged["payload"]["old"], logged["payload"]["new"]) == (100.0, 140.0)


def test_a_store_whose_key_was_deleted_never_makes_a_new_one(tmp_path: Path) -> None:
    from sop_addin.store import StoreError

    store = PlanStore(tmp_path)
    _approve(store)
    (tmp_path / PRIVATE_KEY_FILE).unlink()
    (tmp_path / PUBLIC_KEY_FILE).unlink()
    with pytest.raises(StoreError, match="holds an audit log but no signing key"):
        PlanStore(tmp_path).record("note", "Ada", {})
    assert not (tmp_path / PRIVATE_KEY_FILE).exists()
