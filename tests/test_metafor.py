"""The project's pooling against R's metafor itself (Rscript), to 1e-6 on the model scale.

The same data sets go through metafor (`tests/support/metafor_fit.R`: escalc, rma with DL, PM and REML,
test = "knha", predict with pi.type = "riley") and through the project: metafor's own `dat.bcg` (log RR,
log OR, logit of the vaccinated arms' proportions) and every pooled group of the bundled sample
(through the pooling functions, and as the numbers stored in marts.evidence_summary). Skipped only
where Rscript or metafor is missing; `.ci/run` sets KETAMINE_EVIDENCE_REQUIRE_TOOLS, so CI fails instead.
"""

from __future__ import annotations

import csv
import math
import subprocess
from pathlib import Path

import duckdb
import pytest
from scipy import special

from ketamine_evidence.transform.meta import METHODS, PoolResult, pool_proportions, pool_ratio
from tests.support.tools import rscript_with_metafor

TOL = 1e-6
FIT_SCRIPT = Path(__file__).parent / "support" / "metafor_fit.R"
MEASURES = ("RR", "OR", "PLO")
Counts = list[tuple[int, int, int, int]]  # events and total of arm 1, then of arm 0 (0, 0 for PLO)


def _dat_bcg(rscript: str, out: Path) -> Counts:
    path = out / "dat_bcg.csv"
    subprocess.run([rscript, "-e", f"write.csv(metadat::dat.bcg, '{path}', row.names = FALSE)"],
                   check=True, capture_output=True, timeout=120)
    with path.open(encoding="utf-8") as handle:
        return [(int(r["tpos"]), int(r["tpos"]) + int(r["tneg"]), int(r["cpos"]), int(r["cpos"]) + int(r["cneg"]))
                for r in csv.DictReader(handle)]


