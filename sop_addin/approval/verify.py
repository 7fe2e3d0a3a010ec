"""`sop verify`: is an approved workbook exactly what was signed, by a key we trust?

Checks, in order: the signer's key is a trusted one (configured, never taken from the file or
its folder) and the signature holds; the file is the one the manifest was signed for (name,
and plan version when asked); the plan store, when named, still holds the approval row the
manifest was anchored at, with the same content hash; the sheets present; each sheet's
protection; what a reader sees (values, number formats, hidden rows, columns and sheets,
merged cells, conditional formats, comments), naming the cells that differ. A workbook
saved again unchanged by Excel, LibreOffice or openpyxl passes.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from openpyxl import Workbook

from sop_addin.approval.content import (
    SheetDigest,
    changed_cells,
    content_hash,
    view_changes,
    workbook_digests,
)
from sop_addin.approval.encryption import decrypt_to_bytes, is_encrypted
from sop_addin.approval.manifest import file_sha256, manifest_path, read_manifest
from sop_addin.approval.protection import sheet_protection
from sop_addin.approval.trust import NoTrustedKey, TrustedKeys
from sop_addin.store.keys import fingerprint, load_public_key, signature_valid
from sop_addin.store.plan_store import PlanStore, canonical_json
from sop_addin.workbook.file_port import FilePort

MAX_CELLS_LISTED = 20
# The only drawn things a snapshot holds: the Exec charts, each a chart in a graphic frame. Their
# kind and place are in the content hash; a drawing holding anything else (a shape, a picture)
# could cover the values.
CHART_PARTS = ("xl/drawings/", "xl/charts/")
_DRAWN_SHAPES = re.compile(rb"<(?:\w+:)?(?:sp|pic|cxnSp|grpSp)[\s>]")


SHAPES_MARK = "!shapes"  # added to a file's part names when a drawing holds more than charts


# Parts a snapshot never has (openpyxl writes none; a LibreOffice re-save adds none, measured);
# comments' vmlDrawing parts are covered by the content hash.
FOREIGN_PARTS = (
    (SHAPES_MARK, "shapes or pictures in a drawing"),
    ("xl/drawings/drawing", "drawings (shapes, images or charts)"),
    ("xl/charts/", "charts"),
    ("xl/media/", "images"),
    ("xl/vbaProject", "macros"),
    ("xl/externalLinks/", "external links"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/ctrlProps/", "form controls"),
    ("customUI/", "a ribbon"),
    ("xl/pivotTables/", "pivot tables"),
    ("xl/slicers/", "slicers"),
    ("xl/connections.xml", "data connections"),
    ("xl/queryTables/", "query tables"),
)


@dataclass
class VerifyResult:
    """What verification found: `problems` make it fail, `notes` are for information."""

    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signer: str = ""  # the trusted key's fingerprint and where it was configured
    workbook: Workbook | None = None  # the workbook as loaded (decrypted), for reuse

    @property
    def ok(self) -> bool:
        return not self.problems


def load_approved(path: Path, password: str | None = None) -> tuple[Workbook, list[str]]:
    """Load an approved workbook (decrypting it first when it is encrypted) and its part names."""
    if is_encrypted(path):
        if password is None:
            from sop_addin.approval.encryption import EncryptionError

            msg = f"{path.name} is encrypted: pass its password (--password) to verify it"
            raise EncryptionError(msg)
        data = decrypt_to_bytes(path, password)
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / path.name
            plain.write_bytes(data)
            return FilePort.open(plain).workbook, _parts(plain)
    return FilePort.open(path).workbook, _parts(path)


def _parts(path: Path) -> list[str]:
    """The file's part names, and SHAPES_MARK when a drawing holds more than charts."""
    with zipfile.ZipFile(path) as archive:  # FilePort.open has vetted the container
        names = archive.namelist()
        drawings = [n for n in names if n.startswith("xl/drawings/drawing") and n.endswith(".xml")]
        if any(_DRAWN_SHAPES.search(archive.read(name)) for name in drawings):
            names.append(SHAPES_MARK)
    return names


