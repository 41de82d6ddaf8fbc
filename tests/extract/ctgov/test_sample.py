"""Checks on the hand-built ClinicalTrials.gov half of the offline sample.

The sample lives in ``examples/snapshot/ctgov/NCTxxxxxxxx.json`` (API v2 single-study shape).
These tests hold it to the real records under ``../shared/data/raw``:

* every file parses and is named after its own ``nctId``;
* every key name occurs in a real API v2 record (aact-spec) or a real ``outcomeMeasures`` array
  (meta-harness ctgov_results), so the sample cannot drift into an invented schema;
* no sample file is a byte copy of a shared file;
* every posted number in a sample ``resultsSection`` equals the number at the same
  class/category/group of the shared measure with the same title;
* every row of ``examples/snapshot/expected/registry.csv`` points at a value that exists.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import RAW, SHARED
from tests.conftest import ROOT as REPO

AACT_JSON = RAW / "aact-spec" / "json_data"
CTGOV_RESULTS = RAW / "meta-harness" / "esketamine-trd-madrs" / "ctgov_results"
SAMPLE_DIR = REPO / "examples" / "snapshot" / "ctgov"
REGISTRY_CSV = REPO / "examples" / "snapshot" / "expected" / "registry.csv"

NUMERIC_MEASUREMENT_KEYS = ("value", "spread", "lowerLimit", "upperLimit")
NUMERIC_ANALYSIS_KEYS = (
    "paramValue",
    "ciLowerLimit",
    "ciUpperLimit",
    "ciPctValue",
    "pValue",
    "dispersionValue",
    "paramType",
    "statisticalMethod",
    "ciNumSides",
)
OUTCOME_KINDS = {"response", "remission", "relapse", "time_to_relapse"}
EFFECT_TYPES = {"HR", "OR", "RR", "RD"}

needs_shared = pytest.mark.skipif(
    not (AACT_JSON.is_dir() and CTGOV_RESULTS.is_dir()),
    reason=f"shared reference data not found at {SHARED} (expected ../shared beside the project)",
)


def _sample_files() -> list[Path]:
    return sorted(SAMPLE_DIR.glob("NCT*.json"))


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _keys(obj, out: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for key, val in obj.items():
            out.add(key)
            _keys(val, out)
    elif isinstance(obj, list):
        for item in obj:
            _keys(item, out)
    return out


@pytest.fixture(scope="module")
def allowed_keys() -> set[str]:
    """Key names used by real API v2 study objects and real outcomeMeasures arrays."""
    keys: set[str] = set()
    v2_files = 0
    for path in sorted(AACT_JSON.glob("*.json")):
        doc = _load(path)
        # Only API v2 single-study objects; the legacy v1 ``FullStudiesResponse`` files use other names.
        if isinstance(doc, dict) and "protocolSection" in doc:
            _keys(doc, keys)
            v2_files += 1
    for path in sorted(CTGOV_RESULTS.glob("*.json")):
        _keys(_load(path), keys)
    assert v2_files >= 5, "expected several API v2 study objects in aact-spec/json_data"
    return keys


@pytest.fixture(scope="module")
def shared_hashes() -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in RAW.rglob("*") if p.is_file()}


def _outcome_measures(study: dict) -> list[dict]:
    return study.get("resultsSection", {}).get("outcomeMeasuresModule", {}).get("outcomeMeasures", [])


def test_sample_directory_is_populated():
    files = _sample_files()
    assert len(files) >= 8, f"expected the bundled sample in {SAMPLE_DIR}"
    assert not [p.name for p in SAMPLE_DIR.iterdir() if p.suffix != ".json"], "only NCT*.json files belong here"


@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.stem)
def test_file_parses_and_is_named_after_its_nct_id(path: Path):
    study = _load(path)
    assert re.fullmatch(r"NCT\d{8}", path.stem)
    assert isinstance(study, dict)
    assert study["protocolSection"]["identificationModule"]["nctId"] == path.stem
    assert set(study) <= {"protocolSection", "resultsSection", "derivedSection", "hasResults"}
    if "resultsSection" in study:
        assert study.get("hasResults") is True, "a study with a resultsSection must say hasResults: true"


@needs_shared
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.stem)
def test_only_real_api_v2_key_names(path: Path, allowed_keys: set[str]):
    unknown = _keys(_load(path), set()) - allowed_keys
    assert not unknown, f"{path.name} uses key names absent from the real records: {sorted(unknown)}"


@needs_shared
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.stem)
def test_not_a_byte_copy_of_a_shared_file(path: Path, shared_hashes: set[str]):
    assert hashlib.sha256(path.read_bytes()).hexdigest() not in shared_hashes


def _results_samples() -> list[Path]:
    return [p for p in _sample_files() if _outcome_measures(_load(p))]


@needs_shared
@pytest.mark.parametrize("path", _results_samples(), ids=lambda p: p.stem)
def test_posted_numbers_match_the_shared_registry_results(path: Path):
    source = CTGOV_RESULTS / path.name
    assert source.is_file(), f"{path.name} has a resultsSection but no shared ctgov_results file to check against"
    by_title = {m["title"]: m for m in _load(source)}
    for measure in _outcome_measures(_load(path)):
        title = measure["title"]
        assert title in by_title, f"{path.stem}: measure not in the shared results: {title!r}"
        ref = by_title[title]
        for key in ("type", "timeFrame", "paramType", "unitOfMeasure", "dispersionType"):
            assert measure.get(key) == ref.get(key), f"{path.stem} {title!r}: {key} differs"
        assert [g["id"] for g in measure["groups"]] == [g["id"] for g in ref["groups"]]
        assert [g["title"] for g in measure["groups"]] == [g["title"] for g in ref["groups"]]
        assert measure["denoms"] == ref["denoms"], f"{path.stem} {title!r}: denominators differ"
        assert len(measure["classes"]) == len(ref["classes"])
        for cls, ref_cls in zip(measure["classes"], ref["classes"], strict=True):
            assert cls.get("title") == ref_cls.get("title")
            assert cls.get("denoms") == ref_cls.get("denoms")
            assert len(cls["categories"]) == len(ref_cls["categories"])
            for cat, ref_cat in zip(cls["categories"], ref_cls["categories"], strict=True):
                assert cat.get("title") == ref_cat.get("title")
                ref_by_group = {m["groupId"]: m for m in ref_cat["measurements"]}
                assert [m["groupId"] for m in cat["measurements"]] == list(ref_by_group)
                for meas in cat["measurements"]:
                    for key in NUMERIC_MEASUREMENT_KEYS:
                        assert meas.get(key) == ref_by_group[meas["groupId"]].get(key), (
                            f"{path.stem} {title!r} {meas['groupId']}: {key} differs"
                        )
                        if key in meas:
                            assert isinstance(meas[key], str), "result values are strings in API v2"
        analyses, ref_analyses = measure.get("analyses", []), ref.get("analyses", [])
        assert len(analyses) == len(ref_analyses)
        for ana, ref_ana in zip(analyses, ref_analyses, strict=True):
            assert ana["groupIds"] == ref_ana["groupIds"]
            for key in NUMERIC_ANALYSIS_KEYS:
                assert ana.get(key) == ref_ana.get(key), f"{path.stem} {title!r}: analysis {key} differs"


def _resolve(doc, dotted: str):
    node = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


def _registry_rows() -> list[dict]:
    with REGISTRY_CSV.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_registry_csv_rows_point_at_real_sample_values():
    rows = _registry_rows()
    assert rows, "registry.csv is empty"
    for row in rows:
        assert row["outcome_kind"] in OUTCOME_KINDS
        study = _load(SAMPLE_DIR / f"{row['nct_id']}.json")
        node = _resolve(study, row["json_path"])
        if row["effect_type"]:
            assert row["effect_type"] in EFFECT_TYPES and not row["group_id"]
            assert node["paramValue"] == row["effect"]
            assert node["ciLowerLimit"] == row["ci_lower"] and node["ciUpperLimit"] == row["ci_upper"]
            continue
        assert row["arm_role"] in {"active", "control"}
        assert node["groupId"] == row["group_id"]
        assert float(node["value"]) == float(row["rate_pct"])
        measure = _resolve(study, row["json_path"].split(".classes[")[0])
        denom = {c["groupId"]: c["value"] for c in measure["denoms"][0]["counts"]}
        assert denom[row["group_id"]] == row["total"]
        events, total = int(row["events"]), int(row["total"])
        # Events are derived from the posted percentage: they must reproduce it to the posted precision.
        assert abs(100 * events / total - float(row["rate_pct"])) < 0.05 + 1e-9
