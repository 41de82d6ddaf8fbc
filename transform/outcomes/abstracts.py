"""Rule-based extraction of response/remission/relapse figures from abstracts, each tied to its text span."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ketamine_evidence.transform.drugs import KETAMINE_CLASS
from ketamine_evidence.transform.outcomes.arms import Mention, comparator_for, find_mentions
from ketamine_evidence.transform.outcomes.classify import subset_of
from ketamine_evidence.transform.outcomes.definitions import Definition, parse_definition
from ketamine_evidence.transform.outcomes.rows import Row, add_flag, new_row, outcome_id
from ketamine_evidence.transform.outcomes.screening import classify_population, not_a_trial_report
from ketamine_evidence.transform.outcomes.spans import (
    Effect,
    Figure,
    KindHit,
    find_effects,
    find_figures,
    group_figures,
    has_kind_word,
    has_number,
    is_negative_context,
    kind_hits,
    masked_hits,
    sentences,
    subset_hits,
    union,
)
from ketamine_evidence.transform.outcomes.timepoints import Timepoint, find_times, from_mention
from ketamine_evidence.transform.tables import combined, first_match, patterns

# An abstract figure read without doubt is `medium` until a registry figure confirms it (`high`, in
# compare.py) or a person does; a doubt or a problem makes it `low`.
UNCONFIRMED = "medium"


@dataclass
class _Abstract:
    pmid: str
    text: str
    nct_id: str | None
    population: str
    context: list[Mention]
    sizes: dict[tuple[str, str | None], int]
    definitions: dict[str, tuple[Definition, str]] = field(default_factory=dict)
    short: tuple[tuple[str, Mention], ...] = ()


def abstract_outcomes(
    pmid: str, abstract: str, *, title: str = "", nct_ids: Sequence[str] = (), publication_types: Sequence[str] = ()
) -> list[Row]:
    """Rows for every response/remission/relapse figure and ratio estimate an abstract's results
    report; none for reviews, meta-analyses, protocols and notices, none from background, objective,
    methods or conclusions sections."""
    if not_a_trial_report(publication_types, title) or not has_kind_word(abstract or ""):
        return []
    if (_reading(title, "title") or ("", ""))[0] == "drop":
        return []
    text = abstract or ""
    roles = section_roles(text)
    named = _arms_in(text)
    short = _abbreviations(text, named)
    mentions = [m for m in _arms_in(text, short) if _role_at(roles, m.start) not in ("background", "objective")]
    doc = _Abstract(
        str(pmid),
        text,
        next((n for n in nct_ids if n), None),
        classify_population((), title, text),
        _distinct(mentions),
        _sizes(mentions),
        _definitions(text),
        short,
    )
    rows: list[Row] = []
    results = [(s, e) for s, e, role in roles if role in ("results", "unlabelled")]
    split = sentences(text)
    opening = _background_end(text, split) if roles[0][2] == "unlabelled" else 0
    for start, end in split:
        if start >= opening and any(s <= start < e for s, e in results):
            rows.extend(_sentence_rows(doc, start, end))
    return rows


def _background_end(text: str, split: list[tuple[int, int]]) -> int:
    """Where an unlabelled abstract's own study begins: the sentences before the first that states its aim or
    design (data/unlabelled_start.csv) are background ("Thirty percent of those with MDD ..."). 0 when none does."""
    regex = combined("unlabelled_start")
    return next((start for start, end in split if regex.search(text, start, end)), 0)


def _role_at(roles: list[tuple[int, int, str]], offset: int) -> str:
    return next((role for s, e, role in roles if s <= offset <= e), "other")


def _arms_in(text: str, short: tuple[tuple[str, Mention], ...] = ()) -> list[Mention]:
    """Drug mentions that name an arm: a treatment the patients had before ("previously received ECT",
    "the ECT-nonresponder group") is history, not an arm (data/arm_history.csv). `short` adds the abstract's
    own abbreviations for its arms ("midazolam 0.03 mg/kg (MID)")."""
    found = [m for m in find_mentions(text) if not _is_history(text, m)]
    for name, like in short:
        for hit in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            if not any(m.start < hit.end() and hit.start() < m.end for m in found):
                size = _size_after(text, hit.end())
                found.append(Mention(hit.start(), hit.end(), like.drug, like.role, like.comparator_type, None, size,
                                     name))  # fmt: skip
    return sorted(found, key=lambda m: m.start)


_DEFINES = re.compile(
    r"\s*(?:\d+(?:\.\d+)?\s*(?:mg\s*/\s*kg|mg)\s*)?\(\s*(?P<abbr>[A-Z][A-Za-z+-]{1,9})(?=\s*[;,)]|\s+\d)"
)
_SIZE_AFTER = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*)?\(\s*n\s*=\s*(\d+)", re.IGNORECASE)


def _size_after(text: str, end: int) -> int | None:
    m = _SIZE_AFTER.match(text, end)
    return int(m.group(1)) if m else None


def _abbreviations(text: str, mentions: list[Mention]) -> tuple[tuple[str, Mention], ...]:
    """ "ketamine 0.5 mg/kg (KET 0.5)", "midazolam 0.03 mg/kg (MID)": a short name the abstract defines for an arm.
    A name given to two different drugs is no one's."""
    names: dict[str, Mention | None] = {}
    for m in mentions:
        hit = _DEFINES.match(text, m.end)
        name = hit["abbr"] if hit else None
        if name and sum(c.isupper() for c in name) >= 2:
            seen = names.get(name, m)
            names[name] = m if seen is not None and seen.drug == m.drug else None
    return tuple((n, m) for n, m in names.items() if m is not None)


