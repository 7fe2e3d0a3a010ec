"""Lift and restore an output tab's protection, on Windows (COM) and on the Mac (appscript).

Output tabs are protected without a password so planners do not overtype results. xlwings'
`sheet.api` is the platform's own object: a COM Worksheet on Windows (ProtectContents,
Unprotect, Protect) and an appscript reference on the Mac, where Excel's AppleScript
dictionary names them `protect contents`, `unprotect` and `protect worksheet`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

# What a planner may still do on a protected output tab.
ALLOW = {"AllowFiltering": True, "AllowSorting": True, "AllowFormattingColumns": True}
_MAC_ALLOW = {"allow_filtering": True, "allow_sorting": True, "allow_formatting_columns": True}


def is_protected(api: Any, platform: str = sys.platform) -> bool:
    if platform == "darwin":
        return bool(api.protect_contents.get())
    return bool(api.ProtectContents)


def unprotect(api: Any, platform: str = sys.platform) -> None:
    if platform == "darwin":
        api.unprotect()
    else:
        api.Unprotect()


def protect(api: Any, platform: str = sys.platform) -> None:
    if platform == "darwin":
        api.protect_worksheet(contents=True, **_MAC_ALLOW)
    else:
        api.Protect(**ALLOW)


@contextlib.contextmanager
def unprotected(sheet: Any, platform: str = sys.platform) -> Iterator[None]:
    """Lift the sheet's protection while Python writes, then restore it (even on failure)."""
    api = sheet.api
    try:
        protected = is_protected(api, platform)
        if protected:
            unprotect(api, platform)
    except Exception as exc:  # an Excel that refuses: say which tab and what to do
        msg = (
            f"Could not lift the protection of the {sheet.name} tab ({exc}). Unprotect it "
            "(Review > Unprotect Sheet) and click again; the S&OP buttons protect it again."
        )
        raise RuntimeError(msg) from exc
    try:
        yield
    finally:
        if protected:
            protect(api, platform)
