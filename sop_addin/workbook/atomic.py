"""Atomic file writes: a temp file beside the target, fsync, then os.replace.

A crash at any moment leaves either the old file or the new one, never half of each. A
process killed mid-write leaves only its temp file, which the next write to the same folder
removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_PREFIX = ".sop-tmp-"


class WriteFailed(OSError):
    """A save could not finish (read-only folder, full disk, no permission); the file at the
    target is unchanged. The message says why in plain words."""


STALE_AFTER_SECONDS = 3600  # where liveness cannot be checked, an hour-old temp is abandoned


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill(pid, 0) would terminate on Windows; rely on the temp's age
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_temps(directory: Path) -> list[Path]:
    """Remove temp files left by writers that died (their process is gone, or they are old)."""
    removed = []
    for temp in Path(directory).glob(f"{TEMP_PREFIX}*"):
        try:
            pid = int(temp.name[len(TEMP_PREFIX) :].split("-", 1)[0])
        except ValueError:
            pid = -1
        try:
            age = time.time() - temp.stat().st_mtime
        except FileNotFoundError:
            continue
        if pid != os.getpid() and (not _process_alive(pid) or age > STALE_AFTER_SECONDS):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                temp.unlink()
                removed.append(temp)
    return removed


@contextlib.contextmanager
def temp_path_for(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; remove it if the caller fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(target.parent)
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}-{target.name}")
    # Create it ourselves, exclusively and without following a link planted at its name.
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
    os.close(os.open(temp, flags, 0o644))
    try:
        yield temp
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def real_target(target: Path) -> Path:
    """Where a write to `target` lands: a symbolic link's target, so the link stays a link."""
    return Path(os.path.realpath(target)) if Path(target).is_symlink() else Path(target)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the folder is on a read-only file system"
    if isinstance(exc, PermissionError):
        return "no permission to write there (a read-only folder or file, or open elsewhere)"
    return exc.strerror or str(exc)


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temp_path)`, flush it to disk and move it over `target` in one step.

    A symbolic link is written through to its target. Any failure (full disk, read-only
    folder, no permission) raises WriteFailed naming the file and leaves `target` unchanged.
    """
    target = real_target(Path(target))
    try:
        _atomic_write(target, write)
    except WriteFailed:
        raise
    except OSError as exc:
        msg = f"could not save {target}: {_reason(exc)}; the file there is unchanged"
        raise WriteFailed(msg) from exc


def _atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    with temp_path_for(target) as temp:
        write(temp)
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(temp, target)
        except PermissionError as exc:
            msg = (
                f"cannot replace {target}: it is open in another program; close the file and "
                "retry (the file there is unchanged)"
            )
            raise WriteFailed(msg) from exc
    _fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    atomic_write(Path(target), lambda temp: temp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write(Path(target), lambda temp: temp.write_text(text, encoding="utf-8", newline=""))