def _check_parts(result: VerifyResult, parts: list[str]) -> None:
    """An approved workbook holds cells, tables and its charts only: anything else is added."""
    charts_ok = SHAPES_MARK not in parts
    found = sorted(
        {
            what
            for name in parts
            for prefix, what in FOREIGN_PARTS
            if name.startswith(prefix) and not (charts_ok and name.startswith(CHART_PARTS))
        }
    )
    if found:
        result.problems.append(
            f"the file now holds {', '.join(found)}, which the approved file did not "
            "(something may be drawn over the values, or run when it opens)"
        )


def _check_signature(result: VerifyResult, document: dict[str, Any], trusted: TrustedKeys) -> None:
    body = document["manifest"]
    embedded = load_public_key(body["public_key"])
    signer = fingerprint(embedded)
    if not trusted.trusts(signer):
        known = ", ".join(f"{fp[:16]}... ({src})" for fp, src in trusted.sources.items())
        result.problems.append(
            f"not signed by a trusted key: the manifest was signed by key {signer[:16]}..., "
            f"trusted are {known}"
        )
        return
    if not signature_valid(embedded, canonical_json(body).encode("utf-8"), document["signature"]):
        result.problems.append("the manifest's signature is not valid: the manifest was altered")
        return
    result.signer = f"{signer[:16]}... ({trusted.source(signer)})"


def _check_binding(result: VerifyResult, body: dict[str, Any], plan_version: str | None) -> None:
    """The file is the one the manifest was signed for: renamed, swapped or replayed fails."""
    meta = body["metadata"]
    if body["file"] != result.path.name:
        what = f"plan {meta.get('plan_version')}"
        if meta.get("department"):
            what += f", department {meta['department']}"
        result.problems.append(
            f"the manifest was signed for {body['file']!r} ({what}), not for "
            f"{result.path.name!r}: a renamed, swapped or replayed file"
        )
    if plan_version is not None and meta.get("plan_version") != plan_version:
        result.problems.append(
            f"this is plan version {meta.get('plan_version')!r}, not {plan_version!r}"
        )


def _check_store(result: VerifyResult, body: dict[str, Any], store: PlanStore) -> None:
    """The store still holds the approval row the manifest was anchored at."""
    meta = body["metadata"]
    problem = store.check_anchor(meta.get("audit"))
    if problem is not None:
        result.problems.append(f"plan store {store.directory}: {problem}")
    findings = store.verify_audit()
    if findings:
        result.problems.append(
            f"plan store {store.directory}: its audit trail is broken ({len(findings)} "
            f"finding(s), the first: {findings[0].problem}); run `sop audit verify`"
        )
    if result.problems:
        return
    version = meta["plan_version"]
    approval = store.approval(version)
    expected = meta.get("snapshot_content_hash") or body["content_hash"]
    if approval is None:
        result.problems.append(f"the plan store records no approval of {version!r}")
    elif approval.content_hash != expected:
        result.problems.append(
            f"the plan store approved {version!r} with another content hash: not the approved file"
        )
    newest = store.last_approval()
    if newest is not None and newest.plan_version != version:
        result.notes.append(f"a later plan version is approved: {newest.plan_version}")


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
        # LibreOffice drops it when it saves; what it guards (sheet names, order, visibility)
        # is in the content hash, so its loss alone changes nothing a reader sees.
        result.notes.append(
            "the workbook-structure lock is gone (LibreOffice drops it when it saves); "
            "sheet names, order and visibility are checked anyway"
        )


