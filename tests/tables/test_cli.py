"""``civicforum tables``: outputs on success; bad input named by file and row, exit 2, nothing written."""

import csv
import json
import os
import subprocess
import sys

import pytest

from civicforum import spreadsheet
from civicforum.cli import main as civicforum
from civicforum.tables.cli import main

FEATURES = "gender,age"


@pytest.fixture
def panel_csv(tmp_path):
    path = tmp_path / "panel.csv"
    rows = [(f"m{i:02d}", "FM"[i % 2], ["16-29", "30-59", "60+"][i % 3]) for i in range(18)]
    path.write_text("id,gender,age\n" + "".join(",".join(r) + "\n" for r in rows))
    return path


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(panel_csv, out, *extra):
    base = [str(panel_csv), "--tables", "3", "--sessions", "3", "--diversify", FEATURES, "--quiet"]
    return civicforum(["tables", *base, *extra, "--out", str(out)])


def test_writes_allocation_scores_and_plan(panel_csv, tmp_path):
    out = tmp_path / "out"
    fixed = write(tmp_path, "fixed.csv", "id,session,table\nm04,2,3\n")
    together = write(tmp_path, "together.csv", "group,id\ncarer,m01\ncarer,m02\n")
    apart = write(tmp_path, "apart.csv", "id,other\nm05,m06\n")
    absent = write(tmp_path, "absent.csv", "id,session\nm07,3\n")
    facilitators = write(tmp_path, "fac.csv", "facilitator,keep_apart\nAnn,m08\nBob,\nCy,m09\n")
    code = run(
        panel_csv,
        out,
        "--fixed", fixed, "--keep-together", together, "--keep-apart", apart,
        "--absent", absent, "--facilitators", facilitators, "--seed", "4",
    )  # fmt: skip
    assert code == 0
    assert (out / "allocation.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")  # Excel reads it as UTF-8
    with (out / "allocation.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) == {"id", "session", "table"}
    seat = {(r["id"], r["session"]): r["table"] for r in rows}
    assert seat["m04", "2"] == "3"
    assert all(seat["m01", s] == seat["m02", s] for s in "123")
    assert all(seat["m05", s] != seat["m06", s] for s in "123")
    assert ("m07", "3") not in seat and len(rows) == 18 * 3 - 1
    scores = json.loads((out / "scores.json").read_text())
    assert {"diversity_l1", "diversity_lower_bound", "meeting_norm", "repeat_pairs", "sessions"} <= set(
        scores
    )
    assert scores["diversity_lower_bound"] <= scores["diversity_l1"]
    assert [s["session"] for s in scores["sessions"]] == [1, 2, 3]
    with (out / "facilitators.csv").open(encoding="utf-8-sig") as handle:
        rota = list(csv.DictReader(handle))
    assert len(rota) == 3 * 3 and {r["facilitator"] for r in rota} == {"Ann", "Bob", "Cy"}
    for r in rota:  # nobody sits with the facilitator they are kept apart from
        kept_apart = {"Ann": "m08", "Cy": "m09"}.get(r["facilitator"])
        assert seat.get((kept_apart, r["session"])) != r["table"]
    html = (out / "plan.html").read_text()
    assert "Session 3" in html and 'lang="en"' in html and '<span class="count">F: ' in html


def test_names_from_a_panel_column_are_printed_in_the_plan_only(panel_csv, tmp_path, capsys):
    named = tmp_path / "named.csv"
    lines = panel_csv.read_text().splitlines()
    named.write_text(
        "\n".join([lines[0] + ",first_name"] + [f"{line},Name {n}" for n, line in enumerate(lines[1:])])
    )
    assert run(named, tmp_path / "out", "--names", "first_name") == 0
    assert "Name 5 (m05)" in (tmp_path / "out" / "plan.html").read_text()
    assert "Name" not in (tmp_path / "out" / "allocation.csv").read_text()
    assert run(panel_csv, tmp_path / "refused", "--names", "first_name") == 2
    assert "first_name" in capsys.readouterr().err and not (tmp_path / "refused").exists()


def test_replanning_from_past_file_keeps_it(panel_csv, tmp_path):
    first = tmp_path / "first"
    assert run(panel_csv, first) == 0
    assert not (first / "facilitators.csv").exists()  # no facilitators given, no rota
    lines = (first / "allocation.csv").read_text().splitlines()
    past = write(
        tmp_path, "past.csv", "\n".join(line for line in lines if line.split(",")[1] in ("session", "1"))
    )
    second = tmp_path / "second"
    assert run(panel_csv, second, "--past", past, "--seed", "9") == 0
    again = (second / "allocation.csv").read_text().splitlines()
    assert [line for line in again if line.split(",")[1] == "1"] == [
        line for line in lines if line.split(",")[1] == "1"
    ]


def test_someone_who_left_after_a_session_is_replanned_as_absent_not_dropped(panel_csv, tmp_path, capsys):
    """Dropping a leaver from the panel file would rewrite the sessions they sat in, so the refusal
    says what to do instead, and doing it plans the rest without them and keeps the past."""
    first = tmp_path / "first"
    assert run(panel_csv, first) == 0
    lines = (first / "allocation.csv").read_text(encoding="utf-8-sig").splitlines()
    past = write(
        tmp_path, "past.csv", "\n".join(line for line in lines if line.split(",")[1] in ("session", "1"))
    )
    without = tmp_path / "without.csv"
    without.write_text(
        "".join(line + "\n" for line in panel_csv.read_text().splitlines() if not line.startswith("m05"))
    )
    capsys.readouterr()
    assert run(without, tmp_path / "refused", "--past", past) == 2
    assert "if they have left the forum, keep them in the panel file and list them in the --absent file" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "refused").exists()

    absent = write(tmp_path, "absent.csv", "id,session\nm05,2\nm05,3\n")
    assert run(panel_csv, tmp_path / "second", "--past", past, "--absent", absent) == 0
    again = (tmp_path / "second" / "allocation.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line for line in again if line.split(",")[1] == "1"] == [
        line for line in lines if line.split(",")[1] == "1"
    ]
    assert [line.split(",")[1] for line in again if line.startswith("m05,")] == ["1"]


