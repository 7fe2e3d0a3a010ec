"""Our vbaProject.bin against the Excel-made reference, record by record.

The reference is the source-only VBA project Excel wrote into xlwings' own
quickstart_standalone.xlsm (installed with the pinned xlwings). Ours must be written the
same way, differing only in module names, sources and the reference list; the compound
file's directory must be a sorted red-black tree and every compressed stream must keep the
chunk invariants.
"""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop_addin.excel import cfb
from sop_addin.excel.vba_project import (
    CLASS_GUID,
    PROJECT_ID,
    build_vba_project,
    decrypt,
    encrypt,
    source_modules,
    workbook_modules,
)
from sop_addin.excel.vba_read import ReadProject, module_blocks, read_project, vba_project_of
from tests.test_excel_ovba import chunks_of

REFERENCE_FILE = Path(__import__("xlwings").__file__).parent / "quickstart_standalone.xlsm"
REFERENCE_ID = "{5CF9CDAB-B77B-4FE4-BD7E-D29900070E1B}"
REFERENCE_NAMES = {0x16, 0x3E}
REFERENCE_KINDS = {0x0D, 0x0E, 0x2F, 0x30, 0x33}  # registered, project, control, original


@pytest.fixture(scope="module")
def ours_bytes() -> bytes:
    return build_vba_project(workbook_modules(["Sheet1", "Sheet2"]) + source_modules())


@pytest.fixture(scope="module")
def ours(ours_bytes) -> ReadProject:
    return read_project(ours_bytes)


@pytest.fixture(scope="module")
def reference() -> ReadProject:
    return read_project(vba_project_of(REFERENCE_FILE))


def _sections(project: ReadProject):
    """(project information, references, PROJECTMODULES+COOKIE, module blocks, terminator)."""
    records = project.records
    first_ref = next(i for i, r in enumerate(records) if r.id in REFERENCE_NAMES)
    modules_at = next(i for i, r in enumerate(records) if r.id == 0x0F)
    info, refs = records[:first_ref], records[first_ref:modules_at]
    return info, refs, records[modules_at : modules_at + 2], module_blocks(records), records[-1]


def _kind(project: ReadProject, name: str) -> str:
    for line in project.project_lines:
        key, _, value = line.partition("=")
        if value.split("/")[0] == name and key in ("Document", "Module", "Class"):
            return key
    raise AssertionError(f"{name} is not listed in the PROJECT stream")


def test_project_information_records_are_excels(ours, reference):
    info, _, head, _, end = _sections(ours)
    ref_info, _, ref_head, _, ref_end = _sections(reference)
    assert [r.id for r in info] == [r.id for r in ref_info]
    for mine, theirs in zip(info, ref_info, strict=True):
        if mine.id == 0x09:  # PROJECTVERSION: Excel counts saves in it; only its shape matters
            assert len(mine.data) == len(theirs.data) == 6
        else:
            assert mine == theirs, hex(mine.id)
    assert [r.id for r in head] == [r.id for r in ref_head] == [0x0F, 0x13]
    assert struct.unpack("<H", head[0].data)[0] == len(ours.sources)
    assert end.id == ref_end.id == 0x10 and end.data == ref_end.data == b""


def test_references_have_excels_shape_and_office_is_byte_equal(ours, reference):
    _, refs, _, _, _ = _sections(ours)
    _, ref_refs, _, _, _ = _sections(reference)
    for records in (refs, ref_refs):
        ids = [r.id for r in records]
        # Each reference: REFERENCENAME (0x16, 0x3E) then its kind of record.
        starts = [i for i, rid in enumerate(ids) if rid == 0x16]
        for i in starts:
            assert ids[i + 1] == 0x3E
            assert records[i + 1].data == records[i].data.decode("cp1252").encode("utf-16-le")
            assert ids[i + 2] in REFERENCE_KINDS
    # The reference uses MSForms (a control reference to a path on its author's machine)
    # and Office; ours uses OLE Automation and Office, as a new Excel workbook does.
    office = [r for r in refs if r.id == 0x0D and b"2DF8D04C" in r.data]
    ref_office = [r for r in ref_refs if r.id == 0x0D and b"2DF8D04C" in r.data]
    assert office == ref_office and len(office) == 1


