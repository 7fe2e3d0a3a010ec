"""Pure planning core: pandas, pydantic, statsmodels and PuLP only; no workbook libraries."""
