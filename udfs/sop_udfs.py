"""Compatibility shim: the S&OP worksheet functions now live in `sop_addin.udfs`.

Workbooks whose xlwings.conf names `UDF Modules = sop_udfs` (sop-addin 0.1 set that) keep
working if this file is importable; set `UDF Modules` to `sop_addin.udfs` instead
(`sop addin install` does) and re-run "Import Functions".
"""

from sop_addin.udfs import (  # noqa: F401 -- re-exported for xlwings' Import Functions
    SOP_ACCURACY,
    SOP_CAPACITY_LOAD,
    SOP_FORECAST,
    SOP_REORDER_POINT,
    SOP_SAFETY_STOCK,
)
