"""Shared fixtures: small workbooks written through the real file port."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_addin.workbook.create import create_workbook
from tests.factories import tiny_tables


@pytest.fixture
def tiny_workbook(tmp_path: Path) -> Path:
    """A valid workbook of the tiny company (two SKUs, one resource)."""
    return create_workbook(tmp_path / "tiny.xlsx", tiny_tables())
