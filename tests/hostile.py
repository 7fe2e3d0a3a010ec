"""Builders of hostile and broken workbook files, from a valid one."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>
"""


def xxe(secret: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [ <!ENTITY xxe SYSTEM "'
        + secret.resolve().as_uri().encode()
        + b'"> ]>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&xxe;</t></si></sst>"
    )


def quadratic_blowup() -> bytes:
    big = b"A" * 50_000
    body = b"&a;" * 50_000
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "' + big + b'">]>\n'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        + body
        + b"</t></si></sst>"
    )


def rewrite(
    source: Path,
    target: Path,
    change: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Copy a workbook's parts, letting `change(name, data)` replace (or drop, with None) each."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", compression) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target


def sheet_part(source: Path, title: str) -> str:
    """The zip part name of the worksheet called `title`."""
    with zipfile.ZipFile(source) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet[^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, title
    target = re.search(rf'Id="{rid.group(1)}"[^>]*Target="([^"]+)"', rels) or re.search(
        rf'Target="([^"]+)"[^>]*Id="{rid.group(1)}"', rels
    )
    assert target
    name = target.group(1).lstrip("/")
    return name if name.startswith("xl/") else f"xl/{name}"


def flip_crc(source: Path, target: Path, part: str) -> Path:
    """Store `part` uncompressed and change one byte of it, so its CRC no longer matches."""
    rewrite(source, target, lambda n, d: d, compression=zipfile.ZIP_STORED)
    raw = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as z:
        info = z.getinfo(part)
    # Local header: 30 bytes + name + extra field, then the stored data.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.file_size // 2] ^= 0x20
    target.write_bytes(bytes(raw))
    return target
