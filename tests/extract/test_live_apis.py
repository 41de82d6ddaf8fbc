"""Smoke tests against the real APIs. Off by default: `pytest -m live` with KETAMINE_EVIDENCE_LIVE=1
(and, for PubMed, NCBI_EMAIL). They check the clients against today's API, not our logic."""

from __future__ import annotations

import io
import os

import pytest

from ketamine_evidence.extract.ctgov import client as ctgov_client
from ketamine_evidence.extract.ctgov.parse import iter_studies, page_info
from ketamine_evidence.extract.ctgov.settings import CtgovSettings
from ketamine_evidence.extract.pubmed import client as pubmed_client
from ketamine_evidence.extract.pubmed.parse import ArticleRecord, iter_pubmed_xml
from ketamine_evidence.extract.pubmed.settings import PubMedSettings

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        os.environ.get("KETAMINE_EVIDENCE_LIVE") != "1",
        reason="live API tests need network and KETAMINE_EVIDENCE_LIVE=1",
    ),
]


def test_ctgov_single_study_and_first_search_page() -> None:
    settings = CtgovSettings.from_env()
    transport = ctgov_client.make_transport(settings)
    page = ctgov_client.fetch_study(settings, transport, "NCT02493868")  # SUSTAIN-1
    (study,) = iter_studies(page.body, name=page.name)
    assert study["protocolSection"]["identificationModule"]["nctId"] == "NCT02493868"
    first = next(ctgov_client.fetch_study_pages(settings, transport))
    _, total = page_info(first.body, name=first.name)
    assert total is not None and total > 50


def test_pubmed_search_and_fetch_one_batch() -> None:
    settings = PubMedSettings.from_env()
    transport = pubmed_client.make_transport(settings)
    found = pubmed_client.esearch(settings, transport, "31166571[uid]")
    assert found.count == 1
    page = next(pubmed_client.fetch_pmids(settings, transport, ["31166571"]))
    records = [r for r in iter_pubmed_xml(io.BytesIO(page.body), name=page.name) if isinstance(r, ArticleRecord)]
    assert records[0].fields["nct_ids"] == ["NCT02493868"]