def test_module_records_are_excels(ours, reference):
    _, _, _, blocks, _ = _sections(ours)
    _, _, _, ref_blocks, _ = _sections(reference)
    shape = {}
    for block in ref_blocks:
        name = block[0].data.decode()
        # The reference's Dictionary has a docstring: its record sizes differ, not its ids.
        shape.setdefault(_kind(reference, name), [r.id for r in block])
    assert set(shape) == {"Document", "Module", "Class"}
    for block in blocks:
        name = block[0].data.decode()
        kind = _kind(ours, name)
        assert [r.id for r in block] == shape[kind], name
        by_id = {r.id: r.data for r in block}
        assert by_id[0x1A] == by_id[0x19] == name.encode()  # stream name = module name
        assert by_id[0x47] == by_id[0x32] == name.encode("utf-16-le")
        assert by_id[0x48] == by_id[0x1C].decode("cp1252").encode("utf-16-le")
        assert (0x21 in by_id) == (kind == "Module")
        assert by_id[0x31] == b"\0\0\0\0"  # source-only: the source starts the stream


def test_dictionary_docstring_record_equals_the_references(ours, reference):
    def docstring(project: ReadProject) -> bytes:
        for block in module_blocks(project.records):
            if block[0].data == b"Dictionary":
                return next(r.data for r in block if r.id == 0x1C)
        raise AssertionError("no Dictionary module")

    assert docstring(ours) == docstring(reference)
    assert len(docstring(ours)) == 232  # the reference's record size


