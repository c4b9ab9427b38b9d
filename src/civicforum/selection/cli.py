"""``civicforum select`` and ``civicforum selection verify``: the selection engine for a selection officer.

Either every output file is written or none is: outputs go to a temporary directory next to ``--out``
and are moved into place only after the whole run succeeded, so a failed run never leaves a
half-written panel that someone might act on. Bad input and impossible quotas exit with status 2 and
say which file, row and column to fix; a failed verification exits with status 1.

For a public draw, ``--commit-only`` writes just the lottery (the M panels and their commitment) to
publish first; once the seed is announced, the same command with ``--seed S --expect-commitment C``
draws, refusing if anything changed in between (the computation is deterministic).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from civicforum import options
from civicforum.output_files import OutputError, check_output_directory, write_texts
from civicforum.plain_text import not_showing, untypable_characters
from civicforum.selection.diagnose import Diagnosis, QuotaChange, QuotaCheckUndecided, diagnose
from civicforum.selection.io import id_column_name, load_instance, people_csv
from civicforum.selection.lottery import (
    DEFAULT_LOTTERY_SIZE,
    draw_index,
    lottery_summary,
    new_seed,
    round_to_lottery,
    verify_draw,
)
from civicforum.selection.replacements import plan_replacements, unmet_quota_messages
from civicforum.selection.report import ReportData, render_report
from civicforum.selection.types import (
    Algorithm,
    InfeasibleQuotasError,
    InputError,
    InputProblem,
    Instance,
    SelectionError,
    SelectionResult,
)
from civicforum.spreadsheet import CsvRowError, printable, read_csv_records
from civicforum.wording import counted, plural, whole_number

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2
FORMAT = "civicforum-selection/1"
DRAW_FILES = ("selected.csv", "remaining.csv", "probabilities.csv", "distribution.json", "report.html")
COMMIT_FILES = ("lottery.json",)
MAX_LOTTERY_PANELS = 100_000  # 100x the default; 10^8 panels ran for minutes before any output


class StderrProgress:
    """Progress lines on stderr, at most one per 10% step or change of message, so logs stay readable."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.last: tuple[int, str] | None = None

    def __call__(self, fraction: float, message: str) -> None:
        step = (int(max(0.0, min(fraction, 1.0)) * 10), message)
        if step != self.last:
            self.last = step
            print(f"[{step[0] * 10:3d}%] {message}", file=self.stream, flush=True)


def build_select_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicforum select",
        description="Select a panel from a pool of volunteers so that it meets every quota and gives every "
        "volunteer as equal a chance as the quotas allow, then draw it by a verifiable public lottery.",
        epilog="Exit status: 0 success; 2 bad input or impossible quotas (nothing is written to --out).",
    )
    parser.add_argument(
        "people",
        metavar="PEOPLE.csv",
        help="the pool: an id column, one column per feature (and address columns); CSV (UTF-8) or XLSX",
    )
    parser.add_argument(
        "features",
        metavar="FEATURES.csv",
        help="the quotas: feature,value,min,max[,min_flex,max_flex]; CSV or XLSX",
    )
    parser.add_argument(
        "--panel",
        metavar="K",
        type=options.whole_number,
        required=True,
        help="panel size (including members already selected)",
    )
    parser.add_argument(
        "--algorithm",
        choices=[a.value for a in Algorithm],
        default=Algorithm.LEXIMIN.value,
        help="how chances are shared out (default: leximin, the fairest)",
    )
    parser.add_argument(
        "--address-columns",
        metavar="COL[,COL...]",
        default="",
        help="columns that identify a household, the first naming the home (house number and street); at "
        "most one person per household is selected",
    )
    parser.add_argument(
        "--id-column",
        metavar="COL",
        help="the id column of PEOPLE.csv (default: 'id' or 'nationbuilder_id', else the first column)",
    )
    parser.add_argument(
        "--already-selected",
        metavar="IDS.csv",
        help="ids of confirmed members to keep; the "
        "rest of the panel is drawn as replacements (remove drop-outs from PEOPLE.csv)",
    )
    parser.add_argument(
        "--lottery-panels",
        metavar="M",
        type=options.whole_number,
        default=DEFAULT_LOTTERY_SIZE,
        help=f"size of the transparent lottery (default {DEFAULT_LOTTERY_SIZE})",
    )
    parser.add_argument(
        "--seed",
        metavar="S",
        help="public seed for the draw, e.g. lottery numbers announced "
        "after the panels were published (default: secure random)",
    )
    parser.add_argument(
        "--time-limit",
        metavar="SECONDS",
        type=options.decimal_number,
        help="stop improving the distribution after this long and use the best found",
    )
    parser.add_argument(
        "--commit-only",
        action="store_true",
        help="compute the lottery and write only DIR/lottery.json (the panels and their SHA-256 commitment) "
        "to publish before the seed is known; then run again with --seed and --expect-commitment",
    )
    parser.add_argument(
        "--expect-commitment",
        metavar="SHA256",
        type=_commitment,
        help="draw only if the lottery's commitment equals the one published earlier (else exit 2)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=options.output_directory,
        required=True,
        help="directory for selected.csv, remaining.csv, probabilities.csv, distribution.json, report.html "
        "(a directory holding a --commit-only lottery.json takes the draw only with --expect-commitment)",
    )
    return parser


