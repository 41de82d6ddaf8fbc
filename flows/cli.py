"""`ketamine-evidence`: the command line. Errors the user can act on become one line on stderr."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ketamine_evidence.errors import ConfigError, EvidenceError
from ketamine_evidence.flows import review_cli
from ketamine_evidence.flows.claims_command import add_command as add_claims_command
from ketamine_evidence.flows.errors import prefect_failure
from ketamine_evidence.flows.settings import RefreshOptions, check_since, parse_since, tool_version
from ketamine_evidence.flows.sql_command import add_commands as add_sql_commands
from ketamine_evidence.warehouse.dbfile import DB_ENV, DEFAULT_DB, default_db

# Building the parser imports nothing heavy (no Prefect, DuckDB, pandas, matplotlib), so `--help` and
# option errors answer at once; each command imports what it needs when it runs.
EXIT_ERROR = 2
# warehouse/report/export.py's FORMATS, named here so that `--help` need not import DuckDB; `export`
# itself checks the format against that module (a test keeps this text in step with it).
EXPORT_FORMATS_HELP = "csv (default), parquet, metapsy (the Metapsy data standard) or revman (RevMan-style CSV)"


class _NoTracebackForKnownErrors(logging.Filter):
    """Prefect logs failures with a traceback; for our named errors and its own known failures one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and (isinstance(error, EvidenceError) or prefect_failure(error)):
            record.exc_info = None
            record.exc_text = None
        return True


def _quiet_known_errors() -> None:
    known = _NoTracebackForKnownErrors()
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addFilter(known)
    for handler in logging.getLogger().handlers + logging.getLogger("prefect").handlers:
        handler.addFilter(known)


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=default_db(),
                        help=f"DuckDB file (default: ${DB_ENV}, else {DEFAULT_DB})")


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (package metadata is slow to read)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        sys.stdout.write(f"{parser.prog} {tool_version()}\n")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketamine-evidence", description=__doc__)
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)

    refresh = sub.add_parser(
        "refresh", help="fetch (or replay) PubMed and ClinicalTrials.gov, rebuild the warehouse")
    _add_db(refresh)
    source = refresh.add_mutually_exclusive_group()
    source.add_argument("--offline", action="store_true", help="replay the bundled sample (no network)")
    source.add_argument("--snapshot", metavar="DIR", help="replay a recorded snapshot directory (no network)")
    refresh.add_argument("--record", metavar="DIR", help="save what a live run fetched as a snapshot in DIR")
    refresh.add_argument(
        "--since", metavar="DATE",
        help="incremental: records updated on/after DATE (YYYY-MM-DD), or `last` for the start of the"
             " last successful live run")
    refresh.add_argument("--ctgov-cond", help="override the ClinicalTrials.gov query.cond")
    refresh.add_argument("--ctgov-intr", help="override the ClinicalTrials.gov query.intr")
    refresh.add_argument("--pubmed-query", help="override the PubMed search term")
    refresh.add_argument("--decisions", metavar="FILE", help="load a review decisions file before the build")
    _add_verified_only(refresh)

    status = sub.add_parser("status", help="what the database holds, last runs and their counts")
    _add_db(status)
    status.add_argument("--runs", type=int, default=5, help="how many recent runs to show")

    dictionary = sub.add_parser("dictionary", help="write the data dictionary (Markdown) from the SQL files")
    dictionary.add_argument("--output", default="-", help="file to write (default: stdout)")
    _add_analyst_commands(sub)
    COMMANDS.update(add_sql_commands(sub, _add_db))
    review_cli.register(sub)
    COMMANDS["review"] = review_cli.run
    return parser


def _add_verified_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verified-only", action="store_true", help="pools and verdicts from checked rows only")


def _add_analyst_commands(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="write the HTML and Markdown evidence report with forest plots")
    _add_db(report)
    report.add_argument("--output", default="report", metavar="DIR", help="directory to write (default: ./report)")
    report.add_argument("--claims", metavar="FILE", help="judge another claims file against the same evidence")
    _add_verified_only(report)

    COMMANDS.update(add_claims_command(sub, _add_db, _add_verified_only))

    export = sub.add_parser("export", help="write every marts table, core.outcome and core.screening to DIR")
    _add_db(export)
    export.add_argument("--format", default="csv", help=EXPORT_FORMATS_HELP)
    export.add_argument("--include-held", action="store_true",
                        help="metapsy/revman: also comparisons resting on rows held for review (marked as such)")
    export.add_argument("output", metavar="DIR", help="directory to write, one file per table")


