"""MS-OVBA compression: the specification's examples and matching, chunk invariants, round trips."""

from __future__ import annotations

import random
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop_addin.excel import ovba
from sop_addin.excel.vba_project import VBA_DIR

with warnings.catch_warnings():  # oletools' pyparsing grammar warns on import
    warnings.simplefilter("ignore")
    from oletools.olevba import decompress_stream

# MS-OVBA 3.2.1 "No Compression Example" and 3.2.3 "Maximum Compression Example".
NO_COMPRESSION = b"abcdefghijklmnopqrstuv."
NO_COMPRESSION_CONTAINER = bytes.fromhex(
    "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"
)
MAX_COMPRESSION = b"a" * 73
MAX_COMPRESSION_CONTAINER = bytes.fromhex("01 03 B0 02 61 45 00")
# MS-OVBA 3.2.2 "Normal Compression Example": the container the specification prints. Its
# own pseudo-code picks different (equally valid) copy tokens, so only decompression must
# match it byte for byte.
NORMAL = b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
NORMAL_CONTAINER = bytes.fromhex(
    "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30"
    " 6D 6E 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"
)


def _late_long_run() -> bytes:
    """3000 varied bytes, then a 300-byte run: a match longer than the copy token can hold.

    After 2048 bytes of a chunk the length field has 4 bits (at most 18 bytes per token).
    """
    rng = random.Random(7)
    return bytes(rng.randrange(65, 91) for _ in range(3000)) + b" " * 300 + b"end\r\n"


def test_specification_examples():
    assert ovba.compress(NO_COMPRESSION) == NO_COMPRESSION_CONTAINER
    assert ovba.compress(MAX_COMPRESSION) == MAX_COMPRESSION_CONTAINER
    assert ovba.decompress(NO_COMPRESSION_CONTAINER) == NO_COMPRESSION
    assert ovba.decompress(MAX_COMPRESSION_CONTAINER) == MAX_COMPRESSION
    assert ovba.decompress(NORMAL_CONTAINER) == NORMAL
    assert ovba.decompress(ovba.compress(NORMAL)) == NORMAL


def test_copytoken_help_matches_the_specification():
    # MS-OVBA 2.4.1.3.19.1: bit count = max(ceil(log2(difference)), 4),
    # maximum length = (0xFFFF >> bit count) + 3.
    for difference, bits in [(1, 4), (16, 4), (17, 5), (32, 5), (33, 6), (2048, 11), (4096, 12)]:
        help_ = ovba.copytoken_help(difference)
        assert help_["bitCount"] == bits
        assert help_["lengthMask"] == 0xFFFF >> bits
        assert help_["offsetMask"] == (0xFFFF << (16 - bits)) & 0xFFFF
        assert help_["maxLength"] == (0xFFFF >> bits) + 3


def _specification_matching(chunk: bytes, position: int) -> tuple[int, int]:
    """[MS-OVBA] 2.4.1.3.19.4 Matching, transcribed literally (slow: small samples only)."""
    best_length, best_candidate = 0, 0
    for candidate in range(position - 1, -1, -1):  # nearest first; only a longer one wins
        c, d, length = candidate, position, 0
        while d < len(chunk) and chunk[c] == chunk[d]:
            length, c, d = length + 1, c + 1, d + 1
        if length > best_length:
            best_length, best_candidate = length, candidate
    if best_length < 3:
        return 0, 0
    maximum = ovba.copytoken_help(position)["maxLength"]
    return position - best_candidate, min(best_length, maximum)


def test_fast_matching_gives_the_specification_tokens():
    rng = random.Random(11)
    samples = [
        NORMAL,
        MAX_COMPRESSION,
        b"abcabcabcd" * 30,
        bytes(rng.choice(b"ab \r\n") for _ in range(1200)),
        (VBA_DIR / "SopRibbon.bas").read_bytes(),
        _late_long_run()[2000:3400],  # a run longer than the late length field allows
    ]
    for data in samples:
        for position in range(len(data)):
            expected = _specification_matching(data, position)
            assert ovba.longest_match(data, position) == expected, (data[:20], position)


def chunks_of(container: bytes) -> list[tuple[int, bool, bytes]]:
    """(header size field, compressed flag, chunk bytes) of every chunk of a container."""
    assert container[0] == 0x01
    chunks, pos = [], 1
    while pos < len(container):
        header = int.from_bytes(container[pos : pos + 2], "little")
        size = (header & 0x0FFF) + 3  # the whole chunk, header included
        chunks.append((header, bool(header & 0x8000), container[pos : pos + size]))
        pos += size
    assert pos == len(container), "the last chunk runs past the container"
    return chunks


@pytest.mark.parametrize(
    "data",
    [b"x" * 5, b"ab" * 5000, random.Random(3).randbytes(9000)],
    ids=["short", "repetitive", "random"],
)
def test_chunk_invariants(data):
    # [MS-OVBA] 2.4.1.1.4-5: a header's signature is 0b011; its size field is the chunk's
    # size minus 3; a chunk holds at most 4096 bytes decompressed, every chunk but the last
    # exactly 4096; a raw chunk (flag 0) is 4096 bytes stored as they are.
    chunks = chunks_of(ovba.compress(data))
    assert len(chunks) == -(-len(data) // 4096)
    for index, (header, compressed, chunk) in enumerate(chunks):
        assert (header >> 12) & 0b111 == 0b011
        piece = data[index * 4096 : (index + 1) * 4096]
        if compressed:
            assert len(chunk) <= 4098
            assert ovba.decompress(b"\x01" + chunk) == piece
        else:
            assert len(chunk) == 4098 and chunk[2:] == piece
    raw = [compressed for _, compressed, _ in chunks]
    # Random bytes do not compress: stored raw but the short last chunk.
    assert raw == ([False, False, True] if data[:2] not in (b"xx", b"ab") else [True] * len(raw))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"x",
        b" " * 4096,  # exactly one chunk of one repeated byte
        b" " * 10_000,  # runs across chunk boundaries
        b"ab" * 5000,
        _late_long_run() * 3,
        b"    ' " + b"-" * 2500 + b"\r\n" + b"    If x Then\r\n" * 400,
    ],
    ids=["empty", "one", "chunk", "runs", "pairs", "late-run", "source-like"],
)
def test_round_trip(data):
    container = ovba.compress(data)
    assert ovba.decompress(container) == data
    assert decompress_stream(bytearray(container)) == data  # oletools' independent decoder


_TEXT = st.text(alphabet=st.sampled_from(list("ab \r\n'=\"Dim")), max_size=400)
_RUN = st.builds(
    lambda ch, n: ch * n, st.sampled_from([" ", "-", "a", "\r\n"]), st.integers(1, 3000)
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_TEXT, _RUN), min_size=1, max_size=8))
def test_round_trip_of_text_with_long_runs(parts):
    data = "".join(parts).encode("ascii")
    container = ovba.compress(data)
    assert ovba.decompress(container) == data
    assert decompress_stream(bytearray(container)) == data


def test_every_vba_source_round_trips():
    for path in sorted(VBA_DIR.iterdir()):
        data = path.read_bytes()
        assert ovba.decompress(ovba.compress(data)) == data, path.name