def _attributes(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^Attribute (VB_\w+) = (.*?)\r?$", source, re.MULTILINE)


def test_attribute_headers_are_the_vba_editors(ours, reference):
    # Worksheets and the workbook: the same attribute lines, values and order.
    assert _attributes(ours.sources["Sheet1"]) == _attributes(reference.sources["Sheet1"])
    assert _attributes(ours.sources["ThisWorkbook"]) == _attributes(
        reference.sources["ThisWorkbook"]
    )
    # A class module gets VB_Base, VB_TemplateDerived and VB_Customizable on import.
    assert _attributes(ours.sources["Dictionary"]) == _attributes(reference.sources["Dictionary"])
    base = ("VB_Base", f'"0{{{str(CLASS_GUID).upper()}}}"')
    assert base in _attributes(ours.sources["Dictionary"])
    # A standard module has only its name.
    assert [k for k, _ in _attributes(ours.sources["SopRibbon"])] == ["VB_Name"]


def test_vba_project_stream_is_excels(ours, reference):
    assert ours.streams["VBA/_VBA_PROJECT"] == reference.streams["VBA/_VBA_PROJECT"]
    assert ours.streams["VBA/_VBA_PROJECT"] == bytes.fromhex("CC61FFFF000100")


def _project_shape(lines: list[str]) -> list[str]:
    """The PROJECT stream's lines with module names, ids and the workspace layout masked."""
    shape = []
    for line in lines:
        key, sep, value = line.partition("=")
        if key in ("Document", "Module", "Class"):
            shape.append(f"{key}=<module>" + ("/&H00000000" if key == "Document" else ""))
        elif key == "ID" or key in ("CMG", "DPB", "GC"):
            shape.append(f"{key}=<{len(value)} chars>")
        elif sep and re.fullmatch(r"\d+, \d+, \d+, \d+, [CZ]", value):
            shape.append("<workspace>")
        else:
            shape.append(line)
    return shape


def test_project_stream_lines_are_excels(ours, reference):
    def collapse(shape: list[str]) -> list[str]:  # module lines may differ in number and order
        return [
            s
            for i, s in enumerate(shape)
            if "<module>" not in s
            and not (s == "<workspace>" and i and shape[i - 1] == "<workspace>")
        ]

    assert collapse(_project_shape(ours.project_lines)) == collapse(
        _project_shape(reference.project_lines)
    )
    assert 'VersionCompatible32="393222000"' in ours.project_lines
    assert ours.project_lines[0] == f'ID="{PROJECT_ID}"'
    # The module lines list every module once, in the dir stream's order.
    listed = [line.partition("=")[2].split("/")[0] for line in ours.project_lines[1:]]
    assert listed[: len(ours.sources)] == list(ours.sources)


def test_protection_fields_decrypt_to_excels_values(ours, reference):
    def fields(project: ReadProject, project_id: str) -> dict[str, bytes]:
        pairs = (line.split("=", 1) for line in project.project_lines if "=" in line)
        return {k: decrypt(v.strip('"'), project_id) for k, v in pairs if k in ("CMG", "DPB", "GC")}

    assert fields(ours, PROJECT_ID) == fields(reference, REFERENCE_ID)
    # CMG: no protection (4 zero bytes); DPB: no password; GC: visible (0xFF).
    assert fields(ours, PROJECT_ID) == {"CMG": b"\0\0\0\0", "DPB": b"\0", "GC": b"\xff"}
    # The lengths Excel writes: seed, version, key, 2 ignored bytes, 4-byte length, data.
    assert [len(encrypt(d)) // 2 for d in (b"\0" * 4, b"\0", b"\xff")] == [13, 10, 10]


def test_projectwm_lists_every_module_twice(ours):
    data = ours.streams["PROJECTwm"]
    expected = b"".join(n.encode() + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in ours.sources)
    assert data == expected + b"\0\0"


def test_sources_read_back(ours):
    modules = workbook_modules(["Sheet1", "Sheet2"]) + source_modules()
    assert ours.sources == {m.name: m.source for m in modules}


def test_every_compressed_stream_keeps_the_chunk_invariants(ours):
    for name, data in ours.streams.items():
        if name in ("VBA/_VBA_PROJECT", "PROJECT", "PROJECTwm"):
            continue
        for header, compressed, chunk in chunks_of(data):
            assert (header >> 12) & 0b111 == 0b011, name
            assert compressed or len(chunk) == 4098, name


# --- The compound file -------------------------------------------------------------------


def _directory(data: bytes):
    ole = olefile.OleFileIO(io.BytesIO(data))
    return ole, {e.sid: e for e in ole.direntries if e is not None}


def _in_order(entries, sid) -> list[int]:
    if sid == olefile.NOSTREAM:
        return []
    e = entries[sid]
    return [*_in_order(entries, e.sid_left), sid, *_in_order(entries, e.sid_right)]


def _black_height(entries, sid) -> int:
    """Black nodes on every path from `sid` down; fails if two paths differ."""
    if sid == olefile.NOSTREAM:
        return 1
    e = entries[sid]
    left, right = _black_height(entries, e.sid_left), _black_height(entries, e.sid_right)
    assert left == right, f"{e.name}: black heights {left} and {right}"
    if e.color == cfb.RED:
        for child in (e.sid_left, e.sid_right):
            assert child == olefile.NOSTREAM or entries[child].color == cfb.BLACK, e.name
    return left + (e.color == cfb.BLACK)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 12, 31, 40])
def test_directory_is_a_sorted_red_black_tree(count):
    names = [f"Module{i}" for i in range(count)] + ["dir", "_VBA_PROJECT", "ThisWorkbook"]
    root = cfb.Storage(
        streams={"PROJECT": b"p"}, storages={"VBA": cfb.Storage({n: n.encode() for n in names})}
    )
    _, entries = _directory(cfb.write(root))
    for e in entries.values():
        if e.entry_type not in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT):
            continue
        children = _in_order(entries, e.sid_child)
        keys = [cfb.sort_key(entries[c].name) for c in children]
        assert keys == sorted(keys) and len(set(map(str, keys))) == len(keys), e.name
        if children:
            assert entries[e.sid_child].color == cfb.BLACK  # the root of a tree is black
            _black_height(entries, e.sid_child)
    vba = next(e for e in entries.values() if e.name == "VBA")
    assert len(_in_order(entries, vba.sid_child)) == count + 3


