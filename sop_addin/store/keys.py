"""The plan store's Ed25519 key pair: created on first use, kept beside the audit database.

The private key signs snapshot manifests and the audit log's head; the public key is what a
department (or `sop verify`) checks them with.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sop_addin.workbook.atomic import atomic_write_bytes

PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"


class StoreKeyError(Exception):
    """A key file is unreadable or is not an Ed25519 key."""


def public_key_pem(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return raw.decode("ascii")


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text; a clear error for anything else."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        msg = f"not a PEM public key: {exc}"
        raise StoreKeyError(msg) from exc
    if not isinstance(key, Ed25519PublicKey):
        msg = "the public key is not an Ed25519 key"
        raise StoreKeyError(msg)
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: short enough to compare by eye."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode("ascii")


def signature_valid(key: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_or_create_key(directory: Path) -> Ed25519PrivateKey:
    """The store's private key; a new pair is written (owner-only permissions) on first use."""
    private_path = directory / PRIVATE_KEY_FILE
    if private_path.is_file():
        try:
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        except ValueError as exc:
            msg = f"{private_path} is not a readable private key: {exc}"
            raise StoreKeyError(msg) from exc
        if not isinstance(key, Ed25519PrivateKey):
            msg = f"{private_path} is not an Ed25519 key"
            raise StoreKeyError(msg)
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temp file, then linked into place: when two processes create
    # the store at once, exactly one key pair wins and nobody reads a half-written key.
    temp = directory / f".{PRIVATE_KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temp, private_path)
    except FileExistsError:
        return load_or_create_key(directory)
    finally:
        temp.unlink()
    atomic_write_bytes(directory / PUBLIC_KEY_FILE, public_key_pem(key.public_key()).encode())
    return key
