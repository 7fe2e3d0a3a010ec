"""The plan store: approvals and the audit trail in SQLite, with the store's signing key.

The audit log is append-only: triggers refuse UPDATE and DELETE, and every row carries the
SHA-256 of its content and of the row before it (a hash chain). The newest row's hash is kept
in a head record signed with the store's Ed25519 key, updated in the same transaction, so an
edited, deleted or truncated log is detected by `verify_audit` even when someone drops the
triggers. Row 1 (`store_created`) pins the fingerprint of the store's key, so a store
re-keyed in place is reported. The approvals table is checked against the chain's approval
rows. Approvals have a UNIQUE plan version: of two concurrent approvals of the same version
one commits and the other gets `ApprovalConflict`.

The chain is anchored outside the database too: every signed manifest carries the sequence
number and hash of its approval row (`Anchor`), and `check_anchor` tells whether the store
still holds that row, so an emptied, truncated or rolled-back store is caught by any manifest
that knows more than it does.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sop_addin.store.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    KeyExposed,
    StoreKeyError,
    fingerprint,
    load_or_create_key,
    load_public_key,
    sign,
)
from sop_addin.workbook.atomic import _fsync_dir as fsync_dir

STORE_ENV = "SOP_STORE"
CRASH_ENV = "SOP_CRASH_AT"  # tests only: the step at which approval kills itself
PENDING_PREFIX = ".sop-pending-"  # never a temp file's prefix: stale-temp cleanup leaves it
# The kinds of audit event the add-in writes (`sop audit log --event` accepts these).
EVENT_KINDS = (
    "store_created",
    "plan_version",
    "override",
    "approval",
    "promotion",
    "distribution",
    "plan_vs_actual",
)
DEFAULT_STORE_NAME = ".sop-store"
DB_FILE = "plan-store.sqlite3"
GENESIS = "0" * 64
BUSY_TIMEOUT_S = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    plan_version TEXT,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    plan_version TEXT NOT NULL UNIQUE,
    plan_cycle TEXT NOT NULL,
    approver TEXT NOT NULL,
    approved_at TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    audit_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_approvals (
    plan_version TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    pending_snapshot TEXT NOT NULL,
    manifest TEXT NOT NULL,
    pending_manifest TEXT NOT NULL
);
"""


class StoreError(Exception):
    """The plan store cannot be opened or used; the message says why."""


class ApprovalConflict(StoreError):
    """The plan version is already approved (possibly by a concurrent approval)."""


@dataclass(frozen=True)
class Approval:
    plan_version: str
    plan_cycle: str
    approver: str
    approved_at: str
    snapshot: str
    content_hash: str
    audit_seq: int


@dataclass(frozen=True)
class Anchor:
    """Where the audit chain stood at an approval: its row's sequence number and hash."""

    seq: int
    hash: str
    key_fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "key_fingerprint": self.key_fingerprint}


@dataclass(frozen=True)
class PendingApproval:
    """An approval committed in the store whose files may not have reached their names yet."""

    plan_version: str
    snapshot: Path
    pending_snapshot: Path
    manifest: Path
    pending_manifest: Path


def pending_is_valid(pending: PendingApproval, approved_snapshot: str | None) -> bool:
    """Only an approval's own files are moved: same folder, pending names, its snapshot.

    The record is in the database anyone with folder access can edit; without these checks
    a planted record would make the next approver's process move files of its choosing.
    """
    folder = pending.snapshot.parent
    return (
        approved_snapshot == str(pending.snapshot)
        and pending.snapshot.suffix == ".xlsx"
        and pending.manifest == folder / f"{pending.snapshot.stem}.manifest.json"
        and all(
            p.parent == folder and p.name.startswith(PENDING_PREFIX) and p.name.endswith(f.name)
            for p, f in (
                (pending.pending_snapshot, pending.snapshot),
                (pending.pending_manifest, pending.manifest),
            )
        )
    )


@dataclass(frozen=True)
class AuditFinding:
    """One problem found in the audit log: the row (seq) and what is wrong with it."""

    seq: int | None
    problem: str


