"""``civicforum tables``: seat a panel at tables for every session and write the plan.

Exit status 0 on success, 2 on bad input or rules that cannot all hold (nothing is written then).
The CSV formats of the constraint files are described in ``civicforum.tables.files``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .. import options
from ..output_files import OutputError, check_output_directory, write_texts
from ..spreadsheet import MAX_CSV_BYTES
from ..wording import counted
from . import files
from .engine import allocate
from .files import CellReader, InputError
from .model import (
    DIVERSITY_SLACK,
    HARD_PANEL_EFFORT,
    MAX_SESSIONS,
    AllocationSettings,
    Constraints,
    InfeasibleConstraintsError,
    Progress,
    diversity_aim,
)
from .report import allocation_csv, facilitators_csv, plan_html, scores, scores_json

MAX_EFFORT = 100.0
MAX_DIVERSITY_SLACK = 1000.0  # percent: beyond this, diversity is as good as ignored
# How far the meeting score may fall below random seating's before the CLI says so; a random seating's
# own score varies by a few hundredths around that expectation.
MEETING_MARGIN = 0.01


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicforum tables",
        description="Seat a forum panel at diverse tables, with new faces every session.",
        epilog="Constraint file formats (CSV with a header row): keep-together group,id; "
        "keep-apart id,other; "
        "fixed id,session,table; absent id,session; facilitators facilitator,keep_apart; "
        "clusters cluster,tables,id; past id,session,table (an earlier allocation.csv). "
        f"At most {files.MAX_MEMBERS:,} members, {MAX_SESSIONS} sessions and {MAX_CSV_BYTES // 1_000_000} MB "
        "a file. Exit status: 0 success; 2 bad input or rules that cannot all be met (nothing is written to "
        "--out).",
    )
    parser.add_argument("panel", type=Path, help="panel CSV: id plus one column per feature")
    parser.add_argument(
        "--tables", type=options.whole_number, required=True, help="number of tables in every session"
    )
    parser.add_argument(
        "--sessions", type=options.whole_number, required=True, help="number of sessions, past ones included"
    )
    parser.add_argument("--diversify", required=True, help="comma-separated feature columns to balance")
    parser.add_argument(
        "--table-sizes", help="comma-separated seats per table (default: as even as possible)"
    )
    parser.add_argument(
        "--keep-together",
        type=Path,
        help="CSV of groups who always share a table (a carer and the person they support)",
    )
    parser.add_argument("--keep-apart", type=Path, help="CSV of pairs who never share a table")
    parser.add_argument("--fixed", type=Path, help="CSV of seats fixed in advance (step-free access)")
    parser.add_argument("--absent", type=Path, help="CSV of members missing a session")
    parser.add_argument(
        "--facilitators",
        type=Path,
        help="CSV of facilitators (each table gets one) and members each must not facilitate",
    )
    parser.add_argument(
        "--clusters", type=Path, help="CSV of small groups (one language) kept on a given number of tables"
    )
    parser.add_argument("--past", type=Path, help="sessions already run, kept as they were")
    parser.add_argument(
        "--seed", type=options.whole_number, default=0, help="another seed gives another plan (default 0)"
    )
    parser.add_argument(
        "--effort",
        type=options.decimal_number,
        default=1.0,
        help="search this many times longer for a better plan (default 1; the same seed and effort "
        "give the same plan on any machine); when a plan's diversity ends more than 5%% above its bound "
        "(with a larger --diversity-slack, that slack plus 1%%), "
        f"the search starts over once with {HARD_PANEL_EFFORT:g} times the effort without being asked",
    )
    parser.add_argument(
        "--diversity-slack",
        type=options.decimal_number,
        default=100 * DIVERSITY_SLACK,
        metavar="PERCENT",
        help=f"how far above its lower bound diversity may go so that people meet more others (default "
        f"{100 * DIVERSITY_SLACK:g}, which keeps it within 5%%; more, say 15, when new faces matter more "
        "than the last few percent of balance)",
    )
    parser.add_argument(
        "--time-limit",
        type=options.decimal_number,
        help="seconds the search may take (reading, bounds and writing come on top); a limit that cuts the "
        "search short makes the plan depend on the machine's speed",
    )
    parser.add_argument(
        "--names",
        metavar="COLUMN",
        help="panel column (a name, say) printed beside each id in plan.html; allocation.csv keeps ids only",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    parser.add_argument(
        "--out",
        type=options.output_directory,
        required=True,
        help="directory for allocation.csv, scores.json and plan.html "
        "(and facilitators.csv with --facilitators)",
    )
    return parser


def _table_sizes(text: str | None, tables: int) -> list[int] | None:
    if text is None:
        return None
    sizes = [files.whole_number(part.strip()) or 0 for part in text.split(",")]
    if len(sizes) != tables or not all(sizes):
        raise InputError(
            f"--table-sizes: give {tables} positive whole numbers separated by commas, not {text!r}"
        )
    return sizes


def _output_names(args: argparse.Namespace) -> list[str]:
    names = ["allocation.csv", "scores.json", "plan.html"]
    return [*names, "facilitators.csv"] if args.facilitators else names


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv[1:])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    features = list(dict.fromkeys(f.strip() for f in args.diversify.split(",") if f.strip()))  # once each
    try:
        if args.tables < 1:
            raise InputError(
                f"--tables must be at least 1, not {args.tables}: give the number of tables in every session"
            )
        if args.sessions < 1:
            raise InputError(
                f"--sessions must be at least 1, not {args.sessions}: give the number of times the forum "
                "meets at tables, past sessions included"
            )
        if args.sessions > MAX_SESSIONS:
            raise InputError(
                f"--sessions must be at most {MAX_SESSIONS}, not {args.sessions:,}: give the number of times "
                "the forum meets at tables, past sessions included"
            )
        if not features:
            raise InputError(
                f"--diversify names no column ({args.diversify!r}); give the panel columns to balance"
            )
        if not 0 < args.effort <= MAX_EFFORT:
            raise InputError(
                f"--effort must be above 0 and at most {MAX_EFFORT:g}, not {args.effort:g}: 1 is the "
                "usual search, 4 or 8 search four or eight times longer"
            )
        if args.seed < 0:
            raise InputError(
                f"--seed must be 0 or more, not {args.seed}: any other number gives another plan"
            )
        if not 0 <= args.diversity_slack <= MAX_DIVERSITY_SLACK:
            raise InputError(
                f"--diversity-slack must be a percentage from 0 to {MAX_DIVERSITY_SLACK:g}, not "
                f"{args.diversity_slack:g}: {100 * DIVERSITY_SLACK:g} is the usual, more lets people meet "
                "more others"
            )
        if args.time_limit is not None and not 0 < args.time_limit < math.inf:
            raise InputError(f"--time-limit must be a number of seconds above 0, not {args.time_limit:g}")
        check_output_directory(args.out, _output_names(args))  # before minutes of search
        members = files.read_panel(args.panel, features)
        names = files.read_names(args.panel, args.names) if args.names else {}
        if args.tables > len(members):
            raise InputError(
                f"{args.panel}: {counted(len(members), 'member', 'members')} cannot fill {args.tables} "
                f"tables; use at most {len(members)} (--tables {len(members)})"
            )
        known = {m.id for m in members}
        sources: files.Sources = {}  # where each rule was read, to name the rows of rules in conflict
        notes: list[str] = []  # members in two groups or clusters: what the engine makes of it

        def reader(path: Path) -> CellReader:
            return CellReader(path, known, args.tables, args.sessions)

        constraints = Constraints(
            keep_together=files.read_keep_together(
                args.keep_together, reader(args.keep_together), sources, notes
            )
            if args.keep_together
            else (),
            keep_apart=files.read_keep_apart(args.keep_apart, reader(args.keep_apart), sources)
            if args.keep_apart
            else (),
            fixed=files.read_fixed(args.fixed, reader(args.fixed), sources) if args.fixed else (),
            absent=files.read_absent(args.absent, reader(args.absent), sources) if args.absent else {},
            facilitators=files.read_facilitators(args.facilitators, reader(args.facilitators), sources)
            if args.facilitators
            else (),
            clusters=files.read_clusters(args.clusters, reader(args.clusters), sources, notes)
            if args.clusters
            else (),
            sources=sources,
        )
        past = files.read_past(args.past, reader(args.past)) if args.past else []
        for note in notes:
            print(f"note: {note}", file=sys.stderr)

        def progress(report: Progress) -> None:
            if not args.quiet:
                print(f"{report.done:4.0%} {report.message}", file=sys.stderr)

        settings = AllocationSettings(
            tables=args.tables,
            sessions=args.sessions,
            diversify=features,
            table_sizes=_table_sizes(args.table_sizes, args.tables),
            seed=args.seed,
            effort=args.effort,
            diversity_slack=args.diversity_slack / 100,
            time_limit=args.time_limit,
            past=past,
            progress=progress,
        )
        allocation = allocate(members, settings, constraints)
    except InfeasibleConstraintsError as error:
        lines = [f"  - {problem}" for problem in error.problems]
        if lines:
            lines.insert(0, "error: these rules cannot all be met:")
        if error.conflict:  # a lead-in, then the fewest rules found that conflict, each with its file and row
            lead, *rules = error.conflict
            lines += [lead if lines else f"error: {lead}", *(f"  - {rule}" for rule in rules)]
        print("\n".join(lines), file=sys.stderr)
        return 2
    except (ValueError, OutputError) as error:  # InputError, and malformed input found by the engine
        print(f"error: {error}", file=sys.stderr)
        return 2
    by_id = {m.id: m for m in members}
    summary = scores(by_id, allocation, features)
    outputs = {
        "allocation.csv": allocation_csv(allocation),
        "scores.json": scores_json(summary),
        "plan.html": plan_html(by_id, allocation, features, summary, names),
    }
    if constraints.facilitators:
        outputs["facilitators.csv"] = facilitators_csv(allocation)
    try:
        write_texts(args.out, outputs)
    except OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {', '.join(outputs)} to {args.out}: diversity {_against_bound(summary)}, meetings "
        f"{summary['meeting_norm']:.3f} (random seating {summary['meeting_norm_random']:.3f}), "
        f"{counted(summary['repeat_pairs'], 'repeat pair', 'repeat pairs')}"
    )
    if allocation.stopped_by_time_limit:
        print(
            f"note: the time limit of {args.time_limit:g} s ended the search before it had done its planned "
            "work, so the tables may be less diverse, and people may meet fewer others, than a full search "
            "would give. Allow more time (--time-limit), or leave the limit out: then the same seed gives "
            "the same plan on any machine.",
            file=sys.stderr,
        )
    else:
        _hint_if_diversity_missed(summary, settings)
    _hint_if_mixing_below_random(summary)
    return 0


def _against_bound(summary: dict) -> str:
    """The plan's diversity beside its lower bound, as the share above it that the targets speak of."""
    achieved, bound = summary["diversity_l1"], summary["diversity_lower_bound"]
    if bound > 0:
        return f"{achieved:.3f} ({achieved / bound - 1:.1%} above its lower bound {bound:.3f})"
    return f"{achieved:.3f} (lower bound 0)"


