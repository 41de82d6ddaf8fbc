"""Check the figures README.md quotes against what the current code builds from the bundled sample.

Builds the offline sample into a temporary warehouse (the refresh's plain steps, no Prefect), runs the
README's review worked example on a copy, then writes each figure as the README words it and looks
for that text in README.md. Exit 1 when a figure differs; the lines say which and what it is now.
`--screenshot` also rewrites docs/report-screenshot.png from the sample's report (headless Chromium).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

README = ROOT / "README.md"
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"
TRIAL_NAMES = {"NCT02493868": "SUSTAIN-1"}  # registry ids of trials the README names
# The review worked example of the README ("Worked example"): the rows it rejects, corrects and adds.
REJECT, CORRECT = "6039d8a9e31ae3a4", "3e849471d1b73d76"
ADDED = {"decision": "add", "pmid": "16894061", "outcome_kind": "response", "arm_label": "ketamine",
         "drug": "ketamine", "route": "IV", "arm_role": "active", "comparator_type": "placebo", "population": "trd",
         "events": "6", "total": "17", "timepoint_days": "7",
         "span_text": "In 35% of participants the response lasted at least 1 week"}
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")

Query = Callable[[str], list[tuple[object, ...]]]


def _query(db: Path) -> Query:
    import duckdb

    def run(sql: str) -> list[tuple[object, ...]]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return run


def _claim(q: Query, claim_id: str) -> dict[str, object]:
    cols = ("verdict", "pooled_estimate", "pooled_ci_lower", "pooled_ci_upper", "pooled_k", "pooled_rows",
            "pooled_rows_checked", "trial_nct_id")
    (row,) = q(f"select {', '.join(cols)} from marts.claim_check where claim_id = '{claim_id}'")
    return dict(zip(cols, row, strict=True))


def sample_figures(q: Query) -> dict[str, str]:
    """The sample's figures, by name, each in the README's words."""
    c01, c03, c12 = (_claim(q, c) for c in ("C01", "C03", "C12"))
    c09, c11, c28 = (_claim(q, c)["verdict"] for c in ("C09", "C11", "C28"))
    studies, articles = q("select (select count(*) from raw.ctgov_study), (select count(*) from raw.pubmed_article)")[0]
    both = f"**{c01['verdict']}**" if c28 == c01["verdict"] else f"**{c01['verdict']}** / **{c28}**"
    return {
        "sample records": f"{studies} registry records and {articles} PubMed records",
        "C01 and C28 verdict": f"(C01, and its restatement C28) is {both}",
        "C01 pooled response": (f"the pooled registry response is {c01['pooled_estimate']:.1f}% "
                                f"({c01['pooled_ci_lower']:.1f}-{c01['pooled_ci_upper']:.1f}; k={c01['pooled_k']})"),
        "C03 verdict": f'"64% response in TRD" (C03) is **{c03["verdict"]}**',
        "C12 verdict and trial": (f'"maintenance halves relapse" is **{c12["verdict"]}**: it matches '
                                  f"{TRIAL_NAMES.get(str(c12['trial_nct_id']), c12['trial_nct_id'])}'s HR"),
        "C09 and C11 verdicts": ('"52% remission after three infusions" and "relapse within 2–4 weeks" are '
                                 + (f"**{c09}**" if c09 == c11 else f"**{c09}** / **{c11}**")),
        "core.outcome rows": f"| outcome normalization | {q('select count(*) from core.outcome')[0][0]} rows in",
    }


def _apply_worked_example(db: Path, work: Path) -> None:
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import opened
    from ketamine_evidence.warehouse.review import apply_sheet
    from ketamine_evidence.warehouse.review_sheet import write_sheet

    sheet = work / "sheet.csv"
    with opened(db) as con:
        write_sheet(con, sheet, every_row=True)
        with sheet.open(newline="", encoding="utf-8") as src:
            rows = {row["outcome_id"]: row for row in csv.DictReader(src)}
        columns = list(next(iter(rows.values())))
        edited = [{**rows[REJECT], "decision": "reject"}, {**rows[CORRECT], "decision": "correct",
                                                           "proportion": "0.705882"},
                  {**dict.fromkeys(columns, ""), **ADDED}]
        with sheet.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(edited)
        apply_sheet(con, sheet, reviewer="ana")
        build(con)


def review_figures(before: Query, after: Query) -> dict[str, str]:
    """The review worked example's figures, in the README's words."""
    c01_0, c01_1 = _claim(before, "C01"), _claim(after, "C01")
    c03_0, c03_1 = _claim(before, "C03")["verdict"], _claim(after, "C03")["verdict"]
    pool = after("select prop_estimate, k_trials from marts.evidence_summary where drug = 'ketamine' and route = 'IV'"
                 " and outcome_kind = 'response' and time_window = 'first_week'")
    first_week = f"({float(str(pool[0][0])) * 100:.1f}%, k={pool[0][1]})" if pool else "(no such pool)"
    return {
        "review: C01 pooled and C03 verdict": (
            f"from {c01_0['pooled_estimate']:.1f}% (k={c01_0['pooled_k']})\nto {c01_1['pooled_estimate']:.1f}% "
            f"(k={c01_1['pooled_k']}, {c01_1['pooled_rows_checked']} of its {c01_1['pooled_rows']} rows checked), "
            f"turns C03 from `{c03_0}` to `{c03_1}`"),
        "review: first-week IV pool": f"first-week IV ketamine response pool {first_week}",
    }


def _normal(text: str) -> str:
    return " ".join(text.split())


def check(figures: dict[str, str], readme: str) -> list[str]:
    """One line per figure: `ok` when README.md says it (whitespace aside), else what the code gives now."""
    text = _normal(readme)
    return [f"{'ok      ' if _normal(words) in text else 'DIFFERS '} {name}: {_normal(words)}"
            for name, words in figures.items()]


def screenshot(db: Path, work: Path) -> Path:
    """The sample's report rendered by headless Chromium at 1280x2000, written to docs/report-screenshot.png."""
    from ketamine_evidence.warehouse.db import connect
    from ketamine_evidence.warehouse.report.writer import write_report

    browser = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if browser is None:
        raise SystemExit(f"no headless Chromium found ({', '.join(BROWSERS)}); "
                         "`apt-get install chromium-headless-shell`")
    con = connect(db, read_only=True)
    try:
        files = write_report(con, work / "report")
    finally:
        con.close()
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,2000", f"--screenshot={SCREENSHOT}", files.html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    return SCREENSHOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="examples/readme_figures.py", description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", action="store_true", help=f"also rewrite {SCREENSHOT.relative_to(ROOT)}")
    args = parser.parse_args(argv)

    from ketamine_evidence.flows.settings import RefreshOptions
    from ketamine_evidence.flows.steps import run_refresh

    with tempfile.TemporaryDirectory(prefix="readme-figures-") as tmp:
        work = Path(tmp)
        db, reviewed = work / "sample.duckdb", work / "reviewed.duckdb"
        run_refresh(RefreshOptions(db=str(db), mode="offline"), "run-readme")
        shutil.copy(db, reviewed)
        _apply_worked_example(reviewed, work)
        figures = {**sample_figures(_query(db)), **review_figures(_query(db), _query(reviewed))}
        lines = check(figures, README.read_text(encoding="utf-8"))
        if args.screenshot:
            lines.append(f"wrote {screenshot(db, work)}")
    print("\n".join(lines))
    return 1 if any(line.startswith("DIFFERS") for line in lines) else 0


if __name__ == "__main__":
    raise SystemExit(main())
