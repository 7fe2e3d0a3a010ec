"""The signed manifest beside every approved workbook: what it must contain, and who signed it.

`<name>.manifest.json` holds the approval metadata (plan version, department, the audit
anchor: the store's row and hash at approval), the file name it was signed for, the content
hash with per-sheet view and per-cell digests, the expected protection of every sheet, the
file's SHA-256 and the signer's public key; an Ed25519 signature covers all of it
(canonical JSON). A manifest binds one file: renamed, swapped or replayed, it fails.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_addin.approval.content import SheetDigest, content_hash
from sop_addin.approval.protection import PasswordHash
from sop_addin.store.keys import fingerprint, public_key_pem, sign
from sop_addin.store.plan_store import canonical_json
from sop_addin.workbook.atomic import atomic_write_text

FORMAT = "sop-addin signed manifest v2"
OLD_FORMATS = ("sop-addin signed manifest v1",)
MANIFEST_SUFFIX = ".manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class ManifestError(Exception):
    """The manifest is missing, unreadable or not a sop-addin manifest."""


def manifest_path(workbook: Path) -> Path:
    """`plan.xlsx` -> `plan.manifest.json`, beside it."""
    return workbook.with_name(workbook.stem + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(
    file_name: str,
    kind: str,
    metadata: dict[str, Any],
    digests: list[SheetDigest],
    protection: PasswordHash,
    file_digest: str,
    encrypted: bool = False,
) -> dict[str, Any]:
    """The manifest body (unsigned)."""
    return {
        "format": FORMAT,
        "file": file_name,
        "kind": kind,
        "encrypted": encrypted,
        "file_sha256": file_digest,
        "content_hash": content_hash(digests),
        "metadata": metadata,
        "protection": {
            "algorithm": protection.algorithm,
            "salt": protection.salt,
            "hash": protection.hash,
            "spin_count": protection.spin_count,
            "structure_locked": True,
        },
        "sheets": [d.to_json() for d in digests],
    }


def sign_manifest(body: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    public = key.public_key()
    signed_body = {
        **body,
        "public_key": public_key_pem(public),
        "key_fingerprint": fingerprint(public),
    }
    return {
        "manifest": signed_body,
        "signature": sign(key, canonical_json(signed_body).encode("utf-8")),
    }


def write_manifest(target: Path, signed: dict[str, Any]) -> Path:
    atomic_write_text(target, json.dumps(signed, indent=1, sort_keys=True))
    return target


def read_manifest(path: Path) -> dict[str, Any]:
    """The signed manifest document (`manifest` and `signature`); ManifestError otherwise."""
    if not path.is_file():
        msg = f"no manifest beside the workbook: {path} is missing"
        raise ManifestError(msg)
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        msg = f"{path} is larger than {MAX_MANIFEST_BYTES:,} bytes: not a sop-addin manifest"
        raise ManifestError(msg)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{path} is not valid JSON: {exc}"
        raise ManifestError(msg) from exc
    body = document.get("manifest") if isinstance(document, dict) else None
    if isinstance(body, dict) and body.get("format") in OLD_FORMATS:
        msg = (
            f"{path} is a manifest of an older sop-addin ({body['format']}) that binds neither "
            "the file name nor the audit trail: approve the plan again as a new version"
        )
        raise ManifestError(msg)
    if not isinstance(body, dict) or body.get("format") != FORMAT or "signature" not in document:
        msg = f"{path} is not a sop-addin signed manifest"
        raise ManifestError(msg)
    if not _well_formed(body) or not isinstance(document["signature"], str):
        msg = f"{path} is damaged: a field of the manifest is missing or of the wrong type"
        raise ManifestError(msg)
    return document


def _well_formed(body: dict[str, Any]) -> bool:
    """Every field verification reads is present with the right type (never a KeyError)."""
    text = ("file", "file_sha256", "content_hash", "public_key")
    if not all(isinstance(body.get(k), str) for k in text):
        return False
    metadata = body.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("plan_version"), str):
        return False
    protection = body.get("protection")
    if not isinstance(protection, dict) or not all(
        isinstance(protection.get(k), t)
        for k, t in (("algorithm", str), ("salt", str), ("hash", str), ("spin_count", int))
    ):
        return False
    sheets = body.get("sheets")
    return isinstance(sheets, list) and all(
        isinstance(s, dict)
        and isinstance(s.get("name"), str)
        and isinstance(s.get("digest"), str)
        and isinstance(s.get("view"), dict)
        and isinstance(s.get("looks"), list)
        and isinstance(s.get("rows"), dict)
        and all(isinstance(v, str) for v in s["rows"].values())
        for s in sheets
    )
