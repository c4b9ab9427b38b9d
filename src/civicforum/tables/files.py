"""Reading the CLI's CSV files. Every problem names the file, the row and the column.

Formats (UTF-8 CSV with a header row; extra columns are ignored; sessions and tables count from 1):

- panel: ``id`` plus one column per feature.
- keep-together: ``group,id`` - one row per member; rows sharing a group label sit together, and so do
  groups that share a member (the CLI notes it, naming both rows).
- keep-apart: ``id,other`` - one pair per row.
- fixed: ``id,session,table`` - that member sits at that table in that session.
- absent: ``id,session`` - that member misses that session.
- facilitators: ``facilitator,keep_apart`` - one row per facilitator and member they must not sit
  with; leave ``keep_apart`` blank for a facilitator with no such rule.
- clusters: ``cluster,tables,id`` - one row per member; a cluster's members share that many tables. A member
  in two clusters sits at a table both use (noted, naming both rows; refused when no seating allows it).
- past: ``id,session,table`` (an earlier ``allocation.csv``) - sessions already run, numbered 1..k.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ..spreadsheet import (
    LOOSE_ID_DIFFERENCE,
    LOOSE_VALUE_DIFFERENCE,
    CsvFileError,
    CsvRowError,
    id_problem,
    loose_id,
    loose_value,
    other_separator,
    printable,
    read_csv_records,
    repeated_columns,
    value_problem,
)
from ..wording import counted, plural
from .model import Cluster, Facilitator, FixedSeat, Member, Rule


class InputError(ValueError):
    """Bad input file; the message says which file, row and column, and what to do."""


# A forum's panel has at most 1,000 members (the web app's limit); 2,000 were seated in 22 s, while
# 20,000 took 12 GB of memory and were still on the first session after two minutes.
MAX_MEMBERS = 2_000

Row = tuple[int, dict[str, str]]  # (row as a spreadsheet numbers it, header = 1; cells by column)
Sources = dict[Rule, str]  # where each rule was read, for ``Constraints.sources``


def _note(sources: Sources | None, rule: Rule, path: Path, line: int) -> None:
    """Record that ``rule`` was read from row ``line`` of ``path`` (its first row, when given twice)."""
    if sources is not None:
        sources.setdefault(rule, f"{path} row {line}")


def whole_number(text: str) -> int | None:
    """``text`` as a whole number written in ASCII digits, or None: ``str.isdigit`` also accepts
    superscripts such as '²', on which ``int`` fails, and ``int`` refuses over 4300 digits."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def read_rows(path: Path, required: Sequence[str]) -> list[Row]:
    """Rows of a CSV file that must have the ``required`` columns; blank rows are skipped."""
    try:
        records = read_csv_records(path)
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror})") from error
    except CsvRowError as error:
        raise InputError(f"{path}: row {error.row} {error}") from error
    except CsvFileError as error:
        raise InputError(f"{path}: {error}") from error
    if not any(cell.strip() for record in records for cell in record):
        raise InputError(
            f"{path}: is empty; its first row must name its columns ({','.join(required)}), with a row "
            "below it for each entry"
        )
    columns = [c.strip() for c in records[0]]
    repeated = repeated_columns(columns, str)
    if repeated:
        raise InputError(
            f"{path}: row 1 (header) names column {', '.join(repr(printable(c)) for c in repeated)} more "
            "than once; rename or delete the copies so that each column is read once"
        )
    missing = [c for c in required if c not in columns]
    separator = other_separator(columns)
    if missing and separator:
        raise InputError(
            f"{path}: row 1 (header) is one cell: its columns are separated by {separator}, not commas; in "
            "Excel use 'Save As' > 'CSV UTF-8 (Comma delimited)'"
        )
    if missing:
        raise InputError(
            f"{path}: row 1 (header) has no column {', '.join(repr(c) for c in missing)}; "
            f"columns found: {printable(', '.join(columns)) or 'none'}"
        )
    rows: list[Row] = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):  # Excel saves a blank row as ",,,"
            continue
        if len(record) > len(columns):
            raise InputError(
                f"{path}: row {line} has {len(record)} cells but the header has {len(columns)}; remove "
                "the extra cells, or put quotes round a value that contains a comma"
            )
        cells = dict.fromkeys(columns, "")  # a short row leaves its last columns blank
        cells.update(zip(columns, (cell.strip() for cell in record), strict=False))
        rows.append((line, cells))
    return rows


def _check_name(path: Path, line: int, column: str, name: str) -> None:
    """Refuse a name a spreadsheet would run as a formula (allocation.csv must read back as --past), or
    one with characters that would show it in another order on the plan."""
    problem = id_problem(name)
    if problem is not None:
        raise InputError(f"{path}: row {line}, column '{column}': {problem}")