def _commitment(text: str) -> str:
    """A published commitment as the engine writes it (lower-case hex), whatever case it was copied in;
    refused at once when it cannot be a SHA-256, rather than after the solve as 'the input files differ'."""
    commitment = text.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", commitment):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a SHA-256 commitment (64 hexadecimal digits); copy it from the published "
            "lottery.json"
        )
    return commitment


def build_selection_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicforum selection", description="Work with a finished selection."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify",
        help="check that a seed picks the published selected panel",
        description="Recompute the commitment from the panels published in DIR/distribution.json, derive the "
        "panel the seed picks and compare it with DIR/selected.csv.",
        epilog="Exit status: 0 verified; 1 something differs; 2 DIR is not a folder holding both files, or "
        "one cannot be read (nothing was checked).",
    )
    verify.add_argument("directory", metavar="DIR", help="the --out directory of 'civicforum select'")
    verify.add_argument("--seed", metavar="S", required=True, help="the public seed of the draw")
    return parser


def main(argv: Sequence[str]) -> int:
    """Entry point; ``argv[0]`` is ``select`` or ``selection`` (as dispatched by ``civicforum``)."""
    command, rest = argv[0], list(argv[1:])
    if command == "selection":
        args = build_selection_parser().parse_args(rest)
        problem = _seed_problem(args.seed, empty_allowed=True)
        return _error(problem) if problem else verify(Path(args.directory), args.seed)
    try:
        return select(build_select_parser().parse_args(rest))
    except OutputError as error:
        return _error(f"{error} Nothing was written.")


def _error(message: str) -> int:
    _warn(message)
    return EXIT_BAD_INPUT


def _warn(message: str) -> None:
    """Print to stderr with control characters escaped line by line: feature names and values in a
    diagnosis come straight from the input files, which may hold terminal escape sequences."""
    print("\n".join(printable(line) for line in message.split("\n")), file=sys.stderr)


