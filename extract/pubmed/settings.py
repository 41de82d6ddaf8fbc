"""PubMed E-utilities settings: endpoint, identity, page size and rate, read once at the edge."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ketamine_evidence.extract.http import RateLimit

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"

DEFAULT_QUERY = (
    "(ketamine[tiab] OR esketamine[tiab] OR arketamine[tiab] OR ketamine[mh])"
    ' AND (depress*[tiab] OR "depressive disorder"[mh])'
    ' AND ("randomized controlled trial"[pt] OR "controlled clinical trial"[pt] OR "clinical trial"[pt]'
    " OR random*[tiab] OR placebo*[tiab] OR trial[ti])"
)
"""The PubMed search for ketamine, esketamine and arketamine depression trials.

Why each block:
- Drug: free text in title/abstract catches all three enantiomer spellings, including records not
  yet MeSH-indexed (in-process, publisher-supplied); `ketamine[mh]` adds indexed records whose
  title and abstract name only a brand (esketamine is a MeSH supplementary concept mapped to the
  Ketamine heading, so its records carry that heading).
- Condition: `depress*[tiab]` covers depression/depressive/depressed and TRD wording;
  `"depressive disorder"[mh]` explodes to the major, treatment-resistant, postpartum and other
  depressive-disorder headings.
- Design: the publication types ("randomized controlled trial", "controlled clinical trial",
  "clinical trial", the last exploding to phase I-IV) are exact but lag indexing, so the text words
  of the Cochrane highly sensitive search strategy (random*, placebo*, trial in the title) keep
  unindexed trial reports. Reviews and protocols that match stay in the set; `core.publication`
  flags them (`is_review`, `is_trial_report`) rather than the query dropping them, so recall wins.
"""

# NCBI allows 3 requests/s without an API key and 10 with one, counted by the server as they
# arrive; a 1.1 s window and one request less keep a margin for network jitter.
NO_KEY_RATE = RateLimit(3, 1.1)
KEY_RATE = RateLimit(9, 1.1)


@dataclass(frozen=True)
class PubMedSettings:
    """Everything the PubMed client needs. Secrets (email, api_key) never appear in repr()."""

    base_url: str = DEFAULT_BASE_URL
    email: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    tool: str = "ketamine-evidence"
    batch_size: int = 200  # efetch retmax per request
    max_hits_per_window: int = 9999  # esearch cannot page beyond 9,999 hits; split by date instead
    timeout: float = 30.0  # per socket operation
    deadline: float = 60.0  # per reply, from connect to the last byte
    max_tries: int = 5

    @property
    def rate(self) -> RateLimit:
        return KEY_RATE if self.api_key else NO_KEY_RATE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PubMedSettings:
        """Read NCBI_EMAIL, NCBI_API_KEY, NCBI_TOOL and KETAMINE_EVIDENCE_PUBMED_URL."""
        env = os.environ if env is None else env
        return cls(
            base_url=(env.get("KETAMINE_EVIDENCE_PUBMED_URL") or DEFAULT_BASE_URL).rstrip("/"),
            email=env.get("NCBI_EMAIL") or None,
            api_key=env.get("NCBI_API_KEY") or None,
            tool=env.get("NCBI_TOOL") or "ketamine-evidence",
        )
