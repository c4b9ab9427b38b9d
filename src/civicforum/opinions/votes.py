"""Reading Pol.is exports into a sparse vote matrix.

Votes are stored as a CSR matrix whose *stored* cells are exactly the cells a participant saw
(agree +1, disagree -1, pass 0 kept as an explicit zero); unseen cells are simply absent. Keeping
passes explicit matters: Pol.is counts a pass as "seen" in every statistic.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
from scipy import sparse

from civicforum.spreadsheet import (
    CsvFileError,
    CsvRowError,
    other_separator,
    printable,
    read_csv_records,
    repeated_columns,
)
from civicforum.wording import plural

IntArray = npt.NDArray[np.int64]

VOTE_VALUES = {"1": 1, "+1": 1, "-1": -1, "0": 0}
MAX_REPORTED_PROBLEMS = 20
MAX_INT64 = 2**63 - 1
# Reading holds every cell as a Python string: a 306 MB Pol.is votes.csv (5.4 million votes) took 4.2 GB
# and 35 s. 200 MB is about 3.5 million votes as Pol.is exports them, twice that without `datetime`.
MAX_FILE_BYTES = 200_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located precisely enough for a person to fix it."""

    path: str
    row: int | None  # 1-based row as a spreadsheet shows it (the header is row 1); None: the whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = self.path + (f", row {self.row}" if self.row is not None else "")
        where += f", column '{self.column}'" if self.column else ""
        return printable(f"{where}: {self.message}")


class InputFileError(ValueError):
    """Raised with every problem found in an input file, so the user can fix them all at once."""

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        lines = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"... and {self.total - len(self.problems)} more problems")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Statement:
    statement_id: int
    text: str
    moderated_out: bool  # Pol.is `moderated = -1`: rejected, left out of the analysis


