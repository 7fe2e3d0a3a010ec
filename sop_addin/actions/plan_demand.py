"""The demand a plan is made against, as the workbook holds it."""

from __future__ import annotations

import pandas as pd

from sop_addin.contract import CONTRACT
from sop_addin.workbook.port import TableNotFound, WorkbookPort
from sop_addin.workbook.tables import read_output


def plan_demand(port: WorkbookPort) -> pd.DataFrame:
    """The demand the plan is made against (sku, month, quantity, with the 80% interval).

    The consensus demand when Apply Consensus has produced it, else the statistical forecast.
    """
    columns = ["sku", "month", "quantity", "lo80", "hi80"]
    if "Consensus" in CONTRACT.tables:
        try:
            port.table_location("Consensus")
        except TableNotFound:  # a workbook made before the consensus table existed
            pass
        else:
            consensus = read_output(port, "Consensus", "Apply Consensus", allow_empty=True)
            if len(consensus):
                return consensus.rename(columns={"consensus": "quantity"})[columns]
    forecast = read_output(port, "Forecast", produced_by="Refresh Forecast")
    return forecast.rename(columns={"forecast": "quantity"})[columns]
