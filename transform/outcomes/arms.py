"""Arm labels and descriptions to drug, route, dose and role; arm mentions in free text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ketamine_evidence.transform.drugs import KETAMINE_CLASS
from ketamine_evidence.transform.outcomes.definitions import clean
from ketamine_evidence.transform.outcomes.spans import union
from ketamine_evidence.transform.tables import patterns

_DOSE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?(?:\s*(?:or|/|-|to|and)\s*\d+(?:\.\d+)?)*)[\s-]*"
    r"(mg\s*/\s*kg|mg per kilogram|milligrams? per kilogram|milligrams?|mg)\b(?:\s*\((?:mg|mg/kg)\))?",
    re.IGNORECASE,
)
_FLEXIBLE = re.compile(r"\bflexibl[ey]", re.IGNORECASE)
_FLEXIBLE_DOSING = re.compile(r"\bflexibl[ey][\s-]+(?:dos(?:e|ed|ing)|titrat)", re.IGNORECASE)
_SIZE = re.compile(r"\(?\s*\bn\s*=\s*(\d+)", re.IGNORECASE)
# "Of the 17 participants who received ketamine": the arm's size written before the drug.
_SIZE_BEFORE = re.compile(
    r"\b(?:of|among)(?: the| all)?\s+(\d+)\s+(?:participants|patients|subjects|people|adults|individuals)"
    r"\s+(?:who\s+)?(?:received|were given|given|were randomi[sz]ed to|randomi[sz]ed to|treated with|"
    r"were treated with|assigned to|were assigned to)\s*$",
    re.IGNORECASE,
)
_CROSSOVER = re.compile(r"\bthen\b|\bfollowed by\b|\bcrossover\b|\bfirst\b", re.IGNORECASE)


@dataclass(frozen=True)
class Arm:
    label: str
    drug: str | None
    route: str | None
    dose: str | None
    role: str | None
    comparator_type: str | None
    note: str | None = None


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    drug: str
    role: str
    comparator_type: str
    dose: str | None
    size: int | None
    text: str = ""

    @property
    def key(self) -> tuple[str, str | None]:
        return self.drug, self.dose


def find_mentions(text: str, *, scope: str = "both") -> list[Mention]:
    """Non-overlapping drug/arm mentions, earlier table rows winning over later ones."""
    return list(_find_mentions(text, scope))


@lru_cache(maxsize=8192)
def _find_mentions(text: str, scope: str) -> tuple[Mention, ...]:
    if not union("drug_patterns", use="mention").search(text):  # one pass, before the rows one by one
        return ()
    taken: list[tuple[int, int, dict[str, str]]] = []
    for p in patterns("drug_patterns", use="mention"):
        if scope == "both" and p["scope"] != "both":
            continue
        for m in p.regex.finditer(text):
            if not any(m.start() < e and s < m.end() for s, e, _ in taken):
                taken.append((m.start(), m.end(), p.fields))
    taken.sort(key=lambda t: t[0])
    return tuple(x for s, e, f in taken for x in _per_dose(text, _mention(text, s, e, f, taken)))


_UNIT = r"(?:\s*(?:mg\s*/\s*kg|mg per kilogram|mg))"
_DOSE_LIST = re.compile(
    rf"[ \t]*\(?[ \t]*(?P<items>\d+(?:\.\d+)?{_UNIT}?"
    rf"(?:\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)\d+(?:\.\d+)?{_UNIT}?)+)",
    re.IGNORECASE,
)
_ITEM = re.compile(rf"(\d+(?:\.\d+)?)({_UNIT})?", re.IGNORECASE)


def _per_dose(text: str, mention: Mention) -> tuple[Mention, ...]:
    """ "esketamine 28 mg, 56 mg and 84 mg", "ketamine 0.1, 0.2, 0.5 and 1.0 mg/kg": one arm per dose.
    Two doses joined by "or" stay one (flexible) arm, as in "esketamine 56 or 84 mg"."""
    m = _DOSE_LIST.match(text, mention.end) if mention.drug in KETAMINE_CLASS else None
    if m is None:
        return (mention,)
    items = list(_ITEM.finditer(text, m.start("items"), m.end("items")))
    joiners = re.findall(r"\b(and|or)\b|,", m["items"])
    if not any(i.group(2) for i in items) or (len(items) == 2 and "or" in joiners):
        return (mention,)
    unit = next(i.group(2) for i in reversed(items) if i.group(2))
    out = []
    for n, item in enumerate(items):
        dose = normalize_dose(f"{item.group(1)}{item.group(2) or unit}")
        start, end = (mention.start, mention.end) if n == 0 else (item.start(), item.end())
        label = f"{text[mention.start : mention.end]} {dose}"
        out.append(Mention(start, end, mention.drug, mention.role, mention.comparator_type, dose, mention.size, label))
    return tuple(out)


_MORE_ARMS = re.compile(r"^[^,.;]*?\b(?:or|and|plus|vs\.?|versus|compared)\b", re.IGNORECASE)


def _size_before(before: str, after: str) -> re.Match[str] | None:
    """The size before the drug counts only when no other arm follows in the same clause
    ("Of the 40 patients randomized to esketamine or placebo" is the whole trial, not one arm)."""
    return None if _MORE_ARMS.search(after) else _SIZE_BEFORE.search(before)


def _mention(text: str, start: int, end: int, fields: dict[str, str], taken: list) -> Mention:
    nxt = min((s for s, _, _ in taken if s >= end), default=len(text))
    prev = max((e for _, e, _ in taken if e <= start), default=0)
    after = text[end:nxt]
    dose_m = _DOSE.match(after.lstrip(" ")) if after.lstrip(" ")[:1].isdigit() else None
    size_m = _SIZE.search(after[:100]) or _size_before(text[max(prev, start - 100):start], after)
    dose = normalize_dose(dose_m.group(0)) if dose_m else None
    label = text[start:end] + (after[: dose_m.end() + len(after) - len(after.lstrip(" "))] if dose_m else "")
    return Mention(
        start,
        end,
        fields["drug"],
        fields["role"],
        fields["comparator_type"] or "",
        dose,
        int(size_m.group(1)) if size_m else None,
        label.strip(),
    )


def normalize_dose(text: str | None) -> str | None:
    """ "28 Milligrams (mg)" -> "28 mg"; "0.5 mg per kilogram" -> "0.5 mg/kg"."""
    m = _DOSE.search(text or "")
    if not m:
        return "flexible" if _FLEXIBLE.search(text or "") else None
    unit = "mg/kg" if re.search(r"kg|kilogram", m.group(2), re.I) else "mg"
    amount = re.sub(
        r"\s*(or|/|-|to|and)\s*", lambda x: f" {x.group(1)} " if x.group(1).isalpha() else x.group(1), m.group(1)
    )
    return f"{amount} {unit}"


def route_near(text: str, start: int, end: int, width: int = 30) -> str | None:
    """The route named closest to a drug mention (within `width` characters)."""
    best: tuple[int, str] | None = None
    for p in patterns("routes", use="mention"):
        for m in p.regex.finditer(text, max(0, start - width), min(len(text), end + width)):
            gap = max(start - m.end(), m.start() - end, 0)
            if best is None or gap < best[0]:
                best = (gap, p["route"])
    return best[1] if best else None


def _choose(mentions: list[Mention], text: str) -> Mention | None:
    ketamine = [m for m in mentions if m.drug in KETAMINE_CLASS]
    if ketamine:
        return ketamine[0]
    drugs = {m.drug for m in mentions}
    if "oral_ad_placebo" in drugs or ("placebo" in drugs and "oral_ad" in drugs):
        first = next(m for m in mentions if m.drug in ("oral_ad_placebo", "placebo"))
        return Mention(first.start, first.end, "oral_ad_placebo", "control", "placebo", None, None, first.text)
    others = [m for m in mentions if m.drug != "oral_ad"]
    return others[0] if others else (mentions[0] if mentions else None)


@lru_cache(maxsize=8192)
def arm_from_group(title: str, description: str = "") -> Arm:
    """Drug, route, dose and role of a result group from its title, falling back on its description."""
    title, description = clean(title), clean(description)
    for text in (title, _first_sentences(description)):
        chosen = _choose(find_mentions(text, scope="registry"), text)
        if chosen is not None:
            return _arm(title, text, chosen, description)
    return Arm(title, None, None, None, None, None, "no drug named in the group title or description")


def _arm(title: str, text: str, chosen: Mention, description: str) -> Arm:
    route = route_near(text, chosen.start, chosen.end) or _route_in_description(description, chosen.drug)
    dose = (
        _flexible_range(description, chosen.drug)
        or _per_kg(chosen.dose or normalize_dose(title), description)
        or _dose_in_description(description, chosen.drug)
    )
    note = "crossover sequence" if _CROSSOVER.search(title) else None
    ctype = chosen.comparator_type or None
    return Arm(title, chosen.drug, route, dose, chosen.role, ctype, note)


def _flexible_range(description: str, drug: str) -> str | None:
    """A flexibly dosed arm's dose is its range: "flexible dose of esketamine 28 mg ..., 56 mg ... or 84 mg"
    is "28-84 mg", not the first dose named."""
    m = _FLEXIBLE_DOSING.search(description) if drug in KETAMINE_CLASS else None
    if m is None:
        return None
    amounts: set[float] = set()
    units: set[str] = set()
    for dose in _DOSE.finditer(description, m.start(), m.start() + 300):
        amounts |= {float(a) for a in re.findall(r"\d+(?:\.\d+)?", dose.group(1))}
        units.add("mg/kg" if re.search(r"kg|kilogram", dose.group(2), re.IGNORECASE) else "mg")
    if len(amounts) < 2 or len(units) != 1:
        return None
    return f"{min(amounts):g}-{max(amounts):g} {units.pop()}"


def _per_kg(dose: str | None, description: str) -> str | None:
    """Title "Ketamine 0.5mg" with description "0.5 mg/kg" (NCT01920555's arm titles): the weight-based dose."""
    if not dose or not dose.endswith(" mg"):
        return dose
    amount = dose[:-3]
    per_kg = [normalize_dose(m.group(0)) for m in _DOSE.finditer(description[:600])]
    return f"{amount} mg/kg" if f"{amount} mg/kg" in per_kg else dose


def _first_sentences(text: str, limit: int = 400) -> str:
    return text[:limit]


def _drug_in(text: str, drug: str) -> Mention | None:
    return next((m for m in find_mentions(text, scope="registry") if m.drug == drug), None)


def _route_in_description(description: str, drug: str) -> str | None:
    found = _drug_in(description[:600], drug)
    if found:
        return route_near(description, found.start, found.end)
    if find_mentions(description[:200], scope="registry"):
        return None
    return route_near(description, 0, 0, width=200)


def _dose_in_description(description: str, drug: str) -> str | None:
    if drug not in KETAMINE_CLASS:
        return None
    found = _drug_in(description[:600], drug)
    if not found:
        return None if find_mentions(description[:200], scope="registry") else normalize_dose(description[:200])
    doses = [normalize_dose(m.group(0)) for m in _DOSE.finditer(description[found.end : found.end + 80])]
    if not doses:
        doses = [
            normalize_dose(m.group(0)) for m in _DOSE.finditer(description[max(0, found.start - 60) : found.start])
        ]
    if len(doses) > 1 and len({d.split()[-1] for d in doses if d}) == 1:
        return " or ".join(d.rsplit(" ", 1)[0] for d in doses if d) + " " + (doses[0] or "").split()[-1]
    return doses[0] if doses else None


def comparator_for(arms: Iterable[Arm | Mention]) -> tuple[str | None, str]:
    """The control drugs among arms ("midazolam", "oral_ad_placebo|placebo") and their comparator type."""
    controls = [a for a in arms if a.role == "control" and a.drug]
    if not controls:
        return None, "none"
    drugs = sorted({a.drug for a in controls if a.drug})
    if "oral_ad_placebo" in drugs and "placebo" in drugs:
        drugs.remove("placebo")
    types = {(a.comparator_type or "active") for a in controls}
    kind = next(t for t in ("placebo", "midazolam", "active") if t in types or t == "active")
    return "|".join(drugs), kind
