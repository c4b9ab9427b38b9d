"""Reading Pol.is exports: both votes.csv layouts, last vote wins, every bad-input case named precisely."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from civicforum import spreadsheet
from civicforum.opinions import InputFileError, VoteMatrix, read_comments, read_votes


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cell(matrix: VoteMatrix, participant: int, statement: int) -> int | None:
    row = int(np.searchsorted(matrix.participant_ids, participant))
    col = int(np.searchsorted(matrix.statement_ids, statement))
    start, end = matrix.votes.indptr[row], matrix.votes.indptr[row + 1]
    hits = np.flatnonzero(matrix.votes.indices[start:end] == col)
    return int(matrix.votes.data[start + hits[0]]) if hits.size else None


def test_later_timestamp_wins_whatever_the_row_order(tmp_path):
    path = write(
        tmp_path,
        "votes.csv",
        "timestamp,datetime,comment-id,voter-id,vote\n200,b,5,1,-1\n100,a,5,1,1\n150,c,6,1,0\n",
    )
    matrix = read_votes(path)
    assert cell(matrix, 1, 5) == -1
    assert cell(matrix, 1, 6) == 0  # a pass is a seen cell, kept explicitly
    assert matrix.n_votes == 2


def test_without_timestamps_the_later_row_wins_and_columns_are_found_by_name(tmp_path):
    path = write(tmp_path, "votes.csv", "comment-id,vote,voter-id\n3,1,7\n3,-1,7\n4,0,8\n")
    matrix = read_votes(path)
    assert cell(matrix, 7, 3) == -1
    assert cell(matrix, 8, 3) is None
    assert matrix.participant_ids.tolist() == [7, 8]


def test_real_exports_match_published_vote_counts(polis):
    """The README's counts of final votes: 5,303 for brexit-consensus, 225,524 for bowling-green."""
    assert read_votes(polis / "brexit-consensus" / "votes.csv").n_votes == 5303
    assert read_votes(polis / "american-assembly.bowling-green" / "votes.csv").n_votes == 225524


@pytest.mark.parametrize(
    ("text", "row", "column", "fragment"),
    [
        ("voter-id,comment-id,vote\n1,2,1\n1,2\n", 3, "", "has 2 fields"),
        ("voter-id,comment-id,vote\n1,2,1\n1\n", 3, "", "has 1 field but"),
        ("voter-id,comment-id,vote\n1,2,yes\n", 2, "vote", "'yes' is not a vote"),
        ("voter-id,comment-id,vote\n1,2,2\n", 2, "vote", "'2' is not a vote"),
        ("voter-id,comment-id,vote\nx,2,1\n", 2, "voter-id", "not a whole number"),
        ("voter-id,comment-id,vote\n1,-4,1\n", 2, "comment-id", "negative"),
        ("voter-id,comment-id\n1,2\n", 1, "vote", "missing column"),
        ("", 1, "", "file is empty"),
        ("voter-id,comment-id,vote\n", 2, "", "no votes found"),
        ("timestamp,voter-id,comment-id,vote\nsoon,1,2,1\n", 2, "timestamp", "not a timestamp"),
        ("timestamp,voter-id,comment-id,vote\ninf,1,2,1\n", 2, "timestamp", "not a timestamp"),
        ("timestamp,voter-id,comment-id,vote\n1e30,1,2,1\n", 2, "timestamp", "not a timestamp"),
        ("voter-id,comment-id,vote\n99999999999999999999,2,1\n", 2, "voter-id", "too large"),
        ("voter-id,comment-id,vote\n1_000,2,1\n", 2, "voter-id", "not a whole number"),
        ("voter-id,comment-id,vote\n+7,2,1\n", 2, "voter-id", "not a whole number"),
        ("voter-id,comment-id,vote\n1,\u0661\u0662,1\n", 2, "comment-id", "not a whole number"),
    ],
)
def test_bad_votes_file_names_file_row_and_column(tmp_path, text, row, column, fragment):
    path = write(tmp_path, "votes.csv", text)
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    problem = caught.value.problems[0]
    assert (problem.path, problem.row, problem.column) == (str(path), row, column)
    assert fragment in problem.message
    assert f"row {row}" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "row", "column", "fragment"),
    [
        (b"voter-id,comment-id,vote,Vote\n1,2,1,-1\n", 1, "Vote, vote", "named more than once"),
        (b"voter-id,comment-id,vote\n1,2,1\n1,3,1\x00\n", 3, "", "NUL character"),
        (b'voter-id,comment-id,vote\n1,2,1\n1,3,"' + b"9" * 200_000 + b"\n", 3, "", "never closes"),
        (b"voter-id,comment-id,vote\n1,2,1\n\xe9,3,1\n", 3, "", "CSV UTF-8"),
        (b'voter-id,comment-id,vote\n1,2,1\n1,3,"1\n1,4,1\n', 3, "", "never closes"),
        ("voter-id,comment-id,vote\n".encode("utf-16"), 1, "", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), None, "", "looks like an Excel workbook"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(500), None, "", "looks like an Excel workbook"),
    ],
    ids=["repeated-column", "nul", "oversized-cell", "latin-1", "open-quote-at-end", "utf-16", "xls", "xlsx"],
)
def test_unreadable_votes_file_names_the_row(tmp_path, data, row, column, fragment):
    """Never a csv.Error traceback, a NUL kept in a value, or one copy of a column read silently."""
    path = tmp_path / "votes.csv"
    path.write_bytes(data)
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (row, column)
    assert fragment in problem.message