def select(args: argparse.Namespace) -> int:
    """Read, check, solve, round to a lottery, draw and write; exit 2 (writing nothing) on any problem."""
    started = time.perf_counter()
    if args.time_limit is not None and not 0 < args.time_limit < math.inf:
        return _error(f"--time-limit: give a number of seconds above 0, not {args.time_limit:g}.")
    if not 1 <= args.lottery_panels <= MAX_LOTTERY_PANELS:
        return _error(
            f"--lottery-panels: give a number of panels from 1 to {MAX_LOTTERY_PANELS:,} (default "
            f"{DEFAULT_LOTTERY_SIZE:,}), not {args.lottery_panels:,}."
        )
    if args.id_column is not None and not args.id_column.strip():  # else the default column is used unseen
        return _error(
            "--id-column is empty; give the name of the column of ids in PEOPLE.csv, or leave --id-column "
            "out to use 'id' or 'nationbuilder_id', else the first column."
        )
    seed_problem = None if args.seed is None else _seed_problem(args.seed, empty_allowed=False)
    if seed_problem:
        return _error(seed_problem)
    check_output_directory(Path(args.out), COMMIT_FILES if args.commit_only else DRAW_FILES)
    mixed = _mixed_runs_problem(Path(args.out), args.commit_only, args.expect_commitment)
    if mixed:
        return _error(f"{mixed} Nothing was written.")
    address_columns = [c.strip() for c in args.address_columns.split(",") if c.strip()]
    warnings: list[InputProblem] = []
    try:
        instance = load_instance(
            args.people,
            args.features,
            args.panel,
            id_column=args.id_column,
            address_columns=address_columns,
            already_selected_path=args.already_selected,
            warnings=warnings,
        )
    except InputError as error:
        return _error(f"Cannot select: please fix these problems in the input.\n{error}")
    for warning in warnings:
        _warn(f"Warning: {warning}")
    progress = StderrProgress()
    try:
        instance, relaxation = _check_quotas(instance, progress)
        loaded = time.perf_counter()
        result = _find_distribution(instance, args, progress)
    except SelectionError as error:
        diagnosis = getattr(error, "explanation", None)
        if isinstance(diagnosis, Diagnosis) and not diagnosis.conflict:  # no quota is at fault
            return _error(str(error))  # it names what is: --panel, the households or the members kept
        return _error(f"{args.features}: {error}")
    solved = time.perf_counter()
    if result.certificate.get("optimal") is False:
        limit = "" if args.time_limit is None else f" within --time-limit {args.time_limit:g} s"
        _warn(
            f"Note: the {result.algorithm.value} search stopped before proving its result the fairest"
            f"{limit}. The panel meets every quota, but some volunteers' chances may be lower than they "
            "could be; for the fairest chances run again with a longer time limit (or none)."
        )
    progress(1.0, f"rounding to a lottery of {counted(args.lottery_panels, 'panel', 'panels')}")
    lottery = round_to_lottery(result, args.lottery_panels)
    if args.expect_commitment and args.expect_commitment != lottery.commitment:
        return _error(
            f"The lottery computed now has commitment {lottery.commitment}, not the published "
            f"{args.expect_commitment}: the input files, options or software differ from the published run. "
            "Nothing was drawn."
        )
    timings = {
        "read_and_check_seconds": loaded - started,
        "algorithm_seconds": solved - loaded,
        "lottery_seconds": time.perf_counter() - solved,
        **{f"algorithm_{name}": value for name, value in result.timings.items()},
    }
    published = {
        "format": FORMAT,
        "algorithm": result.algorithm.value,
        "commitment": lottery.commitment,
        "inputs": {
            name: _file_digest(path) for name, path in (("people", args.people), ("features", args.features))
        },
        "lottery": lottery_summary(lottery, None, None, result.selection_probabilities),
    }
    if args.commit_only:
        write_texts(Path(args.out), {"lottery.json": _json_by_key(published)})
        print(
            f"Lottery of {counted(lottery.size, 'panel', 'panels')} written to "
            f"{Path(args.out) / 'lottery.json'}; commitment "
            f"{lottery.commitment}. Publish it, then draw with the same command plus --seed S "
            f"--expect-commitment {lottery.commitment}."
        )
        return EXIT_OK
    seed = args.seed if args.seed is not None else new_seed()
    index, panel = lottery.draw(seed)
    header = list(instance.people[0].row)
    document = published | {
        "solver": result.solver,
        "seed": seed,
        "panel_size": instance.panel_size,
        "pool_size": len(instance.people),
        "id_column": id_column_name(header, args.id_column),
        "already_selected": sorted(instance.already_selected),
        "relaxed_quotas": [vars(change) | {"description": str(change)} for change in relaxation],
        "selected": list(panel),
        "panels": [
            {"members": list(members), "probability": probability}
            for members, probability in zip(result.panels, result.panel_probabilities, strict=True)
        ],
        "timings": timings,
        "certificate": _json_safe(result.certificate),
        "lottery": lottery_summary(lottery, seed, index, result.selection_probabilities),
    }
    chosen = set(panel)
    probabilities = io.StringIO()
    writer = csv.writer(probabilities, lineterminator="\n")
    writer.writerow(["id", "probability"])
    for person in instance.people:
        writer.writerow([person.id, f"{result.selection_probabilities.get(person.id, 0.0):.10f}"])
    report = ReportData(instance, result, lottery, seed, index, panel, relaxation)
    files = {
        "selected.csv": people_csv(header, [p for p in instance.people if p.id in chosen]),
        "remaining.csv": people_csv(header, [p for p in instance.people if p.id not in chosen]),
        "probabilities.csv": probabilities.getvalue(),
        "distribution.json": _json_by_key(document),
        "report.html": render_report(report),
    }
    write_texts(Path(args.out), files)
    low = min(result.selection_probabilities.get(p.id, 0.0) for p in instance.people)
    print(
        f"Selected {whole_number(len(panel))} of {counted(len(instance.people), 'volunteer', 'volunteers')} "
        f"({result.algorithm.value}, "
        f"minimum chance {100 * low:.2f}%). Lottery of {counted(lottery.size, 'panel', 'panels')} "
        "(rounding moved no chance by "
        f"more than {100 * lottery.max_deviation:.2f} points), commitment {lottery.commitment}, "
        f"seed {seed!r}, panel {index + 1} drawn. Files in {args.out}."
    )
    return EXIT_OK


