"""A workbook package (the zip of XML parts) read and written part by part.

The file port writes only the parts it owns; every other part is copied byte for byte, which
openpyxl's load/save cannot do (it drops the ribbon, extLst extensions and cached values).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = "[Content_Types].xml"


def insert_before_followers(
    text: str, element: str, prefix: str, followers: tuple[str, ...], parent: str
) -> str:
    """Insert an XML element where the schema orders it: before the first of the children
    that must follow it, else just before the parent's closing tag."""
    for follower in followers:
        found = re.search(rf"<{re.escape(prefix)}{follower}\b", text)
        if found:
            return text[: found.start()] + element + text[found.start() :]
    closing = text.rfind(f"</{prefix}{parent}>")
    return text[:closing] + element + text[closing:]


class PackageError(Exception):
    """The package cannot be written without losing something; the message names it."""


@dataclass
class Package:
    """The parts of a zip package in their original order; edits replace a part's bytes."""

    names: list[str]
    parts: dict[str, bytes]
    compression: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, data: bytes) -> Package:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos]
            parts = {i.filename: archive.read(i) for i in infos}
            compression = {i.filename: i.compress_type for i in infos}
        return cls(names, parts, compression)

    @classmethod
    def open(cls, path: Path) -> Package:
        return cls.read(Path(path).read_bytes())

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = self.compression.get(name, zipfile.ZIP_DEFLATED)
                archive.writestr(info, self.parts[name])
        return buffer.getvalue()

    def set(self, name: str, data: bytes) -> None:
        if name not in self.parts:
            self.names.append(name)
        self.parts[name] = data

    def remove(self, name: str) -> None:
        if name in self.parts:
            self.names.remove(name)
            del self.parts[name]

    # -- relationships -------------------------------------------------------------------

    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", f"{base}.rels")

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, absolute target part) of a part's relationships (internal ones only)."""
        data = self.parts.get(self.rels_name(part))
        if data is None:
            return []
        folder = posixpath.dirname(part)
        found = []
        for rel in ElementTree.fromstring(data).iter(f"{{{REL_NS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            if target.startswith("/"):
                absolute = target.lstrip("/")
            else:
                absolute = posixpath.normpath(posixpath.join(folder, target))
            found.append((rel.get("Id", ""), rel.get("Type", ""), absolute))
        return found

    def workbook_part(self) -> str:
        for _, kind, target in self.relationships(""):
            if kind.endswith("/officeDocument"):
                return target
        msg = "the package has no workbook part"
        raise PackageError(msg)

    def sheet_parts(self) -> dict[str, str]:
        """Sheet name -> worksheet part, from workbook.xml and its relationships."""
        workbook = self.workbook_part()
        targets = {rid: target for rid, _, target in self.relationships(workbook)}
        root = ElementTree.fromstring(self.parts[workbook])
        sheets = {}
        for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
            rid = sheet.get(f"{{{DOC_REL_NS}}}id")
            if rid in targets:
                sheets[sheet.get("name", "")] = targets[rid]
        return sheets

    def table_parts(self, sheet_part: str) -> dict[str, str]:
        """Table display name (lower case) -> table part, for one sheet."""
        tables = {}
        for _, kind, target in self.relationships(sheet_part):
            if kind.endswith("/table") and target in self.parts:
                match = re.search(rb'\bdisplayName="([^"]*)"', self.parts[target])
                if match:
                    tables[match.group(1).decode("utf-8").lower()] = target
        return tables

    def add_relationship(self, part: str, kind: str, target: str) -> str:
        """Add a relationship from `part` to the absolute part `target`; return its id."""
        name = self.rels_name(part)
        data = self.parts.get(name)
        text = (
            data.decode("utf-8")
            if data is not None
            else (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{REL_NS}"></Relationships>'
            )
        )
        used = set(re.findall(r'\bId="([^"]*)"', text))
        number = 1
        while f"rId{number}" in used:
            number += 1
        rid = f"rId{number}"
        relative = posixpath.relpath(target, posixpath.dirname(part) or ".")
        element = f'<Relationship Id="{rid}" Type="{kind}" Target="{relative}"/>'
        if text.rstrip().endswith("/>") and "</Relationships>" not in text:
            text = re.sub(
                r"<Relationships\b([^>]*)/>", rf"<Relationships\1>{element}</Relationships>", text
            )
        else:
            text = text.replace("</Relationships>", f"{element}</Relationships>", 1)
        self.set(name, text.encode("utf-8"))
        return rid

    def add_override(self, part: str, content_type: str) -> None:
        text = self.parts[CONTENT_TYPES].decode("utf-8")
        if f'PartName="/{part}"' in text:
            return
        element = f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        self.set(CONTENT_TYPES, text.replace("</Types>", f"{element}</Types>", 1).encode("utf-8"))

    def free_name(self, pattern: str) -> str:
        """The first part name `pattern.format(n)` (n = 1, 2, ...) not in the package."""
        number = 1
        while pattern.format(number) in self.parts:
            number += 1
        return pattern.format(number)
