"""`sop audit verify`: is the plan store's audit trail whole, and the one the manifests know?

Every finding names its row; a malformed row (a NULL, a number where text belongs, a payload
that is not JSON) is a finding too, never a traceback. Checked: the database is there and
starts with its `store_created` row; the hash chain; the signed head; the store key against
the fingerprint row 1 pinned; the approvals table against the chain's approval rows; and
approvals whose files never reached their final names.
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from sop_addin.store.keys import (
    PRIVATE_KEY_FILE,
    KeyExposed,
    StoreKeyError,
    fingerprint,
    load_or_create_key,
    load_public_key,
    signature_valid,
)
from sop_addin.store.plan_store import (
    DB_FILE,
    GENESIS,
    AuditFinding,
    StoreError,
    head_message,
    pending_is_valid,
    row_hash,
)

if TYPE_CHECKING:
    from sop_addin.store.plan_store import PlanStore

_COLUMNS = "seq, at, actor, event, plan_version, payload, prev_hash, hash"


def _rows(store: PlanStore) -> tuple[list[tuple[Any, ...]], Any, list[tuple[Any, ...]]]:
    with store._connect() as db:
        try:
            rows = db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY seq").fetchall()
            head = db.execute("SELECT seq, hash, signature FROM audit_head").fetchone()
            approvals = db.execute("SELECT * FROM approvals").fetchall()
        except sqlite3.OperationalError as exc:  # a table dropped
            msg = f"the plan store database {store.db_path} is damaged: {exc}"
            raise StoreError(msg) from exc
    return rows, head, approvals


def _malformed(row: tuple[Any, ...]) -> str | None:
    seq, at, actor, event, version, payload, prev, digest = row
    if not isinstance(seq, int):
        return f"sequence number {seq!r} is not a whole number"
    for name, value in (("at", at), ("actor", actor), ("event", event), ("payload", payload)):
        if not isinstance(value, str):
            return f"{name} is {value!r}, not text"
    if version is not None and not isinstance(version, str):
        return f"plan_version is {version!r}, not text"
    for name, value in (("prev_hash", prev), ("hash", digest)):
        if not isinstance(value, str) or len(value) != 64:
            return f"{name} is not a SHA-256 hex digest"
    try:
        json.loads(payload)
    except ValueError:
        return "payload is not JSON"
    return None


def _chain(rows: list[tuple[Any, ...]]) -> list[AuditFinding]:
    findings: list[AuditFinding] = []
    expected_prev, expected_seq = GENESIS, 1
    for row in rows:
        seq = row[0]
        problem = _malformed(row)
        if problem is not None:
            findings.append(AuditFinding(seq if isinstance(seq, int) else None, problem))
            expected_prev = row[7] if isinstance(row[7], str) else expected_prev
            expected_seq = seq + 1 if isinstance(seq, int) else expected_seq + 1
            continue
        _, at, actor, event, version, payload, prev, digest = row
        if seq != expected_seq:
            gap = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
            findings.append(AuditFinding(seq, f"row(s) {gap} deleted: the sequence jumps"))
        if prev != expected_prev:
            findings.append(
                AuditFinding(
                    seq, "previous-hash link broken (a row before it changed or was removed)"
                )
            )
        if row_hash(seq, at, actor, event, version, payload, prev) != digest:
            findings.append(
                AuditFinding(seq, f"{event} row was edited: its content no longer matches its hash")
            )
        expected_prev, expected_seq = digest, seq + 1
    return findings


def _key(store: PlanStore, rows: list[tuple[Any, ...]]) -> tuple[list[AuditFinding], Any]:
    """The pinned key (row 1) against the store's key files; the key the head must verify."""
    findings: list[AuditFinding] = []
    if os.path.lexists(store.directory / PRIVATE_KEY_FILE):
        try:
            load_or_create_key(store.directory)
        except KeyExposed as exc:
            findings.append(AuditFinding(None, str(exc)))
        except StoreKeyError:
            pass  # not readable by this account: the public key file is checked instead
    try:
        current = store.public_key
    except (StoreError, StoreKeyError) as exc:
        return [AuditFinding(None, f"the store's signing key cannot be read: {exc}")], None
    first = rows[0] if rows else None
    pinned = None
    if first is None or first[0] != 1 or first[3] != "store_created":
        findings.append(
            AuditFinding(1, "row 1 is not the store_created row that pins the store key")
        )
    else:
        try:
            pinned = json.loads(first[5]).get("key_fingerprint")
        except (TypeError, ValueError, AttributeError):
            pinned = None
    if pinned is not None and pinned != fingerprint(current):
        findings.append(
            AuditFinding(
                None,
                f"the store key changed: row 1 pinned {pinned[:16]}..., the store now holds "
                f"{fingerprint(current)[:16]}... (re-keyed or replaced)",
            )
        )
    public_file = store.directory / "signing-key.pub.pem"
    if public_file.is_file():
        try:
            published = load_public_key(public_file.read_bytes())
        except StoreKeyError:
            published = None
        if published is None or fingerprint(published) != fingerprint(current):
            findings.append(
                AuditFinding(None, "signing-key.pub.pem is not the public half of signing-key.pem")
            )
    return findings, current


