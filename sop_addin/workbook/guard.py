"""The one guarded way in for untrusted workbook files.

Before openpyxl sees a file, check what a hostile or broken file could abuse: its size, the
zip's part count, uncompressed size and compression ratio (zip bombs), CRCs (corruption), DTDs
in any XML part (billion laughs, quadratic blowup, XXE), and the OLE container that Excel
uses for password-encrypted workbooks. Every refusal is a plain sentence, and nothing in the
file is parsed as XML before it passes.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: encrypted .xlsx or legacy .xls
ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 16


class WorkbookOpenError(Exception):
    """The file cannot be opened as a workbook; the message says why in plain words."""


class UnsafeWorkbookError(WorkbookOpenError):
    """The file is refused before parsing; the message says why and what to do."""


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what reading one workbook may cost."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 512 * 1024 * 1024
    max_parts: int = 5000
    max_ratio: float = 250.0  # real workbooks compress 5-30x; bombs compress 1000x and more


DEFAULT_LIMITS = ReadLimits()


def _scan_for_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits) -> int:
    """Stream one part, checking its CRC, its real size and that it declares no DTD."""
    seen = 0
    tail = b""
    with archive.open(info) as stream:  # ZipExtFile checks the CRC at the end of the stream
        while chunk := stream.read(_CHUNK):
            seen += len(chunk)
            if seen > limits.max_uncompressed_bytes:
                msg = f"part {info.filename} expands beyond {limits.max_uncompressed_bytes:,} bytes"
                raise UnsafeWorkbookError(msg)
            window = (tail + chunk).upper()
            if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                msg = (
                    f"part {info.filename} declares a DTD or entities, which workbooks never "
                    "need (a sign of an XML attack); the file was not read"
                )
                raise UnsafeWorkbookError(msg)
            tail = chunk[-16:]
    return seen


def check_workbook_file(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    """Raise UnsafeWorkbookError unless `path` is a sane, unencrypted .xlsx/.xlsm package."""
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        msg = f"{path.name} is {size:,} bytes, above the limit of {limits.max_file_bytes:,}"
        raise UnsafeWorkbookError(msg)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(OLE_MAGIC):
        msg = (
            f"{path.name}: workbook is encrypted (password to open) or in the old .xls format; "
            "save an unencrypted .xlsx copy and use that"
        )
        raise UnsafeWorkbookError(msg)
    if not head.startswith(ZIP_MAGIC):
        msg = f"{path.name} is not an Excel workbook (.xlsx/.xlsm): corrupt workbook"
        raise UnsafeWorkbookError(msg)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_parts:
                msg = (
                    f"{path.name} has {len(infos):,} parts, above the limit of {limits.max_parts:,}"
                )
                raise UnsafeWorkbookError(msg)
            declared = sum(i.file_size for i in infos)
            if declared > limits.max_uncompressed_bytes:
                msg = f"{path.name} expands to {declared:,} bytes, above the limit"
                raise UnsafeWorkbookError(msg)
            total = 0
            for info in infos:
                if info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                    msg = (
                        f"{path.name}: part {info.filename} is compressed "
                        f"{info.file_size / info.compress_size:,.0f}:1 (a zip bomb?); refused"
                    )
                    raise UnsafeWorkbookError(msg)
                total += _scan_for_dtd(archive, info, limits)
                if total > limits.max_uncompressed_bytes:
                    msg = f"{path.name} expands beyond {limits.max_uncompressed_bytes:,} bytes"
                    raise UnsafeWorkbookError(msg)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        msg = f"{path.name}: corrupt workbook ({exc})"
        raise UnsafeWorkbookError(msg) from exc