def test_compound_file_header_and_streams_match_the_reference(ours_bytes, reference):
    ole, entries = _directory(ours_bytes)
    ref = olefile.OleFileIO(io.BytesIO(vba_project_of(REFERENCE_FILE)))
    for attr in ("dll_version", "minor_version", "sector_size", "mini_sector_size"):
        assert getattr(ole, attr) == getattr(ref, attr), attr
    assert ole.minisectorcutoff == ref.minisectorcutoff == 4096
    fixed = {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"}
    ours_paths = {"/".join(p) for p in ole.listdir()}
    ref_paths = {"/".join(p) for p in ref.listdir()}
    assert fixed <= ours_paths and fixed <= ref_paths
    assert ours_paths - fixed == {f"VBA/{m}" for m in read_project(ours_bytes).sources}
    assert ref_paths - fixed == {f"VBA/{m}" for m in reference.sources}
    # Every entry is reachable once from the root (no orphans, no cycles).
    seen: list[int] = []

    def walk(sid: int) -> None:
        for child in _in_order(entries, sid):
            seen.append(child)
            walk(entries[child].sid_child)

    walk(entries[0].sid_child)
    assert sorted(seen) == sorted(s for s in entries if s != 0)
    ole.close()
    ref.close()


_NAME = st.text(alphabet="abcdefXYZ_0123456789", min_size=1, max_size=31)
_STREAMS = st.dictionaries(
    _NAME,
    st.builds(lambda n, b: bytes([b]) * n, st.integers(0, 9000), st.integers(0, 255)),
    max_size=12,
)


def _unique(streams: dict[str, bytes]) -> dict[str, bytes]:
    seen: set[str] = set()
    out = {}
    for name, data in streams.items():
        if name.upper() not in seen:
            seen.add(name.upper())
            out[name] = data
    return out


@settings(max_examples=60, deadline=None)
@given(_STREAMS, _STREAMS)
def test_any_tree_reads_back_with_olefile(top, inner):
    # Streams of every size: empty, mini (< 4096 bytes), regular, across several FAT sectors.
    top, inner = _unique(top), _unique(inner)
    top.pop("Sub", None)
    root = cfb.Storage(streams=top, storages={"Sub": cfb.Storage(streams=inner)})
    data = cfb.write(root)
    assert len(data) % cfb.SECTOR == 0
    ole, entries = _directory(data)
    expected = {**top, **{f"Sub/{k}": v for k, v in inner.items()}}
    assert {"/".join(p): ole.openstream("/".join(p)).read() for p in ole.listdir()} == expected
    for e in entries.values():
        if e.entry_type in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT) and e.sid_child != (
            olefile.NOSTREAM
        ):
            keys = [cfb.sort_key(entries[c].name) for c in _in_order(entries, e.sid_child)]
            assert keys == sorted(keys)
            assert entries[e.sid_child].color == cfb.BLACK
            _black_height(entries, e.sid_child)
    ole.close()


def test_names_that_differ_only_in_case_are_refused():
    with pytest.raises(ValueError, match="differ only in case"):
        cfb.write(cfb.Storage(streams={"Module1": b"a", "MODULE1": b"b"}))


def test_a_file_needing_several_fat_sectors():
    # 3 x 40,000 bytes = 237 sectors of 512 bytes: two FAT sectors of 128 entries each.
    streams = {f"s{i}": bytes([i + 1]) * 40_000 for i in range(3)}
    ole, _ = _directory(cfb.write(cfb.Storage(streams=streams)))
    assert ole.num_fat_sectors == 2
    assert {p[0]: ole.openstream(p[0]).read() for p in ole.listdir()} == streams
    ole.close()


@pytest.mark.parametrize("name", ["sop_planning.xlsm", "sop_addin.xlam"])
def test_the_committed_files_carry_the_same_excel_shaped_project(name, reference):
    committed = read_project(
        vba_project_of(Path(__file__).resolve().parents[1] / "templates" / name)
    )
    info, _, head, blocks, _ = _sections(committed)
    ref_info = _sections(reference)[0]
    assert [r.id for r in info] == [r.id for r in ref_info]
    assert committed.streams["VBA/_VBA_PROJECT"] == reference.streams["VBA/_VBA_PROJECT"]
    assert 'VersionCompatible32="393222000"' in committed.project_lines
    assert {"ThisWorkbook", "Sheet1", "SopRibbon", "xlwings", "Dictionary"} <= set(
        committed.sources
    )
    assert len(blocks) == struct.unpack("<H", head[0].data)[0] == len(committed.sources)
