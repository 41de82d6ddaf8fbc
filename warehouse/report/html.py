"""The self-contained HTML report: inline CSS, plots embedded as base64 PNG, no external requests."""

from __future__ import annotations

import base64
from html import escape

import pandas as pd

from ketamine_evidence.warehouse.report import content as c
from ketamine_evidence.warehouse.report.plots import Plot
from ketamine_evidence.warehouse.report.queries import ReportData

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733;
       margin: 0; background: #f5f6f8; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 36px 0 10px;
     border-bottom: 2px solid #dde3ea; padding-bottom: 4px; } h3 { font-size: 16px; margin: 22px 0 6px; }
.meta { color: #4a5766; margin: 2px 0; }
.banner { background: #fff4ce; border: 1px solid #e0b400; border-radius: 6px; padding: 10px 14px;
          margin: 14px 0; font-weight: 600; }
.note { color: #4a5766; font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 8px 0 4px; }
th, td { border: 1px solid #d5dce4; padding: 5px 7px; vertical-align: top; text-align: left; }
th { background: #eef2f6; font-weight: 600; }
tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; white-space: nowrap; }
td.id { white-space: nowrap; font-weight: 600; }
.scroll { overflow-x: auto; }
table.claims { table-layout: fixed; }
.claims th:nth-child(1) { width: 4%; } .claims th:nth-child(2) { width: 26%; }
.claims th:nth-child(3) { width: 8%; } .claims th:nth-child(4) { width: 10%; }
.claims th:nth-child(5) { width: 24%; } .claims th:nth-child(6) { width: 28%; }
.studies td:nth-child(2) { min-width: 260px; }
.scope { display: block; color: #5b6876; font-size: 12px; margin-top: 3px; }
.evidence div { margin-bottom: 3px; }
code { font-size: 11px; background: #f0f2f5; padding: 1px 3px; border-radius: 3px; word-break: break-all; }
q { font-style: italic; color: #334; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
         white-space: nowrap; color: #fff; background: #6b7785; }
.v-consistent { background: #2e7d32; } .v-overstated { background: #c62828; }
.v-understated { background: #1565c0; } .v-misattributed { background: #8e24aa; }
.v-contradicted { background: #6d1b1b; } .v-unsupported { background: #ef6c00; }
.v-not_checkable { background: #9aa5b1; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
figure { margin: 18px 0; } figure img { max-width: 100%; border: 1px solid #e3e7ec; }
figcaption { font-size: 13px; color: #4a5766; }
.prisma { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 24px; max-width: 900px; }
.box { border: 2px solid #1f4e79; border-radius: 6px; padding: 8px 12px; background: #f7fafd; }
.box.side { border-color: #9aa5b1; background: #fafafa; }
.box b { display: block; } .box ul { margin: 4px 0 0 18px; padding: 0; }
ul.changes li { margin-bottom: 4px; }
footer { margin-top: 40px; font-size: 12px; color: #5b6876; }
"""


def _table(table: c.Table, numeric: tuple[str, ...] = (), css: str = "") -> str:
    head = "".join(f"<th>{escape(col)}</th>" for col in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{escape(v)}</td>' if col in numeric else f"<td>{escape(v)}</td>"
            for col, v in zip(table.columns, row, strict=True))
        body.append(f"<tr>{cells}</tr>")
    return (f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _badge(verdict: str) -> str:
    return f'<span class="badge v-{escape(verdict)}">{escape(verdict.replace("_", " "))}</span>'


def _note(message: str) -> str:
    return f'<p class="note">{escape(message)}</p>'


def _evidence(row: pd.Series) -> str:
    parts = []
    if pooled := c.pooled_evidence(row):
        parts.append(f"<div>{escape(pooled)}</div>")
    if trial := c.trial_evidence(row):
        parts.append(f"<div>Trial: {escape(trial)}</div>")
    if not c.blank(row.get("trial_locator")):
        parts.append(f"<div><code>{escape(str(row['trial_locator']))}</code></div>")
    if not c.blank(row.get("trial_span_text")):
        parts.append(f"<div>As given: <q>{escape(str(row['trial_span_text']))}</q></div>")
    if not c.blank(row.get("mismatch")):
        parts.append(f"<div>Mismatch: {escape(str(row['mismatch']))}</div>")
    return "".join(parts) or '<span class="note">no matching evidence</span>'


def claims_section(data: ReportData) -> str:
    if data.claims.empty:
        return _note(c.empty_note(data, "claims"))
    counts = "".join(f"{_badge(v)}&nbsp;{n}" for v, n in c.verdict_counts(data.claims))
    rows = []
    for _, r in data.claims.iterrows():
        rows.append(
            f'<tr><td class="id">{escape(str(r["claim_id"]))}</td>'
            f'<td>{escape(c.text(r.get("text")))}<span class="scope">scope: {escape(c.claim_scope(r))}</span></td>'
            f'<td class="num">{escape(c.claimed_figure(r))}</td><td>{_badge(c.verdict_of(r))}</td>'
            f'<td>{escape(c.rationale_of(r))}</td><td class="evidence">{_evidence(r)}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("id", "claim", "claimed", "verdict", "rationale", "evidence"))
    return (f'<div class="counts">{counts}</div><table class="claims"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def summary_section(data: ReportData) -> str:
    if data.summary.empty:
        return _note(c.empty_note(data, "summary"))
    numeric = ("k", "n", "I² %", "RR k", "pooled proportion (95% CI)", "prediction interval", "RR DL (95% CI)")
    return _table(c.summary_table(data.summary), numeric=numeric)


def forest_section(data: ReportData, plots: list[Plot]) -> str:
    if not plots:
        return _note(c.empty_note(data, "forest"))
    figures = []
    for plot in plots:
        figures.append(f'<figure><img src="{_png(plot.png)}" alt="{escape(plot.title)}">'
                       f"<figcaption>{escape(plot.title)}. {escape(plot.caption)}</figcaption></figure>")
    return "".join(figures)


def _box(title: str, items: list[tuple[str, str, int]], side: bool = False) -> str:
    total = sum(n for _, _, n in items)
    lines = "".join(f"<li>{escape(src + (' · ' + reason if reason else ''))}: {n}</li>" for src, reason, n in items)
    return f'<div class="box{" side" if side else ""}"><b>{escape(title)}: {total}</b><ul>{lines}</ul></div>'


def _png(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def prisma_section(data: ReportData, diagram: bytes | None = None) -> str:
    if data.prisma.empty:
        return _note(c.empty_note(data, "prisma"))
    figure = ""
    if diagram is not None:
        figure = (f'<figure><img src="{_png(diagram)}" alt="PRISMA 2020 flow diagram">'
                  f"<figcaption>{escape(c.prisma_caption(data))}</figcaption></figure><h3>The counts as boxes</h3>")
    p = data.prisma
    boxes = [
        _box("Records identified", c.prisma_count(p, "identified")),
        _box("Records removed before screening", c.prisma_count(p, "removed_before_screening"), side=True),
        _box("Records screened", c.prisma_count(p, "screened")),
        _box("Records excluded", c.prisma_count(p, "excluded"), side=True),
        _box("Reports included", c.prisma_count(p, "included_reports")),
        _box("Included studies without a registry record",
             c.prisma_count(p, "studies_without_registry_record"), side=True),
        _box("Studies included", c.prisma_count(p, "included_studies")),
    ]
    return (f'{figure}<div class="prisma">{"".join(boxes)}</div>'
            f"<h3>Counts (marts.prisma_flow)</h3>{_table(c.prisma_table(p), numeric=('n',))}")


def studies_section(data: ReportData) -> str:
    if data.studies.empty:
        return _note(c.empty_note(data, "studies"))
    return _table(c.studies_table(data.studies), numeric=("enrolled",), css="studies")


def _list(lines: list[str]) -> str:
    return '<ul class="changes">' + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>"


def changes_section(data: ReportData) -> str:
    return "".join(f"<h3>{escape(title)}</h3>{_list(body)}" for title, body in c.living_sections(data))


def version_section(data: ReportData) -> str:
    return _list(c.version_lines(data))


def sensitivity_section(data: ReportData) -> str:
    table = c.sensitivity_table(data.sensitivity)
    numeric = ("k", "n (active)", "pooled proportion (95% CI)")
    return _list(c.sensitivity_lines(data)) + (_table(table, numeric=numeric) if table.rows else "")


def review_section(data: ReportData) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in c.review_lines(data))
    return f'<ul class="changes">{items}</ul>'


def header(data: ReportData) -> str:
    banner = ""
    if data.run is not None and data.run.offline:
        banner = ('<div class="banner">Bundled sample, not a live capture: this report was built from the '
                  "hand-made offline sample in examples/snapshot/. Do not cite its numbers.</div>")
    elif data.run is None:
        banner = '<div class="banner">No successful refresh is recorded: the tables below may be empty.</div>'
    source = c.claims_source(data)
    claims = f'<p class="meta">{escape(source)}</p>' if source else ""
    return (f"<h1>Ketamine evidence: trial data against the article's claims</h1>"
            f'<p class="meta">Generated {data.generated_at:%Y-%m-%d %H:%M} UTC · data as of '
            f"{escape(c.data_as_of(data))}</p>{claims}{banner}")


def render(data: ReportData, plots: list[Plot], diagram: bytes | None = None) -> str:
    """`diagram`: the PRISMA flow diagram PNG, embedded like the plots."""
    sections = [
        ("version", "Version of this living review", version_section(data)),
        ("claims", "Claims and verdicts", claims_section(data)),
        ("pooled", "Pooled estimates", summary_section(data)),
        ("sensitivity", "Sensitivity by definition", sensitivity_section(data)),
        ("forest", "Forest plots", forest_section(data, plots)),
        ("prisma", "PRISMA 2020 flow", prisma_section(data, diagram)),
        ("studies", "Study characteristics", studies_section(data)),
        ("review", "Review of extracted figures", review_section(data)),
        ("changes", c.changes_title(data), changes_section(data)),
    ]
    nav = " · ".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{escape(title)}</h2>{html}</section>' for key, title, html in sections)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Ketamine evidence report</title><style>{CSS}</style></head><body><main>"
            f"{header(data)}<p>{nav}</p>{body}<footer>{escape(FOOTER)}</footer></main></body></html>\n")


FOOTER = (
    "Every number comes from the DuckDB warehouse: claims and verdicts from marts.claims and marts.claim_check, "
    "pooled estimates from marts.evidence_summary (DerSimonian-Laird random effects; proportions on the logit "
    "scale), trial rows from core.outcome, PRISMA counts from marts.prisma_flow, study characteristics from "
    "marts.study_characteristics, changes from meta.summary_history, meta.verdict_history and raw.ctgov_study. "
    "Trial-level intervals in the plots are computed from the stored counts (Wilson for proportions)."
)