def test_header_names_match_whatever_their_case_or_padding(tmp_path):
    path = write(tmp_path, "votes.csv", " Voter-ID ,COMMENT-ID,Vote\n1,2,1\n")
    assert cell(read_votes(path), 1, 2) == 1


def test_a_missing_file_is_named_without_a_row(tmp_path):
    with pytest.raises(InputFileError) as caught:
        read_comments(tmp_path / "absent.csv")
    assert (
        str(caught.value)
        == f"{tmp_path / 'absent.csv'}: cannot be read (No such file or directory); check the path"
    )


def test_messages_show_control_characters_as_escapes(tmp_path):
    """A vote cell holding a terminal escape sequence was echoed raw to the officer's terminal."""
    with pytest.raises(InputFileError) as caught:
        read_votes(write(tmp_path, "votes.csv", "voter-id,comment-id,vote\n1,2,\x1b]0;owned\x07\n"))
    assert "'\\x1b]0;owned\\x07' is not a vote" in str(caught.value)
    assert "\x1b" not in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "votes.csv", "voter-id,comment-id,vote\n1,2,9\n1,3,1\nz,4,1\n")
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    assert [p.row for p in caught.value.problems] == [2, 4]


def test_comments_keep_text_and_moderation(tmp_path):
    path = write(
        tmp_path,
        "comments.csv",
        'comment-id,moderated,comment-body\n2,-1,"Rejected, with a comma"\n1,1,Kept\n',
    )
    statements = read_comments(path)
    assert [(s.statement_id, s.text, s.moderated_out) for s in statements] == [
        (1, "Kept", False),
        (2, "Rejected, with a comma", True),
    ]


def test_comments_with_a_header_only_say_so(tmp_path):
    """Before, the CLI blamed votes.csv: 'votes on statement id(s) ... that are not in comments.csv'."""
    with pytest.raises(InputFileError, match="row 2: no statements found"):
        read_comments(write(tmp_path, "comments.csv", "comment-id,comment-body\n\n"))


def test_duplicate_comment_ids_are_rejected(tmp_path):
    path = write(tmp_path, "comments.csv", "comment-id,comment-body\n1,a\n1,b\n")
    with pytest.raises(InputFileError, match="row 3"):
        read_comments(path)


def test_two_unreadable_comment_ids_are_not_called_a_duplicate(tmp_path):
    """Two blank or unreadable ids were both read as -1, so the second row also got 'statement -1 appears
    twice', naming a statement the file does not have."""
    path = write(tmp_path, "comments.csv", "comment-id,comment-body\n,a\nx,b\n")
    with pytest.raises(InputFileError) as error:
        read_comments(path)
    assert str(error.value).splitlines() == [
        f"{path}, row 2, column 'comment-id': '' is not a whole number; ids must be non-negative integers",
        f"{path}, row 3, column 'comment-id': 'x' is not a whole number; ids must be non-negative integers",
    ]