def _is_history(text: str, mention: Mention) -> bool:
    before, after = text[max(0, mention.start - 40) : mention.start], text[mention.end : mention.end + 25]
    return bool(union("arm_history", side="before").search(before) or union("arm_history", side="after").search(after))


def _reading(sentence: str, applies: str) -> tuple[str, str] | None:
    """(action, reason) when the sentence's wording makes its figures no plain outcome
    (data/abstract_readings.csv): `drop` them, or `hold` them for a person."""
    if not union("abstract_readings").search(sentence):
        return None
    for p in patterns("abstract_readings"):
        if p["applies_to"] in (applies, "both") and p.regex.search(sentence):
            return p["action"], p["reason"]
    return None


_SECTION_LABEL = re.compile(r"([A-Z][A-Z0-9 ,&/()'-]{1,80}):\s")


def section_roles(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of each line of a stored abstract ("LABEL: text" lines, data/abstract_sections.csv);
    an abstract without labels is one `unlabelled` section; a label the table does not know is `other`."""
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line), _SECTION_LABEL.match(line)))
        offset += len(line) + 1
    if not any(m for _, _, m in lines):
        return [(0, len(text), "unlabelled")]
    out, role = [], "other"
    for start, end, label in lines:
        if label:
            hit = first_match("abstract_sections", label.group(1))
            role = hit["role"] if hit else "other"
        out.append((start, end, role))
    return out


def _distinct(mentions: list[Mention]) -> list[Mention]:
    seen: dict[tuple[str, str | None], Mention] = {}
    for m in mentions:
        seen.setdefault(m.key, m)
    return list(seen.values())


def _sizes(mentions: list[Mention]) -> dict[tuple[str, str | None], int]:
    sizes: dict[tuple[str, str | None], int] = {}
    for m in mentions:
        if m.size is not None:
            sizes.setdefault(m.key, m.size)
    return sizes


def _definitions(text: str) -> dict[str, tuple[Definition, str]]:
    found: dict[str, tuple[Definition, str]] = {}
    for start, end in sentences(text):
        sentence = text[start:end]
        hits = kind_hits(sentence)
        parsed = parse_definition(sentence) if hits else None
        if parsed is not None and parsed.threshold is not None:
            for hit in hits:
                found.setdefault(hit.kind, (parsed, sentence.strip()))
    return found


def _sentence_rows(doc: _Abstract, start: int, end: int) -> list[Row]:
    sentence = doc.text[start:end]
    if not has_kind_word(sentence) or not has_number(sentence):
        return []
    kinds = kind_hits(sentence)
    if not kinds:
        return []
    effects = find_effects(sentence)
    figures = find_figures(sentence, exclude=[(e.start, e.end) for e in effects])
    mentions = _arms_in(sentence, doc.short)
    subsets = subset_hits(sentence)
    rows: list[Row] = []
    reading = _reading(sentence, "figure")
    groups = [] if reading and reading[0] == "drop" else group_figures(sentence, figures)
    listed: list[str] = []
    for gi, group in enumerate(groups):
        next_start = groups[gi + 1][0].start if gi + 1 < len(groups) else len(sentence)
        prev_end = groups[gi - 1][-1].end if gi else 0
        listed = _listed_kinds(kinds, group, prev_end, listed)
        reading_of = _read_group(doc, sentence, kinds, mentions, group, listed, (prev_end, next_start))
        if reading_of is None:
            continue
        per_kind, arms, doubt = reading_of
        point = _timepoint(sentence, group[0].start, group[-1].end)
        for figure, arm, figure_kind in zip(group, arms, per_kind, strict=True):
            if is_negative_context(sentence, figure, figures):
                continue
            subset = _subset(subsets, gi, len(groups), group[0].start, group[-1].end, figure_kind)
            row = _figure_row(doc, start, sentence, figure, arm, figure_kind, subset, point, mentions)
            _abstain(row, doubt or (reading[1] if reading else None))
            rows.append(row)
    rows.extend(_effect_rows(doc, start, sentence, effects, kinds, mentions, subsets, rows))
    return rows


def _read_group(
    doc: _Abstract, sentence: str, kinds: list, mentions: list[Mention], group: list[Figure], listed: list[str],
    bounds: tuple[int, int],
) -> tuple[list[str], list[Mention | None], str | None] | None:
    """Each figure's kind and arm, and why the reading is in doubt; None when no kind governs the group.
    A list of kinds ("response and remission rates were 48% and 31%") belongs to one arm."""
    prev_end, next_start = bounds
    if listed and _masked_governs(sentence, group[0].start, group[-1].end, prev_end, next_start):
        return None
    if listed:
        one, arm_doubt = _single_arm(group[0], mentions, doc.context, next_start, sentence)
        return listed, one * len(group), arm_doubt
    kind, kind_doubt = _kind_for(kinds, group, sentence, next_start, prev_end)
    if kind is None:
        return None
    arms, arm_doubt = _group_arms(group, mentions, doc.context, next_start, sentence)
    return [kind] * len(group), arms, kind_doubt or arm_doubt


def _effect_rows(
    doc: _Abstract, start: int, sentence: str, effects: list[Effect], kinds: list, mentions: list[Mention],
    subsets: list, rows: list[Row],
) -> list[Row]:
    """Estimates of relapse, time to relapse, response or remission between arms; hazard ratios of
    response or remission are time to response (a kind the table does not hold) and give no row."""
    reading = _reading(sentence, "effect")
    if reading and reading[0] == "drop":
        return []
    out = []
    for ei, effect in enumerate(effects):
        row = _effect_row(doc, start, sentence, effect, ei, len(effects), kinds, mentions, subsets)
        if effect.effect_type == "HR" and row["outcome_kind"] != "time_to_relapse":
            continue
        _abstain(row, reading[1] if reading else None)
        if not _merge_effect(rows, row, doc.text):
            out.append(row)
    return out


_EFFECT_FIELDS = ("effect_type", "effect", "ci_lower", "ci_upper", "p_value", "p_value_raw")


def _merge_effect(rows: list[Row], effect: Row, text: str) -> bool:
    """An estimate beside the active arm's own figure ("55.4% ... vs 41.2% (difference, 14.2 percentage
    points; 95% CI, 3.9 to 24.2)") goes on that arm's row, as on registry rows; the span widens to hold both."""
    if effect["outcome_kind"] == "time_to_relapse" or effect["drug"] is None:
        return False
    same = [
        r for r in rows
        if r["outcome_kind"] == effect["outcome_kind"] and r["arm_role"] == "active" and r["effect_type"] is None
        and r["analysis_subset"] == effect["analysis_subset"]
    ]  # fmt: skip
    if len(same) != 1:
        return False
    target = same[0]
    target.update({k: effect[k] for k in _EFFECT_FIELDS})
    start, end = min(target["span_start"], effect["span_start"]), max(target["span_end"], effect["span_end"])
    target.update(span_start=start, span_end=end, span_text=text[start:end], rule=f"{target['rule']}+{effect['rule']}")
    return True


