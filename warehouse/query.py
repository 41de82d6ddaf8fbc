"""Read-only SQL against the warehouse, for people without the duckdb CLI: rows as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ketamine_evidence.errors import ConfigError, EvidenceError
from ketamine_evidence.warehouse.db import connect

FORMATS = ("table", "csv", "json")


class QueryError(EvidenceError):
    """DuckDB refused the query (syntax, unknown table, a write on the read-only warehouse)."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[object, ...]]


def one_line(error: Exception) -> str:
    """DuckDB's message without its multi-line context (`LINE 1: ...` and the caret under it)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("LINE ") and set(line) != {"^"}]
    return " ".join(kept) or type(error).__name__


def run_query(db: str | Path, sql: str) -> QueryResult:
    """Run `sql` on the warehouse opened read-only, with file access off so it cannot write elsewhere."""
    if not sql.strip():
        raise ConfigError("the query is empty")
    con = connect(db, read_only=True)
    try:
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        cursor = con.execute(sql)
        if cursor.description is None:
            return QueryResult([], [])
        return QueryResult([d[0] for d in cursor.description], cursor.fetchall())
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from None
    finally:
        con.close()


def _text(value: object) -> str:
    return "NULL" if value is None else str(value)


def as_table(result: QueryResult) -> str:
    """Columns padded to their widest value, a rule under the header, and the row count."""
    if not result.columns:
        return ""
    cells = [[_text(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(result.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def as_csv(result: QueryResult) -> str:
    """RFC 4180 CSV with a header; NULL is an empty field, lists are written as JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if result.columns:
        writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else json.dumps(_plain(v)) if isinstance(v, list | dict) else v
                         for v in row])
    return out.getvalue()


def _plain(value: object) -> object:
    """JSON-ready: NaN and infinities become null; dates, decimals and UUIDs become strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def as_json(result: QueryResult) -> str:
    """A JSON array with one object per row (duplicate column names would collapse, so they are refused)."""
    dupes = sorted({c for c in result.columns if result.columns.count(c) > 1})
    if dupes:
        raise QueryError(f"the result has duplicate column names ({', '.join(dupes)}); give them aliases")
    records = [dict(zip(result.columns, (_plain(v) for v in row), strict=True)) for row in result.rows]
    return json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render(result: QueryResult, fmt: str) -> str:
    writers = {"table": as_table, "csv": as_csv, "json": as_json}
    if fmt not in writers:
        raise ConfigError(f"unknown --format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return writers[fmt](result)

