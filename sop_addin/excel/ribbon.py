"""Ribbon entry point: every S&OP button hands its tag to `on_action`.

The VBA callback is one line for all buttons:
``RunPython "import sop_addin.excel.ribbon as r; r.on_action('" & control.Tag & "')"``.
Everything behind it is ordinary code, tested with a stand-in book.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sop_addin.actions import ACTIONS
from sop_addin.errors import user_error
from sop_addin.workbook.port import WorkbookPort
from sop_addin.workbook.staging import StagedPort
from sop_addin.workbook.tables import read_inputs

log = logging.getLogger(__name__)

Alert = Callable[[str], None]
ALERT_TITLE = "S&OP"
ADDIN_SUFFIX = ".xlam"
NO_WORKBOOK = "Open an S&OP planning workbook first: the S&OP buttons act on the active workbook."


def run_action(tag: str, port: WorkbookPort, alert: Alert) -> bool:
    """Run the action named by a button tag; report any failure through `alert`, not a traceback.

    All or nothing, like a CLI run: the action's writes are staged and reach the workbook only
    when the whole action succeeded. Returns True when the action finished.
    """
    action = ACTIONS.get(tag)
    if action is None:
        alert(f"This S&OP button ({tag!r}) has no action in this version of sop-addin.")
        return False

    def progress(stage: str, done: int, total: int) -> None:
        port.set_status(f"S&OP: {stage} ({done}/{total})")

    staged = StagedPort(port)
    try:
        # One validation pass first, whatever the button: a problem any step would reject is
        # reported before anything runs (the CLI's run and validate do the same).
        progress("Validate inputs", 0, 1)
        read_inputs(staged)
        action(staged, progress)
        staged.apply()
    except Exception as exc:  # a bug must still reach the planner as a message, not a traceback
        found = user_error(exc)
        if found is not None:
            alert(found.excel)
            return False
        log.exception("S&OP action %s failed", tag)
        alert(f"The S&OP action {tag!r} failed: {exc}. The workbook was not changed.")
        return False
    finally:
        port.set_status(None)
    return True


def target_book(caller: Any) -> Any | None:
    """The workbook a button acts on.

    From the template (.xlsm) the caller is the planning workbook itself. From the add-in
    (.xlam) xlwings reports the add-in as the caller, so the button acts on the active
    workbook instead; None when no workbook is open.
    """
    if str(getattr(caller, "name", "")).lower().endswith(ADDIN_SUFFIX):
        return caller.app.books.active
    return caller


def on_action(tag: str) -> None:
    """Called from VBA with the clicked button's tag; runs on the calling workbook."""
    import xlwings as xw

    from sop_addin.workbook.xlwings_port import XlwingsPort

    caller = xw.Book.caller()
    book = target_book(caller)
    if book is None:
        caller.app.alert(NO_WORKBOOK, title=ALERT_TITLE)
        return
    run_action(tag, XlwingsPort(book), lambda message: book.app.alert(message, title=ALERT_TITLE))
