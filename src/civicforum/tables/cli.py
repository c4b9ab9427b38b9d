"""``civicforum tables``: seat a panel at tables for every session and write the plan.

Exit status 0 on success, 2 on bad input or rules that cannot all hold (nothing is written then).
The CSV formats of the constraint files are described in ``civicforum.tables.files``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from . import files
from .engine import allocate
from .files import CellReader, InputError
from .model import AllocationSettings, Constraints, InfeasibleConstraintsError, Progress
from .report import allocation_csv, plan_html, scores, scores_json

OUTPUTS = ("allocation.csv", "scores.json", "plan.html")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicforum tables",
        description="Seat a forum panel at diverse tables, with new faces every session.",
        epilog="Constraint file formats (CSV with a header row): keep-together group,id; "
        "keep-apart id,other; "
        "fixed id,session,table; absent id,session; facilitators facilitator,keep_apart; "
        "clusters cluster,tables,id; past id,session,table (an earlier allocation.csv).",
    )
    parser.add_argument("panel", type=Path, help="panel CSV: id plus one column per feature")
    parser.add_argument("--tables", type=int, required=True)
    parser.add_argument("--sessions", type=int, required=True)
    parser.add_argument("--diversify", required=True, help="comma-separated feature columns to balance")
    parser.add_argument(
        "--table-sizes", help="comma-separated seats per table (default: as even as possible)"
    )
    parser.add_argument("--keep-together", type=Path)
    parser.add_argument("--keep-apart", type=Path)
    parser.add_argument("--fixed", type=Path)
    parser.add_argument("--absent", type=Path)
    parser.add_argument("--facilitators", type=Path)
    parser.add_argument("--clusters", type=Path)
    parser.add_argument("--past", type=Path, help="sessions already run, kept as they were")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-limit", type=float, help="seconds; may make the result depend on machine speed"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    parser.add_argument("--out", type=Path, required=True, help="directory for the output files")
    return parser


def _table_sizes(text: str | None, tables: int) -> list[int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != tables or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise InputError(
            f"--table-sizes: give {tables} positive whole numbers separated by commas, not {text!r}"
        )
    return [int(p) for p in parts]


def _write_outputs(out: Path, contents: dict[str, str]) -> None:
    """Write to a temporary directory next to ``out`` and move the files into place only when all exist."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, text in contents.items():
            (staging / name).write_text(text, encoding="utf-8")
        out.mkdir(exist_ok=True)
        for name in contents:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv[1:])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    features = [f.strip() for f in args.diversify.split(",") if f.strip()]
    try:
        if args.tables < 1 or args.sessions < 1:
            raise InputError("--tables and --sessions must be at least 1")
        members = files.read_panel(args.panel, features)
        if args.tables > len(members):
            raise InputError(
                f"{args.panel}: {len(members)} members cannot fill {args.tables} tables; use fewer tables"
            )
        known = {m.id for m in members}

        def reader(path: Path) -> CellReader:
            return CellReader(path, known, args.tables, args.sessions)

        constraints = Constraints(
            keep_together=files.read_keep_together(args.keep_together, reader(args.keep_together))
            if args.keep_together
            else (),
            keep_apart=files.read_keep_apart(args.keep_apart, reader(args.keep_apart))
            if args.keep_apart
            else (),
            fixed=files.read_fixed(args.fixed, reader(args.fixed)) if args.fixed else (),
            absent=files.read_absent(args.absent, reader(args.absent)) if args.absent else {},
            facilitators=files.read_facilitators(args.facilitators, reader(args.facilitators))
            if args.facilitators
            else (),
            clusters=files.read_clusters(args.clusters, reader(args.clusters)) if args.clusters else (),
        )
        past = files.read_past(args.past, reader(args.past)) if args.past else []

        def progress(report: Progress) -> None:
            if not args.quiet:
                print(f"{report.done:4.0%} {report.message}", file=sys.stderr)

        settings = AllocationSettings(
            tables=args.tables,
            sessions=args.sessions,
            diversify=features,
            table_sizes=_table_sizes(args.table_sizes, args.tables),
            seed=args.seed,
            time_limit=args.time_limit,
            past=past,
            progress=progress,
        )
        allocation = allocate(members, settings, constraints)
    except InfeasibleConstraintsError as error:
        print("error: these rules cannot all be met:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except ValueError as error:  # InputError, and malformed input found by the engine
        print(f"error: {error}", file=sys.stderr)
        return 2
    by_id = {m.id: m for m in members}
    summary = scores(by_id, allocation, features)
    _write_outputs(
        args.out,
        {
            "allocation.csv": allocation_csv(allocation),
            "scores.json": scores_json(summary),
            "plan.html": plan_html(by_id, allocation, features, summary),
        },
    )
    print(
        f"wrote {', '.join(OUTPUTS)} to {args.out}: diversity {summary['diversity_l1']:.3f} "
        f"(bound {summary['diversity_lower_bound']:.3f}), meetings {summary['meeting_norm']:.3f}, "
        f"{summary['repeat_pairs']} repeat pairs"
    )
    return 0
