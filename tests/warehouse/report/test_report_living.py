"""The report as a living-review version (PRISMA-LSR), its PRISMA 2020 flow diagram, and `claims_path`."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
import yaml

from ketamine_evidence.warehouse.report import content, prisma_diagram, queries
from ketamine_evidence.warehouse.report.writer import write_report
from tests.conftest import ROOT
from tests.flow_support import build_sample
from tests.warehouse.test_history import _changed_snapshot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The sample (version 1, offline) refreshed from a snapshot with one new trial (version 2)."""
    tmp = tmp_path_factory.mktemp("updated")
    db = tmp / "w.duckdb"
    build_sample(db, "run-a").close()
    build_sample(db, "run-b", snapshot=_changed_snapshot(tmp), started=datetime(2025, 2, 1)).close()
    return duckdb.connect(str(db), read_only=True)


def test_first_version_names_itself_its_trigger_and_search_dates(sample, tmp_path) -> None:
    md = write_report(sample, tmp_path).markdown.read_text(encoding="utf-8")
    assert "- This version: version 1 (run run-sample), 2025-01-01 00:05 UTC." in md
    assert "- Updates: nothing (the first version of the review)." in md
    assert "Triggered by: a rebuild from the bundled offline sample (offline mode" in md
    fetched = dict(sample.execute("select source, max(fetched_at) from meta.source_file group by source").fetchall())
    hits = dict(sample.execute("select source, sum(hits) from meta.search_log group by source").fetchall())
    for source, name in (("ctgov", "ClinicalTrials.gov"), ("pubmed", "PubMed")):
        assert f"Search: {name}: searched {fetched[source]:%Y-%m-%d} (run run-sample, {hits[source]} hits)" in md


def test_update_cites_the_version_it_updates_and_follows_lsr_items(updated, tmp_path) -> None:
    files = write_report(updated, tmp_path)
    md, html = files.markdown.read_text(encoding="utf-8"), files.html.read_text(encoding="utf-8")
    assert "- This version: version 2 (run run-b), 2025-02-01 00:05 UTC." in md
    assert "- Updates: version 1 (run run-a), 2025-01-01 00:05 UTC." in md
    assert "Triggered by: a replay of a recorded snapshot (snapshot mode" in md
    assert "## Living review: parameters and changes since version 1 (PRISMA-LSR items L1–L3)" in md
    for heading in ("### L1 Living mode parameters", "### L2 Changes to the methods since the preceding version",
                    "### L3 Changes to the results since the preceding version"):
        assert heading in md and f"<h3>{heading[4:]}</h3>" in html
    methods = md.split("### L2", 1)[1].split("### L3", 1)[0]
    assert "- Mode: offline → snapshot." in methods
    results = md.split("### L3", 1)[1]
    assert "Compared version 2 (run run-b) with the preceding version 1 (run run-a)." in results
    assert "New trials: NCT99999999." in results