def _check_value(path: Path, line: int, column: str, value: str) -> None:
    """Refuse a value that puts people in a group (a feature's, a group's label) holding characters that
    do not show: it would make a group of its own beside the same word typed without them."""
    problem = value_problem(value)
    if problem is not None:
        raise InputError(
            f"{path}: row {line}, column '{column}': {problem}; delete the cell's text and type it again"
        )


def _label(path: Path, line: int, row: dict[str, str], column: str, what: str) -> str:
    """A label that ties rows together; a blank one would silently tie every blank row together."""
    if not row[column]:
        raise InputError(f"{path}: row {line}, column '{column}' is empty; {what}")
    return row[column]


def read_panel(path: Path, features: Sequence[str]) -> list[Member]:
    rows = read_rows(path, ["id", *features])
    if not rows:
        raise InputError(f"{path}: has a header row but no members; give one row per panel member")
    if len(rows) > MAX_MEMBERS:
        raise InputError(
            f"{path}: has {len(rows):,} rows, more members than this command seats ({MAX_MEMBERS:,}); a "
            "forum's panel has at most 1,000 members, so check that this is the panel, not the pool of "
            "volunteers"
        )
    members: list[Member] = []
    lines: list[int] = []  # each member's row
    seen: dict[str, tuple[str, int]] = {}  # loose_id -> the id and its row
    for line, row in rows:
        member_id = row["id"]
        first_id, first_line = seen.get(loose_id(member_id), ("", 0))
        if not member_id or member_id == first_id:
            raise InputError(
                f"{path}: row {line}, column 'id': "
                f"{'repeated id ' + printable(member_id) if member_id else 'empty id'}"
            )
        if first_id:  # the constraint files could not say which of the two they mean
            raise InputError(
                f"{path}: row {line}, column 'id': {printable(repr(member_id))} and "
                f"{printable(repr(first_id))} (row {first_line}) read as the same id: {LOOSE_ID_DIFFERENCE}; "
                "give one of them another id"
            )
        _check_name(path, line, "id", member_id)
        empty = [f for f in features if not row[f]]
        if empty:
            raise InputError(
                f"{path}: row {line}, column '{empty[0]}' is empty; give {printable(member_id)} a value"
            )
        for feature in features:
            _check_value(path, line, feature, row[feature])
        seen[loose_id(member_id)] = (member_id, line)
        members.append(Member(member_id, {f: row[f] for f in features}))
        lines.append(line)
    for feature in features:
        _check_one_spelling(path, members, lines, feature)
        _check_shared_values(path, members, feature)
    return members


def _check_one_spelling(path: Path, members: Sequence[Member], lines: Sequence[int], feature: str) -> None:
    """Refuse a value written two ways ('Female', 'female'), which would be balanced as two groups: a
    table could then hold every 'female' and no 'Female'. Unlike the selection engine, which reads both
    as the features file's spelling, nothing here says which is meant, so the officer chooses."""
    first: dict[str, tuple[str, int]] = {}  # loose_value -> its first spelling and row
    for member, line in zip(members, lines, strict=True):
        value = member.features[feature]
        spelling, first_line = first.setdefault(loose_value(value), (value, line))
        if spelling != value:
            raise InputError(
                f"{path}: column {printable(repr(feature))}: {printable(repr(value))} (row {line}) and "
                f"{printable(repr(spelling))} (row {first_line}) {LOOSE_VALUE_DIFFERENCE}, so they would be "
                "balanced as two groups; write the value the same way on every row"
            )


def _check_shared_values(path: Path, members: Sequence[Member], feature: str) -> None:
    """Refuse a feature whose every value is a different member's (an id, a name given to --diversify):
    each value then sits at one table whatever the seating, so balancing it does nothing but slow the
    search."""
    if len(members) > 1 and len({member.features[feature] for member in members}) == len(members):
        raise InputError(
            f"{path}: column {printable(repr(feature))}, given to --diversify, holds a different value for "
            f"each of the {len(members):,} members, so there is nothing to balance (every seating spreads it "
            "alike) and it would only slow the search; leave it out of --diversify (an id or a name is not a "
            "feature to balance)"
        )


def read_names(path: Path, column: str) -> dict[str, str]:
    """Each member's ``column`` (a name, say) to print beside their id in the plan; blank cells are left
    out, so those members show their id alone."""
    return {
        row["id"]: row[column].strip() for _, row in read_rows(path, ["id", column]) if row[column].strip()
    }


