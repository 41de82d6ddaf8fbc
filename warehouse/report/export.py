"""`ketamine-evidence export`: the warehouse as files other tools read.

* `csv`, `parquet`: every marts table and view, plus core.outcome and core.screening, one file each
  (named `<schema>.<table>.<ext>`).
* `metapsy`: `metapsy.csv`, one row per trial-arm comparison (a ketamine-class arm vs a control arm
  of the same trial, per pooled group's chosen reading) in the Metapsy data standard
  (docs.metapsy.org/data-preparation/format): its columns in its order, then our source columns;
  semicolon-separated with decimal commas, missing values `NA`, as the standard's files are.
* `revman`: `revman.csv`, one row per trial per comparison x outcome (the trial's active arms summed,
  its control arms summed, as the pools combine them): Study ID with experimental and control
  events and totals, under RevMan's comparison > outcome hierarchy.

The comparisons come from warehouse.report.comparisons; rows held for review are left out unless
`include_held` is set, and then carry `needs_review` TRUE.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ketamine_evidence.errors import ConfigError

if TYPE_CHECKING:
    from ketamine_evidence.warehouse.report.comparisons import Group

TABLE_FORMATS = ("csv", "parquet")
FORMATS = (*TABLE_FORMATS, "metapsy", "revman")
EXTRA_TABLES = ("core.outcome", "core.screening")

# Metapsy data standard, "Standard Variables": I. study design, II. effect size data (a) to (e).
METAPSY_DESIGN = ("study", "condition_arm1", "condition_arm2", "multi_arm1", "multi_arm2", "outcome_type",
                  "instrument", "time", "time_weeks", "rating")
METAPSY_EFFECT = ("mean_arm1", "mean_arm2", "sd_arm1", "sd_arm2", "n_arm1", "n_arm2",
                  "mean_change_arm1", "mean_change_arm2", "sd_change_arm1", "sd_change_arm2", "n_change_arm1",
                  "n_change_arm2", "event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2",
                  "precalc_g", "precalc_g_se", "precalc_log_rr", "precalc_log_rr_se")
METAPSY_SOURCE = ("study_key", "nct_id", "pmid", "source", "outcome_id_arm1", "outcome_id_arm2", "route",
                  "dose_arm1", "population", "comparator_type", "time_window", "timepoint_days", "threshold",
                  "operator", "analysis_subset", "needs_review", "checked")
METAPSY_COLUMNS = (*METAPSY_DESIGN, *METAPSY_EFFECT, *METAPSY_SOURCE)
METAPSY_FILE = "metapsy.csv"

REVMAN_COLUMNS = ("Comparison number", "Comparison", "Outcome number", "Outcome", "Experimental intervention",
                  "Control intervention", "Study ID", "Experimental events", "Experimental total",
                  "Control events", "Control total", "NCT ID", "PMID", "Outcome IDs", "Needs review")
REVMAN_FILE = "revman.csv"


@dataclass(frozen=True)
class Exported:
    table: str
    path: Path
    rows: int


def export_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """marts.* (tables and views) in name order, then core.outcome and core.screening when present."""
    found = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'core') order by table_schema desc, table_name").fetchall()
    names = [n for (n,) in found]
    return [n for n in names if n.startswith("marts.")] + [t for t in EXTRA_TABLES if t in names]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt


def export(con: duckdb.DuckDBPyConnection, output: Path | str, fmt: str,
           include_held: bool = False) -> list[Exported]:
    """Write the format's files into `output`; returns what was written with its row count.
    `include_held` only applies to metapsy and revman."""
    check_format(fmt)
    if fmt in TABLE_FORMATS:
        return _export_tables(con, _directory(output), fmt)
    # the comparisons read the pooling code (statistics libraries): loaded only for these formats
    from ketamine_evidence.warehouse.report import comparisons

    try:
        arms = comparisons.arm_rows(con, include_held)
    except comparisons.MissingTables as exc:
        raise ConfigError(f"cannot export {fmt}: {exc}") from exc
    labels = comparisons.study_labels(con)
    writer: Callable[[pd.DataFrame, dict[str, str], Path], Exported] = (
        write_metapsy if fmt == "metapsy" else write_revman)
    return [writer(arms, labels, _directory(output))]


def _directory(output: Path | str) -> Path:
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _export_tables(con: duckdb.DuckDBPyConnection, out: Path, fmt: str) -> list[Exported]:
    written = []
    for table in export_tables(con):
        path = out / f"{table}.{fmt}"
        relation = con.table(table)
        if fmt == "csv":
            relation.write_csv(str(path), header=True)
        else:
            relation.write_parquet(str(path))
        written.append(Exported(table, path, con.execute(f"select count(*) from {table}").fetchall()[0][0]))
    return written


# --- metapsy ---------------------------------------------------------------------------------------

def instrument_ratings() -> dict[str, str]:
    """instrument -> 'clinician' or 'self-report' (data/instrument_ratings.csv)."""
    text = (resources.files(__package__) / "data" / "instrument_ratings.csv").read_text(encoding="utf-8")
    return {row["instrument"]: row["rating"] for row in csv.DictReader(text.splitlines())}


def _arm_spec(arm: pd.Series, others: pd.DataFrame) -> str:
    """What tells this arm from the trial's other arms of the same role: its dose, else its label."""
    dose = arm.get("dose")
    if dose and not (others["dose"] == dose).any():
        return str(dose)
    return str(arm.get("arm_label") or arm["group_id"] or arm["outcome_id"])


