"""`ketamine-evidence export`: every marts table and view, plus core.outcome and core.screening,
one CSV or Parquet file each (named `<schema>.<table>.<ext>`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ketamine_evidence.errors import ConfigError

FORMATS = ("csv", "parquet")
EXTRA_TABLES = ("core.outcome", "core.screening")


@dataclass(frozen=True)
class Exported:
    table: str
    path: Path
    rows: int


def export_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """marts.* (tables and views) in name order, then core.outcome and core.screening when present."""
    found = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('marts', 'core') order by table_schema desc, table_name").fetchall()
    names = [n for (n,) in found]
    return [n for n in names if n.startswith("marts.")] + [t for t in EXTRA_TABLES if t in names]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be csv or parquet, not {fmt!r}")
    return fmt


def export(con: duckdb.DuckDBPyConnection, output: Path | str, fmt: str) -> list[Exported]:
    """Write one file per table into `output`; returns what was written with its row count."""
    check_format(fmt)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in export_tables(con):
        path = out / f"{table}.{fmt}"
        relation = con.table(table)
        if fmt == "csv":
            relation.write_csv(str(path), header=True)
        else:
            relation.write_parquet(str(path))
        written.append(Exported(table, path, con.execute(f"select count(*) from {table}").fetchall()[0][0]))
    return written
