"""Atomic file writes: a temp file beside the target, fsync, then os.replace.

A crash at any moment leaves either the old file or the new one, never half of each. A
process killed mid-write leaves only its temp file, which the next write to the same folder
removes.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

TEMP_PREFIX = ".sop-tmp-"
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
    try:
        yield temp
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """Call `write(temp_path)`, flush it to disk and move it over `target` in one step."""
    target = Path(target)
    with temp_path_for(target) as temp:
        write(temp)
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(temp, target)
        except PermissionError as exc:
            msg = (
                f"cannot replace {target}: it is open in another program; close the file and retry"
            )
            raise PermissionError(msg) from exc
    _fsync_dir(target.parent)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    atomic_write(Path(target), lambda temp: temp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write(Path(target), lambda temp: temp.write_text(text, encoding="utf-8", newline=""))