def _refresh(args: argparse.Namespace) -> int:
    from ketamine_evidence.flows.refresh import refresh
    from ketamine_evidence.warehouse.lock import check_free

    mode = "offline" if args.offline else "snapshot" if args.snapshot else "live"
    check_since(mode, args.since)
    options = RefreshOptions(
        db=args.db, mode=mode, snapshot=args.snapshot, record=args.record,
        since=None if args.since == "last" else parse_since(args.since),
        ctgov_cond=args.ctgov_cond, ctgov_intr=args.ctgov_intr, pubmed_query=args.pubmed_query)
    check_free(options.db)  # before Prefect starts its server: a second refresh fails at once
    _quiet_known_errors()
    try:
        refresh(db=options.db, mode=options.mode, snapshot=options.snapshot, record=options.record,
                since=args.since, ctgov_cond=options.ctgov_cond, ctgov_intr=options.ctgov_intr,
                pubmed_query=options.pubmed_query, decisions=args.decisions, verified_only=args.verified_only)
    except Exception as exc:
        problem = prefect_failure(exc)
        if problem is None:
            raise
        raise problem from exc
    print(f"DuckDB file: {Path(args.db).resolve()}")
    print(_describe(args.db))
    if args.record:
        print(f"Snapshot recorded in {Path(args.record).resolve()} (replay with --snapshot)")
    return 0


def _describe(db: str) -> str:
    from ketamine_evidence.warehouse.status import describe

    return describe(db)


def _status(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.status import describe

    text = describe(args.db, runs=args.runs)
    print(f"DuckDB file: {Path(args.db).resolve()}")
    print(text)
    return 0


def _dictionary(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.dictionary import render

    text = render()
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def _report(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.lock import reading
    from ketamine_evidence.warehouse.report.writer import write_report

    with reading(args.db) as con:
        files = write_report(con, args.output, verified_only=args.verified_only, claims_path=args.claims)
    print(f"Report: {files.html.resolve()}")
    print(f"Markdown: {files.markdown.resolve()} ({len(files.plots)} forest plots beside it)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from ketamine_evidence.warehouse.lock import reading
    from ketamine_evidence.warehouse.report.export import check_format, export

    check_format(args.format)
    with reading(args.db) as con:
        written = export(con, args.output, args.format, include_held=args.include_held)
    for item in written:
        print(f"{item.path}  {item.rows} rows")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "refresh": _refresh, "status": _status, "dictionary": _dictionary, "report": _report, "export": _export,
}


def _check_args(args: argparse.Namespace) -> None:
    """User mistakes, caught before anything is opened, created or written."""
    from ketamine_evidence.warehouse.dbfile import check_db_path

    if getattr(args, "db", None):
        writing = args.command == "refresh" or getattr(args, "review_command", None) == "apply"
        check_db_path(args.db, writing=writing)
    decisions = getattr(args, "decisions", None)
    if args.command == "refresh" and decisions and not Path(decisions).is_file():
        raise ConfigError(f"--decisions {decisions}: file does not exist")
    if args.command == "status" and args.runs < 0:
        raise ConfigError(f"--runs must be 0 or more, not {args.runs}")
    output = Path(args.output) if args.command in ("dictionary", "report", "export") else None
    if args.command == "dictionary" and args.output != "-" and output and not output.absolute().parent.is_dir():
        raise ConfigError(f"--output {args.output}: folder {output.absolute().parent} does not exist")
    if args.command in ("report", "export") and output and output.exists() and not output.is_dir():
        raise ConfigError(f"{'--output ' if args.command == 'report' else ''}{args.output}: is a file; give a folder")


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    args = build_parser().parse_args(argv)
    try:
        _check_args(args)
        return COMMANDS[args.command](args)
    except EvidenceError as exc:
        kind = "option error" if isinstance(exc, ConfigError) else "error"
        print(f"ketamine-evidence {args.command}: {kind}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
