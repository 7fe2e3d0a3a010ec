"""Workbook ports: move the contract's tables between workbooks and pandas frames."""
