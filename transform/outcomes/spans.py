"""Located pieces of abstract text: sentences, figures ("24 (26.7%)"), ratio estimates, kind words, subsets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from ketamine_evidence.transform.outcomes.numbers import Numbers
from ketamine_evidence.transform.tables import Pattern, combined, patterns, rows


@cache
def union(name: str, **where: str) -> re.Pattern[str]:
    """A table's patterns (those with the `where` values) as one compiled alternation: one pass tells whether
    any row matches, before the rows are tried one by one for the one that does."""
    return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns(name, **where)) or "(?!)", re.IGNORECASE)


@cache
def named_union(name: str, **where: str) -> tuple[re.Pattern[str], tuple[Pattern, ...]]:
    """A table's patterns as one alternation with a group per row (`r0`, `r1`, ... in priority order), so a
    single pass finds each match and the row it belongs to (the earliest row wins where two match at one place)."""
    rows_ = patterns(name, **where)
    alternatives = "|".join(f"(?P<r{i}>{_ungrouped(p.regex.pattern)})" for i, p in enumerate(rows_))
    return re.compile(alternatives or "(?!)", re.IGNORECASE), rows_


def _ungrouped(pattern: str) -> str:
    """A row's own capturing groups made non-capturing, so the row groups stay the only ones."""
    return re.sub(r"(?<!\\)\((?![?*])", "(?:", pattern)


_ABBREV = re.compile(r"(?:\bvs|\be\.g|\bi\.e|\bet al|\bapprox|\bNo|\bFig|\bca|\bincl)\.$", re.IGNORECASE)
# a sentence may also start with a figure ("... respectively. 98.3% of TEAEs ...") or a mixed-case word ("rTMS"),
# after a word of 3+ letters
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|(?<=[a-z]{3}[.])\s+(?=\d|[a-z]+[A-Z])|\n+")


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
        elif size and _fits(round(pct / 100 * size), size, pct, self.pct_raw or ""):
            out.total, out.events = size, round(pct / 100 * size)
            out.rounding_note = f"events derived from {self.pct_raw}% of {size} (arm size in the abstract), rounded"
        elif size:  # "70%" of an arm of 11 is no whole count: the arm size is not this figure's denominator
            out.rounding_note = f"{self.pct_raw}% is no whole count of the arm size {size}; no events derived"
        return out


def _fits(events: int, total: int, pct: float, raw: str) -> bool:
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    return round(events / total * 100, decimals) == round(pct, decimals)


def _derive_total(out: Numbers, events: int, pct: float, raw: str, size: int | None) -> None:
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    if size and round(events / size * 100, decimals) == round(pct, decimals):
        out.total = size
        return
    if pct <= 0:
        return
    fits = _totals_fitting(events, pct, decimals)
    if len(fits) == 1:  # "5 (14%)" fits 35 and 36: the total is left open rather than guessed
        out.total = fits[0]
        out.rounding_note = f"total derived from {events} events at {raw}%, rounded"


def _totals_fitting(events: int, pct: float, decimals: int) -> list[int]:
    """Every denominator that gives `events` at the printed percentage."""
    half = 0.5 * 10**-decimals
    low, high = events / ((pct + half) / 100), events / (max(pct - half, 1e-9) / 100)
    return [t for t in range(max(events, int(low)), min(int(high) + 2, 10**6)) if t and
            round(events / t * 100, decimals) == round(pct, decimals)]  # fmt: skip


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


_PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*(?:%|(?i:percent|per cent)\b)"
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@cache
def _words() -> dict[str, float]:
    return {r["word"].lower(): float(r["value"]) for r in rows("number_words")}


@cache
def _fractions() -> dict[str, float]:
    return {r["word"].lower(): float(r["value"]) for r in rows("fraction_words")}


def word_number(text: str) -> float | None:
    """ "Five", "thirty-five", "Thirty five" (data/number_words.csv; tens and units are composed)."""
    token = text.lower().strip()
    if token in _words():
        return _words()[token]
    parts = re.split(r"[- ]", token)
    if len(parts) == 2 and parts[0] in _words() and parts[1] in _UNITS:
        tens = _words()[parts[0]]
        if tens >= 20 and tens % 10 == 0:
            return tens + _words()[parts[1]]
    return None


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