_NOUN_AFTER = re.compile(
    r"\s*(?:(?:were|was|are|as|achieved|met|showed|had)\s+)?(?:(?:a|an|in)\s+)?"
    r"(?:(?:complete|full|clinical|sustained|treatment)\s+)?",
    re.IGNORECASE,
)
_KIND_THEN = re.compile(r"(?:\s*(?:rates?|was|were|of|:|=|\(|\[))+\s*", re.IGNORECASE)


def _kind_for(
    kinds: list, group: list[Figure], sentence: str, next_start: int, prev_end: int
) -> tuple[str | None, str | None]:
    """The kind governing a group of figures, and why it is in doubt: several kinds precede the figures
    and no list reading fits them."""
    start, end = group[0].start, group[-1].end
    named = [k for k in kinds if end <= k.start < next_start and _NOUN_AFTER.fullmatch(sentence[end : k.start])]
    if not named and _masked_governs(sentence, start, end, prev_end, next_start):
        return None, None
    adjacent = [
        k for k in kinds if prev_end <= k.start and k.end <= start and _KIND_THEN.fullmatch(sentence[k.end : start])
    ]
    if adjacent:  # "(remission: 19.3% vs. 12.2%", "a response rate of 52.17%"
        return adjacent[-1].kind, _either(kinds, adjacent[-1], sentence)
    following = [k for k in kinds if end <= k.start < next_start and k.verb]
    if named or following:
        chosen = (named or following)[0]
        return chosen.kind, _either(kinds, chosen, sentence)
    own = {k.kind for k in kinds if prev_end <= k.start and k.end <= start}
    doubt = f"several outcome kinds ({', '.join(sorted(own))}) precede the figures." if len(own) > 1 else None
    preceding = [k for k in kinds if k.end <= start]
    if preceding:
        return preceding[-1].kind, doubt
    after = [k for k in kinds if k.start >= end]
    return (after[0].kind, None) if after else (None, None)