def _specs(arms: pd.DataFrame) -> list[str | None]:
    if len(arms) == 1:
        return [None]
    return [_arm_spec(a, arms.drop(index=i)) for i, a in arms.iterrows()]


def _time_weeks(days: object) -> float | None:
    return None if days is None else round(float(days) / 7.0, 2)  # type: ignore[arg-type]


def metapsy_rows(arms: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One row per (active arm, control arm) of each trial's chosen reading in each group."""
    from ketamine_evidence.warehouse.report.comparisons import groups

    ratings = instrument_ratings()
    rows = []
    for group, members in groups(arms):
        for study_key, trial in members.groupby("study_key", sort=True):
            active, control = trial[trial["arm_role"] == "active"], trial[trial["arm_role"] == "control"]
            multi = len(active) > 1 or len(control) > 1
            specs_1 = _specs(active) if multi else [None] * len(active)
            specs_2 = [s or str(c["drug"]) for s, (_, c) in zip(_specs(control), control.iterrows(), strict=True)]
            for (_, a), spec_1 in zip(active.iterrows(), specs_1, strict=True):
                for (_, c), spec_2 in zip(control.iterrows(), specs_2, strict=True):
                    rows.append(_metapsy_row(group, str(study_key), a, c, spec_1, spec_2 if multi else None,
                                             labels, ratings))
    return pd.DataFrame(rows, columns=list(METAPSY_COLUMNS))


def _metapsy_row(group: Group, study_key: str, a: pd.Series, c: pd.Series, spec_1: str | None,
                 spec_2: str | None, labels: dict[str, str], ratings: dict[str, str]) -> dict[str, object]:
    instrument = a["instrument"]
    return {
        "study": labels.get(study_key, a["acronym"] or study_key), "condition_arm1": a["drug"],
        "condition_arm2": c["drug"], "multi_arm1": spec_1, "multi_arm2": spec_2,
        "outcome_type": group.keys["outcome_kind"], "instrument": instrument,
        # Pools hold no post-treatment follow-up rows (flag post_treatment_phase), so every row is "post".
        "time": "post", "time_weeks": _time_weeks(a["timepoint_days"]),
        "rating": ratings.get(instrument) if instrument else None,
        "event_arm1": a["events"], "event_arm2": c["events"], "totaln_arm1": a["total"], "totaln_arm2": c["total"],
        "study_key": study_key, "nct_id": a["nct_id"], "pmid": a["pmid"], "source": a["source"],
        "outcome_id_arm1": a["outcome_id"], "outcome_id_arm2": c["outcome_id"], "route": a["route"],
        "dose_arm1": a["dose"], "population": a["population"], "comparator_type": group.keys["comparator_type"],
        "time_window": group.keys["time_window"], "timepoint_days": a["timepoint_days"],
        "threshold": a["threshold"], "operator": a["operator"], "analysis_subset": a["analysis_subset"],
        "needs_review": bool(a["held"] or c["held"]), "checked": bool(a["checked"] and c["checked"]),
    }


def _clean_text(value: object) -> object:
    """The standard's cell rules: no semicolons, no leading or trailing spaces."""
    return value.replace(";", ",").strip() if isinstance(value, str) else value


def write_metapsy(arms: pd.DataFrame, labels: dict[str, str], out: Path) -> Exported:
    frame = metapsy_rows(arms, labels)
    counts = ["event_arm1", "event_arm2", "totaln_arm1", "totaln_arm2"]
    frame = frame.astype(dict.fromkeys(counts, "Int64")).map(_clean_text)
    for flag in ("needs_review", "checked"):
        frame[flag] = frame[flag].map({True: "TRUE", False: "FALSE"})
    path = out / METAPSY_FILE
    frame.to_csv(path, sep=";", decimal=",", na_rep="NA", index=False)
    return Exported("metapsy", path, len(frame))


# --- revman ----------------------------------------------------------------------------------------

def _numbers(found: list[Group]) -> dict[int, tuple[int, int]]:
    """group number -> (comparison number, outcome number within the comparison), in group order."""
    by_comparison: dict[str, list[str]] = {}
    for group in found:
        outcomes = by_comparison.setdefault(group.comparison, [])
        if group.outcome not in outcomes:
            outcomes.append(group.outcome)
    order = list(by_comparison)
    return {g.number: (order.index(g.comparison) + 1, by_comparison[g.comparison].index(g.outcome) + 1)
            for g in found}


def _names(rows: pd.DataFrame) -> str:
    return " + ".join(sorted({str(d) for d in rows["drug"]}))


def _revman_trial(group: Group, study_key: str, trial: pd.DataFrame, labels: dict[str, str]) -> dict[str, object]:
    active, control = trial[trial["arm_role"] == "active"], trial[trial["arm_role"] == "control"]
    first = active.iloc[0]
    return {
        "Comparison": group.comparison, "Outcome": group.outcome, "Experimental intervention": _names(active),
        "Control intervention": _names(control),
        # RevMan's Study IDs read "Author Year"
        "Study ID": labels.get(study_key, study_key).replace(", ", " "),
        "Experimental events": int(active["events"].sum()), "Experimental total": int(active["total"].sum()),
        "Control events": int(control["events"].sum()), "Control total": int(control["total"].sum()),
        "NCT ID": first["nct_id"], "PMID": first["pmid"], "Outcome IDs": " ".join(sorted(trial["outcome_id"])),
        "Needs review": "yes" if trial["held"].any() else "no",
    }


def revman_rows(arms: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One row per trial with a control arm in each group: its active arms summed, its controls summed,
    numbered by comparison and outcome (groups without such a trial get no number)."""
    from ketamine_evidence.warehouse.report.comparisons import groups

    found = []
    for group, members in groups(arms):
        for study_key, trial in members.groupby("study_key", sort=True):
            if set(trial["arm_role"]) == {"active", "control"}:
                found.append((group, _revman_trial(group, str(study_key), trial, labels)))
    numbers = _numbers([g for g, _ in found])
    rows = [{"Comparison number": numbers[g.number][0], "Outcome number": numbers[g.number][1], **row}
            for g, row in found]
    frame = pd.DataFrame(rows, columns=list(REVMAN_COLUMNS))
    return frame.sort_values(["Comparison number", "Outcome number"], kind="stable", ignore_index=True)


def write_revman(arms: pd.DataFrame, labels: dict[str, str], out: Path) -> Exported:
    frame = revman_rows(arms, labels)
    path = out / REVMAN_FILE
    frame.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)
    return Exported("revman", path, len(frame))