class CellReader:
    """Checks cells of one file against the panel's ids and the plan's ranges."""

    def __init__(self, path: Path, known: set[str], tables: int, sessions: int) -> None:
        self.path, self.known, self.tables, self.sessions = path, known, tables, sessions
        self.loose = {loose_id(member): member for member in sorted(known)}

    def member(
        self,
        line: int,
        row: dict[str, str],
        column: str,
        advice: str = "correct the id or add the member to the panel",
    ) -> str:
        """The panel id in ``row[column]``; ``advice`` says what to do when it is not one."""
        value = row[column]
        if value in self.known:
            return value
        where = f"{self.path}: row {line}, column '{column}'"
        near = self.loose.get(loose_id(value))
        if near is not None:
            raise InputError(
                f"{where}: {printable(repr(value))} is not an id in the panel file, though "
                f"{printable(repr(near))} is; {LOOSE_ID_DIFFERENCE}, so copy the id from the panel file"
            )
        raise InputError(f"{where}: {printable(value) or 'blank'} is not an id in the panel file; {advice}")

    def number(self, line: int, row: dict[str, str], column: str, highest: int) -> int:
        value = row[column]
        number = whole_number(value)
        if number is None or not 1 <= number <= highest:
            raise InputError(
                f"{self.path}: row {line}, column '{column}': {printable(repr(value))} is not a number "
                f"from 1 to {highest}"
            )
        return number


def read_keep_together(
    path: Path, reader: CellReader, sources: Sources | None = None, notes: list[str] | None = None
) -> list[frozenset[str]]:
    """The groups; a member in two groups joins them into one (the engine seats groups that share a
    member together), which ``notes`` is told, naming both rows: one mistyped id joins two families."""
    groups: dict[str, set[str]] = defaultdict(set)
    first_group: dict[str, tuple[str, int]] = {}  # member -> their first group and its row
    for line, row in read_rows(path, ["group", "id"]):
        label = _label(path, line, row, "group", "give the group a name shared by its members' rows")
        _check_value(path, line, "group", label)
        member = reader.member(line, row, "id")
        first = first_group.setdefault(member, (label, line))
        _note_second(notes, f"{path}: row {line}: {member}", "group", label, first, JOINED_GROUPS)
        groups[label].add(member)
        _note(sources, Rule("keep-together", list(groups).index(label), member), path, line)
    return [frozenset(group) for group in groups.values()]


JOINED_GROUPS = "so the two groups sit together as one"
SHARED_CLUSTERS = "so in every session that member sits at a table both clusters use"


def _note_second(
    notes: list[str] | None, where: str, kind: str, name: str, first: tuple[str, int], meaning: str
) -> None:
    """Tell ``notes`` that the member at ``where`` is in the ``kind`` ``name`` and, on an earlier row,
    in another one (``first``: its name and row), and what that means."""
    first_name, first_line = first
    if notes is not None and first_name != name:
        notes.append(
            f"{where} is in {kind} {printable(name)} and in {kind} {printable(first_name)} "
            f"(row {first_line}), {meaning}"
        )


def read_keep_apart(path: Path, reader: CellReader, sources: Sources | None = None) -> list[frozenset[str]]:
    pairs: list[frozenset[str]] = []
    for line, row in read_rows(path, ["id", "other"]):
        pair = frozenset({reader.member(line, row, "id"), reader.member(line, row, "other")})
        if len(pair) != 2:
            raise InputError(f"{path}: row {line}: a member cannot be kept apart from themselves")
        _note(sources, Rule("keep-apart", len(pairs)), path, line)
        pairs.append(pair)
    return pairs


def read_fixed(path: Path, reader: CellReader, sources: Sources | None = None) -> list[FixedSeat]:
    seats: list[FixedSeat] = []
    for line, row in read_rows(path, ["id", "session", "table"]):
        _note(sources, Rule("fixed", len(seats)), path, line)
        seats.append(
            FixedSeat(
                reader.member(line, row, "id"),
                reader.number(line, row, "session", reader.sessions),
                reader.number(line, row, "table", reader.tables),
            )
        )
    return seats


def read_absent(path: Path, reader: CellReader, sources: Sources | None = None) -> dict[int, frozenset[str]]:
    absent: dict[int, set[str]] = defaultdict(set)
    for line, row in read_rows(path, ["id", "session"]):
        session, member = reader.number(line, row, "session", reader.sessions), reader.member(line, row, "id")
        absent[session].add(member)
        _note(sources, Rule("absent", member=member, session=session), path, line)
    return {session: frozenset(ids) for session, ids in absent.items()}


