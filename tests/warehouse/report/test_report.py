"""The report end to end on the bundled sample, on empty marts, the Prefect summary, `claims`, and the
five example queries of the README."""

from __future__ import annotations

import re
from html import escape

import duckdb
import pytest

from ketamine_evidence.warehouse.build import contract
from ketamine_evidence.warehouse.report.writer import report_artifacts, write_report
from tests.conftest import ROOT

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    files = write_report(sample, out)
    return files, files.html.read_text(encoding="utf-8"), files.markdown.read_text(encoding="utf-8")


def test_html_contains_every_claim_with_its_verdict(sample, report) -> None:
    _, html, md = report
    claims = sample.execute("select claim_id, text from marts.claims order by claim_id").fetchall()
    verdicts = dict(sample.execute("select claim_id, verdict from marts.claim_check").fetchall())
    assert len(claims) >= 20
    for claim_id, text in claims:
        assert f">{claim_id}<" in html
        assert escape(text) in html
        assert claim_id in md
        assert f"v-{verdicts[claim_id]}" in html


def test_claim_evidence_is_traceable(sample, report) -> None:
    _, html, _ = report
    rows = sample.execute(
        "select trial_study_key, trial_locator, trial_span_text from marts.claim_check where trial_locator is not null"
    ).fetchall()
    assert rows
    for key, locator, span in rows:
        assert key in html
        assert escape(locator) in html
        if span:
            assert escape(span) in html


def test_numbers_come_from_the_marts(sample, report) -> None:
    _, html, _ = report
    for est, lo, hi in sample.execute(
        "select prop_estimate, prop_ci_lower, prop_ci_upper from marts.evidence_summary"
    ).fetchall():
        assert f"{100 * est:.1f}% ({100 * lo:.1f}%–{100 * hi:.1f}%)" in html
    for (n,) in sample.execute("select n from marts.prisma_flow where step = 'included_studies'").fetchall():
        assert f"Studies included: {n}" in html


def test_report_is_self_contained_with_plots(report) -> None:
    files, html, md = report
    assert files.plots, "the sample has pooled groups, so there are forest plots"
    names = {p.name for p in files.plots}
    assert "forest-response-induction-proportion.png" in names
    assert "forest-response-induction-rr.png" in names
    for plot in files.plots:
        assert plot.read_bytes().startswith(PNG_MAGIC)
        assert f"]({plot.name})" in md
    assert html.count('src="data:image/png;base64,') == len(files.plots) + 1  # and the PRISMA diagram
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "<script" not in html


def test_header_shows_the_run_and_the_sample_banner(report) -> None:
    _, html, md = report
    assert "run run-sample (offline mode" in html
    assert "Bundled sample, not a live capture" in html
    assert "Bundled sample, not a live capture" in md
    assert "First run (run-sample)" in html


def test_study_characteristics_one_row_per_included_study(sample, report) -> None:
    _, html, _ = report
    included = {
        r[0]
        for r in sample.execute(
            "select record_id from core.screening where record_type = 'study' and included"
            " union select 'PMID:' || record_id from core.screening"
            " where record_type = 'publication' and included and study_key like 'PMID:%'"
        ).fetchall()
    }
    rows = sample.execute("select study_key, acronym, main_pmid from marts.study_characteristics").fetchall()
    assert {r[0] for r in rows} == included
    assert len(rows) == len(included)
    assert "PMID:30922101" in included  # the sample's study known only from PubMed is listed too
    transform1 = next(r for r in rows if r[0] == "NCT02417064")
    assert transform1[1] == "TRANSFORM-1"
    for study_key, *_ in rows:
        assert study_key.removeprefix("PMID:") in html


def _empty_marts(con: duckdb.DuckDBPyConnection) -> None:
    from ketamine_evidence.warehouse.db import init_schemas

    init_schemas(con)
    con.execute("create schema marts")
    for name in ("claims", "claim_check", "evidence_summary"):
        con.execute(contract(f"marts.{name}").ddl())


