"""`ketamine-evidence sql` (read-only queries) and `migrate-storage` (convert an older warehouse file)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


def add_commands(sub: argparse._SubParsersAction,
                 add_db: Callable[[argparse.ArgumentParser], None]) -> dict[str, Handler]:
    """Add the subcommands to `sub`; returns their handlers by name."""
    sql = sub.add_parser("sql", help="run a read-only SQL query on the warehouse and print the rows")
    add_db(sql)
    sql.add_argument("query", metavar="QUERY", help="SQL text, e.g. \"select * from marts.prisma_flow\"")
    sql.add_argument("--format", default="table", choices=("table", "csv", "json"),
                     help="table (default), csv or json")
    migrate = sub.add_parser(
        "migrate-storage",
        help="rewrite a warehouse written in DuckDB 2.0's storage format so DuckDB 1.x tools open it")
    add_db(migrate)
    return {"sql": _sql, "migrate-storage": _migrate}


def _sql(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.lock import while_refreshing
    from ketamine_evidence.warehouse.query import render, run_query

    result = while_refreshing(args.db, lambda: run_query(args.db, args.query))
    sys.stdout.write(render(result, args.format))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.db import (
        STORAGE_VERSION,
        connect,
        migrate_storage,
        readable_by_old_duckdb,
        storage_version,
    )

    con = connect(args.db, read_only=True)
    try:
        version = storage_version(con)
    finally:
        con.close()
    if readable_by_old_duckdb(version):
        print(f"{Path(args.db).resolve()} is already in storage format {version}; nothing to do")
        return 0
    backup = migrate_storage(args.db)
    print(f"{Path(args.db).resolve()}: storage format {version} -> {STORAGE_VERSION} (DuckDB 1.0+ opens it)")
    print(f"The original is kept as {backup.resolve()}; delete it once you are satisfied")
    return 0
