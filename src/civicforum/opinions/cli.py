"""`civicforum opinions VOTES.csv [--comments C.csv] [--min-votes N] [--max-groups G] [--seed S] --out DIR`.

Bad input exits with status 2 and a message naming the file and row; nothing is written then,
because outputs go to a temporary directory that is moved into place only on success.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from civicforum import options
from civicforum.opinions.engine import MAX_ALLOWED_GROUPS, MapSettings, compute_map
from civicforum.opinions.outputs import write_all
from civicforum.opinions.votes import InputFileError, read_comments, read_votes
from civicforum.output_files import OutputError, check_output_directory, write_atomically
from civicforum.wording import counted

OUTPUT_FILES = ("groups.csv", "statements.csv", "map.json", "map.svg", "report.html")
T = TypeVar("T")
MAX_SEED = 2**32 - 1  # the largest random_state scikit-learn's KMeans takes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicforum opinions",
        description="Map a Pol.is-style conversation: groups, representative and consensus statements",
        epilog="Exit status: 0 success; 2 bad input (nothing is written to --out).",
    )
    parser.add_argument("votes", type=Path, help="votes.csv (voter-id, comment-id, vote[, timestamp])")
    parser.add_argument("--comments", type=Path, help="comments.csv with the statement texts")
    parser.add_argument(
        "--min-votes", type=options.whole_number, default=7, help="votes needed to be grouped (default 7)"
    )
    parser.add_argument(
        "--max-groups",
        type=options.whole_number,
        default=5,
        help=f"most groups to look for, 2-{MAX_ALLOWED_GROUPS} (default 5)",
    )
    parser.add_argument(
        "--seed",
        type=options.whole_number,
        default=0,
        help=f"random seed, 0-{MAX_SEED} (same seed, same map)",
    )
    parser.add_argument(
        "--out",
        type=options.output_directory,
        required=True,
        help=f"directory for {', '.join(OUTPUT_FILES[:-1])} and {OUTPUT_FILES[-1]}",
    )
    return parser


def main(argv: list[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv[1:])
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if not 2 <= args.max_groups <= MAX_ALLOWED_GROUPS:
        return _fail(f"--max-groups must be between 2 and {MAX_ALLOWED_GROUPS}, got {args.max_groups}")
    if args.min_votes < 1:
        return _fail(f"--min-votes must be at least 1, got {args.min_votes}")
    if not 0 <= args.seed <= MAX_SEED:
        return _fail(f"--seed must be between 0 and {MAX_SEED}, got {args.seed}")
    try:
        check_output_directory(args.out, OUTPUT_FILES)
    except OutputError as error:
        return _fail(str(error))
    comment_problems: list[str] = []
    statements = _read(read_comments, args.comments, comment_problems) if args.comments else None
    known = None if statements is None else {s.statement_id for s in statements}
    problems: list[str] = []
    votes = _read(
        partial(read_votes, known_statements=known, comments_file=str(args.comments)), args.votes, problems
    )
    problems += comment_problems
    if votes is None or problems:
        return _fail("\n".join([*problems, "Nothing was written."]))
    if statements is not None:
        votes = votes.without_statements(s.statement_id for s in statements if s.moderated_out)
        if votes.n_statements == 0:
            return _fail(
                f"{args.comments}: every statement voted on is moderated out (moderated = -1), so there is "
                "nothing to map; check that it is the comments file of this conversation, or accept some "
                "statements (moderated = 1). Nothing was written."
            )
    settings = MapSettings(min_votes=args.min_votes, max_groups=args.max_groups, seed=args.seed)
    opinion_map = compute_map(votes, settings=settings)
    try:
        write_atomically(
            args.out, OUTPUT_FILES, lambda directory: write_all(opinion_map, statements, settings, directory)
        )
    except OutputError as error:
        return _fail(f"{error} Nothing was written.")
    print(
        f"{counted(votes.n_participants, 'participant', 'participants')}, "
        f"{counted(votes.n_statements, 'statement', 'statements')}, "
        f"{counted(opinion_map.group_labels.size, 'group', 'groups')}; results in {args.out}"
    )
    if opinion_map.group_labels.size == 0:
        print(
            f"note: nobody cast the {args.min_votes} votes needed to be placed in a group, so the map has "
            "no groups; with few votes so far, a lower --min-votes groups people on less evidence",
            file=sys.stderr,
        )
    return 0


def _read(reader: Callable[[Path], T], path: Path, problems: list[str]) -> T | None:
    """``reader(path)``, or None with its problems added to ``problems``: both input files are read
    before giving up, so one run reports everything to fix in either file."""
    try:
        return reader(path)
    except InputFileError as error:
        problems.append(str(error))
        return None


def _fail(message: str) -> int:
    print(f"civicforum opinions: {message}", file=sys.stderr)
    return 2