def test_planned_schedule_is_the_deployment_schedule() -> None:
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    (weekly,) = [d for d in deployments if d["name"] == "weekly-refresh"]
    (schedule,) = weekly["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == ("0 6 * * 1", "Europe/London")
    assert content.PLANNED_SCHEDULE.startswith("weekly, Mondays 06:00 Europe/London")


def _prisma_total(con: duckdb.DuckDBPyConnection, step: str) -> int:
    return int(con.execute("select sum(n) from marts.prisma_flow where step = ?", [step]).fetchall()[0][0])


def test_first_version_diagram_has_the_marts_counts(sample, tmp_path) -> None:
    files = write_report(sample, tmp_path)
    assert files.prisma is not None and files.prisma == tmp_path / "prisma-flow.png"
    assert files.prisma.read_bytes().startswith(PNG_MAGIC)
    assert "![PRISMA 2020 flow diagram](prisma-flow.png)" in files.markdown.read_text(encoding="utf-8")
    counts = prisma_diagram.flow_counts(queries.load(sample))
    assert counts is not None and not counts.update
    assert counts.databases + counts.registers == _prisma_total(sample, "identified")
    assert counts.screened == _prisma_total(sample, "screened")
    assert sum(n for _, n in counts.excluded) == _prisma_total(sample, "excluded")
    assert (counts.reports, counts.studies) == (_prisma_total(sample, "included_reports"),
                                                 _prisma_total(sample, "included_studies"))
    keys = {node.key for node in prisma_diagram.diagram(counts).layout.nodes}
    assert "previous_studies" not in keys


def test_update_diagram_has_the_previous_studies_box(updated) -> None:
    counts = prisma_diagram.flow_counts(queries.load(updated))
    assert counts is not None and counts.update
    assert counts.previous_studies is not None and counts.previous_reports is not None
    first = updated.execute(
        "select count(distinct s.study_key) from core.screening as s where s.included and s.record_id <> 'NCT99999999'"
    ).fetchall()[0][0]
    assert counts.previous_studies == first
    assert (counts.registers, counts.databases) == (1, 0)  # only NCT99999999 is new in run-b
    assert counts.total_studies == _prisma_total(updated, "included_studies")
    assert counts.previous_studies + counts.studies == counts.total_studies
    reports = _prisma_total(updated, "included_reports")
    assert counts.previous_reports + counts.reports == counts.total_reports == reports
    keys = {node.key for node in prisma_diagram.diagram(counts).layout.nodes}
    assert {"previous_studies", "total_studies"} <= keys


def test_the_bundled_claims_file_judged_now_gives_the_stored_verdicts(sample) -> None:
    stored = queries.load(sample).claims
    judged = queries.load(sample, claims_path=str(ROOT / "transform" / "claims.yaml")).claims
    assert list(judged["claim_id"]) == list(stored["claim_id"])
    for column in ("verdict", "rationale", "pooled_k", "pooled_rows", "trial_locator"):
        assert judged[column].tolist() == stored[column].tolist(), column


def test_report_for_another_claims_file(sample, tmp_path) -> None:
    edited = tmp_path / "claims.yaml"
    edited.write_text(
        "claims:\n  - id: C01\n    text: Ketamine helps 95% of people.\n    quote_hint: q\n"
        "    figure: 95\n    unit: percent\n    metric: response\n"
        "    scope: {drug: ketamine_class}\n    checkable: true\n",
        encoding="utf-8",
    )
    files = write_report(sample, tmp_path / "out", claims_path=str(edited))
    html, md = files.html.read_text(encoding="utf-8"), files.markdown.read_text(encoding="utf-8")
    assert "Ketamine helps 95% of people." in html and "v-overstated" in html
    assert "C02" not in md.split("## Claims and verdicts", 1)[1].split("## Pooled estimates", 1)[0]
    assert f"Claims from {edited}, judged now" in md


def test_claims_file_without_a_warehouse_lists_claims_without_verdicts(tmp_path) -> None:
    con = duckdb.connect(":memory:")
    files = write_report(con, tmp_path, claims_path=str(ROOT / "transform" / "claims.yaml"))
    html = files.html.read_text(encoding="utf-8")
    assert ">C01<" in html and "not yet checked" in html
    assert "No claims are in the warehouse." not in html
    assert files.prisma is None and not (tmp_path / "prisma-flow.png").exists()


def test_another_claims_file_on_a_warehouse_without_study_inclusion_gives_no_verdicts_not_a_traceback(
        sample_db, tmp_path) -> None:
    """A warehouse built before core.study_inclusion existed: the claims are listed, unjudged."""
    import shutil

    from ketamine_evidence.transform.claims import load_claims
    from ketamine_evidence.warehouse.report.terminal import check_rows

    old = tmp_path / "old.duckdb"
    shutil.copy(sample_db, old)
    con = duckdb.connect(str(old))
    con.execute("drop table core.study_inclusion")
    assert check_rows(con, load_claims()) == {}
    missing: dict[str, str] = {}
    frame = queries.claims_from_file(con, ROOT / "transform" / "claims.yaml", missing)
    assert len(frame) == len(load_claims()) and "verdict" not in frame.columns