_MASK_BEFORE = re.compile(
    r"(?:\s*(?:rates?|was|were|of|:|=|\(|\[|\d+(?:\.\d+)?|and|,|[\w-]*(?:MADRS|HAM-?D|HDRS|QIDS|BDI|PHQ)[\w-]*))+\s*",
    re.IGNORECASE,
)
_MASK_AFTER = re.compile(
    r"\s*(?:of\s+(?:the\s+|all\s+)?(?:patients|participants|subjects|individuals|people)\s+)?"
    r"(?:(?:at least|had|showed|achieved|met|were|was|a|an|in|treatment|clinical)\s+)*",
    re.IGNORECASE,
)


def _masked_governs(sentence: str, start: int, end: int, prev_end: int, next_start: int) -> bool:
    """A masked kind word right before or right after the figures governs them: "a partial response rate of
    26.09 %", "52.5% at least partial response", "functional response and remission rates were 78.3 and 33.3%"."""
    for m in masked_hits(sentence):
        if prev_end <= m.start and m.end <= start and _MASK_BEFORE.fullmatch(sentence[m.end : start]):
            return True
        if end <= m.start < next_start and _MASK_AFTER.fullmatch(sentence[end : _word_start(sentence, m.start)]):
            return True
    return False


def _word_start(sentence: str, pos: int) -> int:
    """Where the qualifier before a masked kind word begins ("partial response": at "partial")."""
    m = re.search(r"(?:\b(?:partial|functional|clinical|anxiety|PTSD|suicidal|pain)\s+)+$", sentence[:pos], re.I)
    return m.start() if m else pos