def _listed(cells: list[str]) -> str:
    shown = ", ".join(cells[:MAX_CELLS_LISTED])
    more = len(cells) - MAX_CELLS_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _check_sheet(result: VerifyResult, sheet: SheetDigest, found: SheetDigest) -> None:
    name = sheet.name
    for change in view_changes(sheet.view, found.view):
        result.problems.append(f"sheet {name!r}: {change}")
    values, looks = changed_cells(sheet, found)
    if values:
        where = _listed([f"{name}!{c}" for c in values])
        result.problems.append(f"sheet {name!r}: value changed in {where}")
    if looks:
        where = _listed([f"{name}!{c}" for c in looks])
        result.problems.append(f"sheet {name!r}: look changed in {where}")


def _check_content(result: VerifyResult, wb: Workbook, body: dict[str, Any]) -> None:
    expected = [SheetDigest.from_json(s) for s in body["sheets"]]
    actual = workbook_digests(wb)
    by_name = {d.name: d for d in actual}
    before = len(result.problems)
    for sheet in expected:
        found = by_name.get(sheet.name)
        if found is None:
            result.problems.append(f"sheet {sheet.name!r} is missing")
        elif found.digest != sheet.digest:
            count = len(result.problems)
            _check_sheet(result, sheet, found)
            if len(result.problems) == count and sheet.view == found.view:
                result.problems.append(f"sheet {sheet.name!r}: its content hash differs")
    names = {s.name for s in expected}
    for extra in (d.name for d in actual if d.name not in names):
        result.problems.append(f"sheet {extra!r} was added")
    if [d.name for d in actual] != [s.name for s in expected] and len(result.problems) == before:
        result.problems.append("the sheets were reordered")
    if not result.problems and content_hash(actual) != body["content_hash"]:
        result.problems.append("the content hash differs from the manifest")


def verify_workbook(
    path: Path,
    trusted: TrustedKeys | None = None,
    password: str | None = None,
    manifest: Path | None = None,
    public_key: Ed25519PublicKey | None = None,
    store: PlanStore | None = None,
    plan_version: str | None = None,
) -> VerifyResult:
    """Verify an approved snapshot or department workbook against its signed manifest.

    Args:
        path: the workbook.
        trusted: the trusted keys (`trust.trusted_keys`); `public_key` adds one.
        password: the password to open an encrypted workbook.
        manifest: the manifest (default: `<name>.manifest.json` beside the workbook).
        store: a plan store to cross-check the audit anchor and the approval with; its key is
            trusted when no other key is given.
        plan_version: the version the file must be.
    """
    path = Path(path)
    keys = TrustedKeys(dict(trusted.sources) if trusted else {})
    if public_key is not None:
        keys.add(public_key, "the given public key")
    if store is not None and not keys:
        # Only when no key is pinned: a pinned key must not be widened by a store whose key
        # files anyone with folder access can replace (the anchor check then says so).
        keys.add(store.public_key, f"the plan store {store.directory}")
    if not keys:
        msg = (
            "no trusted key to verify with: pass --public-key (the plan store's "
            "signing-key.pub.pem), --store, or set $SOP_TRUSTED_KEYS"
        )
        raise NoTrustedKey(msg)
    result = VerifyResult(path=path)
    document = read_manifest(manifest or manifest_path(path))
    body = document["manifest"]
    result.manifest = body
    _check_signature(result, document, keys)
    if result.problems:  # an untrusted manifest says nothing about the workbook
        return result
    _check_binding(result, body, plan_version)
    if store is not None:
        _check_store(result, body, store)
    else:
        result.notes.append("audit anchor not cross-checked: pass --store to check the plan store")
    if result.problems:
        return result
    wb, parts = load_approved(path, password)
    result.workbook = wb
    _check_parts(result, parts)
    _check_protection(result, wb, body["protection"])
    _check_content(result, wb, body)
    if result.ok:
        if file_sha256(path) == body["file_sha256"]:
            result.notes.append("file identical to the approved file, byte for byte")
        else:
            result.notes.append("the file was saved again; what a reader sees is unchanged")
    return result
