"""Find, order and run the warehouse's `.sql` files (one object per file, layered).

Each file starts with a comment block that documents its object:

    -- core.study: one row per registered study, from the latest raw version.
    -- @key nct_id
    -- @column nct_id: NCT identifier
    -- @accepted overall_status: RECRUITING, COMPLETED, ...

The same comments feed the data dictionary (docs/data-dictionary.md), the key and accepted-value
checks (`warehouse.checks`) and a test that checks them against `DESCRIBE`. `raw` and `meta` hold
persistent tables (their files are DDL); `staging`, `core` and `marts` files are SQL models of the
build graph (`warehouse.graph`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from ketamine_evidence.warehouse.schema import Column, Table

SQL_DIR = Path(str(resources.files(__package__) / "sql"))
LAYERS = ("raw", "meta", "staging", "core", "marts")
_REF = re.compile(r"\b(raw|meta|staging|core|marts)\.([a-z_][a-z0-9_]*)\b")
_COLUMN = re.compile(r"^--\s*@column\s+([a-z_][a-z0-9_]*)\s*:\s*(.*)$")
_KEY = re.compile(r"^--\s*@key\s+(.*)$")
_ACCEPTED = re.compile(r"^--\s*@accepted\s+([a-z_][a-z0-9_]*)\s*:\s*(.*)$")
_TITLE = re.compile(r"^--\s*([a-z_]+\.[a-z_][a-z0-9_]*)\s*:\s*(.*)$")


@dataclass(frozen=True)
class SqlObject:
    layer: str
    name: str
    path: Path
    sql: str
    summary: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...] = ()
    accepted: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def source(self) -> str:
        return f"warehouse/sql/{self.layer}/{self.path.name}"

    def contract(self) -> Table:
        accepted = dict(self.accepted)
        columns = tuple(Column(name, "", doc, accepted.get(name, ())) for name, doc in self.columns)
        return Table(self.qualified, self.summary, columns, self.key, self.source)

    @property
    def depends_on(self) -> frozenset[str]:
        refs = {f"{a}.{b}" for a, b in _REF.findall(_strip_comments(self.sql))}
        return frozenset(refs - {self.qualified})


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def _parse(path: Path) -> SqlObject:
    text = path.read_text(encoding="utf-8")
    summary, columns, accepted = "", [], []
    key: tuple[str, ...] = ()
    for line in text.splitlines():
        if not line.startswith("--"):
            continue
        if m := _COLUMN.match(line):
            columns.append((m.group(1), m.group(2).strip()))
        elif m := _KEY.match(line):
            key = _names(m.group(1))
        elif m := _ACCEPTED.match(line):
            accepted.append((m.group(1), _names(m.group(2))))
        elif (m := _TITLE.match(line)) and not summary:
            summary = m.group(2).strip()
    return SqlObject(path.parent.name, path.stem, path, text, summary, tuple(columns), key, tuple(accepted))


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


@cache
def objects(layer: str) -> tuple[SqlObject, ...]:
    """The layer's objects, ordered so that each comes after the objects it reads."""
    found = {o.qualified: o for o in map(_parse, sorted((SQL_DIR / layer).glob("*.sql")))}
    ordered: list[SqlObject] = []
    done: set[str] = set()

    def visit(key: str, stack: tuple[str, ...]) -> None:
        if key in done or key not in found:
            return
        if key in stack:
            raise RuntimeError(f"circular SQL dependency: {' -> '.join((*stack, key))}")
        for dep in sorted(found[key].depends_on):
            visit(dep, (*stack, key))
        done.add(key)
        ordered.append(found[key])

    for key in found:
        visit(key, ())
    return tuple(ordered)


def run_layer(con: duckdb.DuckDBPyConnection, layer: str) -> None:
    con.execute(f"create schema if not exists {layer}")
    for obj in objects(layer):
        try:
            con.execute(obj.sql)
        except duckdb.Error as exc:
            raise RuntimeError(f"{obj.path.relative_to(SQL_DIR.parent)}: {exc}") from exc
