"""The drug and route vocabulary, and intervention names and routes mapped onto it.

`data/drugs.csv` lists every normalized drug value once, with whether it is ketamine class and
whether it is a comparator (placebo, sham, saline). `data/drug_patterns.csv` and `data/routes.csv`
hold the patterns (case-insensitive regular expressions) that name a drug or a route, each for one
`use`: `intervention` rows read CT.gov intervention names (here), `mention` rows read the text of arm
titles and abstracts around a drug mention (`outcomes.arms`). An intervention text maps to the value
of the matching pattern with the lowest priority number, so "Oral AD + Intranasal Placebo" is
placebo (10) rather than antidepressant (90), and esketamine (20) is tried before ketamine (30).
"""

from __future__ import annotations

from collections.abc import Iterable

from ketamine_evidence.transform.tables import first_match, rows, truth


def drug_vocabulary() -> list[dict[str, object]]:
    """One row per normalized drug value: {"drug", "ketamine_class", "comparator"}."""
    return [
        {"drug": r["drug"], "ketamine_class": truth(r, "ketamine_class"), "comparator": truth(r, "comparator")}
        for r in rows("drugs")
    ]


def _drugs_where(column: str) -> frozenset[str]:
    return frozenset(str(row["drug"]) for row in drug_vocabulary() if row[column])


KETAMINE_CLASS = _drugs_where("ketamine_class")
COMPARATORS = _drugs_where("comparator")


def _intervention_value(table: str, column: str, text: str) -> str | None:
    hit = first_match(table, text, use="intervention")
    return hit[column] if hit else None


def normalize_drug(name: str, other_names: Iterable[str] = (), description: str = "") -> str | None:
    """The drug of an intervention: its name decides; other names, then the description, fill in.

    A description only supplies an active drug: descriptions of active arms often mention the
    placebo or the saline they are compared with or diluted in ("take either finerenone or placebo").
    """
    for text in (name, *other_names):
        if text and (value := _intervention_value("drug_patterns", "drug", text)):
            return value
    value = _intervention_value("drug_patterns", "drug", description) if description else None
    return value if value not in COMPARATORS else None


def normalize_route(text: str) -> str | None:
    """IV, intranasal, oral, IM, SC, sublingual or inhaled, from free text; None when not stated."""
    return _intervention_value("routes", "route", text) if text else None