def _head(rows: list[tuple[Any, ...]], head: Any, key: Any) -> list[AuditFinding]:
    last_seq = rows[-1][0] if rows else 0
    last_hash = rows[-1][7] if rows else GENESIS
    if head is None:
        return [AuditFinding(None, "the signed head record is missing")] if rows else []
    head_seq, head_hash, signature = head
    if not (
        isinstance(head_seq, int) and isinstance(head_hash, str) and isinstance(signature, str)
    ):
        return [AuditFinding(None, "the head record is malformed")]
    findings = []
    if key is not None and not signature_valid(key, head_message(head_seq, head_hash), signature):
        findings.append(AuditFinding(head_seq, "the head record's signature is not valid"))
    if not isinstance(last_seq, int):
        return findings
    if head_seq > last_seq:
        findings.append(
            AuditFinding(head_seq, f"row(s) {last_seq + 1}-{head_seq} deleted from the end")
        )
    elif head_seq < last_seq or head_hash != last_hash:
        findings.append(
            AuditFinding(last_seq, "the newest rows do not match the signed head record")
        )
    return findings


def _approvals(rows: list[tuple[Any, ...]], approvals: list[tuple[Any, ...]]) -> list[AuditFinding]:
    """The approvals table is a view of the chain's approval rows: each matches one row."""
    findings: list[AuditFinding] = []
    chained: dict[int, tuple[Any, ...]] = {}
    versions: dict[str, int] = {}
    for row in rows:
        if row[3] != "approval" or _malformed(row) is not None:
            continue
        seq, version = row[0], row[4]
        if version in versions:
            findings.append(
                AuditFinding(
                    seq,
                    f"plan version {version!r} approved a second time (first at row "
                    f"{versions[version]})",
                )
            )
        versions.setdefault(version, seq)
        chained[seq] = row
    seen: set[int] = set()
    for approval in approvals:
        version, cycle, approver, at, snapshot, content, seq = approval
        chain_row = chained.get(seq) if isinstance(seq, int) else None
        if chain_row is None:
            findings.append(
                AuditFinding(
                    seq if isinstance(seq, int) else None,
                    f"approvals table: {version!r} points to no approval row of the chain",
                )
            )
            continue
        seen.add(seq)
        payload = json.loads(chain_row[5])
        recorded = (
            chain_row[4],
            payload.get("plan_cycle"),
            chain_row[2],
            chain_row[1],
            payload.get("snapshot"),
            payload.get("content_hash"),
        )
        if (version, cycle, approver, at, snapshot, content) != recorded:
            findings.append(
                AuditFinding(seq, f"approvals table: the row of {version!r} was edited")
            )
    for seq in sorted(set(chained) - seen):
        findings.append(
            AuditFinding(seq, f"approvals table: the approval of {chained[seq][4]!r} is missing")
        )
    return findings


def check_store(store: PlanStore) -> list[AuditFinding]:
    """All findings; empty when the store is intact."""
    if store.database_missing:
        keyed = (store.directory / "signing-key.pem").exists()
        what = "missing" if not store.db_path.exists() else "empty (0 bytes)"
        why = ": the store has a key, so it held a log" if keyed else ""
        return [AuditFinding(None, f"the audit database {DB_FILE} is {what}{why}")]
    rows, head, approvals = _rows(store)
    if not rows:
        return [AuditFinding(None, "the audit log is empty: every store starts with row 1")]
    findings = _chain(rows)
    key_findings, key = _key(store, rows)
    findings += key_findings
    findings += _head(rows, head, key)
    findings += _approvals(rows, approvals)
    approved = {a[0]: a[4] for a in approvals}
    for pending in store.pending():
        if not pending_is_valid(pending, approved.get(pending.plan_version)):
            problem = (
                f"a pending-approval record for {pending.plan_version!r} names files that are "
                "not that approval's own: it was planted or edited, and is left alone"
            )
        elif all(
            p.exists() or q.exists()
            for p, q in (
                (pending.pending_snapshot, pending.snapshot),
                (pending.pending_manifest, pending.manifest),
            )
        ):
            continue  # in flight, or crashed: the next command that opens the store finishes it
        else:
            problem = (
                f"approval of {pending.plan_version!r} committed but its files never reached "
                f"{pending.snapshot}: the pending file {pending.pending_snapshot.name} is gone"
            )
        findings.append(AuditFinding(None, problem))
    return findings


def anchor_problem(store: PlanStore, anchor: Any) -> str | None:
    """Why the store does not hold a manifest's anchor row (None when it does)."""
    if not isinstance(anchor, dict):
        return "the manifest carries no audit anchor"
    seq, digest, key = anchor.get("seq"), anchor.get("hash"), anchor.get("key_fingerprint")
    if store.database_missing:
        return f"the manifest was approved at audit row {seq}, but the plan store has no database"
    with store._connect() as db:
        count = db.execute("SELECT COUNT(*), MAX(seq) FROM audit").fetchone()
        row = db.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
    rows, last = int(count[0]), count[1]
    if row is None:
        return (
            f"the manifest was approved at audit row {seq}, but the plan store holds {rows} "
            f"row(s) (last {last}): the store was emptied, truncated or rolled back"
        )
    if row[0] != digest:
        return (
            f"audit row {seq} is not the one the manifest was approved at (different hash): "
            "the store was rewritten or replaced"
        )
    try:
        current = store.key_fingerprint()
    except (StoreError, StoreKeyError) as exc:
        return f"the plan store's key cannot be read ({exc})"
    if key != current:
        return (
            f"the manifest was approved with store key {str(key)[:16]}..., the store now holds "
            f"{current[:16]}...: the store was re-keyed"
        )
    return None