def _mart_groups(db: Path) -> dict[str, tuple[dict[str, object], Counts]]:
    """Each evidence_summary row with k >= 2, with the per-trial sums of the arm rows that entered it."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        source = "core.outcome_curated" if con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'core' and table_name = 'outcome_curated'"
        ).fetchall() == [(1,)] else "core.outcome"
        summary = con.sql("select * from marts.evidence_summary where k_trials >= 2").df()
        groups = {}
        for i, row in summary.iterrows():
            trials = con.execute(
                f"select study_key, sum(events) filter (where arm_role = 'active'),"
                f" sum(total) filter (where arm_role = 'active'), sum(events) filter (where arm_role = 'control'),"
                f" sum(total) filter (where arm_role = 'control') from {source}"
                " where list_contains(?, outcome_id) group by study_key order by study_key",
                [list(row["outcome_ids"])]).fetchall()
            counts = [(int(a), int(n1), int(c or 0), int(n0 or 0)) for _, a, n1, c, n0 in trials]
            groups[f"sample{i}"] = (row.to_dict(), counts)
        return groups
    finally:
        con.close()


def _ratio_trials(counts: Counts) -> Counts:
    """As the project pools RR and OR: trials with a control arm and an event in at least one arm."""
    return [t for t in counts if t[3] > 0 and t[0] + t[2] > 0]


def _write_input(path: Path, datasets: dict[str, Counts]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dataset", "measure", "study", "ai", "n1i", "ci", "n2i"])
        for name, counts in datasets.items():
            for measure in MEASURES:
                rows = [(a, n1, 0, 0) for a, n1, _, _ in counts] if measure == "PLO" else _ratio_trials(counts)
                if len(rows) >= 2:
                    writer.writerows([name, measure, j, *t] for j, t in enumerate(rows))


def _fit_with_metafor(rscript: str, tmp: Path, datasets: dict[str, Counts]) -> dict[tuple[str, str, str], dict]:
    _write_input(tmp / "in.csv", datasets)
    subprocess.run([rscript, str(FIT_SCRIPT), str(tmp / "in.csv"), str(tmp / "out.csv"), "tight"],
                   check=True, capture_output=True, timeout=600)
    with (tmp / "out.csv").open(encoding="utf-8") as handle:
        return {(r["dataset"], r["measure"], r["method"]): {k: _num(v) for k, v in r.items()} for r in
                csv.DictReader(handle)}


def _num(value: str) -> object:
    try:
        return float(value)
    except ValueError:
        return value


@pytest.fixture(scope="module")
def rscript() -> str:
    return rscript_with_metafor()


@pytest.fixture(scope="module")
def bcg_fits(rscript: str, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("metafor_bcg")
    datasets = {"bcg": _dat_bcg(rscript, tmp)}
    return datasets, _fit_with_metafor(rscript, tmp, datasets)


@pytest.fixture(scope="module")
def sample_fits(rscript: str, sample_db: Path, tmp_path_factory: pytest.TempPathFactory):
    groups = _mart_groups(sample_db)
    datasets = {name: counts for name, (_, counts) in groups.items()}
    return datasets, groups, _fit_with_metafor(rscript, tmp_path_factory.mktemp("metafor_sample"), datasets)


def _project(counts: Counts, measure: str, method: str, hk: bool) -> PoolResult:
    if measure == "PLO":
        return pool_proportions([t[0] for t in counts], [t[1] for t in counts], method, hartung_knapp=hk)
    trials = _ratio_trials(counts)
    e1, n1, e0, n0 = ([t[i] for t in trials] for i in range(4))
    return pool_ratio(e1, n1, e0, n0, measure=measure, method=method, hartung_knapp=hk)


def _scale(measure: str):
    return special.logit if measure == "PLO" else math.log


def _compare(ours: PoolResult, hk: PoolResult, ref: dict, measure: str) -> dict[str, float]:
    to_model = _scale(measure)
    pairs = {
        "estimate": (ours.log_estimate, ref["b"]), "se": (ours.se, ref["se"]),
        "ci_lower": (to_model(ours.ci_lower), ref["ci_lb"]), "ci_upper": (to_model(ours.ci_upper), ref["ci_ub"]),
        "hk_ci_lower": (to_model(hk.ci_lower), ref["hk_ci_lb"]),
        "hk_ci_upper": (to_model(hk.ci_upper), ref["hk_ci_ub"]),
        "tau2": (ours.tau2, ref["tau2"]),
    }
    if ref["k"] >= 3:
        pairs |= {"pi_lower": (to_model(ours.pi_lower), ref["pi_lb"]),
                  "pi_upper": (to_model(ours.pi_upper), ref["pi_ub"])}
    return {name: abs(a - b) for name, (a, b) in pairs.items()}


def differences(datasets: dict[str, Counts], reference: dict) -> dict[tuple[str, str, str, str], float]:
    """|project - metafor| per (data set, measure, method, quantity)."""
    found: dict[tuple[str, str, str, str], float] = {}
    for (name, measure, method), ref in reference.items():
        counts = datasets[name]
        diffs = _compare(_project(counts, measure, method, False), _project(counts, measure, method, True), ref,
                         measure)
        found |= {(name, measure, method, q): d for q, d in diffs.items()}
    return found


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("method", METHODS)
def test_dat_bcg_agrees_with_metafor(bcg_fits, method: str, measure: str) -> None:
    datasets, reference = bcg_fits
    diffs = {q: d for (_, m, meth, q), d in differences(datasets, reference).items() if (m, meth) == (measure, method)}
    assert diffs and max(diffs.values()) < TOL, diffs


def test_every_sample_group_agrees_with_metafor(sample_fits) -> None:
    datasets, _, reference = sample_fits
    assert {m for _, m, _ in reference} == set(MEASURES), "the sample has no group with k >= 2 for some measure"
    assert {key: d for key, d in differences(datasets, reference).items() if not d < TOL} == {}


MART_COLUMNS = {  # (measure, method) -> (estimate, ci, hk ci or None, pi, tau2) columns of evidence_summary
    ("PLO", "dl"): ("prop_estimate", "prop_ci", None, "prop_pi", "prop_tau2"),
    ("PLO", "reml"): ("prop_reml", "prop_reml_ci", None, "prop_reml_pi", "prop_tau2_reml"),
    **{(m.upper(), method): (f"{m}_{method}", f"{m}_{method}_ci", f"{m}_{method}_hk_ci",
                             f"{m}_pi" if method == "dl" else f"{m}_{method}_pi", f"{m}_tau2_{method}")
       for m in ("rr", "or") for method in METHODS},
}


def _mart_pairs(row: dict, columns: tuple, ref: dict, measure: str) -> list[tuple[float, float]]:
    est, ci, hk, pi, tau2 = columns
    to_model = _scale(measure)
    bounds = [(ci, "ci")] + ([(hk, "hk_ci")] if hk else []) + ([(pi, "pi")] if ref["k"] >= 3 else [])
    pairs = [(to_model(row[est]), ref["b"]), (row[tau2], ref["tau2"])]
    for column, name in bounds:
        pairs += [(to_model(row[f"{column}_lower"]), ref[f"{name}_lb"]),
                  (to_model(row[f"{column}_upper"]), ref[f"{name}_ub"])]
    return pairs


def test_the_stored_mart_agrees_with_metafor(sample_fits) -> None:
    _, groups, reference = sample_fits
    checked, bad = 0, dict[tuple[str, str, str, int], float]()
    for name, (row, _) in groups.items():
        for (measure, method), columns in MART_COLUMNS.items():
            ref = reference.get((name, measure, method))
            if ref is None:
                continue
            checked += 1
            pairs = _mart_pairs(row, columns, ref, measure)
            bad |= {(name, measure, method, j): abs(a - b) for j, (a, b) in enumerate(pairs) if not abs(a - b) < TOL}
    assert checked > 0 and not bad