def _seed_problem(seed: str, *, empty_allowed: bool) -> str | None:
    """Why ``seed`` cannot be used: bytes that are not UTF-8 (the draw hashes its UTF-8 text), or, for a
    new draw, nothing but spaces, which anyone could have guessed (often an unset shell variable), or
    characters that do not show (a zero-width space, a tab, a direction override: the draw hashes them,
    while the report shows the seed without them or with a space)."""
    try:
        seed.encode("utf-8")
    except UnicodeEncodeError:
        return "--seed: it holds bytes that are not UTF-8 text; type the seed again in a UTF-8 terminal."
    if empty_allowed:  # verifying: any seed a draw used, as it was recorded
        return None
    if not seed.strip():
        return (
            f"--seed: {seed!r} is empty, so anyone could have known it before the draw (is a shell variable "
            "unset?); give the seed announced in public, or leave --seed out for a secure random one."
        )
    hidden = untypable_characters(seed)
    if hidden:  # the report would show it otherwise than the draw hashed it
        return (
            f"--seed: {seed!r} holds {not_showing(hidden)}, so the report would show the seed otherwise "
            f"than the draw used it; type the seed announced without {plural(len(hidden), 'it', 'them')}."
        )
    return None


def _mixed_runs_problem(out: Path, commit_only: bool, expect_commitment: str | None) -> str | None:
    """Why writing to ``out`` would put this run's files beside another run's, which someone could then
    publish together: a new lottery.json beside an earlier draw, or a draw beside a lottery.json it was
    not checked against."""
    if commit_only:
        drawn = [name for name in DRAW_FILES if (out / name).exists()]
        if drawn:
            return (
                f"--out {out} already holds a drawn selection ({', '.join(drawn)}), which a new lottery.json "
                "would not match; give a new directory."
            )
        return None
    if not (out / "lottery.json").exists():
        return None
    try:
        committed = json.loads((out / "lottery.json").read_text(encoding="utf-8")).get("commitment")
    except (OSError, ValueError, AttributeError):
        committed = None
    if committed is not None and expect_commitment == committed:
        return None
    return (
        f"--out {out} holds the lottery.json of a commit-only run; draw into it only with "
        f"--expect-commitment {committed or '(its commitment)'}, which checks this draw uses that lottery, "
        "or give a new directory."
    )


