"""The evidence report and the exports: `writer` (report.html, report.md, forest plots, the Prefect
summary), `export` (mart tables, Metapsy and RevMan files). Kept empty so `export` does not pay for the
report's plotting and statistics imports."""
