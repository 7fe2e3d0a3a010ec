"""Which department receives which tables: configuration in contract/departments.csv."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sop_addin.contract import CONTRACT

DEPARTMENTS_CSV = Path(__file__).resolve().parent.parent / "contract" / "departments.csv"


class DepartmentConfigError(ValueError):
    """departments.csv names a table the contract does not have, or is otherwise wrong."""


@dataclass(frozen=True)
class Department:
    name: str
    tables: tuple[str, ...]
    description: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", self.name).strip("-").lower()


def load_departments(path: Path = DEPARTMENTS_CSV) -> list[Department]:
    """The departments and their tables; an unknown table name is an error naming the row."""
    departments: list[Department] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            name = (row.get("department") or "").strip()
            tables = tuple(t.strip() for t in (row.get("tables") or "").split("|") if t.strip())
            if not name or not tables:
                msg = f"{path.name} row {line}: a department needs a name and at least one table"
                raise DepartmentConfigError(msg)
            unknown = [t for t in tables if t not in CONTRACT.tables]
            if unknown:
                missing = ", ".join(unknown)
                msg = f"{path.name} row {line} ({name}): no table {missing} in the contract"
                raise DepartmentConfigError(msg)
            departments.append(Department(name, tables, (row.get("description") or "").strip()))
    names = [d.name for d in departments]
    if len(set(names)) != len(names):
        msg = f"{path.name}: a department is listed twice"
        raise DepartmentConfigError(msg)
    return departments
