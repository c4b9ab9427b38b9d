"""The `civicforum opinions` command end to end, on a real Pol.is conversation and on bad input."""

import csv
import json
import os
import warnings
from pathlib import Path

import pytest

from civicforum.opinions.cli import main


def test_brexit_consensus_end_to_end(tmp_path, capsys, brexit):
    out = tmp_path / "out"
    status = main(
        ["opinions", str(brexit / "votes.csv"), "--comments", str(brexit / "comments.csv"), "--out", str(out)]
    )
    assert status == 0
    groups = list(csv.DictReader((out / "groups.csv").open()))
    assert len(groups) == 204 and list(groups[0]) == ["participant", "group", "x", "y"]
    labels = {row["group"] for row in groups}
    assert labels - {""} == {"0", "1"}  # Pol.is also found 2 groups here
    statements = list(csv.DictReader((out / "statements.csv").open()))
    assert len(statements) == 50 * 3  # everyone + 2 groups per statement
    everyone = next(r for r in statements if r["statement"] == "1" and r["group"] == "all")
    assert everyone["text"] == "I voted to Remain." and everyone["consensus"] == "yes"
    document = json.loads((out / "map.json").read_text())
    assert [g["size"] for g in document["groups"]] == [
        sum(r["group"] == str(k) for r in groups) for k in (0, 1)
    ]
    assert all(g["representative"] for g in document["groups"])
    report = (out / "report.html").read_text()
    assert '<html lang="en">' in report and "Group A:" in report and "Group B:" in report
    assert "I voted to Remain." in report
    svg = (out / "map.svg").read_text()
    assert "<svg" in svg and "Group A" in svg
    assert "2 groups" in capsys.readouterr().out


