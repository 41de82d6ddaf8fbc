"""The evidence report (HTML + Markdown + forest PNGs + PRISMA diagram) and its Prefect summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ketamine_evidence.warehouse.history import changes_since_previous
from ketamine_evidence.warehouse.report import content, html, markdown, prisma_diagram, queries
from ketamine_evidence.warehouse.report.plots import Plot, forest_plots

ARTIFACT_COLUMNS = ("claim_id", "claimed", "scope", "verdict", "evidence", "rationale")


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    markdown: Path
    plots: tuple[Path, ...]
    tables: tuple[Path, ...] = ()  # forest-<name>.csv beside each PNG
    prisma: Path | None = None  # prisma-flow.png, the PRISMA 2020 flow diagram


def write_report(con: duckdb.DuckDBPyConnection, output: Path | str, current_run: str | None = None,
                 verified_only: bool = False, claims_path: str | None = None) -> ReportFiles:
    """Write report.html (self-contained), report.md and one PNG plus one CSV per forest plot into `output`."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    data = queries.load(con, current_run, verified_only, claims_path)
    plots = forest_plots(data.summary, data.trials)
    paths, tables = _write_forests(out, plots)
    diagram = _write_prisma(out, data)
    html_path, md_path = out / "report.html", out / "report.md"
    png = diagram.read_bytes() if diagram else None
    html_path.write_text(html.render(data, plots, png), encoding="utf-8")
    md_path.write_text(markdown.render(data, plots, diagram.name if diagram else None), encoding="utf-8")
    return ReportFiles(html_path, md_path, paths, tables, diagram)


def _write_prisma(out: Path, data: queries.ReportData) -> Path | None:
    """prisma-flow.png from the PRISMA counts (none, and a stale one removed, when there are none)."""
    path = out / prisma_diagram.FILENAME
    path.unlink(missing_ok=True)
    counts = prisma_diagram.flow_counts(data)
    return prisma_diagram.draw(counts, path) if counts else None


def _write_forests(out: Path, plots: list[Plot]) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Each forest's PNG and, beside it, its drawn rows as forest-<name>.csv; stale ones removed."""
    for stale in (*out.glob("forest-*.png"), *out.glob("forest-*.csv")):
        stale.unlink()
    for plot in plots:
        (out / plot.filename).write_bytes(plot.png)
        plot.table().to_csv(out / plot.csv_filename, index=False)
    return tuple(out / p.filename for p in plots), tuple(out / p.csv_filename for p in plots)


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