def test_without_statements_drops_their_votes_only():
    matrix = VoteMatrix.from_rows([1, 1, 2, 2], [10, 11, 10, 12], [1, -1, 0, 1])
    reduced = matrix.without_statements([11])
    assert reduced.statement_ids.tolist() == [10, 12]
    assert cell(reduced, 1, 10) == 1 and cell(reduced, 2, 10) == 0 and cell(reduced, 2, 12) == 1
    assert reduced.n_votes == 3


def test_without_statements_drops_people_left_with_no_votes(polis):
    """Before, 9 people in vtaiwan.uberx (21 in bowling-green) whose only votes were on moderated-out
    statements stayed in: counted in 'N people voted', listed in groups.csv and drawn at the centre."""
    matrix = VoteMatrix.from_rows([1, 1, 2, 3], [10, 11, 11, 12], [1, -1, 0, 1]).without_statements([11])
    assert matrix.participant_ids.tolist() == [1, 3]
    assert cell(matrix, 1, 10) == 1 and cell(matrix, 3, 12) == 1 and matrix.n_votes == 2
    vtaiwan = polis / "vtaiwan.uberx"
    moderated = [s.statement_id for s in read_comments(vtaiwan / "comments.csv") if s.moderated_out]
    kept = read_votes(vtaiwan / "votes.csv").without_statements(moderated)
    assert kept.n_participants == 1921 - 9 and kept.votes_per_participant().min() >= 1


def test_with_votes_replaces_earlier_votes():
    matrix = VoteMatrix.from_rows([1, 2], [10, 10], [1, 1]).with_votes([1, 3], [10, 11], [-1, 0])
    assert cell(matrix, 1, 10) == -1 and cell(matrix, 2, 10) == 1 and cell(matrix, 3, 11) == 0


vote_rows = st.lists(
    st.tuples(
        st.integers(0, 10**12), st.integers(0, 10**12), st.sampled_from([-1, 0, 1]), st.integers(0, 2**52)
    ),
    min_size=1,
    max_size=15,
    unique_by=lambda row: (row[0], row[1]),
)
CORRUPTIONS = ["junk-id", "junk-vote", "nul", "short", "long", "latin-1", "open-quote"]


def votes_file(rows: list[tuple[int, int, int, int]], header: list[str]) -> list[list[str]]:
    """Records of a votes file with the columns in ``header``'s order (names in any case or padding)."""
    order = [name.strip().casefold() for name in header]
    records = [header]
    for participant, statement, vote, time in rows:
        cells = {"voter-id": participant, "comment-id": statement, "vote": vote, "timestamp": time}
        records.append([str(cells[name]) for name in order])
    return records


def csv_bytes(records: list[list[str]], line_end: str, bom: bool, quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end, quoting=quoting).writerows(records)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


headers = st.permutations(["voter-id", "comment-id", "vote", "timestamp"]).map(
    lambda names: [name.upper() if index % 2 else f" {name} " for index, name in enumerate(names)]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=vote_rows, header=headers, line_end=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans())