_EITHER = re.compile(r"\s*(?:or|and/or|/)\s*", re.IGNORECASE)


def _either(kinds: list, chosen: KindHit, sentence: str) -> str | None:
    """ "48 were responders or remitters (76.2%)": one count of either kind is neither."""
    for a, b in pairwise(kinds):
        if chosen in (a, b) and a.kind != b.kind and _EITHER.fullmatch(sentence[a.end : b.start]):
            return f"the figure counts {a.kind} or {b.kind} together."
    return None


def _listed_kinds(kinds: list, group: list[Figure], prev_end: int, previous: list[str]) -> list[str]:
    """One kind per figure when kinds are listed in the same order as the figures: "response and remission
    rates were 48% and 31%(, respectively)", "(51.2% / 33.0%) than with sham (42.1% / 20.3%)" (the list
    carries over to the next group of the same length when no kind word stands between them)."""
    own = [k.kind for k in kinds if prev_end <= k.start < group[0].start]
    distinct = list(dict.fromkeys(own))
    if len(group) > 1 and len(distinct) == len(own) == len(group):
        return distinct
    if not own and previous and len(previous) == len(group):
        return previous
    return []


def _abstain(row: Row, doubt: str | None) -> None:
    if doubt:
        add_flag(row, "ambiguous_reading", doubt)


def _group_arms(
    group: list[Figure], mentions: list[Mention], context: list[Mention], next_start: int, sentence: str
) -> tuple[list[Mention | None], str | None]:
    """The arm of each figure, and why that is in doubt (arms guessed from elsewhere in the abstract)."""
    k = len(group)
    if k == 1:
        return _single_arm(group[0], mentions, context, next_start, sentence)
    after = _distinct([m for m in mentions if m.start >= group[-1].end])
    if len(after) >= k:
        return list(after[:k]), None
    split = _split_pair(group, mentions, sentence) if k == 2 else None
    if split is not None:  # "ESK-treated patients achieved remission (28.3% versus 18.6%) compared with quetiapine"
        return split, None
    before = _distinct([m for m in mentions if m.end <= group[0].start][::-1])[::-1]
    if len(before) >= k:
        return list(before[-k:]), None
    first: dict[str, Mention] = {}
    for m in context:
        first.setdefault(m.drug, m)
    drugs = list(first.values())
    if len(drugs) >= k:
        return list(drugs[:k]), f"the {k} figures' arms are not named in their sentence."
    return [None] * k, None


_COMPARED = re.compile(
    r"^(?:[^.]|\.(?=\d)){0,160}?[\s,;)]\s*(?:compared (?:with|to)|versus|vs\.?|than|relative to)\s+"
    r"(?:the\s+|those\s+\w+\s+)?$",
    re.IGNORECASE,
)


def _split_pair(group: list[Figure], mentions: list[Mention], sentence: str) -> list[Mention | None] | None:
    """Two figures between the arm named before them and the arm a comparison word names after them."""
    before = [m for m in mentions if m.end <= group[0].start]
    after = [m for m in mentions if m.start >= group[-1].end]
    if not before or not after or before[-1].key == after[0].key:
        return None
    if not _COMPARED.match(sentence[group[-1].end : after[0].start]):
        return None
    return [before[-1], after[0]]


_OTHER_TREATMENT = re.compile(
    r"\b(?:receiv\w*|treated with|given|assigned to|randomi[sz]ed to)\s+\S+.*\S", re.IGNORECASE
)


