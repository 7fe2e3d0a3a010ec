"""Ribbon entry point: every S&OP button hands its tag to `on_action`.

The VBA callback is one line for all buttons:
``RunPython "import sop_addin.excel.ribbon as r; r.on_action('" & control.Tag & "')"``.
Everything behind it is ordinary code, tested with a stand-in book.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sop_addin.actions import ACTIONS
from sop_addin.contract.problems import ValidationError
from sop_addin.core.planning.solve import SolverError
from sop_addin.workbook.port import TableNotFound, WorkbookPort

log = logging.getLogger(__name__)

Alert = Callable[[str], None]


def run_action(tag: str, port: WorkbookPort, alert: Alert) -> bool:
    """Run the action named by a button tag; report any failure through `alert`, not a traceback.

    Returns True when the action finished.
    """
    action = ACTIONS.get(tag)
    if action is None:
        alert(f"This S&OP button ({tag!r}) has no action in this version of sop-addin.")
        return False

    def progress(stage: str, done: int, total: int) -> None:
        port.set_status(f"S&OP: {stage} ({done}/{total})")

    try:
        action(port, progress)
    except ValidationError as exc:
        alert(exc.summary(limit=15))
        return False
    except (SolverError, TableNotFound) as exc:
        alert(str(exc))
        return False
    except Exception as exc:  # a bug must still reach the planner as a message, not a traceback
        log.exception("S&OP action %s failed", tag)
        alert(f"The S&OP action {tag!r} failed: {exc}. Input tables were not changed.")
        return False
    finally:
        port.set_status(None)
    return True


def on_action(tag: str) -> None:
    """Called from VBA with the clicked button's tag; runs on the calling workbook."""
    from sop_addin.workbook.xlwings_port import XlwingsPort

    port = XlwingsPort.caller()
    run_action(tag, port, lambda message: port.book.app.alert(message, title="S&OP"))
