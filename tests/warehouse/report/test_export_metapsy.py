"""`export --format metapsy` on the bundled sample: the Metapsy data standard's columns in its order, counts
that are core.outcome's, multi-arm trials as one row per arm, and rows held for review left out (or, with
include_held, present and marked)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from shutil import which

import pandas as pd
import pytest

from ketamine_evidence.errors import ConfigError
from ketamine_evidence.warehouse.report.export import METAPSY_COLUMNS, export, instrument_ratings
from tests.conftest import ROOT
from tests.support.tools import missing

# checkDataFormat()'s default must.contain, "the Metapsy data standard" (metapsyTools R/checkDataFormat.R).
MUST_CONTAIN = ("study", "condition_arm1", "condition_arm2", "multi_arm1", "multi_arm2", "outcome_type",
                "instrument", "time", "time_weeks", "rating", "mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2",
                "n_arm1", "n_arm2", "event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2")
NUMERIC = ("time_weeks", "mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "n_arm1", "n_arm2", "event_arm1",
           "event_arm2", "totaln_arm1", "totaln_arm2")
# Held and not checked: such rows stay out of the pools.
HELD = "select outcome_id from core.outcome_curated where needs_review and not checked"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", na_values=["NA"], keep_default_na=False, dtype={"pmid": str})


@pytest.fixture(scope="module")
def exported(sample, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    [item] = export(sample, tmp_path_factory.mktemp("metapsy"), "metapsy")
    assert item.path.name == "metapsy.csv"
    frame = _read(item.path)
    assert item.rows == len(frame)
    return item.path, frame


@pytest.fixture(scope="module")
def with_held(sample, tmp_path_factory) -> pd.DataFrame:
    [item] = export(sample, tmp_path_factory.mktemp("metapsy-held"), "metapsy", include_held=True)
    return _read(item.path)


def _arm(sample, outcome_id: str) -> tuple[int, int]:
    return sample.execute("select events, total from core.outcome where outcome_id = ?", [outcome_id]).fetchall()[0]


def test_columns_are_the_standard_in_its_order(exported) -> None:
    path, _ = exported
    header = path.read_text(encoding="utf-8").splitlines()[0].split(";")
    assert tuple(header) == METAPSY_COLUMNS
    positions = [header.index(c) for c in MUST_CONTAIN]
    assert positions == sorted(positions), "checkDataFormat's columns keep the standard's order"
    assert header[: len(MUST_CONTAIN[:10])] == list(MUST_CONTAIN[:10]), "the study design variables come first"
    assert all(c == c.lower() and c[0].isalpha() and c not in ("subset", "exclude") for c in header)


def test_file_follows_the_standard_csv_rules(exported) -> None:
    path, frame = exported
    text = path.read_text(encoding="utf-8")
    width = len(METAPSY_COLUMNS)
    assert all(line.count(";") == width - 1 for line in text.splitlines()), "no semicolon inside a cell"
    assert ";NA;" in text
    assert set(frame["time"]) == {"post"}
    assert frame["mean_arm1"].isna().all() and frame["precalc_log_rr"].isna().all()
    assert (frame["time_weeks"] == (frame["timepoint_days"] / 7).round(2)).all()
    assert ",0;" in text, "decimals are written with a comma"


def test_counts_are_core_outcome_rows(sample, exported) -> None:
    _, frame = exported
    assert len(frame) >= 5
    for _, row in frame.iterrows():
        assert (row["event_arm1"], row["totaln_arm1"]) == _arm(sample, row["outcome_id_arm1"])
        assert (row["event_arm2"], row["totaln_arm2"]) == _arm(sample, row["outcome_id_arm2"])
    single = frame[(frame["nct_id"] == "NCT02418585") & (frame["outcome_type"] == "response")]
    assert len(single) == 1
    row = single.iloc[0]
    mart_ids = sample.execute(
        "select unnest(outcome_ids) from marts.evidence_summary where outcome_kind = 'response' "
        "and time_window = 'induction' and drug = 'esketamine'").fetchall()
    assert {row["outcome_id_arm1"], row["outcome_id_arm2"]} <= {i for (i,) in mart_ids}
    assert row["condition_arm1"] == "esketamine" and row["study_key"] == "NCT02418585"
    assert row["instrument"] == "MADRS" and row["rating"] == "clinician" and row["time_weeks"] == 4


def test_rows_are_the_pooled_readings_of_controlled_trials(sample, exported) -> None:
    _, frame = exported
    expected = sample.execute(
        "with ids as (select unnest(outcome_ids) as outcome_id from marts.evidence_summary), "
        "arms as (select o.study_key, o.outcome_kind, o.arm_role, o.outcome_id from ids "
        "join core.outcome_curated as o using (outcome_id)) "
        "select outcome_id from arms where (study_key, outcome_kind) in "
        "(select study_key, outcome_kind from arms where arm_role = 'control')").fetchall()
    exported_ids = set(frame["outcome_id_arm1"]) | set(frame["outcome_id_arm2"])
    assert exported_ids == {i for (i,) in expected}


def test_study_is_first_author_and_year(sample, exported) -> None:
    _, frame = exported
    for _, row in frame.drop_duplicates("study_key").iterrows():
        author, year = sample.execute(
            "select first_author, pub_year from marts.study_characteristics as s join core.publication as p "
            "on p.pmid = s.main_pmid where s.study_key = ?", [row["study_key"]]).fetchall()[0]
        assert row["study"] == f"{author.split()[0]}, {year}"
    assert frame.groupby("study")["study_key"].nunique().max() == 1


def test_multi_arm_trial_gives_one_row_per_dose(sample, exported) -> None:
    _, frame = exported
    doses = sample.execute(
        "select count(distinct dose) from core.outcome_curated where nct_id = 'NCT02417064' "
        "and arm_role = 'active' and source = 'registry'").fetchall()[0][0]
    assert doses == 2
    for _, rows in frame[frame["nct_id"] == "NCT02417064"].groupby("outcome_type"):
        assert len(rows) == doses
        assert rows["multi_arm1"].nunique() == doses and set(rows["multi_arm1"]) == set(rows["dose_arm1"])
        assert rows["multi_arm2"].nunique() == 1 and rows["outcome_id_arm2"].nunique() == 1
    others = frame[frame["nct_id"] != "NCT02417064"]
    assert others["multi_arm1"].isna().all() and others["multi_arm2"].isna().all()


def test_held_rows_are_left_out_unless_asked_for(sample, exported, with_held) -> None:
    _, frame = exported
    held = {i for (i,) in sample.execute(HELD).fetchall()}
    assert held, "the sample holds rows for review"
    assert not (set(frame["outcome_id_arm1"]) | set(frame["outcome_id_arm2"])) & held
    assert set(frame["needs_review"]) == {False}
    marked = with_held[with_held["needs_review"]]
    assert len(marked) >= 1 and len(with_held) == len(frame) + len(marked)
    for _, row in with_held.iterrows():
        rests_on_held = bool({row["outcome_id_arm1"], row["outcome_id_arm2"]} & held)
        assert row["needs_review"] == rests_on_held
    order = ["outcome_id_arm1", "outcome_id_arm2"]
    plain = with_held[~with_held["needs_review"]].sort_values(order, ignore_index=True)
    pd.testing.assert_frame_equal(plain, frame.sort_values(order, ignore_index=True), check_dtype=False)


def test_every_instrument_has_a_rating() -> None:
    instruments = set(pd.read_csv(ROOT / "transform" / "outcomes" / "data" / "instruments.csv")["instrument"])
    ratings = instrument_ratings()
    assert instruments <= set(ratings)
    assert set(ratings.values()) == {"clinician", "self-report"}


R_READ = """
x <- read.csv2(commandArgs(TRUE)[1], stringsAsFactors = FALSE)
cat(paste(names(x), collapse = ","), "\\n")
cat(sprintf("%s|%s|%s|%s\\n", x$study_key, x$outcome_id_arm1, x$time_weeks, x$event_arm1), sep = "")
"""


def test_r_reads_the_file_as_the_standard_writes_it(with_held, tmp_path, sample) -> None:
    rscript = which("Rscript")
    if rscript is None:
        missing("Rscript is not installed")
    [item] = export(sample, tmp_path, "metapsy", include_held=True)
    result = subprocess.run([rscript, "-e", R_READ, str(item.path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    names, *lines = result.stdout.strip().splitlines()
    assert tuple(n.strip() for n in names.split(",")) == METAPSY_COLUMNS
    read = {tuple(line.split("|")[:2]): line.split("|")[2:] for line in lines}
    assert len(read) == len(with_held)
    for _, row in with_held.iterrows():
        weeks, events = read[(row["study_key"], row["outcome_id_arm1"])]
        assert events == str(row["event_arm1"])
        assert weeks == "NA" if pd.isna(row["time_weeks"]) else float(weeks) == pytest.approx(row["time_weeks"])
    assert any(float(w) % 1 for w, _ in read.values() if w != "NA"), "a fractional week survives decimal commas"


@pytest.mark.parametrize("fmt", ["metapsy", "revman"])
def test_a_warehouse_without_marts_is_a_one_line_error(con, tmp_path, fmt) -> None:
    with pytest.raises(ConfigError) as caught:
        export(con, tmp_path, fmt)
    assert str(caught.value) == (
        f"cannot export {fmt}: marts.evidence_summary, core.outcome_curated, core.study are not in this warehouse "
        "(run `ketamine-evidence refresh`)")
