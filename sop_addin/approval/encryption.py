"""Optional password-to-open encryption of approved workbooks (ECMA-376 agile, msoffcrypto-tool).

Sheet protection stops edits; encryption stops reading without the password. The manifest's
content hash is over the decrypted workbook, so `sop verify --password` checks both.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sop_addin.workbook.atomic import atomic_write

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_ENCRYPTED_BYTES = 200 * 1024 * 1024  # as the workbook guard's file limit


class EncryptionError(Exception):
    """Encryption is unavailable, or the password does not open the file."""


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(8) == OLE_MAGIC


def _msoffcrypto() -> Any:
    try:
        import msoffcrypto
    except ImportError as exc:  # an optional dependency of the encryption feature only
        msg = "password-to-open encryption needs msoffcrypto-tool: pip install msoffcrypto-tool"
        raise EncryptionError(msg) from exc
    return msoffcrypto


def encrypt_file(path: Path, password: str) -> None:
    """Replace an .xlsx with its password-encrypted form, atomically."""
    _msoffcrypto()
    from msoffcrypto.format.ooxml import OOXMLFile

    # Read it whole first: the file is replaced while the encrypted copy is written.
    plain = OOXMLFile(io.BytesIO(path.read_bytes()))

    def write(temp: Path) -> None:
        with temp.open("wb") as out:
            plain.encrypt(password, out)

    atomic_write(path, write)


def decrypt_to_bytes(path: Path, password: str) -> bytes:
    """The decrypted workbook; EncryptionError when the password is wrong."""
    if path.stat().st_size > MAX_ENCRYPTED_BYTES:
        msg = f"{path.name} is larger than {MAX_ENCRYPTED_BYTES:,} bytes: not decrypted"
        raise EncryptionError(msg)
    module = _msoffcrypto()
    out = io.BytesIO()
    with path.open("rb") as fh:
        try:
            office = module.OfficeFile(fh)
            office.load_key(password=password)
            office.decrypt(out)
        except Exception as exc:  # msoffcrypto raises several types for a bad password or file
            msg = f"cannot decrypt {path.name} with the given password: {exc}"
            raise EncryptionError(msg) from exc
    return out.getvalue()
