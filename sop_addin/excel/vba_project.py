"""Compile the VBA project (vbaProject.bin) from the .bas/.cls sources kept in excel/vba/.

The project is source-only (no compiled p-code: the _VBA_PROJECT stream carries version
0xFFFF), so Excel compiles the modules from source the first time it opens the file. The
containers are written by ms-ovba (pinned; its compression fixed in `ovba`). ms-ovba and
its OLE writer ms-cfb work on files in the current directory, so the build runs in a
private temporary directory and only bytes come out.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ms_ovba.Models.Entities.doc_module import DocModule
from ms_ovba.Models.Entities.module_base import ModuleBase
from ms_ovba.Models.Entities.reference import Reference
from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
from ms_ovba.Models.Entities.std_module import StdModule
from ms_ovba.Models.Fields.libid_reference import LibidReference
from ms_ovba.Views.project_ole_file import ProjectOleFile

from sop_addin.excel import ovba

VBA_DIR = Path(__file__).resolve().parent / "vba"
CODEPAGE = "cp1252"
# A fixed project id and a fixed seed for the PROJECT stream's obfuscated fields (CMG, DPB,
# GC, MS-OVBA 2.4.3) keep the build byte-reproducible.
PROJECT_ID = "{5C4B7E0A-3D6F-4E1B-9A57-50502D414444}"
_CRYPT_SEED = 20261125
WORKBOOK_GUID = uuid.UUID("00020819-0000-0000-C000-000000000046")  # Excel Workbook
WORKSHEET_GUID = uuid.UUID("00020820-0000-0000-C000-000000000046")  # Excel Worksheet
_CLASS_HEADER_END = "END"
# ms-ovba and ms-cfb write into the current directory: one build at a time per process.
_BUILD_LOCK = threading.Lock()


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
        text = "\r\n".join(lines[end + 1 :])
    return text


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


class _ClassModule(DocModule):
    """A class module: MODULETYPE 0x0022 like a document, listed as Class= in PROJECT."""

    def __init__(self, name: str) -> None:
        super().__init__(name)

    def to_project_module_string(self) -> str:
        return "Class=" + self.modName.value


def _ms_ovba_module(module: VbaModule, folder: Path) -> ModuleBase:
    entity: ModuleBase
    if module.kind == "module":
        entity = StdModule(module.name)
    elif module.kind == "class":
        entity = _ClassModule(module.name)
    else:
        entity = DocModule(module.name)
    # ms-ovba compresses `<path>.new` into `<path>.bin`; write the stored text there directly
    # instead of its normalize_file, which appends on every call and rewrites attributes.
    path = folder / module.name
    path.with_name(module.name + ".new").write_bytes(module.source.encode(CODEPAGE))
    entity.add_file(str(path))
    return entity


def _references() -> list[Reference]:
    stdole = LibidReference(
        uuid.UUID("00020430-0000-0000-C000-000000000046"),
        "2.0",
        "0",
        "C:\\Windows\\System32\\stdole2.tlb",
        "OLE Automation",
    )
    office = LibidReference(
        uuid.UUID("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52"),
        "2.0",
        "0",
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
        "Microsoft Office 16.0 Object Library",
    )
    return [
        Reference(ReferenceRegistered(stdole), "stdole"),
        Reference(ReferenceRegistered(office), "Office"),
    ]


@contextlib.contextmanager
def _fixed_random() -> Iterator[None]:
    state = random.getstate()
    random.seed(_CRYPT_SEED)
    try:
        yield
    finally:
        random.setstate(state)


def build_vba_project(modules: list[VbaModule]) -> bytes:
    """The bytes of a source-only vbaProject.bin holding `modules`."""
    from ms_ovba.vbaProject import VbaProject

    names = [m.name.lower() for m in modules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        msg = f"duplicate VBA module names: {', '.join(duplicates)}"
        raise ValueError(msg)
    ovba.apply_fix()
    with (
        _BUILD_LOCK,
        tempfile.TemporaryDirectory(prefix="sop-vba-") as tmp,
        contextlib.chdir(tmp),
        _fixed_random(),
    ):
        folder = Path(tmp)
        project = VbaProject()
        project.project_id = PROJECT_ID
        project.include_projectwm()  # module names in UTF-16 too, as Excel writes them
        for module in modules:
            project.add_module(_ms_ovba_module(module, folder))
        for reference in _references():
            project.add_reference(reference)
        ProjectOleFile.write_file(project)
        return (folder / "vbaProject.bin").read_bytes()
