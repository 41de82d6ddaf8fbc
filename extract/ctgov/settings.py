"""Settings and the default search of the ClinicalTrials.gov API v2 extract.

The search, as sent on every page of `GET {base_url}/studies`:

- ``query.cond`` = `DEFAULT_COND` (Essie expression over the ConditionSearch area: conditions,
  titles, condition MeSH terms, keywords):
  ``depression OR "depressive disorder" OR "major depressive disorder" OR "treatment-resistant
  depression" OR "treatment resistant depression" OR "bipolar depression" OR "depressive episode"
  OR "suicidal ideation" OR suicidality``
- ``query.intr`` = `DEFAULT_INTR` (InterventionSearch area: intervention names, other names, arm
  groups, intervention MeSH terms):
  ``ketamine OR esketamine OR arketamine OR "R-ketamine" OR "S-ketamine" OR Spravato OR Ketalar``
- ``format=json``, ``pageSize`` = `CtgovSettings.page_size` (1000, the API maximum),
  ``countTotal=true`` on the first page only, ``pageToken`` from the previous page's
  ``nextPageToken`` on later pages.
- With a `since` date: ``filter.advanced=AREA[LastUpdatePostDate]RANGE[YYYY-MM-DD,MAX]``.

Essie expands terms with its synonym lists, so "depression" also finds "depressive disorder";
both are named anyway so the search does not depend on the thesaurus of the day.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
ENV_URL = "KETAMINE_EVIDENCE_CTGOV_URL"

DEFAULT_COND = " OR ".join((
    "depression",
    '"depressive disorder"',
    '"major depressive disorder"',
    '"treatment-resistant depression"',
    '"treatment resistant depression"',
    '"bipolar depression"',
    '"depressive episode"',
    '"suicidal ideation"',
    "suicidality",
))

DEFAULT_INTR = " OR ".join((
    "ketamine",
    "esketamine",
    "arketamine",
    '"R-ketamine"',
    '"S-ketamine"',
    "Spravato",
    "Ketalar",
))


@dataclass(frozen=True)
class CtgovSettings:
    """Where and how fast to call ClinicalTrials.gov.

    `min_interval` is 1.0 s because robots.txt asks for `Crawl-delay: 1` and the API documents
    no rate limit; `page_size` 1000 is the API maximum; `max_pages` stops a looping page walk
    long after this search's few hundred studies.
    """

    base_url: str = DEFAULT_BASE_URL
    page_size: int = 1000
    min_interval: float = 1.0
    timeout: float = 30.0  # per socket operation
    deadline: float = 60.0  # per reply, from connect to the last byte
    max_tries: int = 5
    max_pages: int = 200  # 200,000 studies at 1000 a page: the whole registry is about 560,000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CtgovSettings:
        """Defaults, with the base URL taken from KETAMINE_EVIDENCE_CTGOV_URL when set."""
        env = os.environ if environ is None else environ
        settings = cls()
        url = env.get(ENV_URL, "").strip()
        return replace(settings, base_url=url.rstrip("/")) if url else settings