_ARM_TAIL = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*(?:mg\s*/\s*kg|mg)?\s*)?(?:group|arm)?\s*$", re.IGNORECASE)


def _bracket_owner(sentence: str, figure: Figure, preceding: list[Mention]) -> Mention | None:
    """The arm named right before the bracket the figure sits in."""
    opened = max(sentence.rfind("(", 0, figure.start), sentence.rfind("[", 0, figure.start))
    if opened < 0 or re.search(r"[)\]]", sentence[opened : figure.start]):
        return None
    owner = next((m for m in reversed(preceding) if m.end <= opened), None)
    return owner if owner is not None and _ARM_TAIL.fullmatch(sentence[owner.end : opened]) else None


def _single_arm(
    figure: Figure, mentions: list[Mention], context: list[Mention], next_start: int, sentence: str
) -> tuple[list[Mention | None], str | None]:
    preceding = [m for m in mentions if m.end <= figure.start]
    if preceding and figure.start - preceding[-1].end <= 3:  # "esketamine (51.2%)": the figure is the arm's own
        return [preceding[-1]], None
    owner = _bracket_owner(sentence, figure, preceding)
    if owner is not None:  # "KET 0.5 (N = 11; response rate = 70%)"
        return [owner], None
    following = [
        m for m in mentions
        if figure.end <= m.start < next_start and m.start - figure.end <= 60
        and not _OTHER_TREATMENT.search(sentence[figure.end : m.start]) and ";" not in sentence[figure.end : m.start]
    ]  # fmt: skip
    if following:
        return [following[0]], None
    if preceding:
        return [preceding[-1]], None
    active = [m for m in context if m.drug in KETAMINE_CLASS]
    if not active:
        return [None], None
    others = [m for m in context if m.key != active[0].key]
    return [active[0]], ("the figure's sentence names no arm and the abstract names several." if others else None)


def _subset(subsets: list, index: int, count: int, start: int, end: int, kind: str) -> str | None:
    usable = [s for s in subsets if s.applies_to(kind)]
    if usable and len(usable) == count:
        return usable[index].subset
    preceding = [s for s in usable if s.end <= start]
    following = [s for s in usable if s.start >= end]
    if preceding and (not following or start - preceding[-1].end <= following[0].start - end):
        return preceding[-1].subset
    return following[0].subset if following else None


def _timepoint(sentence: str, start: int, end: int) -> Timepoint:
    times = [t for t in find_times(sentence) if t.days > 0 and not (start <= t.start < end)]
    before = [t for t in times if t.end <= start]
    after = [t for t in times if t.start >= end]
    chosen = before[-1] if before else (after[0] if after else None)
    if chosen is None:
        return _phrase_timepoint(sentence)
    return from_mention(sentence[chosen.start : chosen.end], chosen)


_PHRASE = re.compile(
    r"\bafter (?:the )?(?:\w+ )?(?:repeated |open-label )?(?:infusions?|doses|sessions|treatments)\b", re.IGNORECASE
)


def _phrase_timepoint(sentence: str) -> Timepoint:
    m = _PHRASE.search(sentence)
    return Timepoint(m.group(0), None, None, None) if m else Timepoint("", None, None, None)


def _located(doc: _Abstract, start: int, end: int, rule: str) -> Row:
    """Where a kept number sits: its stable id, character offsets and text in the abstract."""
    return {"outcome_id": outcome_id("abstract", doc.nct_id, doc.pmid, f"{start}:{end}"),
            "span_start": start, "span_end": end, "span_text": doc.text[start:end], "rule": rule}