def _hint_if_mixing_below_random(summary: dict) -> None:
    """Tell the officer when members meet fewer new people than random seating would let them, and
    why: rules that hold people together, or, on small panels balanced on many features, so few
    near-balanced tables that the same people keep meeting (bench/RESULTS.md)."""
    achieved, at_random = summary["meeting_norm"], summary["meeting_norm_random"]
    if achieved >= at_random - MEETING_MARGIN:
        return
    print(
        f"note: the meeting score {achieved:.3f} is below the {at_random:.3f} that seating people at "
        "random would give on average. Groups kept together, fixed seats and clusters can force that; "
        "otherwise it is the price of diversity: with this many features to balance at these tables, "
        "the well-balanced seatings keep putting the same people together. Balancing fewer features "
        "(--diversify), or letting diversity go further above its bound (--diversity-slack 20, or more), "
        "would let people meet more others.",
        file=sys.stderr,
    )


def _hint_if_diversity_missed(summary: dict, settings: AllocationSettings) -> None:
    """Tell the officer when diversity ends further above its bound than the engine aims for, and what
    may help: a panel whose features are hard to balance jointly needs a longer search (the engine has
    already searched again with ``hard_panel_effort``), while rules (fixed seats, clusters, groups kept
    together) can force it, and on some panels the bound itself is out of reach (bench/RESULTS.md: one
    generated panel's best session is 7.2% above it, proven)."""
    bound, achieved = summary["diversity_lower_bound"], summary["diversity_l1"]
    aim = diversity_aim(settings.diversity_slack)
    if achieved <= (1 + aim) * bound + 1e-6:  # scores are rounded to 1e-6
        return
    if bound > 0:
        gap = achieved / bound - 1
        where = f"{gap:.1%} above its lower bound, more than the {aim:.0%} aimed for"
    else:
        where = f"{achieved:.3f} where tables that mirror the panel exactly (0) are possible"
    tried = max(settings.effort, settings.hard_panel_effort or 0)
    again = (
        f"The search already ran again with {tried:g} times the effort; a" if tried > settings.effort else "A"
    )
    print(
        f"note: diversity is {where}. Fixed seats, clusters and groups kept together can force that, "
        "and so can the panel itself: the bound balances each feature on its own, and on some panels "
        f"no seating balances them all at once that well. {again} longer search may still find better "
        f"tables: try --effort {max(8, 2 * tried):g} (it takes about that many times longer).",
        file=sys.stderr,
    )