@dataclass(frozen=True, eq=False)
class VoteMatrix:
    """Participants x statements, sparse; rows follow `participant_ids`, columns `statement_ids` (sorted)."""

    participant_ids: IntArray
    statement_ids: IntArray
    votes: sparse.csr_array  # int8; stored cells = seen; explicit zeros are passes

    @property
    def n_participants(self) -> int:
        return int(self.participant_ids.size)

    @property
    def n_statements(self) -> int:
        return int(self.statement_ids.size)

    @property
    def n_votes(self) -> int:
        return int(self.votes.indices.size)

    def votes_per_participant(self) -> IntArray:
        return np.diff(self.votes.indptr).astype(np.int64)

    @classmethod
    def from_rows(
        cls,
        participants: npt.ArrayLike,
        statements: npt.ArrayLike,
        votes: npt.ArrayLike,
        timestamps: npt.ArrayLike | None = None,
    ) -> VoteMatrix:
        """Build the matrix from vote rows; when a cell is voted twice the later vote wins.

        "Later" means the larger timestamp when timestamps are given (ties: the later row), else the
        later row. The result does not depend on row order otherwise, because rows and columns are
        sorted by id.
        """
        pids, sids = _integers(participants), _integers(statements)
        values = np.asarray(votes, dtype=np.int8).ravel()
        if not (pids.size == sids.size == values.size):
            raise ValueError("participants, statements and votes must have the same length")
        if values.size and (values.min() < -1 or values.max() > 1):
            raise ValueError("votes must be -1, 0 or 1")
        statement_ids, cols = _compact_ids(sids)
        in_order = _rows_in_order(pids, cols)
        if in_order is not None:  # the usual export layout: one pass, no sort
            participant_ids, indptr = in_order
            matrix = sparse.csr_array(
                (values, cols, indptr), shape=(participant_ids.size, statement_ids.size)
            )
            return cls(participant_ids, statement_ids, matrix)
        participant_ids, rows = _compact_ids(pids)
        n_rows, n_cols = participant_ids.size, max(int(statement_ids.size), 1)
        cell_type = np.int32 if n_rows * n_cols < 2**31 else np.int64
        cell: npt.NDArray[Any] = rows.astype(cell_type)  # int32 unless the grid has over 2**31 cells
        cell *= n_cols
        cell += cols
        del rows, cols
        # Sort by cell, then by time (or file position): the last entry of each cell wins.
        order = (
            np.argsort(cell, kind="stable")
            if timestamps is None
            else np.lexsort((np.asarray(timestamps).ravel(), cell))  # int or float times
        )
        cell = cell[order]
        is_last = np.ones(cell.size, dtype=bool)
        is_last[:-1] = cell[1:] != cell[:-1]
        kept_values, cell = values[order[is_last]], cell[is_last]
        kept_rows = (cell // n_cols).astype(np.int32)
        kept_cols = (cell - kept_rows * n_cols).astype(np.int32)
        indptr = np.zeros(n_rows + 1, dtype=np.int32)
        np.cumsum(np.bincount(kept_rows, minlength=n_rows), out=indptr[1:])
        matrix = sparse.csr_array((kept_values, kept_cols, indptr), shape=(n_rows, statement_ids.size))
        return cls(participant_ids, statement_ids, matrix)

    def rows(self) -> tuple[IntArray, IntArray, npt.NDArray[np.int8]]:
        """The matrix as (participant, statement, vote) rows, one per seen cell."""
        return (
            np.repeat(self.participant_ids, np.diff(self.votes.indptr)),
            self.statement_ids[self.votes.indices],
            self.votes.data.copy(),
        )

    def with_votes(
        self, participants: npt.ArrayLike, statements: npt.ArrayLike, votes: npt.ArrayLike
    ) -> VoteMatrix:
        """A new matrix with more votes added; a new vote on an already voted cell replaces it."""
        old_p, old_s, old_v = self.rows()
        return VoteMatrix.from_rows(
            np.concatenate([old_p, np.asarray(participants, dtype=np.int64).ravel()]),
            np.concatenate([old_s, np.asarray(statements, dtype=np.int64).ravel()]),
            np.concatenate([old_v, np.asarray(votes, dtype=np.int8).ravel()]),
        )

    def without_statements(self, statement_ids: Iterable[int]) -> VoteMatrix:
        """Drop statements (e.g. moderated out): their votes leave every statistic and the map, and so
        does anyone who voted on nothing else (they would be counted as voters and drawn at the centre)."""
        keep = ~np.isin(self.statement_ids, np.fromiter(statement_ids, dtype=np.int64))
        if keep.all():
            return self
        remap = np.cumsum(keep) - 1
        m = self.votes
        cell_kept = keep[m.indices]
        row_of_cell = np.repeat(np.arange(self.n_participants), np.diff(m.indptr))
        counts = np.bincount(row_of_cell[cell_kept], minlength=self.n_participants)
        voters = counts > 0
        indptr = np.zeros(int(voters.sum()) + 1, dtype=np.int32)
        np.cumsum(counts[voters], out=indptr[1:])
        matrix = sparse.csr_array(
            (m.data[cell_kept], remap[m.indices[cell_kept]].astype(np.int32), indptr),
            shape=(indptr.size - 1, int(keep.sum())),
        )
        return VoteMatrix(self.participant_ids[voters], self.statement_ids[keep], matrix)


def _rows_in_order(
    pids: npt.NDArray[np.integer], cols: npt.NDArray[np.int32]
) -> tuple[IntArray, npt.NDArray[np.int32]] | None:
    """(participant ids, CSR row pointers) when rows are sorted by participant then statement with no
    repeated cell, so they are already CSR order; else None."""
    if pids.size < 2 or not np.all(pids[1:] >= pids[:-1]):
        return None
    new_row = pids[1:] != pids[:-1]
    if not np.all(new_row | (cols[1:] > cols[:-1])):
        return None
    starts = np.flatnonzero(new_row) + 1
    indptr = np.concatenate([[0], starts, [pids.size]]).astype(np.int32)
    return pids[indptr[:-1]].astype(np.int64), indptr


def _integers(values: npt.ArrayLike) -> npt.NDArray[np.integer]:
    """Ids as an integer array, keeping a compact integer type (no copy) when given one."""
    array = np.asarray(values).ravel()
    return array if np.issubdtype(array.dtype, np.integer) else array.astype(np.int64)


def _compact_ids(ids: npt.NDArray[np.integer]) -> tuple[IntArray, npt.NDArray[np.int32]]:
    """Sorted distinct ids and each entry's position among them (a bincount map when ids are small)."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    if ids.min() >= 0 and ids.max() < 4 * ids.size + 1024:
        present = np.bincount(ids) > 0
        if present.all():  # ids are exactly 0..n-1 (as in Pol.is exports): positions are the ids
            return np.arange(present.size, dtype=np.int64), ids.astype(np.int32, copy=False)
        position = (np.cumsum(present) - 1).astype(np.int32)
        return np.flatnonzero(present).astype(np.int64), position[ids]
    unique, inverse = np.unique(ids, return_inverse=True)
    return unique.astype(np.int64), inverse.astype(np.int32)


class _ProblemLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.total = 0

    def add(self, row: int | None, column: str, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(Problem(self.path, row, column, message))

    def fail(self, row: int | None, column: str, message: str) -> NoReturn:
        self.add(row, column, message)
        raise InputFileError(self.problems, self.total)

    def raise_if_any(self) -> None:
        if self.total:
            raise InputFileError(self.problems, self.total)


def _open_rows(
    path: Path, required: Sequence[str], log: _ProblemLog, optional: Sequence[str] = ()
) -> tuple[list[str], list[list[str]]]:
    """The header (names trimmed and lower-cased, as Pol.is writes them) and the records after it;
    `optional` columns are read when present (named in advice only)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            log.fail(
                None,
                "",
                f"is {size / 1e6:,.0f} MB, more than the {MAX_FILE_BYTES / 1e6:.0f} MB this command reads; "
                f"delete the columns it does not use (it reads only {', '.join([*required, *optional])}) "
                "and run it again",
            )
        records = read_csv_records(path)
    except CsvRowError as error:
        log.fail(error.row, "", str(error))
    except CsvFileError as error:  # a workbook, or too large though not a regular file (no size)
        log.fail(None, "", str(error))
    except OSError as error:
        log.fail(None, "", f"cannot be read ({error.strerror}); check the path")
    if not records:
        log.fail(1, "", "file is empty; expected a header row " + ",".join(required) + " and data rows")
    repeated = repeated_columns(records[0], _column_key)
    if repeated:
        log.fail(
            1,
            ", ".join(repeated),
            "named more than once; rename or delete the copies so that each is read once",
        )
    header = [_column_key(name) for name in records[0]]
    missing = [name for name in required if name not in header]
    separator = other_separator(header)
    if missing and separator:
        log.fail(
            1,
            "",
            f"values are separated by {separator}, not commas; in Excel use 'Save As' > "
            "'CSV UTF-8 (Comma delimited)', or choose comma as the separator when exporting",
        )
    if missing:
        log.fail(
            1,
            ", ".join(missing),
            f"missing column(s); the header must include {', '.join(required)} (found: {', '.join(header)})",
        )
    return header, records[1:]


def _column_key(name: str) -> str:
    return name.strip().casefold()


def _data_rows(header: list[str], rows: list[list[str]], log: _ProblemLog) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank row with as many fields as the header; others logged."""
    for line, fields in enumerate(rows, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            count = f"{len(fields)} {plural(len(fields), 'field', 'fields')}"
            log.add(
                line,
                "",
                f"has {count} but the header has {len(header)}; give each row one value per column "
                "(quote values that contain commas)",
            )
            continue
        yield line, fields


def _parse_id(text: str, row: int, column: str, log: _ProblemLog) -> int:
    """An id in digits 0-9 that fits the matrix's int64 (int() would also take '1_000', '+7' or '١٢')."""
    digits = text.strip()
    if digits.startswith("-") and _is_digits(digits[1:]):
        log.add(row, column, f"'{text}' is negative; ids must be non-negative integers")
    elif not _is_digits(digits):
        log.add(row, column, f"'{text}' is not a whole number; ids must be non-negative integers")
    elif int(digits) > MAX_INT64:
        log.add(row, column, f"'{text}' is too large; ids must be at most {MAX_INT64}")
    else:
        return int(digits)
    return -1


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse_timestamp(text: str, row: int, log: _ProblemLog) -> float:
    """Milliseconds, fractions kept (truncating made 100.7 and 100.2 a tie, which the later row won);
    'inf', 'nan' or a number past 2**62 is refused."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not abs(value) < 2**62:  # also false for nan
        log.add(row, "timestamp", f"'{text}' is not a timestamp in milliseconds")
        return 0.0
    return value


def read_votes(
    path: str | Path, known_statements: Collection[int] | None = None, comments_file: str = "comments.csv"
) -> VoteMatrix:
    """Read a Pol.is `votes.csv` (columns found by name: voter-id, comment-id, vote[, timestamp]).

    Every problem is collected and raised together in an `InputFileError`; with `known_statements`
    (the ids in `comments_file`), a vote on any other statement is one, at its row.
    """
    path = Path(path)
    log = _ProblemLog(str(path))
    header, rows = _open_rows(path, ("voter-id", "comment-id", "vote"), log, optional=("timestamp",))
    col = {name: i for i, name in enumerate(header)}
    has_time = "timestamp" in col
    n = len(rows)
    pids = np.empty(n, dtype=np.int64)
    sids = np.empty(n, dtype=np.int64)
    values = np.empty(n, dtype=np.int8)
    times = np.empty(n, dtype=np.float64)
    data_rows = 0
    for line, fields in _data_rows(header, rows, log):
        pids[data_rows] = _parse_id(fields[col["voter-id"]], line, "voter-id", log)
        statement = sids[data_rows] = _parse_id(fields[col["comment-id"]], line, "comment-id", log)
        if known_statements is not None and statement >= 0 and statement not in known_statements:
            log.add(
                line,
                "comment-id",
                f"statement {statement} is not in {comments_file}; check both files come from the same "
                "conversation",
            )
        vote = VOTE_VALUES.get(fields[col["vote"]].strip())
        if vote is None:
            log.add(
                line, "vote", f"'{fields[col['vote']]}' is not a vote; use 1 (agree), -1 (disagree), 0 (pass)"
            )
            vote = 0
        values[data_rows] = vote
        if has_time:
            times[data_rows] = _parse_timestamp(fields[col["timestamp"]], line, log)
        data_rows += 1
    if data_rows == 0 and not log.total:
        log.add(2, "", "no votes found; the file has a header but no data rows")
    log.raise_if_any()
    return VoteMatrix.from_rows(
        pids[:data_rows], sids[:data_rows], values[:data_rows], times[:data_rows] if has_time else None
    )


def read_comments(path: str | Path) -> list[Statement]:
    """Read a Pol.is `comments.csv` (comment-id, comment-body[, moderated]); problems raised together."""
    path = Path(path)
    log = _ProblemLog(str(path))
    header, rows = _open_rows(path, ("comment-id", "comment-body"), log, optional=("moderated",))
    col = {name: i for i, name in enumerate(header)}
    statements: dict[int, Statement] = {}
    for line, fields in _data_rows(header, rows, log):
        statement_id = _parse_id(fields[col["comment-id"]], line, "comment-id", log)
        moderated = fields[col["moderated"]].strip() if "moderated" in col else "1"
        if moderated not in ("1", "0", "-1"):
            log.add(line, "moderated", f"'{moderated}' is not a moderation state; use 1, 0 or -1")
        if statement_id < 0:  # not an id: its problem is logged, and it is no duplicate of another
            continue
        if statement_id in statements:
            log.add(line, "comment-id", f"statement {statement_id} appears twice; ids must be unique")
        statements[statement_id] = Statement(statement_id, fields[col["comment-body"]], moderated == "-1")
    if not statements and not log.total:
        log.add(2, "", "no statements found; the file has a header but no data rows")
    log.raise_if_any()
    return sorted(statements.values(), key=lambda s: s.statement_id)