def read_facilitators(path: Path, reader: CellReader, sources: Sources | None = None) -> list[Facilitator]:
    rules: dict[str, set[str]] = {}
    first_row: dict[str, tuple[str, int]] = {}  # loose_id -> the name and its row
    for line, row in read_rows(path, ["facilitator", "keep_apart"]):
        name = _label(path, line, row, "facilitator", "give the facilitator's name")
        _check_name(path, line, "facilitator", name)
        member = reader.loose.get(loose_id(name))
        if member is not None:  # else the plan would seat them at one table and have them lead another
            reads = "is" if member == name else f"reads as {printable(repr(member))},"
            raise InputError(
                f"{path}: row {line}, column 'facilitator': {printable(repr(name))} {reads} a member's id in "
                "the panel file, but a facilitator leads a table without a seat of their own; give the "
                "facilitator's own name, or take the member off the panel"
            )
        first_name, first_line = first_row.setdefault(loose_id(name), (name, line))
        if first_name != name:  # else one person would lead two tables in every session
            raise InputError(
                f"{path}: row {line}, column 'facilitator': {printable(repr(name))} and "
                f"{printable(repr(first_name))} (row {first_line}) read as the same facilitator: "
                f"{LOOSE_ID_DIFFERENCE}; write one person's name the same way on every row"
            )
        apart = rules.setdefault(name, set())
        if row["keep_apart"]:
            member = reader.member(line, row, "keep_apart")
            apart.add(member)
            _note(sources, Rule("facilitator", list(rules).index(name), member), path, line)
    return [Facilitator(name, frozenset(apart)) for name, apart in rules.items()]


def read_clusters(
    path: Path, reader: CellReader, sources: Sources | None = None, notes: list[str] | None = None
) -> list[Cluster]:
    """The clusters; a member may be in two (a Welsh speaker who signs BSL), and then sits, in every
    session, at a table both clusters use, which ``notes`` is told, naming both rows (the engine says
    when no seating allows that)."""
    members: dict[str, set[str]] = defaultdict(set)
    tables: dict[str, int] = {}
    first_cluster: dict[str, tuple[str, int]] = {}  # member -> their first cluster and its row
    for line, row in read_rows(path, ["cluster", "tables", "id"]):
        name = _label(path, line, row, "cluster", "give the cluster a name shared by its members' rows")
        _check_value(path, line, "cluster", name)
        count = reader.number(line, row, "tables", reader.tables)
        if tables.setdefault(name, count) != count:
            raise InputError(
                f"{path}: row {line}, column 'tables': cluster {printable(name)} was given "
                f"{counted(tables[name], 'table', 'tables')} on an earlier row; use one number per cluster"
            )
        member = reader.member(line, row, "id")
        first = first_cluster.setdefault(member, (name, line))
        _note_second(notes, f"{path}: row {line}: {member}", "cluster", name, first, SHARED_CLUSTERS)
        members[name].add(member)
        _note(sources, Rule("cluster", list(members).index(name), member), path, line)
    return [Cluster(frozenset(members[name]), tables[name]) for name in members]


# Someone who has left still sat in the past sessions: dropping them from the panel would rewrite those.
LEFT_THE_PANEL = (
    "correct the id; or, if they have left the forum, keep them in the panel file and list them in the "
    "--absent file for every session still to plan"
)


def read_past(path: Path, reader: CellReader) -> list[list[list[str]]]:
    seats: dict[int, dict[str, int]] = defaultdict(dict)
    first_row: dict[int, int] = {}  # session -> its first row, to name where a gap shows
    for line, row in read_rows(path, ["id", "session", "table"]):
        session = reader.number(line, row, "session", reader.sessions)
        first_row.setdefault(session, line)
        member = reader.member(line, row, "id", LEFT_THE_PANEL)
        if member in seats[session]:
            raise InputError(f"{path}: row {line}: {member} is seated twice in session {session}")
        seats[session][member] = reader.number(line, row, "table", reader.tables)
    missing = min(set(range(1, len(seats) + 1)) - set(seats), default=None)
    if missing is not None:  # the first session given after the gap, and its row
        later = min(session for session in seats if session > missing)
        raise InputError(
            f"{path}: row {first_row[later]}, column 'session': session {later} is given but session "
            f"{missing} is not; the past sessions are those already run, numbered from 1 without gaps, so "
            f"add the seats of session {missing} or renumber the sessions"
        )
    if len(seats) == reader.sessions:
        raise InputError(
            f"{path}: holds {plural(reader.sessions, 'the only session', f'all {reader.sessions} sessions')}"
            ", which leaves none to plan; --sessions counts the past ones too, so give a larger number"
        )
    return [
        [sorted(m for m, t in seats[session].items() if t == table) for table in range(1, reader.tables + 1)]
        for session in sorted(seats)
    ]
