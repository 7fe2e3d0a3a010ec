"""Sheet and workbook protection with a salted, iterated SHA-512 password hash.

The hash is the one ECMA-376 (Part 1, 18.2.29 / 18.3.1.85) and MS-OFFCRYPTO 2.3.4.7 define
for "agile" protection, the one Excel 2013+ writes: H0 = SHA-512(salt + UTF-16LE(password)),
then spinCount times Hn = SHA-512(Hn-1 + uint32le(n)); salt and hash are stored in base64.
The legacy 16-bit XOR hash (openpyxl's `password=`) is trivially reversible and never used.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.worksheet import Worksheet

ALGORITHM = "SHA-512"
SPIN_COUNT = 100_000  # what Excel writes; it makes guessing a password expensive
SALT_BYTES = 16


@dataclass(frozen=True)
class PasswordHash:
    """What the file stores: algorithm, base64 salt, base64 hash and spin count."""

    algorithm: str
    salt: str
    hash: str
    spin_count: int


def hash_password(
    password: str, salt: bytes | None = None, spin_count: int = SPIN_COUNT
) -> PasswordHash:
    """The agile password hash of `password` (random 16-byte salt unless given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.sha512(salt + password.encode("utf-16-le")).digest()
    for iteration in range(spin_count):
        digest = hashlib.sha512(digest + iteration.to_bytes(4, "little")).digest()
    return PasswordHash(
        algorithm=ALGORITHM,
        salt=base64.b64encode(salt).decode("ascii"),
        hash=base64.b64encode(digest).decode("ascii"),
        spin_count=spin_count,
    )


def password_matches(password: str, stored: PasswordHash) -> bool:
    """Whether `password` unlocks a protection stored as `stored` (SHA-512 only)."""
    if stored.algorithm != ALGORITHM:
        return False
    salt = base64.b64decode(stored.salt)
    again = hash_password(password, salt=salt, spin_count=stored.spin_count)
    return secrets.compare_digest(again.hash, stored.hash)


def protect_sheet(ws: Worksheet, hashed: PasswordHash) -> None:
    """Lock every cell and object of a sheet; cells stay selectable so values can be copied."""
    protection = ws.protection
    protection.sheet = True
    protection.objects = True
    protection.scenarios = True
    protection.algorithmName = hashed.algorithm
    protection.saltValue = hashed.salt
    protection.hashValue = hashed.hash
    protection.spinCount = hashed.spin_count


def lock_structure(wb: Workbook, hashed: PasswordHash) -> None:
    """No sheet can be added, removed, renamed, moved or unhidden."""
    wb.security = WorkbookProtection(
        lockStructure=True,
        workbookAlgorithmName=hashed.algorithm,
        workbookSaltValue=hashed.salt,
        workbookHashValue=hashed.hash,
        workbookSpinCount=hashed.spin_count,
    )


def sheet_protection(ws: Worksheet) -> PasswordHash | None:
    """The protection a loaded sheet carries, or None when it is not protected."""
    p = ws.protection
    if not p.sheet:
        return None
    return PasswordHash(
        algorithm=p.algorithmName or "legacy",
        salt=p.saltValue or "",
        hash=p.hashValue or (p.password or ""),
        spin_count=int(p.spinCount or 0),
    )
