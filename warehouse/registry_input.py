"""The registry normalizer's input (transform.outcomes.RegistryStudy), read from the long core tables.

`registry_studies(con)` runs one query per core table (no per-study queries) and groups the rows with
`group_registry_rows`, a pure function. `registry_study_from_json` builds the same input from one API v2
study without a database (flatten_study, then the core models' renames), for tests.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from ketamine_evidence.extract.ctgov.parse import flatten_study
from ketamine_evidence.transform.outcomes.registry import RegistryMeasure, RegistryStudy

Record = Mapping[str, Any]

# Each core table the input is read from, in the order the normalizer walks it.
QUERIES = {
    "study": "select nct_id, brief_title, official_title, brief_summary from core.study order by nct_id",
    "condition": "select nct_id, name from core.condition where kind = 'condition' order by nct_id, idx",
    "intervention": "select nct_id, name from core.intervention order by nct_id, intervention_idx",
    "flow_milestone": "select nct_id, period_idx, milestone_idx, milestone_type, achievement_idx, group_id,"
    " group_title, num_subjects_raw from core.flow_milestone"
    " order by nct_id, period_idx, milestone_idx, achievement_idx",
    "outcome_measure": "select nct_id, outcome_idx, outcome_type, title, description, time_frame,"
    " population_description, param_type, unit_of_measure from core.outcome_measure order by nct_id, outcome_idx",
    "result_group": "select nct_id, outcome_idx, group_id, title, description from core.result_group"
    " order by nct_id, outcome_idx, group_id",
    "outcome_denom": "select nct_id, outcome_idx, class_idx, denom_idx, group_id, units, count_raw"
    " from core.outcome_denom order by nct_id, outcome_idx, class_idx nulls first, denom_idx, group_id",
    "outcome_measurement": "select nct_id, outcome_idx, class_idx, category_idx, measurement_idx, group_id,"
    " class_title, category_title, value_raw, spread_raw, lower_limit_raw, upper_limit_raw"
    " from core.outcome_measurement order by nct_id, outcome_idx, class_idx, category_idx, measurement_idx",
    "outcome_analysis": "select nct_id, outcome_idx, analysis_idx, group_ids, param_type, param_value_raw,"
    " ci_lower_raw, ci_upper_raw, p_value_raw from core.outcome_analysis order by nct_id, outcome_idx, analysis_idx",
}
READS = tuple(f"core.{table}" for table in QUERIES)
_PER_MEASURE = ("result_group", "outcome_denom", "outcome_measurement", "outcome_analysis")


def registry_studies(con: duckdb.DuckDBPyConnection) -> list[RegistryStudy]:
    """Every study of core.study with its conditions, interventions, participant flow and posted measures."""
    return group_registry_rows({table: _fetch(con, sql) for table, sql in QUERIES.items()})


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def group_registry_rows(tables: Mapping[str, Iterable[Record]]) -> list[RegistryStudy]:
    """RegistryStudy per core.study row, from rows shaped like the core tables (keys of QUERIES), each table
    already in its QUERIES order."""
    by_study: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for table in ("condition", "intervention", "flow_milestone", "outcome_measure"):
        for row in tables.get(table, ()):
            by_study[str(row["nct_id"])][table].append(row)
    by_measure: dict[tuple[str, Any], dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for table in _PER_MEASURE:
        for row in tables.get(table, ()):
            by_measure[(str(row["nct_id"]), row["outcome_idx"])][table].append(row)
    studies = []
    for study in tables.get("study", ()):
        nct_id = str(study["nct_id"])
        rows = by_study.get(nct_id, {})
        measures = tuple(
            _measure(measure, by_measure.get((nct_id, measure["outcome_idx"]), {}))
            for measure in rows.get("outcome_measure", [])
        )
        studies.append(
            RegistryStudy(
                nct_id=nct_id,
                brief_title=study.get("brief_title"),
                official_title=study.get("official_title"),
                brief_summary=study.get("brief_summary"),
                conditions=tuple(str(c["name"]) for c in rows.get("condition", []) if c.get("name") is not None),
                intervention_names=tuple(i.get("name") for i in rows.get("intervention", [])),
                flow=tuple(rows.get("flow_milestone", [])),
                measures=measures,
            )
        )
    return studies


def _measure(measure: Record, parts: Mapping[str, list[Record]]) -> RegistryMeasure:
    return RegistryMeasure(
        measure=measure,
        groups=tuple(parts.get("result_group", [])),
        denoms=tuple(parts.get("outcome_denom", [])),
        measurements=tuple(parts.get("outcome_measurement", [])),
        analyses=tuple(parts.get("outcome_analysis", [])),
    )


# staging column -> core column, where the core models rename (warehouse/sql/core/*.sql).
_RENAMES = {
    "ctgov_outcome_measure": {"type": "outcome_type"},
    "ctgov_outcome_denom": {"value": "count_raw"},
    "ctgov_outcome_measurement": {
        "value": "value_raw",
        "spread": "spread_raw",
        "lower_limit": "lower_limit_raw",
        "upper_limit": "upper_limit_raw",
    },
    "ctgov_outcome_analysis": {
        "param_value": "param_value_raw",
        "ci_lower_limit": "ci_lower_raw",
        "ci_upper_limit": "ci_upper_raw",
        "p_value": "p_value_raw",
    },
    "ctgov_flow_milestone": {"num_subjects": "num_subjects_raw"},
}
_SORT = {
    "outcome_denom": lambda r: (r["outcome_idx"], r["class_idx"] is not None, r["class_idx"] or 0, r["denom_idx"]),
    "outcome_measurement": lambda r: (r["outcome_idx"], r["class_idx"], r["category_idx"], r["measurement_idx"]),
}


def registry_study_from_json(study: Mapping[str, Any]) -> RegistryStudy:
    """The normalizer's input for one API v2 study object, without a database (same rows as the core tables)."""
    flat = flatten_study(dict(study))
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, rows in flat.items():
        renames = _RENAMES.get(name, {})
        tables[name.removeprefix("ctgov_")] = [{renames.get(k, k): v for k, v in row.items()} for row in rows]
    for row in tables["outcome_analysis"]:
        row["group_ids"] = json.loads(row["group_ids"]) if row.get("group_ids") else None
    tables["condition"] = [r for r in tables["condition"] if r["kind"] == "condition"]
    tables["result_group"] = sorted(tables["result_group"], key=lambda r: (r["outcome_idx"], str(r["group_id"])))
    for name, key in _SORT.items():
        tables[name] = sorted(tables[name], key=key)
    return group_registry_rows(tables)[0]
