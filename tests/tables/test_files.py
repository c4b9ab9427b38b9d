"""Constraint files, however malformed, are read or refused with a message naming the file and row;
whatever they hold once read, the rules are accepted or refused as ValueError, never a crash."""

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables import AllocationSettings, Constraints, Member, files
from civicforum.tables.files import CellReader, InputError
from civicforum.tables.rules import validate

IDS = ["m1", "m2", "m3", "m4", "007"]
TABLES, SESSIONS = 2, 3
READERS = {  # reader, its columns
    "keep_together": (files.read_keep_together, ["group", "id"]),
    "keep_apart": (files.read_keep_apart, ["id", "other"]),
    "fixed": (files.read_fixed, ["id", "session", "table"]),
    "absent": (files.read_absent, ["id", "session"]),
    "facilitators": (files.read_facilitators, ["facilitator", "keep_apart"]),
    "clusters": (files.read_clusters, ["cluster", "tables", "id"]),
    "past": (files.read_past, ["id", "session", "table"]),
}
# Cells an officer's spreadsheet might hold, by column: good values, near misses, and anything at all.
ID_CELLS = st.one_of(st.sampled_from(IDS), st.sampled_from(["M1", "7", "", " m1"]), st.text(max_size=4))
NUMBER_CELLS = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "0", "02", "\u00b2", "\u0662", "1.0", "-1", "", "9" * 5000]),
    st.text(max_size=4),
)
LABEL_CELLS = st.one_of(st.sampled_from(["g", "h", "A", ""]), st.text(max_size=4))
CELLS = {"group": LABEL_CELLS, "facilitator": LABEL_CELLS, "cluster": LABEL_CELLS}
CELLS.update(dict.fromkeys(["session", "table", "tables"], NUMBER_CELLS))


def cell_csv(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


@st.composite
def constraint_file(draw):
    """A constraint file: its columns in any order, maybe one more, rows short, long or blank."""
    name = draw(st.sampled_from(sorted(READERS)))
    header = draw(st.permutations(READERS[name][1])) + draw(st.lists(st.just("note"), max_size=1))
    row = st.tuples(*(CELLS.get(column, ID_CELLS) for column in header)).map(list)
    rows = draw(st.lists(st.one_of(row, row.map(lambda r: r[:-1]), row.map(lambda r: [*r, "x"])), max_size=6))
    text = "\n".join(",".join(map(cell_csv, r)) for r in [header, *rows])
    return name, draw(st.sampled_from(["", "\ufeff"])) + text + draw(st.sampled_from(["", "\n", "\r\n"]))


@settings(max_examples=300, deadline=None)
@given(constraint_file())
def test_any_constraint_file_is_read_or_refused_by_row(case):
    name, text = case
    read, _ = READERS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        try:
            rules = read(path, CellReader(path, set(IDS), TABLES, SESSIONS))
        except InputError as error:
            assert str(error).startswith(f"{path}: ")
            return
    members = [Member(m, {"f": m[-1]}) for m in IDS]
    past = rules if name == "past" else ()
    plan = AllocationSettings(tables=TABLES, sessions=SESSIONS, diversify=["f"], past=past)
    with contextlib.suppress(ValueError):  # InfeasibleConstraintsError included
        validate(members, plan, Constraints(**({} if name == "past" else {name: rules})))
