"""The flag table (data/flags.csv) against the code that emits flags, and the one pair of functions
that joins and splits stored flags."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketamine_evidence.transform.outcomes.rows import (
    COLUMNS,
    FLAG_KINDS,
    NON_PLAIN_FLAGS,
    POOL_EXCLUDED_FLAGS,
    PROBLEM_FLAGS,
    add_flag,
    flag_table,
    join_flags,
    new_row,
    split_flags,
)
from ketamine_evidence.transform.tables import rows

TRANSFORM = Path(__file__).resolve().parents[3] / "transform"
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def _calls_flag_function(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id in ("add_flag", "append_flag")


def _appended_flag(node: ast.Call) -> ast.expr | None:
    """`<x>.flags.append(("tag", reason))`: the tag."""
    func = node.func
    is_append = isinstance(func, ast.Attribute) and func.attr == "append"
    target = func.value if isinstance(func, ast.Attribute) else None
    if is_append and isinstance(target, ast.Attribute) and target.attr == "flags" and node.args:
        first = node.args[0]
        return first.elts[0] if isinstance(first, ast.Tuple) and first.elts else None
    return None


def _writes_flag_column(function: ast.AST) -> bool:
    """It assigns row["flag"] itself, or passes a tag it computes to add_flag/append_flag."""
    assigns = any(
        isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and t.slice.value == "flag"
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        for t in node.targets
    )
    # A tag looked up in the function (`tag = tags.get(...)`), not one passed on from a loop over
    # `.flags` or from the function's own parameters (those are collected where they are made).
    looped = {n.id for node in ast.walk(function) if isinstance(node, ast.For) for n in ast.walk(node.target)
              if isinstance(n, ast.Name)}
    if isinstance(function, ast.FunctionDef):
        looped |= {a.arg for a in function.args.args}
    computed = any(
        isinstance(node, ast.Call) and _calls_flag_function(node) and len(node.args) > 1
        and isinstance(node.args[1], ast.Name) and node.args[1].id not in looped
        for node in ast.walk(function)
    )  # fmt: skip
    return assigns or computed


def _names_in(function: ast.AST) -> set[str]:
    """Identifier-like string constants of a function that writes row["flag"] itself: its tags."""
    return {
        n.value
        for n in ast.walk(function)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and _NAME.match(n.value)
    } - set(COLUMNS)


def emitted_flags() -> set[str]:
    """Every flag the transform code can put on a row, read from its source."""
    found: set[str] = set()
    for path in TRANSFORM.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                tag = node.args[1] if _calls_flag_function(node) and len(node.args) > 1 else _appended_flag(node)
                if isinstance(tag, ast.Constant) and isinstance(tag.value, str):
                    found.add(tag.value)
            elif isinstance(node, ast.FunctionDef) and _writes_flag_column(node):
                found |= _names_in(node)
    return found


def test_every_emitted_flag_is_in_the_table_and_every_row_is_emitted() -> None:
    emitted = emitted_flags()
    assert len(emitted) > 10
    assert emitted == set(flag_table())


def test_flag_table_rows() -> None:
    names = [r["flag"] for r in rows("flags")]
    assert len(names) == len(set(names))
    assert {f.kind for f in flag_table().values()} <= FLAG_KINDS
    assert all(f.description.endswith(".") for f in flag_table().values())


def test_flag_sets_derive_from_the_table() -> None:
    notes = {"composite_outcome", "post_treatment_phase"}
    assert {"pct_over_100", "zero_denominator", "missing_denom", "several_trials", *notes} == POOL_EXCLUDED_FLAGS
    assert {"definition_note", "complement", "onset_sustained", *notes} == NON_PLAIN_FLAGS
    assert POOL_EXCLUDED_FLAGS - notes <= PROBLEM_FLAGS and not NON_PLAIN_FLAGS & PROBLEM_FLAGS
    assert "registry_abstract_disagree" not in PROBLEM_FLAGS and "arm_unresolved" in PROBLEM_FLAGS


def test_only_rows_py_splits_or_joins_flags() -> None:
    own = re.compile(r"""\.split\(\s*["'];["']|["'];["']\.join""")
    offenders = [p.name for p in TRANSFORM.rglob("*.py") if p.name != "rows.py" and own.search(p.read_text())]
    assert offenders == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []), (float("nan"), []), ([], []), (["na_value"], ["na_value"]),
        (["pct_over_100", "complement"], ["pct_over_100", "complement"]), (["a", "", "b"], ["a", "b"]),
        (("a",), ["a"]), (np.array(["a", "b"]), ["a", "b"]), (np.array([], dtype=object), []),
    ],
)  # fmt: skip
def test_split_flags(value: object, expected: list[str]) -> None:
    assert split_flags(value) == expected


@pytest.mark.parametrize("value", [3, "na_value", "pct_over_100;complement"])
def test_split_flags_refuses_a_number_or_a_joined_string(value: object) -> None:
    with pytest.raises(TypeError):
        split_flags(value)


@given(st.lists(st.text(alphabet="abcdefgh_", min_size=1), max_size=5))
def test_join_and_split_round_trip(tags: list[str]) -> None:
    joined = join_flags(tags)
    assert joined == list(dict.fromkeys(tags))
    assert split_flags(joined) == joined


def test_add_flag_keeps_earlier_tags_and_lowers_confidence() -> None:
    row = new_row(confidence="high")
    add_flag(row, "na_value", "first.")
    add_flag(row, "complement", "second.")
    assert (row["flag"], row["flag_reason"], row["confidence"]) == (["na_value", "complement"], "first. second.", "low")
