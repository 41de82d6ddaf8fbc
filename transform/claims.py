"""The article's numeric claims as data (transform/claims.yaml): loading, validation, a table.

Every problem in the file is a ``ConfigError`` with one line naming the claim id and the field,
e.g. ``claims.yaml: claim C07: metric 'speed' is not one of ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from ketamine_evidence.errors import ConfigError

DEFAULT_PATH = Path(str(resources.files(__package__) / "claims.yaml"))
METRICS = frozenset({
    "response", "remission", "relapse", "relapse_reduction", "time_to_relapse",
    "duration_of_benefit", "onset", "peak", "prevalence", "cost", "mechanism", "other",
})
SCOPE_VALUES: dict[str, frozenset[str] | None] = {
    "drug": frozenset({"ketamine", "esketamine", "ketamine_class", "conventional_ad", "any"}),
    "route": frozenset({"IV", "intranasal", "oral", "IM", "SC", "any"}),
    "population": frozenset({"trd", "mdd", "any"}),
    "window": frozenset({"acute", "first_week", "induction", "maintenance", "any"}),
    "comparator": frozenset({"placebo", "midazolam", "active", "none", "any"}),
    "timepoint_days": None,
    "subset": None,
}
CLAIM_FIELDS = frozenset({
    "id", "text", "quote_hint", "figure", "range", "unit", "metric", "scope", "checkable", "reason", "presented_as",
})
# How the article presents a figure: as the general picture (a single trial's equal figure is then a
# misattribution) or as one trial's result (judged against that trial).
PRESENTED_AS = frozenset({"general", "one_trial"})


@dataclass(frozen=True)
class Scope:
    drug: str = "any"
    route: str = "any"
    population: str = "any"
    window: str = "any"
    comparator: str = "any"
    timepoint_days: float | None = None
    subset: str | None = None


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    quote_hint: str
    lo: float
    hi: float
    unit: str
    metric: str
    scope: Scope = field(default_factory=Scope)
    checkable: bool = True
    reason: str | None = None
    decimals: int = 0
    presented_as: str = "general"

    @property
    def is_range(self) -> bool:
        return self.lo != self.hi

    @property
    def figure_text(self) -> str:
        fmt = f"{{:.{self.decimals}f}}"
        core = fmt.format(self.lo) if not self.is_range else f"{fmt.format(self.lo)}-{fmt.format(self.hi)}"
        return f"{core} {self.unit}"


def _fail(where: str, claim_id: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: claim {claim_id}: {message}")


def _number(value: object, where: str, cid: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, cid, f"{name} must be a number, got {value!r}")
    return float(value)


def _decimals(value: object) -> int:
    if isinstance(value, float) and not value.is_integer():
        return len(repr(value).split(".")[1])
    return 0


def _figure(raw: dict, where: str, cid: str) -> tuple[float, float, int]:
    if ("figure" in raw) == ("range" in raw):
        raise _fail(where, cid, "give exactly one of figure or range")
    if "figure" in raw:
        value = _number(raw["figure"], where, cid, "figure")
        return value, value, _decimals(raw["figure"])
    rng = raw["range"]
    if not isinstance(rng, list) or len(rng) != 2:
        raise _fail(where, cid, f"range must be [lo, hi], got {rng!r}")
    lo, hi = (_number(v, where, cid, "range") for v in rng)
    if lo > hi:
        raise _fail(where, cid, f"range lo {lo:g} is above hi {hi:g}")
    return lo, hi, max(_decimals(v) for v in rng)


def _scope(raw: object, where: str, cid: str) -> Scope:
    if raw is None:
        return Scope()
    if not isinstance(raw, dict):
        raise _fail(where, cid, f"scope must be a mapping, got {raw!r}")
    unknown = sorted(set(raw) - set(SCOPE_VALUES))
    if unknown:
        raise _fail(where, cid, f"unknown scope key {unknown[0]!r} (known: {', '.join(SCOPE_VALUES)})")
    for key, value in raw.items():
        allowed = SCOPE_VALUES[key]
        if allowed is not None and value not in allowed:
            raise _fail(where, cid, f"scope {key} {value!r} is not one of {', '.join(sorted(allowed))}")
    if raw.get("timepoint_days") is not None:
        _number(raw["timepoint_days"], where, cid, "scope timepoint_days")
    return Scope(**raw)


def _claim(raw: object, where: str, index: int) -> Claim:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ConfigError(f"{where}: entry {index + 1} has no id")
    cid = str(raw["id"])
    unknown = sorted(set(raw) - CLAIM_FIELDS)
    if unknown:
        raise _fail(where, cid, f"unknown field {unknown[0]!r}")
    for name in ("text", "quote_hint", "unit"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise _fail(where, cid, f"{name} is missing")
    metric = raw.get("metric")
    if metric not in METRICS:
        raise _fail(where, cid, f"metric {metric!r} is not one of {', '.join(sorted(METRICS))}")
    lo, hi, decimals = _figure(raw, where, cid)
    checkable = raw.get("checkable", True)
    if not isinstance(checkable, bool):
        raise _fail(where, cid, f"checkable must be true or false, got {checkable!r}")
    if not checkable and not raw.get("reason"):
        raise _fail(where, cid, "reason is required when checkable is false")
    presented = raw.get("presented_as", "general")
    if presented not in PRESENTED_AS:
        raise _fail(where, cid, f"presented_as {presented!r} is not one of {', '.join(sorted(PRESENTED_AS))}")
    return Claim(cid, raw["text"].strip(), raw["quote_hint"].strip(), lo, hi, raw["unit"], metric,
                 _scope(raw.get("scope"), where, cid), checkable, raw.get("reason"), decimals, presented)


def load_claims(path: Path | str = DEFAULT_PATH) -> list[Claim]:
    """Read and validate a claims file; raises ConfigError (one line) on the first problem."""
    path = Path(path)
    where = path.name
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read claims file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}: not valid YAML{line}") from None
    entries = doc.get("claims") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected a top-level 'claims:' list")
    claims = [_claim(raw, where, i) for i, raw in enumerate(entries)]
    seen: set[str] = set()
    for claim in claims:
        if claim.id in seen:
            raise _fail(where, claim.id, "duplicate id")
        seen.add(claim.id)
    return claims


CLAIM_COLUMNS = (
    "claim_id", "text", "quote_hint", "figure_lo", "figure_hi", "unit", "metric", "scope_drug",
    "scope_route", "scope_population", "scope_window", "scope_timepoint_days", "scope_comparator",
    "scope_subset", "checkable", "reason", "presented_as",
)


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    """One row per claim, columns as marts.claims."""
    rows = [
        (c.id, c.text, c.quote_hint, c.lo, c.hi, c.unit, c.metric, c.scope.drug, c.scope.route,
         c.scope.population, c.scope.window, c.scope.timepoint_days, c.scope.comparator,
         c.scope.subset, c.checkable, c.reason, c.presented_as)
        for c in claims
    ]
    return pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
