"""`ketamine-evidence review ...`: export a review sheet, apply a filled-in one, status, the decisions file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from ketamine_evidence.warehouse.dbfile import DB_ENV, DEFAULT_DB, default_db

if TYPE_CHECKING:
    from ketamine_evidence.flows.settings import RefreshOptions

Handler = Callable[[argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `review` command group to the CLI's subcommands."""
    review = sub.add_parser("review", help="people confirm, correct, reject or add extracted figures")
    actions = review.add_subparsers(dest="review_command", required=True)
    export = _action(actions, "export", "write a review sheet (CSV) of the figures still needing a person", _export)
    export.add_argument("file", metavar="FILE")
    export.add_argument("--all", action="store_true", help="every core.outcome row, decided or not")
    apply = _action(actions, "apply", "store the decisions of a filled-in sheet, then rebuild", _apply)
    apply.add_argument("file", metavar="FILE")
    apply.add_argument("--reviewer", help="who decided (a reviewer column in the sheet wins)")
    apply.add_argument("--adjudicate", action="store_true", help="these decisions settle conflicts")
    _action(actions, "status", "rows by decision, rows still needing review, conflicts, orphans", _status)
    decisions = _action(actions, "export-decisions", "write every stored decision to a plain file", _export_decisions)
    decisions.add_argument("file", metavar="FILE")


def _action(actions: argparse._SubParsersAction, name: str, text: str, handler: Handler) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=text)
    parser.add_argument("--db", default=default_db(), help=f"DuckDB file (default: ${DB_ENV}, else {DEFAULT_DB})")
    parser.set_defaults(handler=handler)
    return parser


def run(args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    return handler(args)


def _export(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.lock import reading
    from ketamine_evidence.warehouse.review_sheet import write_sheet

    with reading(args.db) as con:
        written = write_sheet(con, args.file, every_row=args.all)
    print(f"{args.file}: {written} figures to review")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import opened
    from ketamine_evidence.warehouse.review import apply_sheet

    with opened(args.db) as con:
        applied = apply_sheet(con, args.file, args.reviewer, adjudicate=args.adjudicate)
        build(con)
    words = ", ".join(f"{w} {n}" for w, n in sorted(applied.by_word.items())) or "none"
    print(f"{args.file}: {applied.decisions} decisions stored ({words}); warehouse rebuilt")
    return 0


def _status(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.lock import reading
    from ketamine_evidence.warehouse.review import status_text

    with reading(args.db) as con:
        sys.stdout.write(status_text(con))
    return 0


def _export_decisions(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.db import opened
    from ketamine_evidence.warehouse.review import export_decisions

    with opened(args.db) as con:
        written = export_decisions(con, args.file)
    print(f"{args.file}: {written} decisions")
    return 0


def load_decisions(db: str, path: str) -> int:
    """Store a decisions file's new decisions before a refresh builds (`refresh --decisions FILE`)."""
    from ketamine_evidence.warehouse.db import opened
    from ketamine_evidence.warehouse.review import import_decisions

    with opened(db) as con:
        return import_decisions(con, path)


def build_verified(options: RefreshOptions) -> dict[str, int]:
    """The refresh's build step with the main marts from checked rows only (`refresh --verified-only`)."""
    from ketamine_evidence.warehouse.build import build
    from ketamine_evidence.warehouse.db import opened

    with opened(options.db) as con:
        return vars(build(con, verified_only=True))