def _check_quotas(instance: Instance, progress: StderrProgress) -> tuple[Instance, tuple[QuotaChange, ...]]:
    """The instance to solve: as given, or with quotas minimally relaxed around confirmed members.

    Raises InfeasibleQuotasError with the diagnosis when no panel can meet the quotas. A check cut short
    by its time limit leaves the quotas as given, as the search itself stops if no panel meets them, and
    says so.
    """
    progress(0.0, "checking the quotas")
    try:
        if instance.already_selected:
            plan = plan_replacements(instance)
            for message in unmet_quota_messages(plan):
                _warn(message)
            return plan.instance, plan.relaxation
        diagnosis = diagnose(instance)
    except QuotaCheckUndecided as undecided:
        kept = ", so no quota was relaxed around the members kept" if instance.already_selected else ""
        _warn(
            f"Note: the check of the quotas could not tell within {undecided.seconds:g} seconds whether any "
            f"panel meets them all{kept}. The search goes ahead and stops with a message if no panel does."
        )
        return instance, ()
    if diagnosis is not None:
        raise InfeasibleQuotasError(diagnosis.text(), explanation=diagnosis)
    return instance, ()


def _find_distribution(
    instance: Instance, args: argparse.Namespace, progress: StderrProgress
) -> SelectionResult:
    from civicforum.selection import SelectionSettings, find_distribution

    settings = (
        SelectionSettings() if args.time_limit is None else SelectionSettings(time_limit=args.time_limit)
    )
    return find_distribution(instance, Algorithm(args.algorithm), settings=settings, progress=progress)


