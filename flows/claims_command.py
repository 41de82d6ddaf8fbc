"""`ketamine-evidence claims`: the claims as a table with their verdicts, or (`--details`) each claim with
the rationale of its verdict and the evidence behind it.

Without a warehouse the claims are still printed, with one line on stderr saying why there are no verdicts,
and the exit code is 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:

    from ketamine_evidence.transform.claims import Claim

Handler = Callable[[argparse.Namespace], int]
Row = dict[str, object]


def add_command(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None],
                add_verified_only: Callable[[argparse.ArgumentParser], None]) -> dict[str, Handler]:
    claims = sub.add_parser("claims", help="print the article's claims, with verdicts when the database exists")
    add_db(claims)
    claims.add_argument("--claims", metavar="FILE", help="claims file (default: transform/claims.yaml)")
    claims.add_argument("--details", action="store_true",
                        help="each claim with its verdict's rationale and evidence (pooled estimate, trial figure)")
    add_verified_only(claims)
    return {"claims": _claims}


def _claims(args: argparse.Namespace) -> int:
    from ketamine_evidence.transform.claims import load_claims
    from ketamine_evidence.warehouse.report.terminal import claims_text

    claims = load_claims(args.claims) if args.claims else load_claims()
    warehouse = Path(args.db).exists()
    rows = _checked(args.db, claims if args.claims else None, args.verified_only) if warehouse else None
    if args.details:
        sys.stdout.write(details_text(claims, rows))
    else:
        found = None if rows is None else {cid: str(row["verdict"]) for cid, row in rows.items()}
        sys.stdout.write(claims_text(claims, found))
    if warehouse:
        return 0
    # The claims are printed, but the verdicts that were asked for are missing: a mistake to act on (exit 2).
    print(f"ketamine-evidence claims: no warehouse at {args.db}, so no verdicts (run `ketamine-evidence "
          "refresh` first)", file=sys.stderr)
    return 2


def _checked(db: str, claims: list[Claim] | None, verified_only: bool) -> dict[str, Row]:
    from ketamine_evidence.warehouse.lock import reading
    from ketamine_evidence.warehouse.report.terminal import check_rows

    with reading(db) as con:
        return check_rows(con, claims, verified_only)


def _present(value: object) -> bool:
    if value is None:
        return False
    try:
        return not bool(value != value)  # NaN, NaT and pandas' NA are not equal to themselves
    except (TypeError, ValueError):  # an array: present
        return True


def _number(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def _pooled(row: Row) -> str | None:
    if not _present(row.get("pooled_estimate")):
        return None
    ci = (f" (95% CI {_number(row['pooled_ci_lower'])}-{_number(row['pooled_ci_upper'])})"
          if _present(row.get("pooled_ci_lower")) else "")
    studies = row.get("pooled_study_keys")
    keys = ", ".join(str(k) for k in studies) if isinstance(studies, Iterable) else ""
    return (f"{row.get('evidence_measure')} {_number(row['pooled_estimate'])}{ci}, k={row.get('pooled_k')},"
            f" n={row.get('pooled_n')} ({row.get('pooled_status')}); studies {keys or 'none'}")


def _trial(row: Row) -> str | None:
    if not _present(row.get("trial_figure")):
        return None
    source = [str(row[k]) for k in ("trial_nct_id", "trial_pmid") if _present(row.get(k))]
    where = ", ".join(str(row[k]) for k in ("trial_drug", "trial_route", "trial_population", "trial_outcome_kind",
                                             "trial_time_window") if _present(row.get(k)))
    day = f", day {row['trial_timepoint_days']:g}" if isinstance(row.get("trial_timepoint_days"), float) else ""
    versus = f", vs {row['trial_comparator_type']}" if _present(row.get("trial_comparator_type")) else ""
    quoted = f'; the source says "{row["trial_span_text"]}"' if _present(row.get("trial_span_text")) else ""
    return (f"{_number(row['trial_figure'])} in {' / '.join(source) or row.get('trial_study_key')}"
            f" ({row.get('trial_source')}, outcome {row.get('trial_outcome_id')}: {where}{day}{versus}){quoted}")


def _lines(claim: Claim, row: Row | None, no_warehouse: bool) -> list[str]:
    from ketamine_evidence.transform.verdicts import describe_scope

    verdict = "no verdict (no warehouse)" if no_warehouse else str(row["verdict"]) if row else "(not in warehouse)"
    lines = [f"{claim.id}  {claim.metric}  {claim.figure_text}  ->  {verdict}",
             f"  Claim:    {claim.text}", f"  Scope:    {describe_scope(claim.scope)}"]
    why = row.get("rationale") if row else claim.reason
    evidence = [("Why:", why), ("Pooled:", _pooled(row) if row else None), ("Trial:", _trial(row) if row else None),
                ("Mismatch:", row.get("mismatch") if row else None)]
    lines += [f"  {label:<9} {text}" for label, text in evidence if _present(text)]
    return lines


def details_text(claims: list[Claim], rows: dict[str, Row] | None) -> str:
    """Each claim as a block: its text and scope, the verdict, its rationale, the pooled estimate and trial
    figure it rests on. `rows` None: there is no warehouse, so no verdicts."""
    blocks = ["\n".join(_lines(claim, (rows or {}).get(claim.id), rows is None)) for claim in claims]
    return "\n\n".join(blocks) + "\n"