def test_report_renders_for_empty_marts(tmp_path) -> None:
    con = duckdb.connect(":memory:")
    _empty_marts(con)
    files = write_report(con, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    assert files.plots == ()
    assert "No claims are in the warehouse." in html
    assert "marts.evidence_summary is empty" in html
    assert "marts.prisma_flow is not in this warehouse" in html
    assert "marts.study_characteristics is not in this warehouse" in html
    assert "No successful refresh is recorded" in html
    assert "marts.prisma_flow is not in this warehouse" in files.markdown.read_text(encoding="utf-8")


def test_report_renders_for_a_warehouse_without_marts(tmp_path) -> None:
    con = duckdb.connect(":memory:")
    files = write_report(con, tmp_path)
    assert "marts.claims, marts.claim_check is not in this warehouse" in files.html.read_text(encoding="utf-8")


def test_rerun_replaces_stale_plots(sample, tmp_path) -> None:
    (tmp_path / "forest-old-proportion.png").write_bytes(PNG_MAGIC)
    write_report(sample, tmp_path)
    assert not (tmp_path / "forest-old-proportion.png").exists()


def test_report_artifacts(sample) -> None:
    rows, md = report_artifacts(sample)
    count = sample.execute("select count(*) from marts.claim_check").fetchall()[0][0]
    assert len(rows) == count
    c01 = next(r for r in rows if r["claim_id"] == "C01")
    verdict = sample.execute("select verdict from marts.claim_check where claim_id = 'C01'").fetchall()[0][0]
    assert c01["verdict"] == verdict
    assert set(c01) == {"claim_id", "claimed", "scope", "verdict", "evidence", "rationale"}
    assert "## Verdicts" in md and "First run" in md


def test_report_command(sample_db, tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["report", "--db", str(sample_db), "--output", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").exists()
    assert (tmp_path / "r" / "report.md").exists()
    assert "report.html" in capsys.readouterr().out


def test_report_command_without_database_is_one_line(tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["report", "--db", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not exist yet" in err


def test_claims_command_with_verdicts(sample_db, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["claims", "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["id", "metric", "figure", "scope", "checkable", "verdict"]
    assert re.search(r"^C02\s+other\s+35 percent .* no\s+not_checkable$", out, re.M)


def test_claims_command_without_database(tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    assert main(["claims", "--db", str(tmp_path / "none.duckdb")]) == 2  # the claims, without the verdicts asked for
    out = capsys.readouterr().out
    assert "verdict" not in out.splitlines()[0]
    assert re.search(r"^C01\s+response\s+60-70 percent", out, re.M)


def test_claims_command_bad_claims_file_is_one_line(tmp_path, capsys) -> None:
    from ketamine_evidence.flows.cli import main

    bad = tmp_path / "claims.yaml"
    bad.write_text(
        "claims:\n  - id: X1\n    text: t\n    quote_hint: q\n    figure: 1\n    unit: percent\n    metric: speed\n",
        encoding="utf-8",
    )
    assert main(["claims", "--claims", str(bad), "--db", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "X1" in err and "speed" in err


def doc_queries() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Five example queries", 1)[1].split("### Running them", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_docs_have_five_queries() -> None:
    assert len(doc_queries()) == 5


@pytest.mark.parametrize("number", range(1, 6))
def test_doc_query_returns_rows(sample, number) -> None:
    frame = sample.sql(doc_queries()[number - 1]).df()
    assert len(frame) > 0


def test_doc_query_relapse_rows_carry_their_source(sample) -> None:
    frame = sample.sql(doc_queries()[0]).df()
    assert set(frame["outcome_kind"]) <= {"relapse", "time_to_relapse"}
    assert frame["evidence"].notna().all()
    assert "NCT02493868" in set(frame["study_key"])


def test_relapse_reduction_points_at_the_posted_analysis(sample) -> None:
    """C12 ("maintenance halves relapse") is judged on SUSTAIN-1's posted HR: its locator is that analysis."""
    verdict, locator, nct = sample.execute(
        "select verdict, trial_locator, trial_nct_id from marts.claim_check where claim_id = 'C12'"
    ).fetchall()[0]
    assert (verdict, nct) == ("misattributed", "NCT02493868")
    assert locator == "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].analyses[0]"


def test_claims_command_judges_another_claims_file(sample_db, tmp_path, capsys) -> None:
    """An edited C01 is judged now, not shown with the stored verdict of the bundled C01."""
    from ketamine_evidence.flows.cli import main

    edited = tmp_path / "claims.yaml"
    edited.write_text(
        "claims:\n  - id: C01\n    text: Ketamine helps 95% of people.\n    quote_hint: q\n"
        "    figure: 95\n    unit: percent\n    metric: response\n"
        "    scope: {drug: ketamine_class}\n    checkable: true\n",
        encoding="utf-8",
    )
    assert main(["claims", "--claims", str(edited), "--db", str(sample_db)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^C01\s+response\s+95 percent .* yes\s+overstated$", out, re.M), out
