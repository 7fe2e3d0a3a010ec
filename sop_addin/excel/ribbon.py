"""Ribbon entry point: every S&OP button hands its tag to `on_action`.

The VBA callback is one line for all buttons:
``RunPython "import sop_addin.excel.ribbon as r; r.on_action('" & control.Tag & "')"``.
The embedded xlwings module is xlwings' custom add-in module, which hands Python the
*active* workbook (from the .xlsm that is the planning workbook itself; from the .xlam the
workbook the planner is looking at), and the callback refuses to start with no workbook
open. Everything behind it is ordinary code, tested with a stand-in book.

This module imports only what every click needs; the action's own modules are imported
when the action is looked up (`sop_addin.actions.ACTIONS` is lazy), after the first
status-bar message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sop_addin.actions import ACTIONS
from sop_addin.errors import user_error

log = logging.getLogger(__name__)

Alert = Callable[[str], None]
ALERT_TITLE = "S&OP"
ADDIN_SUFFIX = ".xlam"
NO_WORKBOOK = "Open an S&OP planning workbook first: the S&OP buttons act on the active workbook."
# Buttons that do not read the planning inputs (they check the set-up or use a scratch copy):
# the validation pass every other button starts with would only stand in their way.
NO_INPUTS = frozenset({"diagnose", "self_test"})


def run_action(tag: str, port: Any, alert: Alert) -> bool:
    """Run the action named by a button tag; report any failure through `alert`, not a traceback.

    All or nothing, like a CLI run: the action's writes are staged and reach the workbook only
    when the whole action succeeded. Returns True when the action finished.
    """
    if tag not in ACTIONS:
        alert(f"This S&OP button ({tag!r}) has no action in this version of sop-addin.")
        return False

    def progress(stage: str, done: int, total: int) -> None:
        port.set_status(f"S&OP: {stage} ({done}/{total})")

    try:
        port.set_status("S&OP: starting")  # the first sign of life, before the heavy imports
        from sop_addin.workbook.staging import StagedPort

        staged = StagedPort(port)
        if tag not in NO_INPUTS:
            from sop_addin.workbook.tables import read_inputs

            # One validation pass first, whatever the button: a problem any step would reject
            # is reported before anything runs (the CLI's run and validate do the same).
            progress("Validate inputs", 0, 1)
            read_inputs(staged)
        result = ACTIONS[tag](staged, progress)
        staged.apply()
    except Exception as exc:
        found = user_error(exc)
        if found is not None:
            alert(found.excel)
        else:  # a bug must still reach the planner as a message, not a traceback
            log.exception("S&OP action %s failed", tag)
            alert(f"The S&OP action {tag!r} failed: {exc}. The workbook was not changed.")
        return False
    finally:
        port.set_status(None)
    if isinstance(result, dict) and result.get("report"):  # Diagnose, Self-test: show it
        alert(str(result["report"]))
    return True


def is_open(book: Any) -> bool:
    """Whether an xlwings Book stands for an open workbook.

    xlwings' `books.active` never returns None: with no workbook open it wraps Excel's
    empty ActiveWorkbook, and the first property read fails.
    """
    try:
        return bool(book.name)
    except Exception:
        return False


def target_book(caller: Any) -> Any | None:
    """The workbook a button acts on; None when no workbook is open.

    The embedded VBA passes the active workbook. An add-in built before that (whose VBA
    passes the add-in itself) still reaches the active workbook through `books.active`.
    """
    book = caller
    if is_open(caller) and str(caller.name).lower().endswith(ADDIN_SUFFIX):
        book = caller.app.books.active
    return book if is_open(book) else None


def button_label(tag: str) -> str:
    """The ribbon label of a button (the tag itself for a button not in buttons.csv)."""
    from sop_addin.excel.ribbon_xml import load_buttons

    return next((b.label for b in load_buttons() if b.tag == tag), tag)


def _alert(app: Any, message: str) -> None:
    app.alert(message, title=ALERT_TITLE)


def on_action(tag: str) -> None:
    """Called from VBA with the clicked button's tag; runs on the active workbook."""
    import xlwings as xw

    from sop_addin.excel.busy import BUSY, click_lock
    from sop_addin.workbook.xlwings_port import XlwingsPort

    caller = xw.Book.caller()
    book = target_book(caller)
    if book is None:
        _alert(caller.app, NO_WORKBOOK)
        return
    with click_lock(str(book.fullname), button_label(tag)) as running:
        if running is not None:
            _alert(book.app, BUSY.format(running=running))
            return
        run_action(tag, XlwingsPort(book), lambda message: _alert(book.app, message))
