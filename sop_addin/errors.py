"""One error model for both front ends: what a user-caused failure means, and its exit code.

The CLI (commands/common.py) and the Excel ribbon (excel/ribbon.py) both ask `user_error`
about an exception; each shows the message that suits it (the ribbon never names a
command-line flag) and the CLI exits with the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EXIT_INVALID = 2  # the workbook or the request is wrong; nothing was written
EXIT_FAILED = 3  # the inputs were valid but a step or the save could not finish; nothing written


@dataclass(frozen=True)
class UserError:
    """A failure the user can act on: its exit code and its message per front end."""

    code: int
    cli: str
    excel: str


# The command a CLI message names, and what an Excel user clicks instead.
_RIBBON_FOR = {
    "sop approve": "the Approve & Snapshot button",
    "sop run": "the Run Full Cycle button",
    "sop review": "the Plan vs Actual button",
    "sop soe": "the S&OE button",
    "sop distribute": "the Distribute button",
}


def for_excel(text: str) -> str:
    """A CLI message said to an Excel user: no command-line flags, buttons for commands.

    Hints that only a command line can follow ("pass --actuals FILE", "raise --time-limit")
    are dropped, clause by clause; the rest of the message stays word for word.
    """
    text = re.sub(r"\s*\([^()]*\s--[a-z][^()]*\)", "", text)
    parts = re.split(r"([:;] |, or )", text)
    kept = [parts[0]]
    for separator, clause in zip(parts[1::2], parts[2::2], strict=False):
        if re.search(r"(^|\s)--[a-z]", clause):
            continue
        kept += [separator, clause]
    text = "".join(kept).rstrip(":; ")
    for command, button in _RIBBON_FOR.items():
        text = re.sub(rf"`?{command}`?(?![\w-])", button, text)
    return text


def user_error(exc: BaseException) -> UserError | None:
    """The user-facing meaning of `exc`, or None for a bug (which keeps its traceback)."""
    found = _classify(exc)
    if found is None:
        return None
    return UserError(found.code, found.cli, for_excel(found.excel))


def _classify(exc: BaseException) -> UserError | None:
    from sop_addin.contract.problems import ValidationError
    from sop_addin.core.planning.solve import SolverError
    from sop_addin.workbook.atomic import WriteFailed
    from sop_addin.workbook.guard import WorkbookOpenError
    from sop_addin.workbook.lock import OpenElsewhereError, WorkbookBusyError
    from sop_addin.workbook.package import PackageError
    from sop_addin.workbook.port import OccupiedCells, TableNotFound

    text = str(exc)
    if isinstance(exc, ValidationError):
        return UserError(EXIT_INVALID, text, exc.summary(limit=15))
    if isinstance(exc, OccupiedCells | PackageError | WorkbookOpenError | TableNotFound):
        return UserError(EXIT_INVALID, text, text)
    if isinstance(exc, OpenElsewhereError):
        return UserError(EXIT_INVALID, text, text)
    if isinstance(exc, ApprovedSnapshotError):
        return UserError(EXIT_INVALID, text, exc.excel)
    if isinstance(exc, FileExistsError):
        return UserError(EXIT_INVALID, text, text)
    if isinstance(exc, WriteFailed | WorkbookBusyError | SolverError):
        return UserError(EXIT_FAILED, text, text)
    if isinstance(exc, PermissionError):
        return UserError(
            EXIT_FAILED,
            f"{text} (close the file if it is open in Excel, and retry)",
            f"{text} (close the file if it is open elsewhere, and retry)",
        )
    return None


class ApprovedSnapshotError(Exception):
    """The workbook is an approved snapshot: it is read, verified and distributed, never
    re-planned."""

    def __init__(self, name: str) -> None:
        self.cli_text = (
            f"{name} is an approved snapshot (its first tab says who approved it): it is never "
            "re-planned or changed. Plan in the working workbook and approve it again with "
            "`sop approve`; check a snapshot with `sop verify`."
        )
        self.excel = (
            f"{name} is an approved snapshot: it is never re-planned or changed. Plan in the "
            "working workbook and approve it again with the Approve button."
        )
        super().__init__(self.cli_text)


def is_approved_snapshot(sheet_names: list[str], structure_locked: bool) -> bool:
    """An approved snapshot opens on the approval cover and has its structure locked."""
    from sop_addin.approval.snapshot import COVER_SHEET

    return bool(sheet_names) and sheet_names[0] == COVER_SHEET and structure_locked