@pytest.mark.parametrize(
    ("option", "name", "text", "expected"),
    [
        (
            "--keep-apart",
            "apart.csv",
            "id,other\nm01,m02\nm03,ghost\n",
            "apart.csv: row 3, column 'other': ghost",
        ),
        ("--fixed", "fixed.csv", "id,session,table\nm01,2,9\n", "fixed.csv: row 2, column 'table'"),
        ("--fixed", "fixed.csv", "id,session,table\nm01,²,1\n", "fixed.csv: row 2, column 'session'"),
        (
            "--absent",
            "absent.csv",
            "id,session\nm01," + "1" * 5000 + "\n",
            "absent.csv: row 2, column 'session'",
        ),
        ("--keep-together", "kt.csv", "group,member\n", "kt.csv: row 1 (header) has no column 'id'"),
        (
            "--keep-together",
            "kt.csv",
            "group,id\ng,m01\n,m02\n,m03\n",
            "kt.csv: row 3, column 'group' is empty",
        ),
        (
            "--clusters",
            "cl.csv",
            "cluster,tables,id\n,1,m01\n,1,m02\n",
            "cl.csv: row 2, column 'cluster' is empty",
        ),
        (
            "--facilitators",
            "f.csv",
            "facilitator,keep_apart\nAnn,\n,m01\n",
            "f.csv: row 3, column 'facilitator' is empty",
        ),
        ("--absent", "absent.csv", "id,session\nm01,x\n", "absent.csv: row 2, column 'session'"),
        (
            "--past",
            "past.csv",
            "id,session,table\nm01,2,1\n",
            "past.csv: row 2, column 'session': session 2 is given but session 1 is not;",
        ),
        (  # the gap's row was not named, and the sessions found were printed as a Python list
            "--past",
            "past.csv",
            "id,session,table\nm01,1,1\nm02,1,2\nm01,3,1\n",
            "past.csv: row 4, column 'session': session 3 is given but session 2 is not; the past sessions "
            "are those already run, numbered from 1 without gaps, so add the seats of session 2",
        ),
        (  # an empty file was refused for having no column 'id', 'other' among the columns 'none'
            "--keep-apart",
            "apart.csv",
            "",
            "apart.csv: is empty; its first row must name its columns (id,other)",
        ),
        ("--keep-apart", "apart.csv", "\ufeff\n,\n", "apart.csv: is empty;"),
        (  # accepted: the plan seated m01 at one table and had them lead another
            "--facilitators",
            "f.csv",
            "facilitator,keep_apart\nAnn,\nM01,\nBob,\n",
            "f.csv: row 3, column 'facilitator': 'M01' reads as 'm01', a member's id in the panel file, "
            "but a facilitator leads a table without a seat of their own",
        ),
        (
            "--past",
            "past.csv",
            "id,session,table\nm01,1,1\nm01,2,1\nm01,3,1\n",
            "past.csv: holds all 3 sessions, which leaves none to plan",
        ),
        (
            "--keep-apart",
            "apart.csv",
            "id,other\nm01,m02\n\nm03,m04,m05\n",
            "apart.csv: row 4 has 3 cells but the header has 2",
        ),
    ],
)
def test_bad_constraint_file_names_file_and_row(panel_csv, tmp_path, capsys, option, name, text, expected):
    out = tmp_path / "out"
    assert run(panel_csv, out, option, write(tmp_path, name, text)) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "name", "text", "expected"),
    [
        (
            "--past",
            "past.csv",
            "id,session,table\nm01,1,1\n",
            "past.csv: holds the only session, which leaves",
        ),
        (
            "--clusters",
            "cl.csv",
            "cluster,tables,id\nw,1,m01\nw,2,m02\n",
            "cl.csv: row 3, column 'tables': cluster w was given 1 table on an earlier row",
        ),
    ],
)
def test_a_count_of_one_is_written_in_the_singular(panel_csv, tmp_path, capsys, option, name, text, expected):
    """'holds all 1 sessions' and 'was given 1 tables' read as slips in a message officers act on."""
    command = [str(panel_csv), "--tables", "3", "--sessions", "1", "--diversify", FEATURES, "--quiet"]
    assert (
        main(["tables", *command, option, write(tmp_path, name, text), "--out", str(tmp_path / "out")]) == 2
    )
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("column", ["id", "name"])
def test_a_column_with_a_different_value_for_everyone_is_refused_for_diversify(tmp_path, capsys, column):
    """'--diversify id' (or a name) was accepted: each value sits at one table whatever the seating, so it
    balanced nothing, and the search took longer."""
    panel = tmp_path / "panel.csv"
    panel.write_text("id,gender,name\n" + "".join(f"m{i:02d},{'FM'[i % 2]},Name {i}\n" for i in range(12)))
    command = [str(panel), "--tables", "3", "--sessions", "2", "--diversify", f"gender,{column}", "--quiet"]
    assert main(["tables", *command, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        f"error: {panel}: column '{column}', given to --diversify, holds a different value for each of the "
        "12 members, so there is nothing to balance (every seating spreads it alike) and it would only slow "
        "the search; leave it out of --diversify (an id or a name is not a feature to balance)\n"
    )
    assert not (tmp_path / "out").exists()


def seats(out):
    """Each member's table in each session, from allocation.csv."""
    with (out / "allocation.csv").open(encoding="utf-8-sig") as handle:
        return {(row["id"], int(row["session"])): int(row["table"]) for row in csv.DictReader(handle)}


@pytest.mark.parametrize(
    ("option", "rows", "note"),
    [
        (
            "--keep-together",
            "group,id\na,m01\na,m02\nb,m03\nb,m02\n",
            "row 5: m02 is in group b and in group a (row 3), so the two groups sit together as one",
        ),
        (  # each cluster has one table, so sharing m02 puts both at the same table
            "--clusters",
            "cluster,tables,id\nwelsh,1,m01\nwelsh,1,m02\nbsl,1,m02\nbsl,1,m03\n",
            "row 4: m02 is in cluster bsl and in cluster welsh (row 3), so in every session that member sits "
            "at a table both clusters use",
        ),
    ],
)
def test_a_member_in_two_groups_or_clusters_seats_them_together_and_is_noted(
    panel_csv, tmp_path, capsys, option, rows, note
):
    """m02 in two groups (or clusters) joined them without a word: a mistyped id would seat two families
    as one."""
    rules = write(tmp_path, "rules.csv", rows)
    out = tmp_path / "out"
    assert run(panel_csv, out, option, rules) == 0
    assert f"note: {rules}: {note}\n" in capsys.readouterr().err
    seated = seats(out)
    for session in (1, 2, 3):
        assert seated["m01", session] == seated["m02", session] == seated["m03", session]


def test_one_member_cannot_fill_two_tables_in_the_singular(tmp_path, capsys):
    panel = write(tmp_path, "panel.csv", "id,gender,age\nm01,F,60+\n")
    assert run(panel, tmp_path / "out") == 2
    assert "panel.csv: 1 member cannot fill 3 tables; use at most 1 (--tables 1)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("panel_id", "typed"),
    [("007", "7"), ("m01", "M01"), ("Zo\u00eb", "Zoe\u0308"), ("000", "0")],
)
def test_an_id_that_only_looks_different_is_pointed_at(tmp_path, capsys, panel_id, typed):
    """Leading zeros a spreadsheet dropped, capitals, or an accent typed as a combining mark: the plain
    'not an id in the panel file' would leave the officer staring at an id they can see in the panel."""
    panel = tmp_path / "panel.csv"
    panel.write_text(f"id,gender,age\n{panel_id},F,60+\nb,M,60+\nc,F,16-29\nd,M,16-29\n")
    apart = write(tmp_path, "apart.csv", f"id,other\nb,c\n{typed},d\n")
    out = tmp_path / "out"
    args = [str(panel), "--tables", "2", "--sessions", "2", "--diversify", FEATURES, "--quiet"]
    assert main(["tables", *args, "--keep-apart", apart, "--out", str(out)]) == 2
    assert (
        f"apart.csv: row 3, column 'id': {typed!r} is not an id in the panel file, though {panel_id!r} is"
        in (capsys.readouterr().err)
    )
    assert not out.exists()