def _base(
    doc: _Abstract,
    kind: str,
    arm: Mention | None,
    subset: str | None,
    point: Timepoint,
    mentions: list[Mention],
    definition_source: str,
) -> Row:
    parsed = parse_definition(definition_source)
    definition, text = (
        (parsed, definition_source.strip())
        if parsed.threshold is not None
        else doc.definitions.get(kind, (parsed, definition_source.strip()))
    )
    row = new_row(
        nct_id=doc.nct_id, study_key=doc.nct_id or f"PMID:{doc.pmid}", pmid=doc.pmid, source="abstract",
        outcome_kind=kind, instrument=definition.instrument, threshold=definition.threshold,
        operator=definition.operator, threshold_unit=definition.threshold_unit,
        consecutive_visits=definition.consecutive_visits, definition_text=text, population=doc.population,
        analysis_subset=subset, timepoint_raw=point.raw or None, timepoint_days=point.days,
        timepoint_hours=point.hours, time_window=point.window, confidence=UNCONFIRMED,
    )  # fmt: skip
    if arm is not None:
        row.update(
            arm_label=arm.text,
            drug=arm.drug,
            dose=arm.dose,
            arm_role=arm.role,
            n_randomized=None if subset else doc.sizes.get(arm.key),
        )
        if arm.role == "active":
            local = [m for m in mentions if m.role == "control"]
            comparator, ctype = comparator_for(local or doc.context)
            row.update(comparator=comparator, comparator_type=ctype)
        else:
            row.update(comparator_type=arm.comparator_type or "active")
    return row


def _figure_row(
    doc: _Abstract,
    offset: int,
    sentence: str,
    figure: Figure,
    arm: Mention | None,
    kind: str,
    subset: str | None,
    point: Timepoint,
    mentions: list[Mention],
) -> Row:
    row = _base(doc, kind, arm, subset, point, mentions, sentence)
    row.update(_located(doc, offset + figure.start, offset + figure.end, f"abstract.{figure.form}"))
    size = _size_for(doc, arm)
    numbers = figure.numbers(size)
    row.update(
        events=numbers.events, total=numbers.total, proportion=numbers.proportion, rounding_note=numbers.rounding_note
    )
    for flag, reason in numbers.flags:
        add_flag(row, flag, reason)
    if arm is None:
        add_flag(row, "arm_unresolved", "no arm could be tied to this figure.")
    elif size is not None and figure.total is not None and figure.total != size and not subset:
        reason = f"denominator {figure.total} is not the arm size {size} the abstract states."
        add_flag(row, "total_not_arm_size", reason)
    return row


def _size_for(doc: _Abstract, arm: Mention | None) -> int | None:
    if arm is None:
        return None
    if arm.key in doc.sizes:
        return doc.sizes[arm.key]
    same = [v for (drug, _), v in doc.sizes.items() if drug == arm.drug]
    return same[0] if len(same) == 1 else None


def _effect_row(
    doc: _Abstract,
    offset: int,
    sentence: str,
    effect: Effect,
    index: int,
    count: int,
    kinds: list,
    mentions: list[Mention],
    subsets: list,
) -> Row:
    near = [k for k in kinds if k.end <= effect.start] or kinds
    kind = "relapse" if any(k.kind == "relapse" for k in kinds) else near[-1].kind
    if kind == "relapse" and effect.effect_type == "HR":
        kind = "time_to_relapse"
    active = next((m for m in mentions if m.drug in KETAMINE_CLASS), None) or next(
        (m for m in doc.context if m.drug in KETAMINE_CLASS), None
    )
    subset = _subset(subsets, index, count, effect.start, effect.end, kind)
    point = _timepoint(sentence, effect.start, effect.end)
    row = _base(doc, kind, active, subset, point, mentions, sentence)
    row.update(_located(doc, offset + effect.start, offset + effect.end, f"abstract.effect.{effect.effect_type}"))
    row.update(
        effect_type=effect.effect_type,
        effect=effect.estimate,
        ci_lower=effect.lower,
        ci_upper=effect.upper,
        p_value=effect.p_value,
        p_value_raw=effect.p_raw,
    )
    if active is None:
        add_flag(row, "arm_unresolved", "no ketamine-class arm named for this estimate.")
    return row


__all__ = ["abstract_outcomes", "subset_of"]