def test_generated_votes_files_read_back_to_the_same_votes(tmp_path, rows, header, line_end, bom):
    path = tmp_path / "votes.csv"
    path.write_bytes(csv_bytes(votes_file(rows, header), line_end, bom))
    matrix = read_votes(path)
    assert set(zip(*(part.tolist() for part in matrix.rows()), strict=True)) == {r[:3] for r in rows}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=vote_rows,
    header=headers,
    corruption=st.sampled_from(CORRUPTIONS),
    where=st.integers(min_value=0),
    # No line breaks: a cell holding one unquoted is a row break, which moves the damage to the next row.
    junk=st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=6),
)
def test_corrupted_votes_files_name_the_row_and_raise_nothing_else(
    tmp_path, rows, header, corruption, where, junk
):
    """Whatever the damage, InputFileError naming the damaged row (never a csv.Error, OverflowError...)."""
    records = votes_file(rows, header)
    row = 1 + where % len(rows)  # a data record
    column = {name.strip().casefold(): index for index, name in enumerate(header)}
    if corruption == "junk-id":
        assume(not (junk.strip().isascii() and junk.strip().isdigit()))
        records[row][column["voter-id"]] = junk
    elif corruption == "junk-vote":
        assume(junk.strip() not in ("1", "+1", "-1", "0"))
        records[row][column["vote"]] = junk
    elif corruption == "nul":
        records[row][where % 4] += "\0"
    elif corruption == "short":
        records[row].pop()
    elif corruption == "long":
        records[row].append(junk)
    data = csv_bytes(records, "\n", bom=False)
    if corruption in ("latin-1", "open-quote"):
        lines = data.split(b"\n")
        lines[row] = (b"\xe9" if corruption == "latin-1" else b'"') + lines[row]
        data = b"\n".join(lines)
    path = tmp_path / "votes.csv"
    path.write_bytes(data)
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    assert caught.value.problems[0].row == row + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.text(st.characters(exclude_characters="\0", exclude_categories=["Cs"])), min_size=1, max_size=8
    ),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_generated_comments_read_back_to_the_same_texts(tmp_path, texts, line_end):
    """Residents' words come back exactly: commas, quotes, line breaks, spaces and any script."""
    records = [["comment-id", "comment-body"], *([str(index), text] for index, text in enumerate(texts))]
    path = tmp_path / "comments.csv"
    # Quote every cell: with lone CR line ends, csv.writer leaves a cell holding "\n" unquoted.
    path.write_bytes(csv_bytes(records, line_end, bom=True, quoting=csv.QUOTE_ALL))
    assert [(s.statement_id, s.text) for s in read_comments(path)] == list(enumerate(texts))


def test_a_file_too_large_to_read_is_refused_before_reading_it(tmp_path):
    """A 306 MB votes.csv took 4.2 GB and 35 s to read, and a larger one could exhaust the memory: now
    refused at once with its size, the limit, and how to shrink it (a sparse file: nothing is written)."""
    path = tmp_path / "votes.csv"
    with path.open("wb") as handle:
        handle.truncate(300_000_000)
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    assert str(caught.value) == (
        f"{path}: is 300 MB, more than the 200 MB this command reads; delete the columns it does not use "
        "(it reads only voter-id, comment-id, vote, timestamp) and run it again"
    )


@pytest.mark.parametrize(
    ("separator", "named"), [(";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")]
)
def test_a_file_separated_by_something_other_than_commas_says_so(tmp_path, separator, named):
    """Before: 'missing column(s) voter-id, comment-id, vote (found: voter-id;comment-id;vote)', as if the
    columns were misnamed, for the semicolon CSV that Excel saves in many European locales."""
    text = separator.join(["voter-id", "comment-id", "vote"]) + "\n" + separator.join("111") + "\n"
    with pytest.raises(InputFileError) as caught:
        read_votes(write(tmp_path, "votes.csv", text))
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (1, "")
    assert problem.message.startswith(f"values are separated by {named}, not commas; in Excel use 'Save As'")


def test_fractions_of_a_millisecond_decide_which_vote_is_later(tmp_path):
    """Timestamps were truncated to whole milliseconds, so 100.7 and 100.2 tied and the later row won:
    the earlier vote (-1) replaced the later one (1)."""
    path = write(tmp_path, "votes.csv", "timestamp,voter-id,comment-id,vote\n100.7,1,5,1\n100.2,1,5,-1\n")
    assert cell(read_votes(path), 1, 5) == 1


def test_a_stream_too_large_to_read_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    """A device or pipe has no size to check beforehand (/dev/zero was read until MemoryError): reading
    stops at the limit."""
    monkeypatch.setattr(spreadsheet, "MAX_CSV_BYTES", 30)
    path = tmp_path / "votes.csv"
    path.write_text("voter-id,comment-id,vote\n0,0,1\n1,0,-1\n")
    with pytest.raises(InputFileError) as caught:
        read_votes(path)
    assert str(caught.value) == (
        f"{path}: is larger than 0 MB, far more than any file this command reads; check that this is the "
        "right file"
    )