def test_missing_feature_column_and_too_many_tables(panel_csv, tmp_path, capsys):
    out = tmp_path / "out"
    args = [str(panel_csv), "--tables", "3", "--sessions", "2", "--out", str(out)]
    assert main(["tables", *args, "--diversify", "gender,income"]) == 2
    assert "row 1 (header) has no column 'income'" in capsys.readouterr().err
    args = [str(panel_csv), "--tables", "19", "--sessions", "2", "--diversify", "gender", "--out", str(out)]
    assert main(["tables", *args]) == 2
    assert "18 members cannot fill 19 tables; use at most 18 (--tables 18)" in capsys.readouterr().err
    assert not out.exists()


def test_too_few_seats_say_which_setting_to_change_and_by_how_much(panel_csv, tmp_path, capsys):
    """Tables too small for the panel, or more tables than members present, were refused without saying
    what to change ("the 3 tables seat 15 but the panel has 18")."""
    out = tmp_path / "out"
    assert run(panel_csv, out, "--table-sizes", "5,5,5") == 2
    assert capsys.readouterr().err == (
        "error: these rules cannot all be met:\n  - the 3 tables seat 15 but the panel has 18, 3 too few: "
        "raise the table sizes to 6,6,6 (--table-sizes 6,6,6), or use 4 tables (--tables 4) with no table "
        "sizes, so that the panel is shared evenly and no table seats more than 5\n"
    )
    absent = write(tmp_path, "absent.csv", "id,session\n" + "".join(f"m{i:02d},2\n" for i in range(16)))
    assert run(panel_csv, out, "--absent", absent) == 2
    assert (
        "session 2 has 2 members present for 3 tables, so a table would be empty: use at most 2 (--tables 2) "
        "or mark fewer members absent from session 2"
    ) in capsys.readouterr().err
    assert not out.exists()


def test_infeasible_rules_exit_2_with_explanation(panel_csv, tmp_path, capsys):
    out = tmp_path / "out"
    together = write(tmp_path, "kt.csv", "group,id\n" + "".join(f"g,m{i:02d}\n" for i in range(7)))
    assert run(panel_csv, out, "--keep-together", together) == 2
    assert "has 7 members but tables seat at most 6" in capsys.readouterr().err
    assert not out.exists()