@cache
def _spelled() -> str:
    tens = [w for w, v in _words().items() if v >= 20 and v % 10 == 0 and " " not in w and "-" not in w]
    return rf"(?:(?:{_alternation(tens)})[- ](?:{_alternation(list(_UNITS))})|{_alternation(list(_words()))})"


@cache
def _number_regex() -> re.Pattern[str]:
    return re.compile(rf"\d|(?<![\w-])(?:{_spelled()}|{_alternation(list(_fractions()))})(?![\w-])", re.IGNORECASE)


def has_number(sentence: str) -> bool:
    """A digit, a spelled-out number or a fraction: a sentence without one holds no figure (a pre-filter)."""
    return _number_regex().search(sentence) is not None


_WHO = r"(?:patients|participants|subjects|individuals|people|adults|veterans|cases|responders|remitters)"


@cache
def _figure_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Every figure shape, in the order they claim text: a longer shape first, so "24 (26.7%)" is one figure."""
    words = _spelled()
    fractions = _alternation(list(_fractions()))
    return (
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
            "words_n_pct",
            re.compile(rf"(?<![\w-])(?P<nw>(?i:{words}))\s+(?i:{_WHO}\s+)?[(\[]\s*{_PCT}\s*[)\]]"),
        ),
        (
            "words_n_of_N",
            re.compile(rf"(?<![\w-])(?P<nw>(?i:{words}))\s+(?i:out\s+)?(?i:of)\s+(?i:the\s+)?(?P<N>\d+)\b(?!\s*%)"),
        ),
        (
            "n_of_N",
            re.compile(
                r"(?<![\d.])(?P<n>\d+)\s*/\s*(?P<N>\d+)(?![\d.])"
                r"|(?<![\d.])(?P<n2>\d+)\s+(?:out\s+)?of\s+(?:the\s+)?(?P<N2>\d+)\s+(?:patients|participants|subjects)"
            ),
        ),
        ("pct", re.compile(rf"(?<![\d.]){_PCT}")),
        (
            "n_verb",
            re.compile(
                rf"(?<![\w.,/-])(?P<cn>\d+|(?i:{words}))(?:\s+(?i:{_WHO}))?"
                r"(?=\s+(?i:(?:only|then|also)\s+)?(?i:(?:achieved|attained|reached|met|experienced|showed)\s+(?:an?\s+)?"
                r"(?:(?:full|complete|clinical|sustained|treatment)\s+)?(?:respon|remi|relaps)|responded\b|remitted\b|relapsed\b))"
            ),
        ),
        ("words_pct", re.compile(rf"(?<![\w-])(?P<pw>(?i:{words}))\s+(?i:percent|per cent)\b")),
        (
            "fraction",
            re.compile(
                rf"(?<![\w-])(?P<frac>(?i:{fractions}))(?=\s+(?i:of)\s+(?i:the\s+|all\s+|these\s+|those\s+)?"
                rf"(?:[\w-]+\s+){{0,2}}?(?i:{_WHO})\b)"
            ),
        ),
    )


_PCT_NOT_RATE_AFTER = re.compile(
    r"\s*(?:CI\b|confidence|(?:score\s+|point\s+|symptom\s+)?(?:reduction|decrease|improvement)|increase|change"
    r"|or (?:more|greater)|of the variance|"
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
    for form, regex in _figure_patterns():
        for m in regex.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in [*exclude, *((f.start, f.end) for f in taken)]):
                continue
            if not _is_rate(sentence, m):
                continue
            taken.append(_figure(form, m))
    return sorted(taken, key=lambda f: f.start)


_NOT_A_COUNT_BEFORE = re.compile(
    r"(?:\b(?:weeks?|days?|months?|years?|hours?|visits?|sessions?|infusions?|doses?|T|at|by|after|within|of|and|"
    r"aged?|n|=|<|>)|[()\[\];:])\s*$",
    re.IGNORECASE,
)


def _is_rate(sentence: str, m: re.Match[str]) -> bool:
    if "cn" in m.re.groupindex:  # "five achieved remission", not "by week 4 achieved remission"
        return not _NOT_A_COUNT_BEFORE.search(sentence[: m.start()])
    if not {"pct", "pw", "frac"} & set(m.re.groupindex):
        return True
    return not (_PCT_NOT_RATE_AFTER.match(sentence, m.end()) or _PCT_NOT_RATE_BEFORE.search(sentence[: m.start()]))


def _figure(form: str, m: re.Match[str]) -> Figure:
    groups = m.groupdict()
    n = groups.get("n") or groups.get("n2")
    count = groups.get("cn")
    events = int(n) if n else _whole(groups.get("nw") or (count if count and not count.isdigit() else None))
    if count and count.isdigit():
        events = int(count)
    total = groups.get("N") or groups.get("N2")
    return Figure(m.start(), m.end(), form, events, int(total) if total else None, _pct_text(groups))


def _whole(word: str | None) -> int | None:
    value = word_number(word) if word else None
    return int(value) if value is not None else None


def _pct_text(groups: dict[str, str | None]) -> str | None:
    """The percentage as printed; a spelled one ("Thirty-five percent") or a fraction ("two-thirds") as digits."""
    if groups.get("pct"):
        return groups["pct"]
    if groups.get("pw"):
        value = word_number(groups["pw"] or "")
        return None if value is None else f"{value:g}"
    if groups.get("frac"):
        value = _fractions()[" ".join((groups["frac"] or "").lower().split())]
        return f"{value * 100:.1f}"
    return None


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
    r"(?:a\s+|an\s+)?(?:sustained\s+|clinical\s+|full\s+|complete\s+|treatment\s+)?$",
    re.IGNORECASE,
)
_VERB_FORMS = re.compile(r"responded|remitted|relapsed", re.IGNORECASE)


def has_kind_word(text: str) -> bool:
    return _KINDS.search(text) is not None


_COORDINATED = re.compile(r"\s*(?:and|or|/|,)\s*", re.IGNORECASE)


def kind_hits(sentence: str) -> list[KindHit]:
    return _kind_words(sentence)[0]


def masked_hits(sentence: str) -> list[KindHit]:
    """Kind words a mask takes ("partial response", "functional response and remission", "time to remission"):
    a figure these govern is not a response, remission or relapse figure."""
    return _kind_words(sentence)[1]


@lru_cache(maxsize=4096)
def _kind_words(sentence: str) -> tuple[list[KindHit], list[KindHit]]:
    words = list(_KINDS.finditer(sentence))
    if not words:
        return [], []
    masked = [(m.start(), m.end()) for m in _MASKS.finditer(sentence)]
    masked += [(m.start(1), m.end(1)) for m in combined("kind_masks").finditer(sentence)]
    subsets = [(s.start, s.end) for s in subset_hits(sentence) if s.kinds == "any"]
    out: list[KindHit] = []
    hidden: list[KindHit] = []
    for m in words:
        if any(s <= m.start() < e for s, e in subsets):
            continue
        hit = KindHit(m.start(), m.end(), m.lastgroup or "", False)
        # a qualifier carries over a coordinated kind: "partial response and remission rates"
        mask = next(((s, e) for s, e in masked if s <= m.start() < e), None)
        if mask is not None:
            hidden.append(KindHit(mask[0], m.end(), hit.kind, False))
            continue
        if (
            hidden and hidden[-1].end >= max((h.end for h in out), default=-1)
            and _COORDINATED.fullmatch(sentence[hidden[-1].end : m.start()])
        ):  # fmt: skip
            hidden.append(hit)
            continue
        before = sentence[max(0, m.start() - 30) : m.start()]
        verb = bool(_VERB_FORMS.fullmatch(m.group(0)) or _VERB_BEFORE.search(before))
        out.append(KindHit(m.start(), m.end(), m.lastgroup or "", verb))
    return out, hidden


@dataclass(frozen=True)
class SubsetHit:
    start: int
    end: int
    subset: str
    kinds: str

    def applies_to(self, kind: str) -> bool:
        return self.kinds == "any" or kind in self.kinds.split()


def subset_hits(sentence: str) -> list[SubsetHit]:
    if not union("subsets").search(sentence):
        return []
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
    return union("abstract_negatives").search(clause) is not None
