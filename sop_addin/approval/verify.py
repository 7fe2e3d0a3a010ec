"""`sop verify`: is an approved workbook exactly what was signed?

Checks, in order: the manifest's signature (against a trusted public key when one is given
or the plan store is at hand), the sheets present, each sheet's protection (removed or
replaced), the workbook structure lock, and each sheet's cell values (naming the cells that
differ). A workbook saved again unchanged passes: only values and protection count.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from openpyxl import Workbook

from sop_addin.approval.content import (
    SheetDigest,
    changed_cells,
    content_hash,
    workbook_digests,
)
from sop_addin.approval.encryption import decrypt_to_bytes, is_encrypted
from sop_addin.approval.manifest import file_sha256, manifest_path, read_manifest
from sop_addin.approval.protection import sheet_protection
from sop_addin.store.keys import fingerprint, load_public_key, signature_valid
from sop_addin.store.plan_store import canonical_json
from sop_addin.workbook.file_port import FilePort


@dataclass
class VerifyResult:
    """What verification found: `problems` make it fail, `notes` are for information."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    workbook: Workbook | None = None  # the workbook as loaded (decrypted), for reuse

    @property
    def ok(self) -> bool:
        return not self.problems


def load_approved(path: Path, password: str | None = None) -> Workbook:
    """Load an approved workbook (decrypting it first when it is encrypted)."""
    if is_encrypted(path):
        if password is None:
            from sop_addin.approval.encryption import EncryptionError

            msg = f"{path.name} is encrypted: pass its password (--password) to verify it"
            raise EncryptionError(msg)
        data = decrypt_to_bytes(path, password)
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / path.name
            plain.write_bytes(data)
            return FilePort.open(plain).workbook
    return FilePort.open(path).workbook


def _check_signature(
    result: VerifyResult, document: dict[str, Any], trusted: Ed25519PublicKey | None
) -> None:
    body = document["manifest"]
    embedded = load_public_key(body["public_key"])
    key = trusted or embedded
    if trusted is not None and fingerprint(trusted) != fingerprint(embedded):
        result.problems.append(
            f"the manifest was signed by key {fingerprint(embedded)[:16]}..., not by the "
            f"trusted plan store key {fingerprint(trusted)[:16]}..."
        )
        return
    if not signature_valid(key, canonical_json(body).encode("utf-8"), document["signature"]):
        result.problems.append("the manifest's signature is not valid: the manifest was altered")
        return
    if trusted is None:
        result.notes.append(
            "signature checked with the key in the manifest itself; pass --public-key (the plan "
            "store's signing-key.pub.pem) to check who signed it"
        )
    else:
        result.notes.append(f"signed by the plan store key {fingerprint(trusted)[:16]}...")


def _check_protection(result: VerifyResult, wb: Workbook, expected: dict[str, Any]) -> None:
    for ws in wb.worksheets:
        found = sheet_protection(ws)
        if found is None:
            result.problems.append(f"sheet {ws.title!r}: protection was removed")
        elif (found.algorithm, found.salt, found.hash, found.spin_count) != (
            expected["algorithm"],
            expected["salt"],
            expected["hash"],
            expected["spin_count"],
        ):
            result.problems.append(
                f"sheet {ws.title!r}: protection was replaced (different password hash "
                f"or algorithm {found.algorithm})"
            )
    security = wb.security
    if expected.get("structure_locked") and (security is None or not security.lockStructure):
        result.problems.append("the workbook structure is no longer locked")


def _check_content(result: VerifyResult, wb: Workbook, body: dict[str, Any]) -> None:
    expected = [SheetDigest.from_json(s) for s in body["sheets"]]
    actual = workbook_digests(wb)
    by_name = {d.name: d for d in actual}
    for sheet in expected:
        found = by_name.get(sheet.name)
        if found is None:
            result.problems.append(f"sheet {sheet.name!r} is missing")
        elif found.digest != sheet.digest:
            cells = changed_cells(sheet, found)
            where = ", ".join(f"{sheet.name}!{c}" for c in cells) or "(cells moved)"
            result.problems.append(f"sheet {sheet.name!r}: value changed in {where}")
    names = {s.name for s in expected}
    for extra in (d.name for d in actual if d.name not in names):
        result.problems.append(f"sheet {extra!r} was added")
    if [d.name for d in actual] != [s.name for s in expected] and not result.problems:
        result.problems.append("the sheets were reordered")
    if not result.problems and content_hash(actual) != body["content_hash"]:
        result.problems.append("the content hash differs from the manifest")


def verify_workbook(
    path: Path,
    public_key: Ed25519PublicKey | None = None,
    password: str | None = None,
    manifest: Path | None = None,
) -> VerifyResult:
    """Verify an approved snapshot or department workbook against its signed manifest."""
    path = Path(path)
    result = VerifyResult(path=path)
    document = read_manifest(manifest or manifest_path(path))
    body = document["manifest"]
    result.manifest = body
    _check_signature(result, document, public_key)
    if result.problems:  # an untrusted manifest says nothing about the workbook
        return result
    if body.get("file") != path.name:
        result.notes.append(f"the manifest was written for {body.get('file')!r}")
    wb = load_approved(path, password)
    result.workbook = wb
    _check_protection(result, wb, body["protection"])
    _check_content(result, wb, body)
    if result.ok:
        if file_sha256(path) == body["file_sha256"]:
            result.notes.append("file identical to the approved file, byte for byte")
        else:
            result.notes.append("the file was saved again; its values and protection are unchanged")
    return result
