"""MS-OVBA compression: the codec of VBA source and of the dir stream in vbaProject.bin.

Written from the specification ([MS-OVBA] 2.4.1): a CompressedContainer is the signature
byte 0x01 and chunks of at most 4096 decompressed bytes, each a 2-byte header and flag
bytes, each flag byte announcing eight literal bytes or copy tokens. (ms-ovba-compression
1.0.1, used before, computed the copy token's maximum length wrongly and garbled long
runs; its match search was cubic.)
"""

from __future__ import annotations

CHUNK_SIZE = 4096
_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011 << 12
_COMPRESSED = 0x8000


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


def longest_match(chunk: bytes, position: int) -> tuple[int, int]:
    """(offset, length) of the copy token at `position` of a chunk; (0, 0) for a literal.

    The specification's matching (MS-OVBA 2.4.1.3.19.4): the longest run of earlier bytes
    (it may overlap the position) equal to the bytes at `position`, the nearest one among
    equals, at least 3 bytes, its length then capped at the copy token's maximum. The
    specification scans every earlier candidate byte by byte, which is slow on repetitive
    text; matches only grow by extension, so a
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


def _compress_chunk(chunk: bytes) -> bytes:
    """A CompressedChunk (2.4.1.3.7): header, then flag bytes and their tokens.

    A chunk that would not shrink below 4096 bytes is stored raw (flag bit 0), as the
    specification requires; only a full 4096-byte chunk can be raw.
    """
    body = bytearray()
    position = 0
    while position < len(chunk):
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if position >= len(chunk):
                break
            offset, length = longest_match(chunk, position)
            if length:
                help_ = copytoken_help(position)
                token = ((offset - 1) << (16 - help_["bitCount"])) | (length - 3)
                body += token.to_bytes(2, "little")
                body[flag_at] |= 1 << bit
                position += length
            else:
                body.append(chunk[position])
                position += 1
    if len(body) > CHUNK_SIZE:
        if len(chunk) < CHUNK_SIZE:  # incompressible bytes at the end; never VBA source
            msg = "an incompressible final chunk cannot be stored (a raw chunk is 4096 bytes)"
            raise ValueError(msg)
        return (_CHUNK_SIGNATURE | (CHUNK_SIZE - 1)).to_bytes(2, "little") + chunk
    header = _COMPRESSED | _CHUNK_SIGNATURE | (len(body) + 2 - 3)
    return header.to_bytes(2, "little") + bytes(body)


def compress(data: bytes) -> bytes:
    """A CompressedContainer (MS-OVBA 2.4.1.1.1) holding `data`."""
    chunks = (data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE))
    return bytes([_SIGNATURE]) + b"".join(_compress_chunk(chunk) for chunk in chunks)


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
