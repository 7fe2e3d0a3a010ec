"""Compile the VBA project (vbaProject.bin) from the .bas/.cls sources kept in excel/vba/.

The project is source-only (no compiled p-code: the _VBA_PROJECT stream carries version
0xFFFF), so Excel compiles the modules from source the first time it opens the file. Every
stream is written the way Excel writes it, record for record, as in the Excel-made
project inside xlwings' quickstart_standalone.xlsm ([MS-OVBA] 2.3, 2.4): the dir stream's
records, the PROJECT stream's lines (with VersionCompatible32 and the obfuscated
CMG/DPB/GC), _VBA_PROJECT's reserved fields, PROJECTwm, and the attribute lines the VBA
editor adds to class and document modules. The container is `cfb`, the codec `ovba`.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

from sop_addin.excel import cfb, ovba

VBA_DIR = Path(__file__).resolve().parent / "vba"
CODEPAGE = "cp1252"
# A fixed project id and fixed bytes for the PROJECT stream's obfuscated fields (CMG, DPB,
# GC, MS-OVBA 2.4.3) keep the build byte-reproducible.
PROJECT_ID = "{5C4B7E0A-3D6F-4E1B-9A57-50502D414444}"
_CRYPT_SEED = 0x8D  # Excel draws it at random; (seed & 6) / 2 = 2 ignored bytes, as Excel's
_CRYPT_IGNORED = b"\x07\x07"
WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")  # Excel Workbook
WORKSHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")  # Excel Worksheet
CLASS_GUID = uuid.UUID("FCFB3D2A-A0FA-1068-A738-08002B3371B5")  # a VBA class module
_CLASS_HEADER_END = "END"


@dataclass(frozen=True)
class VbaModule:
    """One module as the VBA project stores it: its name, kind and source text (CRLF)."""

    name: str
    kind: str  # "module", "class" or "document"
    source: str


def normalise(text: str) -> str:
    """CRLF line endings and a final line break, as the VBA editor stores a module."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


def _module_name(source: str, path: Path) -> str:
    for line in source.splitlines():
        if line.startswith("Attribute VB_Name = "):
            return line.split("=", 1)[1].strip().strip('"')
    msg = f"{path.name}: no 'Attribute VB_Name = ...' line"
    raise ValueError(msg)


def stored_source(path: Path) -> str:
    """The text the VBA project stores for a .bas or .cls file.

    A .cls export starts with a VERSION/BEGIN...END header that the VBA editor consumes on
    import; the module stream holds what follows it.
    """
    text = normalise(path.read_text(encoding=CODEPAGE))
    if path.suffix.lower() == ".cls" and text.startswith("VERSION "):
        lines = text.split("\r\n")
        end = lines.index(_CLASS_HEADER_END)
        text = class_attributes("\r\n".join(lines[end + 1 :]))
    return text


