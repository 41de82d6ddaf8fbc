"""The evidence report (HTML + Markdown + forest PNGs), its Prefect summary, and the mart exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ketamine_evidence.warehouse.history import changes_since_previous
from ketamine_evidence.warehouse.report import content, html, markdown, queries
from ketamine_evidence.warehouse.report.plots import forest_plots

ARTIFACT_COLUMNS = ("claim_id", "claimed", "scope", "verdict", "evidence", "rationale")


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    plots: tuple[Path, ...]


def write_report(con: duckdb.DuckDBPyConnection, output: Path | str, current_run: str | None = None,
                 verified_only: bool = False) -> ReportFiles:
    """Write report.html (self-contained), report.md and one PNG per forest plot into `output`."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    data = queries.load(con, current_run, verified_only)
    plots = forest_plots(data.summary, data.trials)
    for stale in out.glob("forest-*.png"):
        stale.unlink()
    paths = []
    for plot in plots:
        path = out / plot.filename
        path.write_bytes(plot.png)
        paths.append(path)
    html_path, md_path = out / "report.html", out / "report.md"
    html_path.write_text(html.render(data, plots), encoding="utf-8")
    md_path.write_text(markdown.render(data, plots), encoding="utf-8")
    return ReportFiles(html_path, md_path, tuple(paths))


def report_artifacts(con: duckdb.DuckDBPyConnection, current_run: str | None = None) -> tuple[list[dict], str]:
    """(one row per claim with its verdict, a Markdown summary) for Prefect table/markdown artifacts."""
    missing: dict[str, str] = {}
    claims = queries.claims(con, missing)
    rows = [
        {"claim_id": str(r["claim_id"]), "claimed": content.claimed_figure(r), "scope": content.claim_scope(r),
         "verdict": content.verdict_of(r),
         "evidence": "; ".join(x for x in (content.pooled_evidence(r), content.trial_evidence(r)) if x),
         "rationale": content.rationale_of(r)}
        for _, r in claims.iterrows()
    ]
    empty = pd.DataFrame()
    data = queries.ReportData(datetime.now(UTC), queries.last_run(con, current_run), claims, empty, empty,
                              empty, empty, changes_since_previous(con), missing)
    lines = [*markdown.header(data), "## Verdicts", "", f"{markdown.verdict_summary(data)}.", "",
             "## What changed since the previous refresh", ""]
    lines += [f"- {line}" for line in content.change_lines(data.changes)]
    if missing:
        lines += ["", *(f"_{m}_" for m in missing.values())]
    return rows, "\n".join(lines) + "\n"
