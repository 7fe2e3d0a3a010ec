"""MS-OVBA compression (the codec of VBA source in vbaProject.bin), with one bug fixed.

ms-ovba 0.0.1 compresses module source through ms-ovba-compression 1.0.1, whose
``copytoken_help`` computes the maximum match length as ``0xFFFF << bit_count + 3``. The
MS-OVBA specification (2.4.1.3.19.1 CopyToken Help) says ``(0xFFFF >> bit_count) + 3``:
the longest match a copy token's length field can hold. With the wrong bound a long
repeated run (indentation, a line of dashes) late in a 4096-byte chunk overflows the
length field into the offset bits, and the source decompresses garbled. Both packages are
pinned in pyproject.toml; `apply_fix` replaces that function while the installed version
still has the bug, and its match search with an equivalent one that is not cubic.
"""

from __future__ import annotations

from ms_ovba_compression.ms_ovba import MsOvba

CHUNK_SIZE = 4096
# The installed functions, kept so tests can show what the fix changes.
ORIGINAL_COPYTOKEN_HELP = MsOvba.copytoken_help
ORIGINAL_MATCHING = MsOvba._matching


def copytoken_help(difference: int) -> dict[str, int]:
    """Masks, bit count and maximum match length for a copy token (MS-OVBA 2.4.1.3.19.1).

    Args:
        difference: bytes already decompressed in the current chunk (1 to 4096).
    """
    bit_count = max(4, (difference - 1).bit_length())  # ceil(log2(difference)), at least 4
    length_mask = 0xFFFF >> bit_count
    return {
        "lengthMask": length_mask,
        "offsetMask": ~length_mask & 0xFFFF,
        "bitCount": bit_count,
        "maxLength": length_mask + 3,
    }


def has_length_bug() -> bool:
    """Whether the installed ms-ovba-compression still computes the wrong maximum length."""
    # At 17 decompressed bytes the bit count is 5: the spec's bound is 0x7FF + 3.
    return bool(MsOvba.copytoken_help(17)["maxLength"] != (0xFFFF >> 5) + 3)


def longest_match(chunk: bytes, position: int) -> tuple[int, int]:
    """(offset, length) of the copy token at `position` of a chunk; (0, 0) for a literal.

    The specification's matching (MS-OVBA 2.4.1.3.19.4): the longest run of earlier bytes
    (it may overlap the position) equal to the bytes at `position`, the nearest one among
    equals, at least 3 bytes, its length then capped at the copy token's maximum. The
    pinned release scans every earlier candidate byte by byte, which is cubic on
    repetitive text (minutes for a few kilobytes); matches only grow by extension, so a
    binary search over the length with `bytes.rfind` (rightmost = nearest) finds the same
    candidate and length.
    """
    remaining = len(chunk) - position
    if position == 0 or remaining < 3:
        return 0, 0

    def nearest(length: int) -> int:
        # Candidates start before `position`; the match may run into the bytes it copies.
        return chunk.rfind(chunk[position : position + length], 0, position + length - 1)

    if nearest(3) < 0:
        return 0, 0
    shortest, longest = 3, remaining  # a match of `shortest` exists; none longer than `longest`
    while shortest < longest:
        middle = (shortest + longest + 1) // 2
        if nearest(middle) >= 0:
            shortest = middle
        else:
            longest = middle - 1
    length = min(shortest, copytoken_help(position)["maxLength"])
    return position - nearest(shortest), length


def _matching(self: MsOvba) -> tuple[int, int]:
    chunk: bytes = self._activeChunk
    return longest_match(chunk, len(chunk) - len(self._uncompressedData))


def apply_fix() -> None:
    """Make ms-ovba(-compression) use the specification's maximum match length.

    Also swaps in `longest_match`, which gives the same tokens in far less time.
    """
    if has_length_bug():
        setattr(MsOvba, "copytoken_help", staticmethod(copytoken_help))  # noqa: B010
    if MsOvba._matching is not _matching:
        setattr(MsOvba, "_matching", _matching)  # noqa: B010


def compress(data: bytes) -> bytes:
    """A CompressedContainer (MS-OVBA 2.4.1.1.1) holding `data`."""
    apply_fix()
    return bytes(MsOvba().compress(data))


def decompress(container: bytes) -> bytes:
    """The bytes a CompressedContainer holds (MS-OVBA 2.4.1.3.1).

    Written from the specification rather than taken from ms-ovba-compression, whose
    decompressor skips two bytes after every chunk and so fails on any source longer than
    4096 bytes; an independent decoder is also what makes the round trip a proof.
    """
    if not container or container[0] != 0x01:
        msg = "a compressed container starts with the signature byte 0x01"
        raise ValueError(msg)
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            msg = f"truncated chunk header at byte {pos}"
            raise ValueError(msg)
        header = int.from_bytes(container[pos : pos + 2], "little")
        if (header >> 12) & 0b111 != 0b011:
            msg = f"chunk signature at byte {pos} is not 0b011"
            raise ValueError(msg)
        end = min(pos + (header & 0x0FFF) + 3, len(container))
        start = len(out)
        if not header & 0x8000:  # a raw chunk: 4096 bytes stored as they are
            out += container[pos + 2 : pos + 2 + CHUNK_SIZE]
            pos += 2 + CHUNK_SIZE
            continue
        p = pos + 2
        while p < end:
            flags = container[p]
            p += 1
            for bit in range(8):
                if p >= end:
                    break
                if not (flags >> bit) & 1:
                    out.append(container[p])
                    p += 1
                    continue
                token = int.from_bytes(container[p : p + 2], "little")
                p += 2
                help_ = copytoken_help(len(out) - start)
                length = (token & help_["lengthMask"]) + 3
                source = len(out) - ((token >> (16 - help_["bitCount"])) + 1)
                if source < start:
                    msg = f"copy token at byte {p - 2} points before its chunk"
                    raise ValueError(msg)
                for k in range(length):  # byte by byte: a match may overlap its own output
                    out.append(out[source + k])
        pos = end
    return bytes(out)
