"""Constraint files, however malformed, are read or refused with a message naming the file and row;
whatever they hold once read, the rules are accepted or refused as ValueError, never a crash."""

import contextlib
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables import AllocationSettings, Constraints, Member, files
from civicforum.tables.files import CellReader, InputError
from civicforum.tables.model import Rule
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


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(set(READERS) - {"past"})),
    blanks=st.lists(st.tuples(st.integers(0, 3), st.text(" ,\t", max_size=5)), max_size=4),
)
def test_blank_rows_however_a_spreadsheet_saved_them_are_skipped(name, blanks):
    """A row of nothing but commas and spaces (Excel saves an empty row as ',,') reads as no row at all,
    not as a rule for a member with a blank id."""
    read, header = READERS[name]
    good = {"id": "m1", "other": "m2", "session": "1", "table": "2", "tables": "1", "keep_apart": "m3"}
    row = ",".join(good.get(column, "g") for column in header)
    lines = [",".join(header), row, row.replace("m1", "m4")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        expected = read(path, CellReader(path, set(IDS), TABLES, SESSIONS))
        for position, blank in sorted(blanks, reverse=True):
            lines.insert(1 + position % 3, blank)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert read(path, CellReader(path, set(IDS), TABLES, SESSIONS)) == expected


def test_each_rule_read_records_its_file_and_row(tmp_path):
    """The rows named when rules conflict: a rule given twice keeps its first row; rules count from the
    order groups, facilitators and clusters first appear in."""
    reader = CellReader(tmp_path, set(IDS), TABLES, SESSIONS)
    sources: files.Sources = {}

    def read(name: str, text: str):
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        return READERS[name][0](path, reader, sources)

    read("keep_together", "group,id\nA,m1\nB,m2\n\nB,m3\nB,m2\n")
    read("keep_apart", "id,other\nm1,m2\nm3,m4\n")
    read("fixed", "id,session,table\nm1,1,2\n")
    read("absent", "id,session\nm2,3\n")
    read("facilitators", "facilitator,keep_apart\nAnn,\nBob,m4\nAnn,m3\n")
    read("clusters", "cluster,tables,id\ncy,1,m1\npl,1,m3\n")
    assert sources == {
        Rule("keep-together", 0, "m1"): f"{tmp_path / 'keep_together.csv'} row 2",
        Rule("keep-together", 1, "m2"): f"{tmp_path / 'keep_together.csv'} row 3",
        Rule("keep-together", 1, "m3"): f"{tmp_path / 'keep_together.csv'} row 5",
        Rule("keep-apart", 0): f"{tmp_path / 'keep_apart.csv'} row 2",
        Rule("keep-apart", 1): f"{tmp_path / 'keep_apart.csv'} row 3",
        Rule("fixed", 0): f"{tmp_path / 'fixed.csv'} row 2",
        Rule("absent", member="m2", session=3): f"{tmp_path / 'absent.csv'} row 2",
        Rule("facilitator", 1, "m4"): f"{tmp_path / 'facilitators.csv'} row 3",
        Rule("facilitator", 0, "m3"): f"{tmp_path / 'facilitators.csv'} row 4",
        Rule("cluster", 0, "m1"): f"{tmp_path / 'clusters.csv'} row 2",
        Rule("cluster", 1, "m3"): f"{tmp_path / 'clusters.csv'} row 3",
    }