def resolve_store_dir(option: Path | str | None, workbook: Path | None = None) -> Path:
    """Where the plan store lives: --store, else $SOP_STORE, else .sop-store beside the workbook.

    Without a workbook the fallback is .sop-store in the current folder.
    """
    if option:
        return Path(option)
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    base = workbook.resolve().parent if workbook is not None else Path.cwd()
    return base / DEFAULT_STORE_NAME


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(
    seq: int,
    at: str,
    actor: str,
    event: str,
    plan_version: str | None,
    payload: str,
    prev_hash: str,
) -> str:
    """SHA-256 over a row's fields (canonical JSON) and the previous row's hash."""
    body = canonical_json([seq, at, actor, event, plan_version, payload, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def head_message(seq: int, digest: str) -> bytes:
    return f"sop-addin audit head {seq} {digest}".encode()


def _hook(point: str) -> None:
    """Die here when the tests ask for it ($SOP_CRASH_AT): a kill at a chosen step."""
    if os.environ.get(CRASH_ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)


class PlanStore:
    """A folder holding the SQLite database and the Ed25519 key pair (created on first use).

    `create=False` opens an existing store for checking only: nothing is created, and a
    missing or emptied database is left for `verify_audit` to report.
    """

    def __init__(self, directory: Path | str, create: bool = True) -> None:
        self.directory = Path(directory)
        self.db_path = self.directory / DB_FILE
        self._key: Ed25519PrivateKey | None = None
        self.database_missing = not self.db_path.is_file() or self.db_path.stat().st_size == 0
        if not create:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the plan store folder {self.directory}: {exc}"
            raise StoreError(msg) from exc
        keyed = os.path.lexists(self.directory / PRIVATE_KEY_FILE)
        if keyed:
            try:
                self.private_key  # noqa: B018 -- a planted link or exposed key stops here
            except KeyExposed:
                raise
            except StoreKeyError:
                pass  # not readable by this account (an auditor's): reading still works
        with self._connect() as db:
            db.executescript(SCHEMA)
            empty = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0
        if empty and keyed:
            msg = (
                f"the plan store {self.directory} has its signing key but an empty audit log: "
                "its database was deleted, emptied or replaced. Restore plan-store.sqlite3 from "
                "a backup; nothing was recorded"
            )
            raise StoreError(msg)
        if empty:
            fp = fingerprint(self.private_key.public_key())
            with self._transaction() as db:
                if db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 0:
                    self._append(db, "store_created", "sop-addin", None, {"key_fingerprint": fp})
        self.database_missing = False
        self.finish_pending()

    # -- keys ----------------------------------------------------------------------------

    @property
    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            if not os.path.lexists(self.directory / PRIVATE_KEY_FILE) and self._has_rows():
                msg = (
                    f"the plan store {self.directory} holds an audit log but no signing key "
                    f"({PRIVATE_KEY_FILE} was deleted or moved): restore it from a backup; a new "
                    "key is made only with a new store"
                )
                raise StoreError(msg)
            self._key = load_or_create_key(self.directory)
        return self._key

    def _has_rows(self) -> bool:
        if not self.db_path.is_file() or self.db_path.stat().st_size == 0:
            return False
        with self._connect() as db:
            try:
                return db.execute("SELECT 1 FROM audit LIMIT 1").fetchone() is not None
            except sqlite3.OperationalError:  # no audit table yet
                return False

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The store's public key: from its private key when readable, else the .pub file."""
        if os.path.lexists(self.directory / PRIVATE_KEY_FILE):
            try:
                return self.private_key.public_key()
            except StoreKeyError:  # not readable here (a verifier's machine): the .pub file
                pass
        path = self.directory / PUBLIC_KEY_FILE
        if path.is_file():
            return load_public_key(path.read_bytes())
        msg = f"the plan store {self.directory} has no signing key"
        raise StoreError(msg)

    @property
    def public_key_path(self) -> Path:
        self.private_key  # noqa: B018 -- creates the pair on first use
        return self.directory / PUBLIC_KEY_FILE

    def key_fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def pinned_fingerprint(self) -> str | None:
        """The key fingerprint row 1 (store_created) recorded, if readable."""
        if self.database_missing:
            return None
        with self._connect() as db:
            row = db.execute("SELECT event, payload FROM audit WHERE seq = 1").fetchone()
        if row is None or row[0] != "store_created":
            return None
        try:
            value = json.loads(row[1]).get("key_fingerprint")
        except (TypeError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    # -- database ------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            msg = f"cannot open the plan store database {self.db_path}: {exc}"
            raise StoreError(msg) from exc
        try:
            # A rollback journal, not WAL: WAL needs shared memory on one host and breaks on
            # the network shares a team's plan store often lives on.
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            msg = f"the plan store database {self.db_path} failed: {exc}"
            raise StoreError(msg) from exc
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: one writer at a time; a concurrent writer waits for the lock."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _append(
        self,
        db: sqlite3.Connection,
        event: str,
        actor: str,
        plan_version: str | None,
        payload: dict[str, Any],
        at: str | None = None,
    ) -> tuple[int, str]:
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (1, GENESIS) if last is None else (last[0] + 1, last[1])
        at = at or now_utc()
        text = canonical_json(payload)
        digest = row_hash(seq, at, actor, event, plan_version, text, prev)
        db.execute(
            "INSERT INTO audit (seq, at, actor, event, plan_version, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, event, plan_version, text, prev, digest),
        )
        signature = sign(self.private_key, head_message(seq, digest))
        db.execute(
            "INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
            " signature = excluded.signature",
            (seq, digest, signature),
        )
        return seq, digest

    def record(
        self,
        event: str,
        actor: str,
        payload: dict[str, Any],
        plan_version: str | None = None,
    ) -> int:
        """Append one audit event (plan_version, override, promotion, distribution, ...)."""
        self.private_key  # noqa: B018 -- create the key before taking the write lock
        with self._transaction() as db:
            return self._append(db, event, actor, plan_version, payload)[0]

    def head(self) -> Anchor:
        """Where the chain stands now (the newest row), with the store key's fingerprint."""
        with self._connect() as db:
            last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, digest = (0, GENESIS) if last is None else (int(last[0]), str(last[1]))
        return Anchor(seq, digest, self.key_fingerprint())

    def approve(
        self,
        plan_version: str,
        plan_cycle: str,
        approver: str,
        snapshot: str,
        content_hash: str,
        details: dict[str, Any],
        overrides: list[dict[str, Any]] | None = None,
        at: str | None = None,
        pending: PendingApproval | None = None,
        before_commit: Callable[[Anchor], None] | None = None,
    ) -> Approval:
        """Record the approval of a plan version; ApprovalConflict if it is already approved.

        `before_commit(anchor)` runs inside the transaction once the approval row exists (it
        writes the manifest that carries the anchor); `pending` is recorded in the same
        transaction so a crash after the commit is finished by the next `PlanStore`.
        """
        self.private_key  # noqa: B018
        at = at or now_utc()
        try:
            with self._transaction() as db:
                self._raise_if_approved(db, plan_version)
                version_payload = {"plan_cycle": plan_cycle, **details}
                self._append(db, "plan_version", approver, plan_version, version_payload, at)
                for override in overrides or []:
                    # who made the override: its author when it has one, else the approver
                    actor = str(override.get("author") or approver)
                    self._append(db, "override", actor, plan_version, override, at)
                payload = {
                    "plan_cycle": plan_cycle,
                    "snapshot": snapshot,
                    "content_hash": content_hash,
                }
                seq, digest = self._append(db, "approval", approver, plan_version, payload, at)
                db.execute(
                    "INSERT INTO approvals (plan_version, plan_cycle, approver, approved_at,"
                    " snapshot, content_hash, audit_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (plan_version, plan_cycle, approver, at, snapshot, content_hash, seq),
                )
                if pending is not None:
                    db.execute(
                        "INSERT INTO pending_approvals (plan_version, snapshot, pending_snapshot,"
                        " manifest, pending_manifest) VALUES (?, ?, ?, ?, ?)",
                        (
                            plan_version,
                            str(pending.snapshot),
                            str(pending.pending_snapshot),
                            str(pending.manifest),
                            str(pending.pending_manifest),
                        ),
                    )
                if before_commit is not None:
                    before_commit(Anchor(seq, digest, self.key_fingerprint()))
                _hook("before-commit")
        except sqlite3.IntegrityError as exc:  # the UNIQUE constraint: a concurrent approval won
            existing = self.approval(plan_version)
            raise self._conflict(plan_version, existing) from exc
        _hook("after-commit")
        return Approval(plan_version, plan_cycle, approver, at, snapshot, content_hash, seq)

    def finish_pending(self) -> list[str]:
        """Move the files of committed approvals to their final names; return the versions.

        Runs under the write lock, so the approving process and a recovering one never move
        the same file twice. A pending file is never deleted: it is the only copy of an
        approved plan until it reaches its final name.
        """
        finished = []
        with self._transaction() as db:
            rows = db.execute("SELECT * FROM pending_approvals").fetchall()
            for row in rows:
                pending = PendingApproval(row[0], *(Path(p) for p in row[1:]))
                approved = db.execute(
                    "SELECT snapshot FROM approvals WHERE plan_version = ?", (pending.plan_version,)
                ).fetchone()
                if not pending_is_valid(pending, approved[0] if approved else None):
                    continue  # never acted on: `sop audit verify` reports it
                for source, target in (
                    (pending.pending_manifest, pending.manifest),
                    (pending.pending_snapshot, pending.snapshot),
                ):
                    if source.exists() and not target.exists():
                        os.replace(source, target)
                        _hook(f"after-rename-{target.suffix.lstrip('.')}")
                if not (pending.snapshot.exists() and pending.manifest.exists()):
                    continue  # left for a person: `sop audit verify` reports it
                fsync_dir(pending.snapshot.parent)
                db.execute(
                    "DELETE FROM pending_approvals WHERE plan_version = ?", (pending.plan_version,)
                )
                finished.append(pending.plan_version)
        return finished

    def pending(self) -> list[PendingApproval]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM pending_approvals").fetchall()
        return [PendingApproval(row[0], *(Path(p) for p in row[1:])) for row in rows]

    def _raise_if_approved(self, db: sqlite3.Connection, plan_version: str) -> None:
        row = db.execute(
            "SELECT * FROM approvals WHERE plan_version = ?", (plan_version,)
        ).fetchone()
        if row is not None:
            raise self._conflict(plan_version, Approval(*row))

    @staticmethod
    def _conflict(plan_version: str, existing: Approval | None) -> ApprovalConflict:
        who = f" by {existing.approver} at {existing.approved_at}" if existing else ""
        msg = (
            f"plan version {plan_version!r} is already approved{who}; an approved version is "
            "never replaced: set a new plan_version on the Setup tab and approve that"
        )
        return ApprovalConflict(msg)

    def check_not_approved(self, plan_version: str) -> None:
        """Fail early (before writing a snapshot) when the version is already approved."""
        existing = self.approval(plan_version)
        if existing is not None:
            raise self._conflict(plan_version, existing)

    # -- queries -------------------------------------------------------------------------

    def approval(self, plan_version: str) -> Approval | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM approvals WHERE plan_version = ?", (plan_version,)
            ).fetchone()
        return None if row is None else Approval(*row)

    def approvals(self) -> list[Approval]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM approvals ORDER BY audit_seq").fetchall()
        return [Approval(*row) for row in rows]

    def last_approval(self) -> Approval | None:
        approvals = self.approvals()
        return approvals[-1] if approvals else None

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        """The audit rows as dicts; a payload that is not JSON is kept as its text."""
        query = "SELECT seq, at, actor, event, plan_version, payload FROM audit"
        args: tuple[str, ...] = ()
        if event is not None:
            query += " WHERE event = ?"
            args = (event,)
        if self.database_missing:
            return []
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY seq", args).fetchall()
        return [
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "event": name,
                "plan_version": version,
                "payload": _payload(payload),
            }
            for seq, at, actor, name, version, payload in rows
        ]

    # -- verification --------------------------------------------------------------------

    def verify_audit(self) -> list[AuditFinding]:
        """Every break in the chain, the signed head, the pinned key and the approvals table."""
        from sop_addin.store.audit_check import check_store

        return check_store(self)

    def check_anchor(self, anchor: dict[str, Any]) -> str | None:
        """Why the store does not hold a manifest's anchor row, or None when it does."""
        from sop_addin.store.audit_check import anchor_problem

        return anchor_problem(self, anchor)


def _payload(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
