"""Python models of the warehouse build, on real records."""

from __future__ import annotations

from ketamine_evidence.extract.ctgov.parse import flatten_study
from ketamine_evidence.warehouse.models import with_drug_and_route
from tests.extract.ctgov.test_parse import _one


def test_interventions_get_drug_and_route_from_the_vocabulary() -> None:
    rows = [with_drug_and_route(r) for r in flatten_study(_one("NCT02210780.json"))["ctgov_intervention"]]
    assert rows[0]["name"] == "Dupilumab" and rows[0]["route"] == "SC"
    assert (rows[1]["drug"], rows[1]["route"]) == ("placebo", "SC")
