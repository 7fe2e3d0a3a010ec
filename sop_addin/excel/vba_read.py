"""Read a vbaProject.bin back: its dir records, PROJECT lines and module sources.

Used by `sop addin doctor` (which xlwings version the installed add-in embeds) and by the
tests that compare our project with the Excel-made reference. The compound file is read
with olefile, an independent implementation of [MS-CFB].
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sop_addin.excel import ovba

VBA_PART = "xl/vbaProject.bin"
_PROJECTVERSION = 0x09
_MODULE_NAME, _MODULE_OFFSET, _MODULE_END = 0x19, 0x31, 0x2B
_MODULE_KINDS = {0x21: "module", 0x22: "class-or-document"}


@dataclass(frozen=True)
class Record:
    """One dir stream record: its id and its data."""

    id: int
    data: bytes


@dataclass(frozen=True)
class ReadProject:
    """What a vbaProject.bin holds, as read back."""

    records: list[Record]
    project_lines: list[str]
    sources: dict[str, str]
    streams: dict[str, bytes]


def dir_records(data: bytes) -> list[Record]:
    """The records of a decompressed dir stream ([MS-OVBA] 2.3.4.2)."""
    records, pos = [], 0
    while pos < len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        if record_id == _PROJECTVERSION:  # its size field is a reserved 4 before 6 bytes
            size = 6
        records.append(Record(record_id, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


def module_blocks(records: list[Record]) -> list[list[Record]]:
    """The records of each module, from MODULENAME to the terminator."""
    blocks: list[list[Record]] = []
    current: list[Record] | None = None
    for record in records:
        if record.id == _MODULE_NAME:
            current = []
        if current is not None:
            current.append(record)
            if record.id == _MODULE_END:
                blocks.append(current)
                current = None
    return blocks


def read_project(data: bytes, codepage: str = "cp1252") -> ReadProject:
    """Parse the bytes of a vbaProject.bin."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data))
    try:
        streams = {
            "/".join(path): ole.openstream("/".join(path)).read()
            for path in ole.listdir(streams=True, storages=False)
        }
    finally:
        ole.close()
    records = dir_records(ovba.decompress(streams["VBA/dir"]))
    sources = {}
    for block in module_blocks(records):
        by_id = {r.id: r.data for r in block}
        name = by_id[_MODULE_NAME].decode(codepage)
        offset = struct.unpack("<I", by_id[_MODULE_OFFSET])[0]
        stream = streams["VBA/" + by_id[0x1A].decode(codepage)]
        sources[name] = ovba.decompress(stream[offset:]).decode(codepage)
    lines = streams["PROJECT"].decode(codepage).split("\r\n")
    return ReadProject(records, lines, sources, streams)


def vba_project_of(path: Path) -> bytes:
    """The vbaProject.bin inside an .xlsm or .xlam file."""
    with zipfile.ZipFile(path) as package:
        return package.read(VBA_PART)
