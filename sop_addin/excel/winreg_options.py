"""Excel's Options registry key (Windows only) as a mapping of its string values."""

from __future__ import annotations

import sys
from collections.abc import Iterator, MutableMapping

assert sys.platform == "win32"  # imported only on Windows (setup.windows_registry)
import winreg  # noqa: E402


class ExcelOptions(MutableMapping[str, str]):
    """The values under HKEY_CURRENT_USER\\<key> (created if missing)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def _open(self, access: int) -> winreg.HKEYType:
        return winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, self.key, 0, access)

    def __getitem__(self, name: str) -> str:
        with self._open(winreg.KEY_READ) as handle:
            try:
                return str(winreg.QueryValueEx(handle, name)[0])
            except FileNotFoundError as exc:
                raise KeyError(name) from exc

    def __setitem__(self, name: str, value: str) -> None:
        with self._open(winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def __delitem__(self, name: str) -> None:
        with self._open(winreg.KEY_SET_VALUE) as handle:
            try:
                winreg.DeleteValue(handle, name)
            except FileNotFoundError as exc:
                raise KeyError(name) from exc

    def _names(self) -> list[str]:
        with self._open(winreg.KEY_READ) as handle:
            count = winreg.QueryInfoKey(handle)[1]
            return [winreg.EnumValue(handle, i)[0] for i in range(count)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())