def test_rules_in_conflict_by_count_exit_2_naming_them(panel_csv, tmp_path, capsys):
    """Conflicts seen by counting seats are named, not left to the search's "no seating honours every
    rule" (3 tables of 6: Ann's table would need 6 of the 5 members she is not kept apart from)."""
    out = tmp_path / "out"
    rota = "facilitator,keep_apart\n" + "".join(f"Ann,m{i:02d}\n" for i in range(13)) + "Bob,\nCy,\n"
    assert run(panel_csv, out, "--facilitators", write(tmp_path, "f.csv", rota)) == 2
    err = capsys.readouterr().err
    assert "Ann is kept apart from 13 of the 18 members present, which leaves 5 to fill tables of 6" in err
    assert "no seating honours" not in err
    fixed = write(tmp_path, "fixed.csv", "id,session,table\nm02,1,1\nm03,1,2\nm04,1,3\n")
    apart = write(tmp_path, "apart.csv", "id,other\nm01,m02\nm01,m03\nm01,m04\n")
    assert run(panel_csv, out, "--fixed", fixed, "--keep-apart", apart) == 2
    assert (
        "m01 has no table in session 1: m01 is kept apart from m02, who is fixed at table 1; m01 is kept "
        "apart from m03, who is fixed at table 2; m01 is kept apart from m04, who is fixed at table 3"
    ) in capsys.readouterr().err
    welsh = write(
        tmp_path, "c.csv", "cluster,tables,id\n" + "".join(f"cy,1,m{i:02d}\n" for i in range(5, 10))
    )
    fixed = write(tmp_path, "fixed.csv", "id,session,table\nm01,2,1\nm02,2,1\nm05,2,1\n")
    assert run(panel_csv, out, "--clusters", welsh, "--fixed", fixed) == 2
    assert (
        "cluster {m05,m06,m07,m08,m09} has 5 members in session 2 but its table seats only 6, and m01, m02 "
        "are fixed there"
    ) in capsys.readouterr().err
    assert not out.exists()


def test_rules_in_conflict_only_the_search_meets_are_named_by_file_and_row(panel_csv, tmp_path, capsys):
    """In session 2 table 1 is full (four fixed members and the cluster fixed there), and three members
    kept apart from each other need a table each: the CLI used to end with "no seating honours every rule"
    and the rules its best seating broke. It now names the fewest rules that conflict, each by file and
    row, and leaves out rows that play no part (m05's seat, m12 and m13, m14's absence)."""
    out = tmp_path / "out"
    clusters = write(tmp_path, "c.csv", "cluster,tables,id\ncy,1,m10\ncy,1,m11\n")
    fixed = write(
        tmp_path, "fixed.csv", "id,session,table\nm05,1,2\nm01,2,1\nm02,2,1\nm03,2,1\nm04,2,1\nm10,2,1\n"
    )
    apart = write(tmp_path, "apart.csv", "id,other\nm12,m13\nm06,m07\nm07,m08\nm06,m08\n")
    absent = write(tmp_path, "absent.csv", "id,session\nm14,2\n")
    args = ("--clusters", clusters, "--fixed", fixed, "--keep-apart", apart, "--absent", absent)
    assert run(panel_csv, out, *args) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: in session 2 these 10 rules cannot all be met together; without any one of them a seating "
        "exists:",
        f"  - {apart} row 3: m06 and m07 are kept apart",
        f"  - {apart} row 4: m07 and m08 are kept apart",
        f"  - {apart} row 5: m06 and m08 are kept apart",
        *(f"  - {fixed} row {row}: m0{row - 2} is fixed at table 1 in session 2" for row in range(3, 7)),
        f"  - {fixed} row 7: m10 is fixed at table 1 in session 2",
        f"  - {clusters} row 2: m10 is in cluster {{m10,m11}}, held on 1 table",
        f"  - {clusters} row 3: m11 is in cluster {{m10,m11}}, held on 1 table",
    ]
    assert not out.exists()


@pytest.mark.parametrize(
    ("rules", "name"),
    [
        ("group,id\ncarer,m01\ncarer,m02\n", "--keep-together"),
        ("cluster,tables,id\ncy,1,m01\ncy,1,m02\n", "--clusters"),
    ],
    ids=["keep-together", "cluster"],
)
def test_a_pair_kept_apart_in_one_group_is_refused_only_when_both_attend(
    panel_csv, tmp_path, capsys, rules, name
):
    """A pair kept apart inside one keep-together group, or one cluster on 1 table, was refused even when
    one of them misses every session, and the refusal named no file row. Now a pair who never both
    attend is seated; a pair who both attend session 3 is refused with the rows to change."""
    out = tmp_path / "out"
    group = write(tmp_path, "rules.csv", rules)
    apart = write(tmp_path, "apart.csv", "id,other\nm01,m02\n")
    never = write(tmp_path, "never.csv", "id,session\nm01,1\nm02,2\nm01,3\n")
    assert run(panel_csv, out, name, group, "--keep-apart", apart, "--absent", never) == 0
    capsys.readouterr()
    both = write(tmp_path, "both.csv", "id,session\nm01,1\nm02,2\n")
    assert run(panel_csv, tmp_path / "refused", name, group, "--keep-apart", apart, "--absent", both) == 2
    err = capsys.readouterr().err
    assert "in session 3 these 3 rules cannot all be met together" in err
    assert f"{group} row 2: m01 is in" in err and f"{group} row 3: m02 is in" in err
    assert f"{apart} row 2: m01 and m02 are kept apart" in err
    assert not (tmp_path / "refused").exists()


def test_a_refusal_lists_its_rules_in_the_same_order_on_every_run(panel_csv, tmp_path):
    """The pairs kept apart were listed in the order of a Python set, which changes from one process to
    the next: the same files gave the officer the same lines shuffled. Now they come in order."""
    group = write(tmp_path, "group.csv", "group,id\n" + "".join(f"g,m0{i}\n" for i in range(1, 6)))
    apart = write(tmp_path, "apart.csv", "id,other\nm04,m05\nm01,m03\nm02,m05\nm01,m02\nm03,m04\nm02,m04\n")
    command = [
        sys.executable,
        "-m",
        "civicforum",
        "tables",
        str(panel_csv),
        "--tables",
        "3",
        "--sessions",
        "3",
    ]
    command += ["--diversify", FEATURES, "--keep-together", group, "--keep-apart", apart, "--quiet"]
    refusals = set()
    for hash_seed in "1234":
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [*command, "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True
        )
        assert done.returncode == 2
        refusals.add(done.stderr)
    assert len(refusals) == 1
    listed = [line for line in refusals.pop().splitlines() if "are kept apart but both in" in line]
    assert len(listed) == 6 and listed == sorted(listed)


