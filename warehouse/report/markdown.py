"""The Markdown report: the same sections as the HTML, plots as relative links to the PNG files."""

from __future__ import annotations

from ketamine_evidence.warehouse.report import content as c
from ketamine_evidence.warehouse.report.plots import Plot
from ketamine_evidence.warehouse.report.queries import ReportData


def cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def table(t: c.Table) -> str:
    lines = ["| " + " | ".join(map(cell, t.columns)) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in t.rows]
    return "\n".join(lines)


def header(data: ReportData) -> list[str]:
    lines = ["# Ketamine evidence: trial data against the article's claims", "",
             f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC · data as of {c.data_as_of(data)}", ""]
    if data.run is not None and data.run.offline:
        lines += ["> **Bundled sample, not a live capture**: built from the hand-made offline sample in "
                  "examples/snapshot/. Do not cite its numbers.", ""]
    if source := c.claims_source(data):
        lines += [f"_{source}_", ""]
    return lines


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def living_review(data: ReportData) -> str:
    parts = [f"### {title}\n\n{_bullets(body)}" for title, body in c.living_sections(data)]
    return "\n\n".join(parts)


def sensitivity(data: ReportData) -> str:
    table_text = c.sensitivity_table(data.sensitivity)
    body = _bullets(c.sensitivity_lines(data))
    return body + ("\n\n" + table(table_text) if table_text.rows else "")


def prisma(data: ReportData, diagram: str | None) -> str:
    counts = table(c.prisma_table(data.prisma))
    if diagram is None:
        return counts
    return f"![PRISMA 2020 flow diagram]({diagram})\n\n_{c.prisma_caption(data)}_\n\n{counts}"


def verdict_summary(data: ReportData) -> str:
    counts = c.verdict_counts(data.claims)
    return ", ".join(f"{v.replace('_', ' ')} {n}" for v, n in counts) or "no claims"


def _section(title: str, body: str) -> list[str]:
    return [f"## {title}", "", body, ""]


def _or_note(data: ReportData, section: str, frame_empty: bool, body: str) -> str:
    return f"_{c.empty_note(data, section)}_" if frame_empty else body


def plots_markdown(plots: list[Plot]) -> str:
    return "\n\n".join(f"![{p.title}]({p.filename})\n\n_{p.title}. {p.caption}_" for p in plots)


def render(data: ReportData, plots: list[Plot], diagram: str | None = None) -> str:
    """`diagram`: file name of the PRISMA flow diagram PNG beside report.md, if one was drawn."""
    lines = header(data)
    lines += _section("Version of this living review", _bullets(c.version_lines(data)))
    claims = _or_note(data, "claims", data.claims.empty,
                      f"Verdicts: {verdict_summary(data)}.\n\n" + table(c.claims_table(data.claims)))
    lines += _section("Claims and verdicts", claims)
    lines += _section("Pooled estimates", _or_note(data, "summary", data.summary.empty,
                                                   table(c.summary_table(data.summary))))
    lines += _section("Sensitivity by definition", sensitivity(data))
    lines += _section("Forest plots", _or_note(data, "forest", not plots, plots_markdown(plots)))
    lines += _section("PRISMA 2020 flow", _or_note(data, "prisma", data.prisma.empty, prisma(data, diagram)))
    lines += _section("Study characteristics", _or_note(data, "studies", data.studies.empty,
                                                        table(c.studies_table(data.studies))))
    lines += _section("Review of extracted figures", "\n".join(f"- {line}" for line in c.review_lines(data)))
    lines += _section(c.changes_title(data), living_review(data))
    return "\n".join(lines)
