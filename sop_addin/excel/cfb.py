"""A compound file writer ([MS-CFB] version 3): the container of vbaProject.bin.

Small and deterministic: 512-byte sectors, streams under 4096 bytes in the mini stream
(64-byte mini sectors), zero timestamps and class ids. Each storage's children form a
red-black tree ordered as [MS-CFB] 2.6.4 says (shorter names first, then by upper-case
UTF-16 code units); the tree is balanced and coloured so that every red-black property
holds, which Excel's own all-black chains do not need but every reader accepts.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER_DIFAT = 109
_STORAGE, _STREAM, _ROOT = 1, 2, 5
RED, BLACK = 0, 1


@dataclass
class Storage:
    """A storage (folder) of the compound file: named streams and sub-storages."""

    streams: dict[str, bytes] = field(default_factory=dict)
    storages: dict[str, Storage] = field(default_factory=dict)


def sort_key(name: str) -> tuple[int, list[int]]:
    """[MS-CFB] 2.6.4's order: by length, then by upper-case UTF-16 code units."""
    units = name.upper().encode("utf-16-le")
    return len(units), [int.from_bytes(units[i : i + 2], "little") for i in range(0, len(units), 2)]


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _tree(ids: list[int], entries: list[_Entry]) -> int:
    """Link sorted siblings into a balanced red-black tree; return its root.

    Built by halving, levels 0..d-1 are complete and every missing child sits at depth d
    or d+1: the nodes of the incomplete level d are red, the others black, so every path
    from the root to a leaf passes the same number of black nodes and no red node has a
    red child.
    """
    if not ids:
        return NOSTREAM
    full_depth = (len(ids) + 1).bit_length() - 1  # levels 0..full_depth-1 are complete

    def link(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = entries[ids[mid]]
        node.color = RED if depth >= full_depth else BLACK
        node.left = link(lo, mid, depth + 1)
        node.right = link(mid + 1, hi, depth + 1)
        return ids[mid]

    return link(0, len(ids), 0)


def _flatten(root: Storage) -> list[_Entry]:
    """Directory entries in breadth-first order, the root entry first."""
    entries = [_Entry("Root Entry", _ROOT)]
    queue: list[tuple[int, Storage]] = [(0, root)]
    while queue:
        index, storage = queue.pop(0)
        names = sorted([*storage.streams, *storage.storages], key=sort_key)
        for a, b in itertools.pairwise(names):
            if sort_key(a) == sort_key(b):  # names are compared without case
                msg = f"two entries of one storage differ only in case: {a!r}, {b!r}"
                raise ValueError(msg)
        for name in names:
            if len(name) > 31:
                msg = f"compound file names have at most 31 characters: {name!r}"
                raise ValueError(msg)
            entries[index].children.append(len(entries))
            if name in storage.storages:
                queue.append((len(entries), storage.storages[name]))
                entries.append(_Entry(name, _STORAGE))
            else:
                entries.append(_Entry(name, _STREAM, storage.streams[name]))
    for entry in entries:
        entry.child = _tree(entry.children, entries)
    return entries


def _pad(data: bytes, size: int) -> bytes:
    return data + b"\0" * (-len(data) % size)


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i < count - 1 else ENDOFCHAIN


def _dir_entry(e: _Entry) -> bytes:
    name = e.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        e.kind,
        e.color,
        e.left,
        e.right,
        e.child,
        b"\0" * 16,
        0,
        0,
        0,
        e.start,
        e.size,
    )


_EMPTY_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0
)


def write(root: Storage) -> bytes:
    """The bytes of a compound file holding `root`'s streams and storages."""
    entries = _flatten(root)
    mini_stream = b""
    mini_fat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != _STREAM:
            continue
        e.size = len(e.data)
        if e.size >= MINI_CUTOFF:
            big.append(e)
        elif e.size:
            e.start = len(mini_stream) // MINI_SECTOR
            count = -(-e.size // MINI_SECTOR)
            mini_fat += [0] * count
            _chain(mini_fat, e.start, count)
            mini_stream += _pad(e.data, MINI_SECTOR)
    # Unused entries fill the last directory sector; their start and size are set below.
    unused = -len(entries) % (SECTOR // 128)
    directory = b"\0" * (128 * (len(entries) + unused))
    # Unused mini FAT slots are free (0xFFFFFFFF), not zero (which would chain to sector 0).
    mini_fat_bytes = b"".join(struct.pack("<I", v) for v in mini_fat)
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % SECTOR)
    mini_stream_bytes = _pad(mini_stream, SECTOR)

    # Sector layout after the FAT: directory, mini FAT, mini stream, then the large streams.
    blocks = [directory, mini_fat_bytes, mini_stream_bytes, *(_pad(e.data, SECTOR) for e in big)]
    data_sectors = sum(len(b) // SECTOR for b in blocks)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + data_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        msg = "compound file too large for a header-only DIFAT"
        raise ValueError(msg)
    total = fat_sectors + data_sectors
    fat = [FREESECT] * (fat_sectors * (SECTOR // 4))
    for i in range(fat_sectors):
        fat[i] = FATSECT
    starts = []
    position = fat_sectors
    for block in blocks:
        count = len(block) // SECTOR
        starts.append(position if count else ENDOFCHAIN)
        if count:
            _chain(fat, position, count)
        position += count
    assert position == total
    dir_start, mini_fat_start, mini_stream_start = starts[:3]
    for e, start in zip(big, starts[3:], strict=True):
        e.start = start
    entries[0].start = mini_stream_start
    entries[0].size = len(mini_stream)
    directory = b"".join(_dir_entry(e) for e in entries) + _EMPTY_ENTRY * unused

    difat = list(range(fat_sectors)) + [FREESECT] * (_HEADER_DIFAT - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        SIGNATURE,
        b"\0" * 16,
        0x0021,  # minor version: what Excel writes in vbaProject.bin ([MS-CFB] suggests 0x3E)
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"\0" * 6,
        0,  # directory sectors: always 0 in version 3
        fat_sectors,
        dir_start,
        0,  # transaction signature
        MINI_CUTOFF,
        mini_fat_start,
        len(mini_fat_bytes) // SECTOR,
        ENDOFCHAIN,  # no DIFAT sectors
        0,
    ) + b"".join(struct.pack("<I", v) for v in difat)
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    body = fat_bytes + b"".join([directory, *blocks[1:]])
    return header + body