@pytest.mark.parametrize(("first", "second"), [("ab7", "AB7"), ("007", "7"), ("caf\u00e9", "cafe\u0301")])
def test_panel_ids_that_read_as_the_same_are_refused(tmp_path, capsys, first, second):
    """Two members whose ids differ only in capitals, leading zeros or how an accent is typed were both
    accepted, and a constraint file naming either one could not be told which it meant."""
    panel = write(
        tmp_path, "panel.csv", f"id,gender,age\n{first},F,60+\nm02,M,60+\n{second},M,16-29\nm04,F,60+\n"
    )
    assert civicforum(["tables", panel, "--tables", "2", "--sessions", "1", "--diversify", "gender",
                       "--out", str(tmp_path / "out")]) == 2  # fmt: skip
    assert (
        f"{panel}: row 4, column 'id': '{second}' and '{first}' (row 2) read as the same id: they differ "
        "only in capitals, leading zeros (which a spreadsheet drops from numbers), how an accent is typed or "
        "characters that do not show (such as a zero-width space); give one of them another id"
    ) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_usage_error_exits_2(capsys):
    assert main(["tables", "--tables", "3"]) == 2
    assert "usage" in capsys.readouterr().err


def test_no_note_when_diversity_meets_its_target(panel_csv, tmp_path, capsys):
    assert run(panel_csv, tmp_path / "out", "--effort", "2") == 0
    assert "note:" not in capsys.readouterr().err


def test_note_says_when_people_meet_fewer_others_than_at_random(panel_csv, tmp_path, capsys):
    # Six groups of three kept together at six tables of three: everyone meets the same two people.
    groups = "".join(f"g{i // 3},m{i:02d}\n" for i in range(18))
    together = write(tmp_path, "together.csv", "group,id\n" + groups)
    out = tmp_path / "out"
    args = [str(panel_csv), "--tables", "6", "--sessions", "3", "--diversify", FEATURES, "--quiet"]
    assert civicforum(["tables", *args, "--keep-together", together, "--out", str(out)]) == 0
    scores = json.loads((out / "scores.json").read_text())
    assert scores["meeting_norm"] == 0 and scores["meeting_norm_random"] > 0.5
    err = capsys.readouterr().err
    assert f"note: the meeting score 0.000 is below the {scores['meeting_norm_random']:.3f}" in err
    assert "Groups kept together" in err


def test_a_feature_named_twice_counts_once(panel_csv, tmp_path):
    out = tmp_path / "out"
    args = [str(panel_csv), "--tables", "3", "--sessions", "2", "--quiet", "--out", str(out)]
    assert main(["tables", *args, "--diversify", "gender,age,gender"]) == 0
    assert json.loads((out / "scores.json").read_text())["diversify"] == ["gender", "age"]


