"""One writer per workbook: runs on the same file are serialised, never interleaved."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class WorkbookBusyError(Exception):
    """Another process holds the workbook's lock for longer than we are willing to wait."""


def lock_path(workbook: Path) -> Path:
    return workbook.with_name(f".~sop-lock-{workbook.name}")


def _try_lock(handle: IO[bytes]) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _same_file(handle: IO[bytes], path: Path) -> bool:
    """Whether the locked handle is still the file at `path` (not one a finished run removed)."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def workbook_lock(workbook: Path, timeout: float = 300.0, poll: float = 0.2) -> Iterator[None]:
    """Hold an exclusive lock on `workbook` (through a lock file beside it) while planning.

    The operating system releases the lock when the process ends, so a crashed run never
    leaves the workbook locked. The holder removes the lock file when it is done; a waiter
    that then finds it locked a removed file simply tries again on the new one.
    """
    path = lock_path(Path(workbook))
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        handle = path.open("a+b")
        if _try_lock(handle):
            if _same_file(handle, path):
                break
            handle.close()  # we locked a file the previous holder had already removed
            continue
        handle.close()
        if time.monotonic() >= deadline:
            msg = (
                f"{Path(workbook).name} is being planned by another sop process; "
                "wait for it to finish and retry"
            )
            raise WorkbookBusyError(msg)
        time.sleep(poll)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # before unlocking, so no one can lock a file that is about to go
        handle.close()  # closing releases the lock