def test_same_seed_same_files(tmp_path, brexit):
    for name in ("a", "b"):
        assert (
            main(["opinions", str(brexit / "votes.csv"), "--seed", "3", "--out", str(tmp_path / name)]) == 0
        )
    for name in ("groups.csv", "statements.csv", "map.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ("voter-id,comment-id,vote\n1,1,1\n1,2,maybe\n", "row 3, column 'vote'"),
        ("voter-id,comment-id,vote\n1,1,1\n1,2\n", "row 3: has 2 fields"),
        ("", "row 1: file is empty"),
        ("participant,statement,vote\n1,1,1\n", "row 1, column 'voter-id, comment-id'"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, votes, expected):
    path = tmp_path / "votes.csv"
    path.write_text(votes)
    out = tmp_path / "out"
    assert main(["opinions", str(path), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and expected in error
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["votes.csv"]


def test_votes_on_statements_missing_from_comments_are_refused(tmp_path, capsys):
    votes = tmp_path / "votes.csv"
    votes.write_text("voter-id,comment-id,vote\n1,1,1\n1,9,1\n")
    comments = tmp_path / "comments.csv"
    comments.write_text("comment-id,comment-body\n1,Hello\n")
    assert main(["opinions", str(votes), "--comments", str(comments), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err  # before: no row or column, only 'votes on statement id(s) 9'
    assert f"{votes}, row 3, column 'comment-id': statement 9 is not in {comments}; check both" in error
    assert not (tmp_path / "out").exists()


def test_problems_in_both_files_are_reported_in_one_run(tmp_path, capsys):
    votes = tmp_path / "votes.csv"
    votes.write_text("voter-id,comment-id,vote\n1,1,maybe\n")
    comments = tmp_path / "comments.csv"
    comments.write_text("comment-id,comment-body,moderated\n1,Hello,yes\n")
    out = tmp_path / "out"
    assert main(["opinions", str(votes), "--comments", str(comments), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"{votes}, row 2, column 'vote'" in error
    assert f"{comments}, row 2, column 'moderated'" in error
    assert error.rstrip().endswith("Nothing was written.")
    assert not out.exists()


def test_comments_that_moderate_out_every_voted_statement_say_what_to_do(tmp_path, capsys):
    """The refusal read only 'every voted statement is moderated out; nothing to map.': no fix, and unlike
    every other refusal it did not say that nothing was written."""
    votes = tmp_path / "votes.csv"
    votes.write_text("voter-id,comment-id,vote\n1,1,1\n2,1,-1\n")
    comments = tmp_path / "comments.csv"
    comments.write_text("comment-id,comment-body,moderated\n1,Hello,-1\n2,Unvoted,1\n")
    out = tmp_path / "out"
    assert main(["opinions", str(votes), "--comments", str(comments), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"civicforum opinions: {comments}: every statement voted on is moderated out")
    assert "accept some statements (moderated = 1)" in error
    assert error.rstrip().endswith("Nothing was written.")
    assert not out.exists()


def test_out_of_range_options_exit_2(tmp_path, capsys, brexit):
    assert main(["opinions", str(brexit / "votes.csv"), "--max-groups", "12", "--out", str(tmp_path)]) == 2
    assert "--max-groups must be between 2 and 9" in capsys.readouterr().err
    assert main(["opinions", str(brexit / "votes.csv"), "--min-votes", "7.0", "--out", str(tmp_path)]) == 2
    assert "--min-votes: '7.0' is not a whole number; write it in digits only, such as 7" in (
        capsys.readouterr().err
    )
    assert main(["opinions", str(brexit / "votes.csv")]) == 2  # --out is required
    not_a_directory = tmp_path / "file.txt"
    not_a_directory.write_text("keep me")
    assert main(["opinions", str(brexit / "votes.csv"), "--out", str(not_a_directory)]) == 2
    assert not_a_directory.read_text() == "keep me"


@pytest.mark.parametrize("layout", ["parent-is-a-file", "folder-where-a-file-goes"])
def test_an_unusable_out_directory_exits_2_and_writes_nothing(tmp_path, capsys, layout, brexit):
    """Before, both ended the run in a FileExistsError or IsADirectoryError traceback."""
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = blocker / "out" if layout == "parent-is-a-file" else tmp_path / "out"
    if layout == "folder-where-a-file-goes":
        (out / "map.svg").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    assert main(["opinions", str(brexit / "votes.csv"), "--out", str(out)]) == 2
    assert f"--out {out}" in capsys.readouterr().err
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_a_seed_out_of_range_exits_2(tmp_path, capsys, seed, brexit):
    """Before, numpy or scikit-learn stopped the run with a ValueError traceback."""
    assert main(["opinions", str(brexit / "votes.csv"), "--seed", seed, "--out", str(tmp_path / "out")]) == 2
    assert f"--seed must be between 0 and 4294967295, got {seed}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_move_that_fails_midway_puts_the_earlier_results_back(tmp_path, capsys, monkeypatch, brexit):
    """Before, a failure on the third file left two new files beside three from the earlier run."""
    out = tmp_path / "out"
    assert main(["opinions", str(brexit / "votes.csv"), "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    real_replace, moves_in = os.replace, []

    def replace_failing_on_the_third_new_file(source, target):
        if Path(target).parent == out:
            moves_in.append(target)
            if len(moves_in) == 3:
                raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace_failing_on_the_third_new_file)
    assert main(["opinions", str(brexit / "votes.csv"), "--seed", "5", "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.undo()
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_statement_texts_cannot_run_as_spreadsheet_formulas(tmp_path):
    votes = "voter-id,comment-id,vote\n" + "".join(
        f"{voter},{statement},{(-1, 0, 1)[(voter * 7 + statement * 3) % 3]}\n"
        for voter in range(40)
        for statement in range(8)
    )
    texts = ['=HYPERLINK("http://evil.example","Click")', "-1 for the bus lane", "@SUM(A1)", "+44 calls"]
    texts += ["Fine", "", "\t=1+1", "\r=2+2"]  # OWASP: a leading tab or carriage return also starts a formula
    comments = "comment-id,comment-body\n" + "".join(
        f'{statement},"{text.replace(chr(34), chr(34) * 2)}"\n' for statement, text in enumerate(texts)
    )
    (tmp_path / "votes.csv").write_text(votes)
    (tmp_path / "comments.csv").write_text(comments)
    out = tmp_path / "out"
    args = [str(tmp_path / "votes.csv"), "--comments", str(tmp_path / "comments.csv"), "--out", str(out)]
    assert main(["opinions", *args]) == 0
    written = {
        row["statement"]: row["text"] for row in csv.DictReader((out / "statements.csv").open(newline=""))
    }
    assert written["0"] == "'" + texts[0] and written["1"] == "'-1 for the bus lane"
    assert written["2"] == "'@SUM(A1)" and written["3"] == "'+44 calls" and written["4"] == "Fine"
    assert written["6"] == "'\t=1+1" and written["7"] == "'\r=2+2"
    assert "=HYPERLINK(&quot;http://evil.example&quot;" in (out / "report.html").read_text()


def test_a_map_nobody_is_grouped_in_says_how_to_group_on_fewer_votes(tmp_path, capsys):
    votes = tmp_path / "votes.csv"
    votes.write_text("voter-id,comment-id,vote\n" + "".join(f"{p},{p % 3},1\n" for p in range(12)))
    assert main(["opinions", str(votes), "--min-votes", "3", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "nobody cast the 3 votes needed to be placed in a group" in err and "--min-votes" in err


def test_a_conversation_of_one_vote_is_summed_up_in_the_singular(tmp_path, capsys):
    votes = tmp_path / "votes.csv"
    votes.write_text("voter-id,comment-id,vote\n1,1,1\n")
    assert main(["opinions", str(votes), "--min-votes", "1", "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith("1 participant, 1 statement, 1 group; results in ")


def test_points_that_coincide_give_a_map_without_a_library_warning(tmp_path, capsys):
    """Votes where few distinct opinions exist made k-means warn 'Number of distinct clusters (3) found
    smaller than n_clusters (4)', printed with scikit-learn's file path amid the CLI's own messages."""
    votes = tmp_path / "votes.csv"
    rows = "".join(f"{p},{s},{(p * s) % 3 - 1}\n" for p in range(30) for s in range(10))
    votes.write_text("voter-id,comment-id,vote\n" + rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["opinions", str(votes), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""


def test_an_empty_out_is_refused_rather_than_filling_the_current_directory(
    tmp_path, capsys, monkeypatch, brexit
):
    """``--out "$OUT"`` with the variable unset wrote the map among whatever files were in the folder."""
    monkeypatch.chdir(tmp_path)
    assert main(["opinions", str(brexit / "votes.csv"), "--out", " "]) == 2
    assert "argument --out: is empty, which would put the results in the current directory" in (
        capsys.readouterr().err
    )
    assert os.listdir(tmp_path) == []


def test_help_names_the_files_written_and_the_exit_status(capsys):
    """The help said only 'directory to write the results into' and gave no exit status, unlike select
    and tables."""
    assert main(["opinions", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "directory for groups.csv, statements.csv, map.json, map.svg and report.html" in help_text
    assert "Exit status: 0 success; 2 bad input (nothing is written to --out)." in help_text


def test_files_saved_as_excel_csv_utf8_start_with_a_byte_order_mark_and_are_read(tmp_path):
    """Excel's 'CSV UTF-8' puts a byte order mark before the first column name; read as part of the name
    it would make 'voter-id' and 'comment-id' missing columns."""
    votes = tmp_path / "votes.csv"
    comments = tmp_path / "comments.csv"
    rows = [
        f"{voter},{statement},{1 if (voter + statement) % 3 else -1}"
        for voter in range(12)
        for statement in range(3)
    ]
    votes.write_text("\ufeffvoter-id,comment-id,vote\n" + "\n".join(rows) + "\n", encoding="utf-8")
    comments.write_text(
        '\ufeffcomment-id,comment-body\n0,Buses first\n1,"Cycle lanes, wider"\n2,More benches\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["opinions", str(votes), "--comments", str(comments), "--out", str(out)]) == 0
    statements = list(csv.DictReader((out / "statements.csv").open(encoding="utf-8-sig")))
    assert {row["statement"]: row["text"] for row in statements if row["group"] == "all"} == {
        "0": "Buses first",
        "1": "Cycle lanes, wider",
        "2": "More benches",
    }
