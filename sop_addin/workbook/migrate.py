"""Workbook conventions by version, and the migration of older workbooks.

The Settings row `contract_version` says which conventions a workbook's inputs follow. A
workbook without it was written by sop-addin 0.1, where an override of kind "percent" was a
share (0.1 = +10%); from 0.2 it is a percent (10 = +10%), as in Scenarios. Readers turn an
older workbook's values into the current convention, so every step sees one convention;
`sop migrate` rewrites the workbook itself.
"""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.contract.problems import Problem
from sop_addin.workbook.port import WorkbookPort

CURRENT_VERSION = "0.2"
LEGACY_VERSION = "0.1"
KNOWN_VERSIONS = (LEGACY_VERSION, CURRENT_VERSION)
VERSION_SETTING = "contract_version"


def workbook_version(settings: pd.DataFrame | None) -> tuple[str | None, int | None]:
    """The workbook's version (0.1 when the row is absent or blank) and its Excel row."""
    if settings is None:
        return LEGACY_VERSION, None
    rows = settings[settings["setting"] == VERSION_SETTING]
    if rows.empty:
        return LEGACY_VERSION, None
    value = rows["value"].iloc[0]
    row = int(rows.index[0])
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return LEGACY_VERSION, row
    return str(value).strip(), row


def version_problems(settings: pd.DataFrame | None) -> list[Problem]:
    version, row = workbook_version(settings)
    if version in KNOWN_VERSIONS:
        return []
    table = CONTRACT.table("Settings")
    msg = (
        f"{VERSION_SETTING} {version!r} is not one this sop-addin knows "
        f"({', '.join(KNOWN_VERSIONS)}): the workbook is from a newer version"
    )
    return [Problem(tab=table.tab, table=table.name, row=row, column="value", message=msg)]


def to_current(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames in the current convention (a 0.1 workbook's percent shares become percent)."""
    version, _ = workbook_version(frames.get("Settings"))
    overrides = frames.get("Overrides")
    if version != LEGACY_VERSION or overrides is None or overrides.empty:
        return frames
    converted = overrides.copy()
    percent = converted["kind"] == "percent"
    converted.loc[percent, "value"] = converted.loc[percent, "value"] * 100.0
    return {**frames, "Overrides": converted}


def migrate(port: WorkbookPort) -> dict[str, object]:
    """Rewrite a 0.1 workbook in the current convention: percent overrides and the marker."""
    from sop_addin.workbook.tables import read_table, write_input_table

    settings, problems = read_table(port, "Settings")
    overrides, more = read_table(port, "Overrides")
    if problems or more or settings is None or overrides is None:
        from sop_addin.contract.problems import ValidationError

        raise ValidationError(problems + more)
    version, row = workbook_version(settings)
    if version != LEGACY_VERSION:
        return {"from": version, "to": version, "overrides_converted": 0}
    converted = to_current({"Settings": settings, "Overrides": overrides})["Overrides"]
    changed = int((overrides["kind"] == "percent").sum())
    frame = settings.reset_index(drop=True)
    if row is None:
        marker: dict[str, object] = {c: None for c in frame.columns}
        marker.update({"setting": VERSION_SETTING, "value": CURRENT_VERSION})
        frame = pd.concat([frame, pd.DataFrame([marker])], ignore_index=True)
    else:
        frame.loc[frame["setting"] == VERSION_SETTING, "value"] = CURRENT_VERSION
    write_input_table(port, "Overrides", converted.reset_index(drop=True))
    write_input_table(port, "Settings", frame)
    return {"from": LEGACY_VERSION, "to": CURRENT_VERSION, "overrides_converted": changed}