def class_attributes(text: str) -> str:
    """A class module's text with the attribute lines the VBA editor adds on import.

    An exported .cls carries VB_Name, VB_GlobalNameSpace, VB_Creatable, VB_PredeclaredId
    and VB_Exposed; the stored module also has VB_Base after VB_Name and VB_TemplateDerived
    and VB_Customizable after VB_Exposed (as the reference's Dictionary module shows).
    """
    lines = text.split("\r\n")
    if any(line.startswith("Attribute VB_Base = ") for line in lines):
        return text
    out = []
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            out.append(f'Attribute VB_Base = "0{{{str(CLASS_GUID).upper()}}}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out += ["Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"]
    return "\r\n".join(out)


def source_modules(vba_dir: Path = VBA_DIR) -> list[VbaModule]:
    """The standard (.bas) and class (.cls) modules in `vba_dir`, sorted by file name."""
    modules = []
    for path in sorted(vba_dir.iterdir()):
        suffix = path.suffix.lower()
        if suffix not in (".bas", ".cls"):
            continue
        source = stored_source(path)
        kind = "module" if suffix == ".bas" else "class"
        modules.append(VbaModule(_module_name(source, path), kind, source))
    return modules


def document_module(name: str, base: uuid.UUID) -> VbaModule:
    """The code module behind a workbook or a worksheet (empty: no event handlers)."""
    attributes = [
        ("Name", f'"{name}"'),
        ("Base", f'"0{{{str(base).upper()}}}"'),
        ("GlobalNameSpace", "False"),
        ("Creatable", "False"),
        ("PredeclaredId", "True"),
        ("Exposed", "True"),
        ("TemplateDerived", "False"),
        ("Customizable", "True"),
    ]
    source = "".join(f"Attribute VB_{key} = {value}\r\n" for key, value in attributes)
    return VbaModule(name, "document", source)


def workbook_modules(sheet_code_names: list[str]) -> list[VbaModule]:
    """ThisWorkbook and one document module per sheet, in sheet order."""
    return [
        document_module("ThisWorkbook", WORKBOOK_GUID),
        *(document_module(name, WORKSHEET_GUID) for name in sheet_code_names),
    ]


# --- The streams ([MS-OVBA] 2.3.4) -------------------------------------------------------

SYSKIND_WIN64 = 3  # as the reference; only compiled p-code depends on it, and there is none
LCID = 0x0409
CODEPAGE_ID = 1252
PROJECT_NAME = "VBAProject"
VERSION_MAJOR, VERSION_MINOR = 1, 0  # Excel counts saves here; any value is valid
_COOKIE = 0xFFFF  # "MUST be 0xFFFF on write" (2.3.4.2.3.2.9, 2.3.4.2.3.1.13)
# Reserved1 0x61CC, Version 0xFFFF (no p-code: compile from source), Reserved2 0x00,
# Reserved3 0x0001: the bytes of the reference's _VBA_PROJECT stream.
VBA_PROJECT_STREAM = bytes.fromhex("CC61FFFF000100")
HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
VERSION_COMPATIBLE32 = "393222000"
# (name, libid) of the registered type libraries the project references: OLE Automation
# and the Office library that defines IRibbonControl. Excel's own libid strings.
REFERENCES = (
    (
        "stdole",
        "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
        "C:\\Windows\\System32\\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL"
        "#Microsoft Office 16.0 Object Library",
    ),
)


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def _text(value: str) -> bytes:
    return value.encode(CODEPAGE)


def _unicode(value: str) -> bytes:
    return value.encode("utf-16-le")


def docstring(module: VbaModule) -> str:
    """The module's VB_Description, which Excel also stores in the MODULEDOCSTRING record.

    The reference stores Dictionary's description with its literal \\r\\n pairs as line
    breaks.
    """
    match = re.search(r'^Attribute VB_Description = "(.*)"\r?$', module.source, re.MULTILINE)
    return match.group(1).replace("\\r\\n", "\r\n") if match else ""


def _module_records(module: VbaModule) -> bytes:
    description = docstring(module)
    return b"".join(
        [
            _record(0x19, _text(module.name)),  # MODULENAME
            _record(0x47, _unicode(module.name)),  # MODULENAMEUNICODE
            _record(0x1A, _text(module.name)),  # MODULESTREAMNAME
            _record(0x32, _unicode(module.name)),
            _record(0x1C, _text(description)),  # MODULEDOCSTRING
            _record(0x48, _unicode(description)),
            _record(0x31, _u32(0)),  # MODULEOFFSET: the source starts the stream (no p-code)
            _record(0x1E, _u32(0)),  # MODULEHELPCONTEXT
            _record(0x2C, _u16(_COOKIE)),  # MODULECOOKIE
            _record(0x21 if module.kind == "module" else 0x22, b""),  # MODULETYPE
            _record(0x2B, b""),  # terminator
        ]
    )


def dir_stream(modules: list[VbaModule]) -> bytes:
    """The decompressed dir stream (2.3.4.2): project information, references, modules."""
    parts = [
        _record(0x01, _u32(SYSKIND_WIN64)),  # PROJECTSYSKIND
        _record(0x02, _u32(LCID)),  # PROJECTLCID
        _record(0x14, _u32(LCID)),  # PROJECTLCIDINVOKE
        _record(0x03, _u16(CODEPAGE_ID)),  # PROJECTCODEPAGE
        _record(0x04, _text(PROJECT_NAME)),  # PROJECTNAME
        _record(0x05, b""),  # PROJECTDOCSTRING
        _record(0x40, b""),
        _record(0x06, b""),  # PROJECTHELPFILEPATH
        _record(0x3D, b""),
        _record(0x07, _u32(0)),  # PROJECTHELPCONTEXT
        _record(0x08, _u32(0)),  # PROJECTLIBFLAGS
        # PROJECTVERSION: its "size" field is a reserved 4, followed by 6 bytes.
        struct.pack("<HIIH", 0x09, 4, VERSION_MAJOR, VERSION_MINOR),
        _record(0x0C, b""),  # PROJECTCONSTANTS
        _record(0x3C, b""),
    ]
    for name, libid in REFERENCES:
        parts += [
            _record(0x16, _text(name)),  # REFERENCENAME
            _record(0x3E, _unicode(name)),
            # REFERENCEREGISTERED: the libid, then 6 reserved zero bytes.
            _record(0x0D, _u32(len(_text(libid))) + _text(libid) + b"\0" * 6),
        ]
    parts += [
        _record(0x0F, _u16(len(modules))),  # PROJECTMODULES
        _record(0x13, _u16(_COOKIE)),  # PROJECTCOOKIE
        *(_module_records(m) for m in modules),
        _record(0x10, b""),  # dir terminator: id 0x0010, a reserved 0
    ]
    return b"".join(parts)


def encrypt(data: bytes, project_id: str = PROJECT_ID) -> str:
    """Data Encryption ([MS-OVBA] 2.4.3.2) of a PROJECT stream field, as hex."""
    project_key = sum(project_id.encode(CODEPAGE)) & 0xFF
    out = bytearray([_CRYPT_SEED, _CRYPT_SEED ^ 2, _CRYPT_SEED ^ project_key])
    unencrypted, encrypted1, encrypted2 = project_key, out[2], out[1]
    ignored = _CRYPT_IGNORED[: (_CRYPT_SEED & 6) // 2]
    for byte in ignored + struct.pack("<I", len(data)) + data:
        byte_enc = byte ^ ((encrypted2 + unencrypted) & 0xFF)
        out.append(byte_enc)
        encrypted2, encrypted1, unencrypted = encrypted1, byte_enc, byte
    return out.hex().upper()


def decrypt(text: str, project_id: str = PROJECT_ID) -> bytes:
    """The data an encrypted PROJECT field holds (the inverse of `encrypt`)."""
    raw = bytes.fromhex(text)
    seed = raw[0]
    if raw[1] ^ seed != 2:
        msg = f"not a version-2 encrypted field: {text}"
        raise ValueError(msg)
    unencrypted, encrypted1, encrypted2 = raw[2] ^ seed, raw[2], raw[1]
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted2 + unencrypted) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted = encrypted1, byte_enc, byte
    ignored = (seed & 6) // 2
    length = int.from_bytes(plain[ignored : ignored + 4], "little")
    data = bytes(plain[ignored + 4 :])
    if len(data) != length:
        msg = f"encrypted field length {length} != {len(data)} bytes"
        raise ValueError(msg)
    return data


def project_stream(modules: list[VbaModule]) -> bytes:
    """The PROJECT stream (2.3.1): module list, name, protection state, window layout."""
    kinds = {"document": "Document={}/&H00000000", "module": "Module={}", "class": "Class={}"}
    no_protection, no_password, visible = _u32(0), b"\0", b"\xff"
    lines = [
        f'ID="{PROJECT_ID}"',
        *(kinds[m.kind].format(m.name) for m in modules),
        f'Name="{PROJECT_NAME}"',
        'HelpContextID="0"',
        f'VersionCompatible32="{VERSION_COMPATIBLE32}"',
        f'CMG="{encrypt(no_protection)}"',
        f'DPB="{encrypt(no_password)}"',
        f'GC="{encrypt(visible)}"',
        "",
        "[Host Extender Info]",
        HOST_EXTENDER,
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in modules),
        "",
    ]
    return _text("".join(line + "\r\n" for line in lines))


def projectwm_stream(modules: list[VbaModule]) -> bytes:
    """PROJECTwm (2.3.3): every module name in the code page and in UTF-16."""
    names = b"".join(_text(m.name) + b"\0" + _unicode(m.name) + b"\0\0" for m in modules)
    return names + b"\0\0"


def build_vba_project(modules: list[VbaModule]) -> bytes:
    """The bytes of a source-only vbaProject.bin holding `modules`."""
    names = [m.name.lower() for m in modules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        msg = f"duplicate VBA module names: {', '.join(duplicates)}"
        raise ValueError(msg)
    vba = cfb.Storage(
        streams={
            "_VBA_PROJECT": VBA_PROJECT_STREAM,
            "dir": ovba.compress(dir_stream(modules)),
            **{m.name: ovba.compress(m.source.encode(CODEPAGE)) for m in modules},
        }
    )
    root = cfb.Storage(
        streams={"PROJECT": project_stream(modules), "PROJECTwm": projectwm_stream(modules)},
        storages={"VBA": vba},
    )
    return cfb.write(root)
