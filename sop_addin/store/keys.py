"""The plan store's Ed25519 key pair: created on first use, kept beside the audit database.

The private key signs snapshot manifests and the audit log's head; the public key is what a
department (or `sop verify`) checks them with.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sop_addin.workbook.atomic import atomic_write_bytes

PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"
MAX_KEY_BYTES = 64 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need admin rights


class StoreKeyError(Exception):
    """A key file is unreadable or is not an Ed25519 key."""


class KeyExposed(StoreKeyError):
    """A private key file is a link, not a regular file, or readable by others."""


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


def _read_private(path: Path) -> bytes:
    """The private key file's bytes: a regular file, not a symlink, readable by its owner only."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError as exc:
        if path.is_symlink():
            msg = f"{path} is a symbolic link: a key file is never followed through a link"
            raise KeyExposed(msg) from exc
        msg = f"{path} cannot be read: {exc}"
        raise StoreKeyError(msg) from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            msg = f"{path} is not a regular file"
            raise KeyExposed(msg)
        if os.name != "nt" and info.st_mode & 0o077:
            msg = (
                f"{path} can be read by others (mode {stat.S_IMODE(info.st_mode):o}): "
                "make it owner-only (chmod 600) and consider the key exposed"
            )
            raise KeyExposed(msg)
        return fh.read(MAX_KEY_BYTES)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` exclusively (never through a planted link or over a file), then fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as fh:
        if os.name != "nt":
            os.fchmod(fh.fileno(), mode)  # whatever the umask
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def load_or_create_key(directory: Path) -> Ed25519PrivateKey:
    """The store's private key; a new pair is written (owner-only permissions) on first use.

    Key files are created with O_EXCL and O_NOFOLLOW: a symbolic link planted where a key
    goes (in a shared folder) is refused, never followed, so a key is never written into
    somebody else's file.
    """
    private_path = directory / PRIVATE_KEY_FILE
    if private_path.exists() or private_path.is_symlink():
        try:
            key = serialization.load_pem_private_key(_read_private(private_path), password=None)
        except ValueError as exc:
            msg = f"{private_path} is not a readable private key: {exc}"
            raise StoreKeyError(msg) from exc
        if not isinstance(key, Ed25519PrivateKey):
            msg = f"{private_path} is not an Ed25519 key"
            raise StoreKeyError(msg)
        return key
    public = directory / PUBLIC_KEY_FILE
    if public.is_symlink():
        msg = f"{public} is a symbolic link: remove it; a key file is never written through one"
        raise KeyExposed(msg)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    directory.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temp file of a random name, then linked into place: when two
    # processes create the store at once, exactly one key pair wins and nobody reads a
    # half-written key; link() never follows or replaces what is at the final name.
    temp = directory / f".{PRIVATE_KEY_FILE}.{secrets.token_hex(8)}.tmp"
    _write_new(temp, pem, 0o600)
    try:
        os.link(temp, private_path)  # never follows or replaces a link at private_path
    except FileExistsError:
        return load_or_create_key(directory)
    finally:
        temp.unlink()
    atomic_write_bytes(public, public_key_pem(key.public_key()).encode())
    return key