def test_note_suggests_a_longer_search_when_diversity_ends_far_above_its_bound(panel_csv, tmp_path, capsys):
    """The engine searches such a plan again with eight times the effort by itself and says so as it
    goes; the note then counts that search and suggests twice as long again."""
    # Six of the nine women fixed at table 1 in every session: no search can balance gender.
    women = [f"m{i:02d}" for i in range(0, 12, 2)]
    seats = "".join(f"{m},{s},1\n" for m in women for s in (1, 2, 3))
    fixed = write(tmp_path, "fixed.csv", "id,session,table\n" + seats)
    base = [str(panel_csv), "--tables", "3", "--sessions", "3", "--diversify", FEATURES]
    assert civicforum(["tables", *base, "--fixed", fixed, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "diversity ended above its lower bound: searching again with 8 times the effort" in err
    assert "note: diversity is" in err and "are possible" in err
    assert "already ran again with 8 times the effort; a longer search" in err and "try --effort 16" in err
    assert json.loads((tmp_path / "out" / "scores.json").read_text())["stopped_by_time_limit"] is False


def test_more_diversity_slack_lets_people_meet_more_others_on_a_small_panel(tmp_path, capsys):
    """Few tables for many sessions: well-balanced tables keep seating the same people together. An
    officer who cares more for new faces can let diversity go further above its bound, and the CLI
    then measures it against that, not against the 5% it otherwise aims for."""
    rows = [(f"m{i:02d}", "FM"[i % 3 == 0], "ABC"[i % 3], "xyzw"[i % 4], "pq"[i % 5 == 0]) for i in range(30)]
    panel = tmp_path / "panel.csv"
    panel.write_text("id,gender,age,area,view\n" + "".join(",".join(r) + "\n" for r in rows))
    base = [str(panel), "--tables", "5", "--sessions", "6", "--diversify", "gender,age,area,view", "--quiet"]
    plans = {}
    for slack in ("4", "60"):
        out = tmp_path / slack
        assert civicforum(["tables", *base, "--diversity-slack", slack, "--out", str(out)]) == 0
        plans[slack] = json.loads((out / "scores.json").read_text())
    usual, loose = plans["4"], plans["60"]
    assert usual["diversity_l1"] <= 1.05 * usual["diversity_lower_bound"]
    assert usual["diversity_l1"] < loose["diversity_l1"] <= 1.65 * loose["diversity_lower_bound"]
    assert (
        loose["meeting_norm"] > usual["meeting_norm"] + 0.03
        and loose["repeat_pairs"] <= usual["repeat_pairs"]
    )
    assert "note: diversity is" not in capsys.readouterr().err


def test_a_search_the_time_limit_cut_short_says_so_and_suggests_more_time(panel_csv, tmp_path, capsys):
    """The same far-off diversity as above, but the search was cut short by --time-limit: more effort
    would not help under the same limit, more time would."""
    women = [f"m{i:02d}" for i in range(0, 12, 2)]
    seats = "".join(f"{m},{s},1\n" for m in women for s in (1, 2, 3))
    fixed = write(tmp_path, "fixed.csv", "id,session,table\n" + seats)
    assert run(panel_csv, tmp_path / "out", "--fixed", fixed, "--time-limit", "0.000001") == 0
    err = capsys.readouterr().err
    assert "note: the time limit of 1e-06 s ended the search before it had done its planned work" in err
    assert "--effort" not in err
    assert json.loads((tmp_path / "out" / "scores.json").read_text())["stopped_by_time_limit"] is True
    assert run(panel_csv, tmp_path / "full") == 0
    assert json.loads((tmp_path / "full" / "scores.json").read_text())["stopped_by_time_limit"] is False
    assert "time limit" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--effort", "0", "--effort must be above 0 and at most 100"),
        ("--effort", "-1", "--effort must be above 0 and at most 100"),
        ("--effort", "1000", "--effort must be above 0 and at most 100"),
        ("--time-limit", "-5", "--time-limit must be a number of seconds above 0, not -5"),
        ("--time-limit", "nan", "--time-limit must be a number of seconds above 0, not nan"),
        ("--table-sizes", "6,6,²", "--table-sizes: give 3 positive whole numbers"),
        ("--seed", "-5", "--seed must be 0 or more, not -5"),
        ("--diversity-slack", "-1", "--diversity-slack must be a percentage from 0 to 1000, not -1"),
        ("--diversity-slack", "nan", "--diversity-slack must be a percentage from 0 to 1000, not nan"),
        ("--diversify", " , ", "--diversify names no column (' , '); give the panel columns to balance"),
        ("--sessions", "100000000", "--sessions must be at most 100, not 100,000,000"),  # ran until killed
        # argparse said "invalid int value" and no more.
        (
            "--tables",
            "1,200",
            "--tables: '1,200' is not a whole number; write it in digits only, such as 1200",
        ),
        ("--sessions", "3.0", "--sessions: '3.0' is not a whole number; write it in digits only, such as 3"),
        ("--seed", "x", "--seed: 'x' is not a whole number; write it in digits only, such as 12"),
        ("--tables", "4.5", "--tables: '4.5' is not a whole number; write it in digits only, such as 12"),
        # argparse said "invalid float value: 'x'".
        (
            "--time-limit",
            "x",
            "--time-limit: 'x' is not a number; write it in digits, with a point before any decimals, such "
            "as 2.5",
        ),
        ("--effort", "1,5", "--effort: '1,5' is not a number; write it in digits, with a point before any "),
        ("--effort", "1,5", "decimals, such as 1.5"),
        ("--diversity-slack", "ten", "--diversity-slack: 'ten' is not a number; write it in digits"),
        # Said "--tables and --sessions must be at least 1", whichever it was and whatever was typed.
        ("--tables", "-2", "--tables must be at least 1, not -2: give the number of tables in every session"),
        ("--sessions", "0", "--sessions must be at least 1, not 0: give the number of times the forum meets"),
    ],
)
def test_bad_option_values_are_refused(panel_csv, tmp_path, capsys, option, value, expected):
    out = tmp_path / "out"
    assert run(panel_csv, out, option, value) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"id,gender,gender,age\nm01,F,M,60+\n", "row 1 (header) names column 'gender' more than once"),
        (b"id,gender,age\nm01,F,60+\nm02,M\x00,60+\n", "row 3 holds a NUL character"),
        ("id,gender,age\nm01,F,60+\n".encode("utf-16"), "row 1 is not UTF-8 text"),
        (b"id,gender,age\nm01,F,60+\n=1+1,M,60+\n", "row 3, column 'id': '=1+1' starts with '='"),
        (b'id,gender,age\nm01,F,"' + b"x" * 200_000 + b'"\n', "row 2 cannot be read as CSV"),
        (
            b"id;gender;age\nm01;F;60+\n",
            "row 1 (header) is one cell: its columns are separated by semicolons (;)",
        ),
        (b"id\tgender\tage\nm01\tF\t60+\n", "its columns are separated by tabs, not commas"),
        (b"id,gender,age\n\n", "has a header row but no members; give one row per panel member"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),  # an old .xls: was 'not UTF-8 text (byte 0xd0)'
            "panel.csv: looks like an Excel workbook, not a CSV file; in Excel use 'Save As' > 'CSV UTF-8",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(500), "panel.csv: looks like an Excel workbook"),  # was 'NUL'
    ],
)
def test_unreadable_panel_file_is_named_with_its_row(tmp_path, capsys, content, expected):
    panel = tmp_path / "panel.csv"
    panel.write_bytes(content)
    out = tmp_path / "out"
    assert run(panel, out) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_a_file_larger_than_any_panel_is_refused_without_reading_it_whole(
    panel_csv, tmp_path, capsys, monkeypatch
):
    """A huge file, or /dev/zero, given as the panel or a rule file was read whole: MemoryError."""
    monkeypatch.setattr(spreadsheet, "MAX_CSV_BYTES", 100)
    out = tmp_path / "out"
    assert run(panel_csv, out) == 2
    assert capsys.readouterr().err == (
        f"error: {panel_csv}: is larger than 0 MB, far more than any file this command reads; check that "
        "this is the right file\n"
    )
    assert not out.exists()


def test_blank_rows_a_spreadsheet_saved_as_commas_are_skipped(panel_csv, tmp_path):
    """Excel saves an empty row as ',,': it was read as a member with an empty id, or a seat for 'blank'."""
    lines = panel_csv.read_text().splitlines(keepends=True)
    panel_csv.write_text("".join([lines[0], ",,\n", *lines[1:], " , ,\n"]))
    fixed = write(tmp_path, "fixed.csv", "id,session,table\n,,\nm04,2,3\n")
    assert run(panel_csv, tmp_path / "out", "--fixed", fixed) == 0


