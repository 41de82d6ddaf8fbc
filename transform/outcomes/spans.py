"""Located pieces of abstract text: sentences, figures ("24 (26.7%)"), ratio estimates, kind words, subsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ketamine_evidence.transform.outcomes.numbers import Numbers
from ketamine_evidence.transform.tables import combined, patterns

_ABBREV = re.compile(r"(?:\bvs|\be\.g|\bi\.e|\bet al|\bapprox|\bNo|\bFig|\bca|\bincl)\.$", re.IGNORECASE)
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets; abbreviations such as "vs." do not end a sentence."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if _ABBREV.search(text[start : m.start()]):
            continue
        if text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    form: str
    events: int | None
    total: int | None
    pct_raw: str | None

    def numbers(self, size: int | None) -> Numbers:
        out = Numbers(None, events=self.events, total=self.total)
        pct = float(self.pct_raw) if self.pct_raw is not None else None
        if pct is not None and pct > 100:
            out.flags.append(("pct_over_100", f"percentage {self.pct_raw} is above 100; no proportion kept."))
            return out
        if self.total == 0:
            out.flags.append(("zero_denominator", "denominator is 0; no proportion computed."))
            return out
        if self.total is not None and self.events is not None:
            out.proportion = self.events / self.total
            if pct is not None and abs(out.proportion * 100 - pct) > 0.51:
                out.flags.append(("pct_mismatch", f"{self.events}/{self.total} is not {self.pct_raw}%."))
            return out
        if pct is None:
            return out
        out.proportion = pct / 100
        if self.events is not None:
            _derive_total(out, self.events, pct, self.pct_raw or "", size)
        elif size:
            out.total, out.events = size, round(pct / 100 * size)
            out.rounding_note = f"events derived from {self.pct_raw}% of {size} (arm size in the abstract), rounded"
        return out


def _derive_total(out: Numbers, events: int, pct: float, raw: str, size: int | None) -> None:
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    if size and round(events / size * 100, decimals) == round(pct, decimals):
        out.total = size
        return
    if pct <= 0:
        return
    total = round(events / (pct / 100))
    if total and round(events / total * 100, decimals) == round(pct, decimals):
        out.total = total
        out.rounding_note = f"total derived from {events} events at {raw}%, rounded"


@dataclass(frozen=True)
class Effect:
    start: int
    end: int
    effect_type: str
    estimate: float
    lower: float | None
    upper: float | None
    p_value: float | None
    p_raw: str | None


_NUM = r"(?:\d*\.\d+|\d+)"
_EFFECT = re.compile(
    r"(?P<label>(?i:hazard ratio|odds ratio|risk ratio|relative risk|rate ratio)(?:\s*[\[(](?:a?HR|a?OR|a?RR)[\])])?"
    r"|\b(?:a?HR|a?OR|RR|IRR)\b)\s*(?:[,:=]|was|of)?\s*"
    rf"(?P<est>{_NUM})"
    rf"(?:\s*[;,]?\s*[(\[]?\s*(?:95\s*%\s*(?:CI|confidence interval)|CI)\s*[,:=]?\s*(?P<lo>{_NUM})\s*(?:-|–|—|to|,)\s*"
    rf"(?P<hi>{_NUM}))?"
    rf"(?:\s*[;,]\s*(?P<p>[Pp]\s*(?:=|<|>|≤)\s*{_NUM}))?"
)
_EFFECT_TYPES = {"hazard": "HR", "hr": "HR", "ahr": "HR", "odds": "OR", "or": "OR", "aor": "OR"}


_SIGNED = r"[-−–]?\s?(?:\d*\.\d+|\d+)"
_RD = re.compile(
    r"(?<!mean )(?<!means )(?<!squares )(?<!LS )(?<!median )"
    r"(?P<label>(?i:risk difference|absolute difference|difference in (?:\w+ )?(?:rates?|proportions?)|difference)"
    r"|\b(?:RD|ARD)\b)"
    r"(?:\s*\((?:RD|ARD)\))?(?:\s*[\[(]\s*95\s*%\s*CI\s*[\])])?\s*(?:[,:=]|was|of)?\s*"
    rf"(?P<est>{_SIGNED})\s*(?P<unit>percentage points?|%|pp\b)?(?!\s*(?:points?|units?|mg|days?|weeks?)\b)"
    rf"(?:\s*[;,]?\s*[(\[]?\s*(?:95\s*%\s*(?:CI|confidence interval)|CI)\s*[,:=]?\s*(?P<lo>{_SIGNED})\s*%?\s*"
    rf"(?:to|,|-|–|—)\s*(?P<hi>{_SIGNED})\s*%?"
    rf"|\s*[(\[]\s*(?P<lo2>{_SIGNED})\s*%?\s*(?:to|,|–|—)\s*(?P<hi2>{_SIGNED})\s*%?\s*[)\]])?"
    rf"(?:\s*[;,]\s*(?P<p>[Pp]\s*(?:=|<|>|≤)\s*{_NUM}))?"
)


def _signed(value: str | None) -> float | None:
    return float(re.sub(r"[−–]", "-", value).replace(" ", "")) if value else None


def find_differences(sentence: str) -> list[Effect]:
    """ "difference, 14.2 percentage points; 95% CI, 3.9 to 24.2" (ELEKT-D) as RD on a 0-1 scale."""
    out = []
    for m in _RD.finditer(sentence):
        est, lo, hi = _signed(m["est"]), _signed(m["lo"] or m["lo2"]), _signed(m["hi"] or m["hi2"])
        if est is None:
            continue
        scale = 100.0 if m["unit"] or any(v is not None and abs(v) > 1 for v in (est, lo, hi)) else 1.0
        p_value = float(re.sub(r"^[Pp]\s*[=<>≤]\s*", "", m["p"])) if m["p"] else None
        lower, upper = (None if v is None else v / scale for v in (lo, hi))
        out.append(Effect(m.start(), m.end(), "RD", est / scale, lower, upper, p_value, m["p"]))
    return out


def find_effects(sentence: str) -> list[Effect]:
    out = find_differences(sentence)
    for m in _EFFECT.finditer(sentence):
        label = m["label"].split()[0].lower()
        kind = _EFFECT_TYPES.get(label, "RR")
        p_raw = m["p"]
        p_value = float(re.sub(r"^[Pp]\s*[=<>≤]\s*", "", p_raw)) if p_raw else None
        out.append(Effect(m.start(), m.end(), kind, float(m["est"]), _f(m["lo"]), _f(m["hi"]), p_value, p_raw))
    return sorted(out, key=lambda e: e.start)


def _f(value: str | None) -> float | None:
    return float(value) if value else None


_PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*%"
_FIGURES = (
    ("pct_n_of_N", re.compile(rf"(?<![\d.]){_PCT}\s*[(\[]\s*(?P<n>\d+)\s*(?:/|of)\s*(?P<N>\d+)\s*[)\]]")),
    (
        "of_N_n_pct",
        re.compile(
            r"(?i:\bof (?:the |these |those |all )?)(?P<N>\d+)\s+(?:[\w-]+\s+)?"
            r"(?i:participants|patients|subjects|completers|individuals|adults|people)\b[^.;()\d]{0,100}?,\s*"
            rf"(?P<n>\d+)\s*(?:patients\s*|participants\s*|subjects\s*)?[(\[]\s*{_PCT}\s*[)\]]"
        ),
    ),
    (
        "n_of_N_pct",
        re.compile(
            rf"(?<![\d.])(?P<n>\d+)\s*(?:of|/)\s*(?P<N>\d+)(?:\s+(?:patients|participants|subjects))?"
            rf"\s*[(\[]\s*{_PCT}\s*[)\]]"
        ),
    ),
    ("n_pct", re.compile(rf"(?<![\d.])(?P<n>\d+)\s*(?:patients|participants|subjects)?\s*[(\[]\s*{_PCT}\s*[)\]]")),
    (
        "n_of_N",
        re.compile(
            r"(?<![\d.])(?P<n>\d+)\s*/\s*(?P<N>\d+)(?![\d.])"
            r"|(?<![\d.])(?P<n2>\d+)\s+(?:out\s+)?of\s+(?:the\s+)?(?P<N2>\d+)\s+(?:patients|participants|subjects)"
        ),
    ),
    ("pct", re.compile(rf"(?<![\d.]){_PCT}")),
)
_PCT_NOT_RATE_AFTER = re.compile(
    r"\s*(?:CI\b|confidence|reduction|decrease|improvement|increase|change|or (?:more|greater)|of the variance|"
    r"probability|power|[-–]\s*\d|\(\s*(?:hazard|HR|OR|RR|odds|relative))",
    re.IGNORECASE,
)
_PCT_NOT_RATE_BEFORE = re.compile(
    r"(?:[<>≤≥＜＞]|at least|(?<!reached )(?<!achieved )(?<!attained )(?<!met )(?<!seen )(?<!and )\bby"
    r"|than|up to|over|\d%\s*[-–])\s*$",
    re.IGNORECASE,
)


_INTERVAL = re.compile(
    r"(?:(?:95\s*%\s*)?(?:CI|confidence interval)\s*[,:=]?\s*|(?<=[\d%])\s*)[(\[]\s*(?:95\s*%\s*CI\s*[,:=]?\s*)?"
    r"[-−]?\d+(?:\.\d+)?\s*%?\s*(?:,|;|to|-|–|—)\s*[-−]?\d+(?:\.\d+)?\s*%?\s*[)\]]"
    r"|\b95\s*%\s*(?:CI|confidence interval)\s*[,:=]?\s*"
    r"[-−]?\d+(?:\.\d+)?\s*%?\s*(?:to|-|–|—)\s*[-−]?\d+(?:\.\d+)?\s*%?",
    re.IGNORECASE,
)


def intervals(sentence: str) -> list[tuple[int, int]]:
    """Confidence intervals ("[1.5%, 12.8%]", "95% CI 3.9-24.2"): their bounds are never rates."""
    return [(m.start(), m.end()) for m in _INTERVAL.finditer(sentence)]


def find_figures(sentence: str, exclude: list[tuple[int, int]] = ()) -> list[Figure]:  # type: ignore[assignment]
    taken: list[Figure] = []
    exclude = [*exclude, *intervals(sentence)]
    for form, regex in _FIGURES:
        for m in regex.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in [*exclude, *((f.start, f.end) for f in taken)]):
                continue
            if not _is_rate(sentence, m):
                continue
            taken.append(_figure(form, m))
    return sorted(taken, key=lambda f: f.start)


def _is_rate(sentence: str, m: re.Match[str]) -> bool:
    if "pct" not in m.re.groupindex:
        return True
    return not (_PCT_NOT_RATE_AFTER.match(sentence, m.end()) or _PCT_NOT_RATE_BEFORE.search(sentence[: m.start()]))


def _figure(form: str, m: re.Match[str]) -> Figure:
    groups = m.groupdict()
    n = groups.get("n") or groups.get("n2")
    total = groups.get("N") or groups.get("N2")
    return Figure(m.start(), m.end(), form, int(n) if n else None, int(total) if total else None, groups.get("pct"))


_CONNECTOR = re.compile(r"\s*[,;]?\s*(?:vs\.?|versus|and|or|compared with|compared to|,|/)?\s*", re.IGNORECASE)


def group_figures(sentence: str, figures: list[Figure]) -> list[list[Figure]]:
    """Figures joined only by "vs", "versus", "and" or commas ("64% vs 28%") form one group."""
    groups: list[list[Figure]] = []
    for figure in figures:
        if groups and _CONNECTOR.fullmatch(sentence[groups[-1][-1].end : figure.start]):
            groups[-1].append(figure)
        else:
            groups.append([figure])
    return groups


@dataclass(frozen=True)
class KindHit:
    start: int
    end: int
    kind: str
    verb: bool


_KINDS = re.compile(
    r"(?P<response>\brespon(?:se|ses|ded|ders?|d)\b)|(?P<remission>\bremi(?:ssion|tted|tters?|t)\b)"
    r"|(?P<relapse>\brelaps(?:e|ed|es|ing)\b)",
    re.IGNORECASE,
)
_MASKS = re.compile(
    r"\bno relapse\b|\brelapse[- ]free\b|\bwithout relapse\b|\bdose[- ]response\b|\bnon-?respon\w*|\bnon-?remi\w*"
    r"|\bhad not responded\b|\bin response to\b|\bobjective response\b|\brelapse prevention\b",
    re.IGNORECASE,
)
_VERB_BEFORE = re.compile(
    r"(?:\bmet|achieved|\bhad(?: a| an)?|\bhave|were in|was in|attained|experienced|reached|showed|\bin)\s+"
    r"(?:a\s+|an\s+)?(?:sustained\s+|clinical\s+|full\s+)?$",
    re.IGNORECASE,
)
_VERB_FORMS = re.compile(r"responded|remitted|relapsed", re.IGNORECASE)


def has_kind_word(text: str) -> bool:
    return _KINDS.search(text) is not None


def kind_hits(sentence: str) -> list[KindHit]:
    words = list(_KINDS.finditer(sentence))
    if not words:
        return []
    masked = [(m.start(), m.end()) for m in _MASKS.finditer(sentence)]
    masked += [(m.start(1), m.end(1)) for m in combined("kind_masks").finditer(sentence)]
    masked += [(s.start, s.end) for s in subset_hits(sentence) if s.kinds == "any"]
    out = []
    for m in words:
        if any(s <= m.start() < e for s, e in masked):
            continue
        before = sentence[max(0, m.start() - 30) : m.start()]
        verb = bool(_VERB_FORMS.fullmatch(m.group(0)) or _VERB_BEFORE.search(before))
        out.append(KindHit(m.start(), m.end(), m.lastgroup or "", verb))
    return out


@dataclass(frozen=True)
class SubsetHit:
    start: int
    end: int
    subset: str
    kinds: str

    def applies_to(self, kind: str) -> bool:
        return self.kinds == "any" or kind in self.kinds.split()


def subset_hits(sentence: str) -> list[SubsetHit]:
    hits = [
        SubsetHit(m.start(), m.end(), p["subset"], p["kinds"])
        for p in patterns("subsets")
        for m in p.regex.finditer(sentence)
    ]
    hits.sort(key=lambda h: h.start)
    return [h for i, h in enumerate(hits) if not any(o.start <= h.start < o.end for o in hits[:i])]


_CLAUSE_EDGE = re.compile(r"[;:()\[\]]")


def is_negative_context(sentence: str, figure: Figure, figures: list[Figure]) -> bool:
    """Demographics, adverse events, retention or durability around a figure: not an efficacy rate."""
    blanked = list(sentence)
    for f in figures:
        blanked[f.start : f.end] = " " * (f.end - f.start)
    text = "".join(blanked)
    left = max((m.end() for m in _CLAUSE_EDGE.finditer(text, 0, figure.start)), default=0)
    right = next((m.start() for m in _CLAUSE_EDGE.finditer(text, figure.end)), len(text))
    clause = text[max(0, left - 30) : right]
    return any(p.regex.search(clause) for p in patterns("abstract_negatives"))
