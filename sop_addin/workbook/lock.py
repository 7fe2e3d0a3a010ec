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


class OpenElsewhereError(WorkbookBusyError):
    """Excel or LibreOffice has the workbook open (its lock file is beside the workbook)."""


def other_program_locks(workbook: Path) -> list[Path]:
    """Lock files Excel (~$NAME) and LibreOffice (.~lock.NAME#) keep beside an open workbook."""
    workbook = Path(workbook)
    name = workbook.name
    candidates = [f"~${name}", f"~${name[2:]}", f".~lock.{name}#"]
    return [
        workbook.with_name(c) for c in dict.fromkeys(candidates) if workbook.with_name(c).exists()
    ]


def refuse_if_open_elsewhere(workbook: Path) -> None:
    """Raise OpenElsewhereError when another program has `workbook` open."""
    found = other_program_locks(workbook)
    if found:
        owner = _lock_owner(found[0])
        msg = (
            f"{Path(workbook).name} is open in {owner}: close it there and retry, so that "
            f"neither program overwrites the other's work (if nothing has it open, the lock "
            f"file {found[0].name} is left from a crash: delete it)"
        )
        raise OpenElsewhereError(msg)


def _lock_owner(lock: Path) -> str:
    if lock.name.startswith(".~lock."):
        try:  # LibreOffice: "1,user name,host,date,profile" (one line)
            fields = lock.read_text(encoding="utf-8", errors="replace").split(",")
            who = fields[1].strip() if len(fields) > 1 else ""
        except OSError:
            who = ""
        return f"LibreOffice{f' (by {who})' if who else ''}"
    return "Excel"


def lock_path(workbook: Path) -> Path:
    return workbook.with_name(f".~sop-lock-{workbook.name}")


def _open_lock(path: Path) -> IO[bytes]:
    """Open the lock file, never through a symbolic link planted at its name."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if path.is_symlink():
            msg = f"{path} is a symbolic link; sop will not follow it: delete it and retry"
            raise WorkbookBusyError(msg) from exc
        raise
    return os.fdopen(fd, "r+b")


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
    path = lock_path(Path(os.path.realpath(workbook)))
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        handle = _open_lock(path)
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
