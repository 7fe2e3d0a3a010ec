"""The S&OP ribbon tab as customUI14 XML, generated from the button table (buttons.csv).

The table maps every button to an action tag; a button is shown only when its tag is an
action in ``sop_addin.actions.ACTIONS``, so the ribbon never offers what this version
cannot do. Groups appear in the table's order. Every button calls the one VBA callback
``SopButton`` (excel/vba/SopRibbon.bas), which hands the tag to ``ribbon.on_action``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

BUTTONS_CSV = Path(__file__).resolve().parent / "buttons.csv"
CUSTOMUI14_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CALLBACK = "SopButton"  # the Sub in SopRibbon.bas
TAB_ID = "sopTab"
TAB_LABEL = "S&OP"
_FIELDS = ("tag", "group", "label", "image_mso", "screentip", "supertip")


@dataclass(frozen=True)
class Button:
    """One ribbon button: the action it runs and how it looks."""

    tag: str
    group: str
    label: str
    image_mso: str
    screentip: str
    supertip: str

    @property
    def control_id(self) -> str:
        return "sop_" + self.tag


def load_buttons(path: Path = BUTTONS_CSV) -> list[Button]:
    """Every button of the table, in table order."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != _FIELDS:
            msg = f"{path.name}: columns must be {', '.join(_FIELDS)}"
            raise ValueError(msg)
        buttons = []
        for line, row in enumerate(reader, start=2):
            empty = [name for name in _FIELDS if not (row[name] or "").strip()]
            if empty:
                msg = f"{path.name} line {line}: empty {', '.join(empty)}"
                raise ValueError(msg)
            buttons.append(Button(**{name: row[name].strip() for name in _FIELDS}))
    tags = [b.tag for b in buttons]
    duplicates = sorted({t for t in tags if tags.count(t) > 1})
    if duplicates:
        msg = f"{path.name}: tags listed twice: {', '.join(duplicates)}"
        raise ValueError(msg)
    return buttons


def shown_buttons(actions: Iterable[str], buttons: list[Button] | None = None) -> list[Button]:
    """The buttons whose action exists, in table order."""
    available = set(actions)
    return [b for b in (load_buttons() if buttons is None else buttons) if b.tag in available]


def _label(text: str) -> str:
    # Office drops a single '&' from ribbon labels (it marks an accelerator): double it.
    return quoteattr(text.replace("&", "&&"))


def _group_id(group: str) -> str:
    return "sopGroup" + "".join(ch for ch in group.title() if ch.isalnum())


def customui_xml(buttons: list[Button]) -> bytes:
    """customUI14 XML for an S&OP tab holding `buttons`, grouped in the order they come."""
    groups: dict[str, list[Button]] = {}
    for button in buttons:
        groups.setdefault(button.group, []).append(button)
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{CUSTOMUI14_NS}">',
        "  <ribbon>",
        "    <tabs>",
        f"      <tab id={quoteattr(TAB_ID)} label={_label(TAB_LABEL)}>",
    ]
    for group, members in groups.items():
        lines.append(f"        <group id={quoteattr(_group_id(group))} label={_label(group)}>")
        for b in members:
            lines.append(
                f"          <button id={quoteattr(b.control_id)} tag={quoteattr(b.tag)}"
                f' label={_label(b.label)} imageMso={quoteattr(b.image_mso)} size="large"'
                f" screentip={quoteattr(b.screentip)} supertip={quoteattr(b.supertip)}"
                f" onAction={quoteattr(CALLBACK)}/>"
            )
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines).encode("utf-8")


def ribbon_for_actions(actions: Iterable[str]) -> bytes:
    """The ribbon XML for the actions this build has."""
    return customui_xml(shown_buttons(actions))
