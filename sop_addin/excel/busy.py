"""One S&OP action per workbook at a time: a second click while one runs is told so.

On the Mac, RunPython starts Python in the background and Excel stays responsive, so a
second click would start a second Python on the same workbook; on Windows Excel waits, but
a click from a second Excel instance could still overlap. The lock is the workbook lock
of `sop_addin.workbook.lock` (released by the operating system if Python dies), on a
file named after the workbook in the temporary folder, with the running action's label
beside it for the message.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sop_addin.workbook.lock import WorkbookBusyError, workbook_lock

BUSY = (
    "An S&OP action is still running on this workbook ({running}). Wait until the status "
    "bar clears, then click again."
)


def lock_folder() -> Path:
    return Path(tempfile.gettempdir()) / "sop-addin-clicks"


@contextlib.contextmanager
def click_lock(book_key: str, label: str, folder: Path | None = None) -> Iterator[str | None]:
    """Hold the workbook's click lock; yield None, or the running action's label if busy.

    Args:
        book_key: the workbook's full name (path or URL) as Excel reports it.
        label: what this click runs, shown to a second click.
        folder: where the lock files live (the temporary folder by default).
    """
    folder = folder or lock_folder()
    digest = hashlib.sha256(book_key.lower().encode("utf-8")).hexdigest()[:20]
    anchor = folder / f"{digest}.xlsx"  # the lock file sits beside this (absent) name
    note = folder / f"{digest}.running"
    try:
        with workbook_lock(anchor, timeout=0):
            note.write_text(label, encoding="utf-8")
            try:
                yield None
            finally:
                with contextlib.suppress(OSError):
                    note.unlink()
    except WorkbookBusyError:
        try:
            running = note.read_text(encoding="utf-8") or "another action"
        except OSError:
            running = "another action"
        yield running