def _json_by_key(document: Mapping[str, object]) -> str:
    """JSON with one top-level key per line and compact values: readable, yet small with 1000 panels."""
    lines = [
        f"{json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}" for key, value in document.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _file_digest(path: str) -> dict[str, str]:
    return {"path": path, "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def _json_safe(value: object) -> object:
    """The certificate with anything JSON cannot hold (arrays, objects) turned into lists or text."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if hasattr(value, "tolist"):
        return _json_safe(value.tolist())
    return str(value)


PUBLISHED_FILES = ("distribution.json", "selected.csv")


def _missing_published_files(directory: Path) -> str | None:
    """Why ``directory`` is not a folder holding both published files, in words (None: it is).

    Python's own "[Errno 20] Not a directory: 'x/distribution.json/distribution.json'" said neither what
    to give instead nor that a browser's second download is named 'distribution (1).json'.
    """
    where = "the selection record page's downloads, or the --out folder of 'civicforum select'"
    if directory.is_file():
        return (
            f"{directory} is a file: give the folder that holds distribution.json and selected.csv "
            f"({directory.parent}), not a file in it."
        )
    if not directory.is_dir():
        return (
            f"{directory}: there is no such folder; give the folder holding distribution.json and "
            "selected.csv."
        )
    problems = []
    for name in PUBLISHED_FILES:
        if (directory / name).is_file():
            continue
        stem, suffix = name.split(".")
        alike = sorted(
            other.name
            for other in directory.iterdir()
            if other.name.lower().startswith(stem) and suffix in other.name.lower() and other.is_file()
        )
        rename = f" (there is {', '.join(repr(a) for a in alike)}: rename it {name})" if alike else ""
        if not alike and name == "distribution.json" and (directory / "lottery.json").is_file():
            rename = " (only lottery.json, written before the draw: verify needs the files the draw wrote)"
        problems.append(f"{directory} has no file named {name}{rename}")
    if problems:
        return f"{'; '.join(problems)}. Both files come from {where}."
    return None


def verify(directory: Path, seed: str) -> int:
    """Exit 0 with 'verified' when the seed picks the panel in selected.csv from the committed panels."""
    missing = _missing_published_files(directory)
    if missing:
        return _error(missing)
    try:
        document, panels, selected = _read_published(directory)
    except CsvRowError as error:
        return _error(f"{directory / 'selected.csv'}, row {error.row}: {error}.")
    except (OSError, ValueError) as error:
        return _error(
            f"{directory}: cannot read the selection ({error}); it needs distribution.json and selected.csv "
            "as 'civicforum select' wrote them."
        )
    commitment = document["commitment"]
    problems = verify_draw(panels, commitment, seed, selected)
    if document["lottery"].get("commitment") != commitment:
        problems.append("the commitment in the lottery section differs from the top-level commitment")
    if document.get("selected", sorted(selected)) != sorted(selected):
        problems.append("the panel listed under 'selected' in distribution.json differs from selected.csv")
    if problems:
        print(f"NOT verified ({directory}):", file=sys.stderr)
        recorded = document.get("seed")
        if isinstance(recorded, str) and seed != recorded:  # the likeliest cause comes first, in words
            print(f"  {_other_seed(seed, recorded)}", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_MISMATCH
    index = draw_index(commitment, seed, len(panels))
    print(
        f"verified: commitment {commitment} matches the {counted(len(panels), 'panel', 'panels')} published, "
        f"and seed {seed!r} picks panel {index + 1}, which is exactly the {len(selected)} people "
        "in selected.csv."
    )
    return EXIT_OK


def _other_seed(seed: str, recorded: str) -> str:
    """Why a seed other than the recorded one fails, saying so when only spaces or capitals differ."""
    words = f"The seed given, {seed!r}, is not the seed recorded for this draw, {recorded!r}"
    if " ".join(seed.split()).casefold() == " ".join(recorded.split()).casefold():
        return (
            f"{words}: they differ only in spaces or capital letters, which pick another panel. Type the "
            "seed exactly as recorded, in quotes if it holds spaces."
        )
    return f"{words}. Check the seed announced in public; any other seed picks another panel, as below."


def _read_published(directory: Path) -> tuple[dict[str, Any], list[list[str]], list[str]]:
    """distribution.json, its lottery's panels and the ids in selected.csv; ValueError says what is missing.

    Both files may have been edited by anyone, so their shape is checked rather than trusted.
    """
    try:  # a byte order mark, which an editor may add on saving, is allowed
        document = json.loads((directory / "distribution.json").read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:  # "'utf-8' codec can't decode byte 0xff..." names no fix
        raise ValueError(
            "distribution.json is not UTF-8 text: was it saved again in another encoding, such as UTF-16?"
        ) from error
    except json.JSONDecodeError as error:  # "Expecting value: line 1 column 1 (char 0)" is the parser's own
        raise ValueError(
            f"distribution.json is not valid JSON from line {error.lineno}, column {error.colno}: was it "
            "edited or cut short? Download it again"
        ) from error
    except RecursionError as error:  # the decoder recurses once per nested list or object
        raise ValueError(
            "distribution.json nests lists or objects far deeper than 'civicforum select' writes them"
        ) from error
    lottery = document.get("lottery") if isinstance(document, dict) else None
    panels = lottery.get("panels") if isinstance(lottery, dict) else None
    if not (
        isinstance(panels, list)  # None unless document and its lottery are objects
        and isinstance(document.get("commitment"), str)
        and all(isinstance(panel, list) and all(isinstance(m, str) for m in panel) for panel in panels)
    ):
        raise ValueError("distribution.json has no commitment, or no lottery panels given as lists of ids")
    id_column = document.get("id_column") or "id"
    header, *rows = read_csv_records(directory / "selected.csv") or [[]]
    if id_column not in header:
        raise ValueError(f"selected.csv has no column '{id_column}'")
    index = header.index(id_column)
    selected = [row[index] if index < len(row) else "" for row in rows if any(row)]
    return document, panels, selected