def test_a_panel_far_larger_than_any_forum_s_is_refused_before_seating(tmp_path, capsys):
    """20,000 rows (a pool of volunteers given by mistake) took 12 GB and minutes with no word of why."""
    panel = tmp_path / "panel.csv"
    panel.write_text("id,gender,age\n" + "".join(f"m{i},F,60+\n" for i in range(2001)))
    out = tmp_path / "out"
    assert run(panel, out) == 2
    assert capsys.readouterr().err == (
        f"error: {panel}: has 2,001 rows, more members than this command seats (2,000); a forum's panel has "
        "at most 1,000 members, so check that this is the panel, not the pool of volunteers\n"
    )
    assert not out.exists()


def test_facilitator_named_like_a_formula_is_refused(panel_csv, tmp_path, capsys):
    rota = write(tmp_path, "f.csv", "facilitator,keep_apart\nAnn,\nBob,\n@Cy,m01\n")
    assert run(panel_csv, tmp_path / "out", "--facilitators", rota) == 2
    assert "f.csv: row 4, column 'facilitator': '@Cy' starts with '@'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("panel", "rota", "expected"),
    [
        (
            "id,gender,age\nm01,F,60+\n\u202em02,M,60+\nm03,F,16-29\n",
            None,
            "panel.csv: row 3, column 'id': '\\u202em02' holds U+202E (RIGHT-TO-LEFT OVERRIDE): it does not "
            "show but can make text display in another order than it reads",
        ),
        (
            "id,gender,age\nm01,F,60+\nm02,M,60+\nm03,F,16-29\n",
            "facilitator,keep_apart\nAnn,\nBob\x1b[2J\u2067,m01\n",
            "f.csv: row 3, column 'facilitator': 'Bob\\x1b[2J\\u2067' holds U+001B (a control character), "
            "U+2067 (RIGHT-TO-LEFT ISOLATE): they do not show",
        ),
    ],
)
def test_an_id_or_facilitator_with_hidden_characters_is_refused(tmp_path, capsys, panel, rota, expected):
    """An id pasted with a direction override was seated and printed: the plan showed it backwards, and
    dropping the character there would stop allocation.csv reading back as --past."""
    extra = ["--facilitators", write(tmp_path, "f.csv", rota)] if rota else []
    panel_csv = write(tmp_path, "panel.csv", panel)
    command = [panel_csv, "--tables", "2", "--sessions", "1", "--diversify", "gender", *extra]
    assert main(["tables", *command, "--out", str(tmp_path / "out")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_is_refused_and_left_alone(panel_csv, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("keep me")
    assert run(panel_csv, out) == 2
    assert "is a file; give a directory" in capsys.readouterr().err
    assert out.read_text() == "keep me"


def test_one_facilitator_written_two_ways_is_refused_naming_both_rows(panel_csv, tmp_path, capsys):
    """'Ann' and 'ANN' were two facilitators, so one person was given two tables in every session."""
    rota = write(tmp_path, "f.csv", "facilitator,keep_apart\nAnn,m01\nBob,\nANN,m02\n")
    out = tmp_path / "out"
    assert run(panel_csv, out, "--facilitators", rota) == 2
    assert (
        "f.csv: row 4, column 'facilitator': 'ANN' and 'Ann' (row 2) read as the same facilitator: they "
        "differ only in capitals"
    ) in capsys.readouterr().err
    assert not out.exists()


def test_an_empty_out_is_refused_rather_than_filling_the_current_directory(
    panel_csv, tmp_path, capsys, monkeypatch
):
    """``--out "$OUT"`` with the variable unset wrote the plan among whatever files were in the folder."""
    monkeypatch.chdir(tmp_path)
    assert run(panel_csv, "") == 2
    assert "argument --out: is empty, which would put the results in the current directory" in (
        capsys.readouterr().err
    )
    assert sorted(os.listdir(tmp_path)) == ["panel.csv"]


def test_a_feature_with_many_values_is_balanced_within_ordinary_memory(tmp_path):
    """A postcode district column has dozens of values. The two-for-two exchanges used to tabulate a
    table's costs for every two values leaving and every two joining, k**5 numbers per table (13 GB at
    80 values), so such a panel ended in a memory error; under a 2 GB cap it now gets its plan."""
    panel = tmp_path / "panel.csv"
    rows = [f"m{i:03d},{'FM'[i % 2]},PC{(i * 37) % 60}\n" for i in range(100)]
    panel.write_text("id,gender,postcode\n" + "".join(rows))
    out = tmp_path / "out"
    cap = "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
    run_cli = "from civicforum.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", cap + run_cli, "tables", str(panel), "--tables", "10", "--sessions", "3"]
        + ["--diversify", "gender,postcode", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    with (out / "allocation.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == 300


def test_help_states_the_limits_and_the_exit_status(capsys):
    """The 2,000-member, 100-session and 200 MB limits were met only as refusals, after the fact."""
    assert main(["tables", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "At most 2,000 members, 100 sessions and 200 MB a file." in help_text
    assert "Exit status: 0 success; 2 bad input or rules that cannot all be met" in help_text


@pytest.mark.parametrize(
    ("option", "name", "text", "expected"),
    [
        (
            None,
            None,
            "id,gender,age\nm01,F,60+\nm02,M\u200b,60+\nm03,F,16-29\nm04,M,16-29\n",
            "panel.csv: row 3, column 'gender': 'M\\u200b' holds a zero-width space (U+200B), which does not "
            "show but makes it a different value from the same word typed without it; delete the cell's "
            "text and type it again",
        ),
        (
            "--keep-together",
            "together.csv",
            "group,id\ncarers,m01\ncarers\ufeff,m02\n",
            "together.csv: row 3, column 'group': 'carers\\ufeff' holds a zero-width no-break space or byte "
            "order mark (U+FEFF)",
        ),
        (
            "--clusters",
            "clusters.csv",
            "cluster,tables,id\nWelsh\u200d,1,m01\nWelsh,1,m02\n",
            "clusters.csv: row 2, column 'cluster': 'Welsh\\u200d' holds a zero-width joiner (U+200D)",
        ),
    ],
)
def test_values_that_group_people_with_characters_that_do_not_show_are_refused(
    tmp_path, capsys, option, name, text, expected
):
    """'M' and 'M' followed by a zero-width space were balanced as two groups, and a group label with one
    made a second group: the plan looked right and was not."""
    panel = "id,gender,age\nm01,F,60+\nm02,M,60+\nm03,F,16-29\nm04,M,16-29\n"
    panel_csv = write(tmp_path, "panel.csv", panel if option else text)
    extra = [option, write(tmp_path, name, text)] if option else []
    command = [panel_csv, "--tables", "2", "--sessions", "1", "--diversify", "gender", *extra]
    assert main(["tables", *command, "--out", str(tmp_path / "out")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_values_whose_joiners_and_tags_show_are_read_as_typed(tmp_path):
    """A zero-width joiner inside an emoji, the tags of the flag of Wales and the non-joiner inside a
    Persian word change what shows, so they are part of the value: each such value is one group."""
    wales = "Cymraeg \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
    persian = "\u0641\u0627\u0631\u0633\u06cc\u200c\u0632\u0628\u0627\u0646"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    values = [wales, persian, family, "English"] * 3
    panel = "id,language\n" + "".join(f"m{i:02d},{value}\n" for i, value in enumerate(values))
    out = tmp_path / "out"
    command = [
        write(tmp_path, "panel.csv", panel),
        "--tables",
        "3",
        "--sessions",
        "1",
        "--diversify",
        "language",
    ]
    assert main(["tables", *command, "--quiet", "--out", str(out)]) == 0
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert scores["diversity_l1"] == scores["diversity_lower_bound"]  # four groups of three, one each a table
    assert family in (out / "plan.html").read_text(encoding="utf-8")


def test_the_summary_gives_diversity_as_its_share_above_the_bound(panel_csv, tmp_path, capsys):
    """The targets speak of diversity's share above its lower bound; the summary line gives that share
    beside both figures, as scores.json has them (or says the bound is 0, where tables can mirror the
    panel exactly)."""
    assert run(panel_csv, tmp_path / "even") == 0
    assert json.loads((tmp_path / "even" / "scores.json").read_text())["diversity_lower_bound"] == 0
    assert "(lower bound 0), meetings" in capsys.readouterr().out
    # Three women and four men at tables of four and three: no table can mirror the panel exactly.
    panel = write(tmp_path, "panel.csv", "id,gender\n" + "".join(f"m{i},{'FFFMMMM'[i]}\n" for i in range(7)))
    assert main(["tables", panel, "--tables", "2", "--sessions", "2", "--diversify", "gender", "--quiet",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    scores = json.loads((tmp_path / "out" / "scores.json").read_text())
    achieved, bound = scores["diversity_l1"], scores["diversity_lower_bound"]
    above = f"diversity {achieved:.3f} ({achieved / bound - 1:.1%} above its lower bound {bound:.3f}), "
    assert bound > 0 and above in capsys.readouterr().out


def test_a_panel_starting_with_a_byte_order_mark_is_seated(tmp_path):
    """Excel's 'CSV UTF-8' starts the file with one; only one inside a value is refused."""
    panel_csv = write(tmp_path, "panel.csv", "\ufeffid,gender\nm01,F\nm02,M\nm03,F\nm04,M\n")
    command = [panel_csv, "--tables", "2", "--sessions", "1", "--diversify", "gender", "--quiet"]
    assert main(["tables", *command, "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "allocation.csv").exists()


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            "Female",
            "female",
            "panel.csv: column 'gender': 'female' (row 4) and 'Female' (row 2) differ only in capitals, "
            "spaces or how an accent is typed, so they would be balanced as two groups; write the value the "
            "same way on every row",
        ),
        ("Female", "  FEMALE ", "'FEMALE' (row 4) and 'Female' (row 2) differ only in capitals, spaces"),
        ("Ward A", "Ward  A", "'Ward  A' (row 4) and 'Ward A' (row 2)"),
        ("Caf\u00e9", "Cafe\u0301", "'Cafe\u0301' (row 4) and 'Café' (row 2)"),
    ],
)
def test_one_value_written_two_ways_is_refused_naming_both_and_their_rows(
    tmp_path, capsys, first, second, expected
):
    """'Female' and 'female' were balanced as two groups, so a table could hold every 'female' and no
    'Female'. The selection engine reads both as the features file's one spelling; the panel file has no
    such list to say which is meant, so the officer is asked to choose."""
    rows = [f"m01,{first},60+", "m02,Male,60+", f"m03,{second},16-29", "m04,Male,16-29", f"m05,{first},16-29"]
    panel_csv = write(tmp_path, "panel.csv", "id,gender,age\n" + "\n".join(rows) + "\n")
    command = [panel_csv, "--tables", "2", "--sessions", "1", "--diversify", "gender,age"]
    assert main(["tables", *command, "--out", str(tmp_path / "out")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_values_of_a_column_not_diversified_may_be_written_any_way(tmp_path):
    rows = ["m01,F,Ann Lee", "m02,M,ann lee", "m03,F,Bo", "m04,M,bo"]
    panel_csv = write(tmp_path, "panel.csv", "id,gender,name\n" + "\n".join(rows) + "\n")
    command = [panel_csv, "--tables", "2", "--sessions", "1", "--diversify", "gender", "--quiet"]
    assert main(["tables", *command, "--names", "name", "--out", str(tmp_path / "out")]) == 0
