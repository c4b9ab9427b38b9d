"""The selection CLI end to end: files written, exit codes, nothing written on error, verification."""

from __future__ import annotations

import csv
import importlib
import json
import shlex
from pathlib import Path

import pytest

from civicforum.cli import main as civicforum
from civicforum.selection.lottery import verify_command


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def copy_with(source: Path, target: Path, old: str, new: str) -> Path:
    """A copy of ``source`` with one edit, as an officer might make it."""
    text = source.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    return target


def select(people: Path, features: Path, out: Path, *extra: str) -> int:
    return civicforum(["select", str(people), str(features), "--out", str(out), *extra])


def write_inputs(folder: Path, people: str, features: str) -> tuple[Path, Path]:
    """people.csv and features.csv in ``folder`` with these texts."""
    paths = folder / "people.csv", folder / "features.csv"
    for path, text in zip(paths, (people, features), strict=True):
        path.write_text(text)
    return paths


@pytest.fixture
def small(shared_data: Path) -> tuple[Path, Path]:
    folder = shared_data / "pgoelz_example_small_20"
    return folder / "people.csv", folder / "features.csv"


def test_select_writes_every_file_and_verifies(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", "--seed", "7 14 21 28 35 42") == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "distribution.json",
        "probabilities.csv",
        "remaining.csv",
        "report.html",
        "selected.csv",
    ]
    selected, remaining = rows(out / "selected.csv"), rows(out / "remaining.csv")
    assert len(selected) == 20 and len(remaining) == 180
    assert list(selected[0]) == ["id", "gender", "leaning"]
    probabilities = rows(out / "probabilities.csv")
    assert len(probabilities) == 200
    assert sum(float(r["probability"]) for r in probabilities) == pytest.approx(20, abs=1e-6)
    document = json.loads((out / "distribution.json").read_text())
    assert document["algorithm"] == "leximin" and document["seed"] == "7 14 21 28 35 42"
    assert document["commitment"] == document["lottery"]["commitment"]
    assert len(document["lottery"]["panels"]) == 1000
    assert sum(panel["probability"] for panel in document["panels"]) == pytest.approx(1)
    assert sorted(document["selected"]) == sorted(r["id"] for r in selected)
    capsys.readouterr()
    assert civicforum(["selection", "verify", str(out), "--seed", "7 14 21 28 35 42"]) == 0
    assert capsys.readouterr().out.startswith("verified: commitment ")

    assert civicforum(["selection", "verify", str(out), "--seed", "7 14 21 28 35 43"]) == 1
    assert "NOT verified" in capsys.readouterr().err

    assert select(*small, tmp_path / "again", "--panel", "20", "--seed", "7 14 21 28 35 42") == 0
    again = json.loads((tmp_path / "again" / "distribution.json").read_text())
    assert again["commitment"] == document["commitment"] and again["selected"] == document["selected"]


@pytest.mark.parametrize(
    ("typed", "cause"),
    [
        (
            "7 14 21 28 35 43",
            "The seed given, '7 14 21 28 35 43', is not the seed recorded for this draw, '7 14 21 28 35 42'. "
            "Check the seed announced in public",
        ),
        ("7 14 21 28 35  42", "they differ only in spaces or capital letters, which pick another panel"),
    ],
)
def test_a_seed_other_than_the_recorded_one_is_named_before_the_ids_it_misses(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str, cause: str
) -> None:
    """The recorded seed was named last, in brackets, after the twenty ids missing and the twenty extra;
    a doubled space typed in the seed looked like a different panel published."""
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", "--seed", "7 14 21 28 35 42") == 0
    capsys.readouterr()
    assert civicforum(["selection", "verify", str(out), "--seed", typed]) == 1
    first, second = capsys.readouterr().err.splitlines()[1:3]
    assert cause in first and second.startswith(f"  - seed {typed!r} picks panel ")
    assert " of 1,000, but selected.csv differs" in second


@pytest.mark.parametrize("seed", ["5 12 19 33 41 48", "-draw", 'it\'s $5 "won"'])
def test_the_verify_command_shown_for_a_seed_verifies_when_pasted(
    small: tuple[Path, Path], tmp_path: Path, seed: str
) -> None:
    """A seed starting with '-' was printed after '--seed ', where it reads as another option: verify
    stopped with 'argument --seed: expected one argument'."""
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", f"--seed={seed}") == 0
    words = shlex.split(verify_command(shlex.quote(str(out)), seed))
    assert words[:3] == ["civicforum", "selection", "verify"]
    assert civicforum(words[1:]) == 0


def test_verify_fails_on_tampering(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", "--seed", "1", "--lottery-panels", "999") == 0
    selected_text = (out / "selected.csv").read_text(encoding="utf-8-sig")
    remaining = rows(out / "remaining.csv")[0]
    first = rows(out / "selected.csv")[0]
    (out / "selected.csv").write_text(selected_text.replace(first["id"] + ",", remaining["id"] + ",", 1))
    capsys.readouterr()
    assert civicforum(["selection", "verify", str(out), "--seed", "1"]) == 1
    assert f"missing {first['id']}" in capsys.readouterr().err.replace(", ", " ")

    (out / "selected.csv").write_text(selected_text)
    document = json.loads((out / "distribution.json").read_text())
    document["lottery"]["panels"][0][0] = "someone else"
    (out / "distribution.json").write_text(json.dumps(document))
    assert civicforum(["selection", "verify", str(out), "--seed", "1"]) == 1
    assert "not the published commitment" in capsys.readouterr().err
    assert civicforum(["selection", "verify", str(tmp_path / "nothing"), "--seed", "1"]) == 2


def test_verify_fails_on_a_repeated_member_or_a_different_published_panel(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, both verified: the ids were compared as sets, and the JSON's 'selected' was not read."""
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", "--seed", "1") == 0
    selected_text = (out / "selected.csv").read_text(encoding="utf-8-sig")
    (out / "selected.csv").write_text(selected_text + selected_text.splitlines()[1] + "\n")
    capsys.readouterr()
    assert civicforum(["selection", "verify", str(out), "--seed", "1"]) == 1
    assert (
        f"selected.csv lists {rows(out / 'selected.csv')[0]['id']} more than once" in capsys.readouterr().err
    )

    (out / "selected.csv").write_text(selected_text)
    document = json.loads((out / "distribution.json").read_text())
    document["selected"] = document["selected"][1:]
    (out / "distribution.json").write_text(json.dumps(document))
    assert civicforum(["selection", "verify", str(out), "--seed", "1"]) == 1
    assert "'selected' in distribution.json differs from selected.csv" in capsys.readouterr().err


def test_bad_input_exits_2_names_file_row_column_and_writes_nothing(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = copy_with(small[0], tmp_path / "people.csv", "p3,female,liberal", "p3,femail,liberal")
    out = tmp_path / "out"
    assert select(people, small[1], out, "--panel", "20") == 2
    err = capsys.readouterr().err
    assert f"{people}, row 5, column 'gender': 'femail' is not a value of 'gender'" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".selection-")]


@pytest.mark.parametrize("limit", ["-3", "0", "nan"])
def test_a_time_limit_that_is_not_positive_is_refused(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    out = tmp_path / "out"
    assert select(*small, out, "--panel", "20", "--time-limit", limit) == 2
    assert f"--time-limit: give a number of seconds above 0, not {float(limit):g}." in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("", "is empty, so anyone could have known it"),
        ("\udcff", "not UTF-8 text"),
        (
            "7 \u202e41 21",
            "--seed: '7 \\u202e41 21' holds a right-to-left override (U+202E), which does not show, so the "
            "report would show the seed otherwise than the draw used it; type the seed announced without it.",
        ),
        ("7 41 21\u200b", "holds a zero-width space (U+200B), which does not show"),
        ("7\u00a041 21", "holds a no-break space (U+00A0), which does not show"),
        ("7\u200d41", "holds a zero-width joiner (U+200D)"),
        ("7 41\t21", "holds a tab (U+0009)"),
        ("7 41 21\n", "holds a line break (U+000A)"),
        ("\ufeff7 41 21", "holds a zero-width no-break space or byte order mark (U+FEFF)"),
    ],
)
def test_a_seed_empty_undecodable_or_with_hidden_characters_is_refused(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str, message: str
) -> None:
    """Before, '' was drawn with (a seed known to all), a non-UTF-8 byte (read by Python as a lone
    surrogate) crashed the draw and verify with a UnicodeEncodeError traceback, and a direction override
    showed the seed in the report as '7 12 14' though '7 41 21' was hashed."""
    out = tmp_path / "out"
    assert select(*small, out, "--panel", "20", "--seed", seed) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
    assert civicforum(["selection", "verify", str(out), "--seed", "\udcff"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err


def test_a_search_stopped_by_the_time_limit_says_it_is_not_proven_fairest(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, only distribution.json's certificate said 'optimal: false'; the officer was told nothing."""
    folder = shared_data / "sf_fixture_22"
    out = tmp_path / "out"
    options = ("--panel", "22", "--address-columns", "primary_address1,primary_zip", "--seed", "1")
    assert select(folder / "people.csv", folder / "features.csv", out, *options, "--time-limit", "1e-6") == 0
    assert json.loads((out / "distribution.json").read_text())["certificate"]["optimal"] is False
    assert (
        "stopped before proving its result the fairest within --time-limit 1e-06 s" in capsys.readouterr().err
    )
    assert select(folder / "people.csv", folder / "features.csv", tmp_path / "full", *options) == 0
    assert "stopped before proving" not in capsys.readouterr().err


def test_infeasible_quotas_exit_2_with_a_diagnosis(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    features = copy_with(small[1], tmp_path / "features.csv", "gender,female,9,20", "gender,female,15,20")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier run")
    assert select(small[0], features, out, "--panel", "20") == 2
    err = capsys.readouterr().err
    assert f"{features}: No panel can meet all the quotas." in err
    assert "The quotas for gender add up to at least 24 but the panel has only 20 places." in err
    assert "gender female: lower the minimum from 15 to 11" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_households_and_already_selected(tmp_path: Path) -> None:
    features = tmp_path / "features.csv"
    features.write_text("feature,value,min,max\nGender,F,2,2\nGender,M,2,2\n")
    people = tmp_path / "people.csv"
    lines = ["ref,gender,street,postcode"]
    for index in range(12):
        lines.append(f"r{index},{'FM'[index % 2]},{index // 2} High St.,AB1 {index // 2}CD")
    people.write_text("\n".join(lines) + "\n")
    confirmed = tmp_path / "confirmed.csv"
    confirmed.write_text("ref\nr0\n")
    out = tmp_path / "out"
    args = ["--panel", "4", "--address-columns", "street, postcode", "--already-selected", str(confirmed)]
    assert select(people, features, out, *args, "--seed", "x") == 0
    selected = rows(out / "selected.csv")
    assert "r0" in {r["ref"] for r in selected}
    assert len({(r["street"], r["postcode"]) for r in selected}) == 4
    document = json.loads((out / "distribution.json").read_text())
    assert document["already_selected"] == ["r0"]
    assert document["id_column"] == "ref"
    assert civicforum(["selection", "verify", str(out), "--seed", "x"]) == 0


def test_a_volunteer_on_two_rows_is_warned_about_and_the_draw_goes_ahead(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two rows with the same name and address (r3, and r11 typed in capitals) were accepted silently;
    the officer is now warned, by rows and ids, and the draw still runs (two people can share both)."""
    pool = [f"r{i},Person {i},{'FM'[i % 2]},{i} High St.,AB1 {i}CD" for i in range(11)]
    people, features = write_inputs(
        tmp_path,
        "\n".join(["ref,name,gender,street,postcode", *pool, "r11,PERSON 3,M,3 high st,ab1 3cd"]) + "\n",
        "feature,value,min,max\nGender,F,2,2\nGender,M,2,2\n",
    )
    out = tmp_path / "out"
    assert select(people, features, out, "--panel", "4", "--address-columns", "street,postcode") == 0
    assert (
        f"Warning: {people}: rows 5 and 13 (ids 'r3' and 'r11') have the same name and address: if they are "
        "one volunteer registered more than once"
    ) in capsys.readouterr().err
    assert (out / "selected.csv").exists()


def select_replacements(tmp_path: Path, kept: list[str]) -> Path:
    """Fill a panel of 4 (quotas: 2 F and 2 M) from 10 alternating F and M volunteers around the members
    ``kept``; the output folder, once the command has succeeded."""
    people, features = write_inputs(
        tmp_path,
        "id,gender\n" + "".join(f"p{i},{'FM'[i % 2]}\n" for i in range(10)),
        "feature,value,min,max\ngender,F,2,2\ngender,M,2,2\n",
    )
    confirmed = tmp_path / "confirmed.csv"
    confirmed.write_text("".join(f"{member}\n" for member in kept))
    out = tmp_path / "out"
    assert select(people, features, out, "--panel", "4", "--already-selected", str(confirmed)) == 0
    return out


def test_replacements_report_quotas_that_can_no_longer_be_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = select_replacements(tmp_path, kept=["p0", "p2", "p4"])
    assert "Quota can no longer be met: gender F: raise the maximum from 2 to 3." in capsys.readouterr().err
    document = json.loads((out / "distribution.json").read_text())
    assert [(c["value"], c["new_min"], c["new_max"]) for c in document["relaxed_quotas"]] == [
        ("F", 2, 3),
        ("M", 1, 2),
    ]
    assert "Quotas that could not be met" in (out / "report.html").read_text()


def test_report_is_accessible_html(small: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert select(*small, out, "--panel", "20", "--seed", "s", "--algorithm", "maximin") == 0
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en-GB">' in page
    assert '<svg role="img" aria-labelledby="histogram-title histogram-desc"' in page
    assert page.count("<caption") == 2 and '<th scope="col">' in page
    assert "200 volunteers were in the pool and 20 were selected using the maximin method" in page
    assert '<td>Gender</td><th scope="row">female</th>' in page


def test_help_describes_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_status:
        civicforum(["select", "--help"])
    assert exit_status.value.code == 0
    text = capsys.readouterr().out
    for option in [
        "--panel",
        "--algorithm",
        "--address-columns",
        "--already-selected",
        "--lottery-panels",
        "--seed",
    ]:
        assert option in text


def test_commit_first_then_draw_with_the_announced_seed(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = tmp_path / "published"
    assert select(*small, published, "--panel", "20", "--commit-only") == 0
    assert [p.name for p in published.iterdir()] == ["lottery.json"]
    lottery = json.loads((published / "lottery.json").read_text())
    commitment = lottery["commitment"]
    assert len(lottery["lottery"]["panels"]) == 1000 and lottery["lottery"]["seed"] is None
    assert f"--expect-commitment {commitment}" in capsys.readouterr().out

    drawn = tmp_path / "drawn"
    assert select(*small, drawn, "--panel", "20", "--seed", "3 9 27", "--expect-commitment", commitment) == 0
    assert json.loads((drawn / "distribution.json").read_text())["commitment"] == commitment
    refused = tmp_path / "refused"
    assert select(*small, refused, "--panel", "20", "--seed", "1", "--expect-commitment", "0" * 64) == 2
    assert f"has commitment {commitment}, not the published {'0' * 64}" in capsys.readouterr().err
    assert not refused.exists()
    # Before: a commitment copied in capitals was refused after the solve as 'the input files differ',
    # and so was one cut short, instead of at once as no commitment at all.
    upper = tmp_path / "upper"
    assert (
        select(*small, upper, "--panel", "20", "--seed", "1", "--expect-commitment", commitment.upper()) == 0
    )
    with pytest.raises(SystemExit) as exit:
        select(*small, refused, "--panel", "20", "--seed", "1", "--expect-commitment", commitment[:60])
    assert exit.value.code == 2
    assert "is not a SHA-256 commitment (64 hexadecimal digits)" in capsys.readouterr().err
    assert not refused.exists()


@pytest.mark.parametrize(
    "name",
    [
        "sf_fixture_22",
        "pgoelz_example_small_20",
        pytest.param("ndf_example_20", marks=pytest.mark.slow),
        pytest.param("synthetic_uk_1500_100", marks=pytest.mark.slow),
        pytest.param("pgoelz_example_large_200", marks=pytest.mark.slow),
    ],
)
def test_every_shared_instance_selects_and_verifies(
    name: str, shared_data: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The larger instances run only when asked for (``-m slow``), to keep CI fast."""
    asked = str(request.config.getoption("-m") or "").replace("not slow", "")
    if request.node.get_closest_marker("slow") and "slow" not in asked:
        pytest.skip("slow: run with -m slow")
    folder = shared_data / name
    meta = json.loads((folder / "meta.json").read_text())
    header = (folder / "people.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    address = ["--address-columns", "address1,postcode"] if "postcode" in header else []
    out = tmp_path / name
    args = ["--panel", str(meta["k"]), "--algorithm", "maximin", "--seed", "2026", *address]
    assert select(folder / "people.csv", folder / "features.csv", out, *args) == 0
    assert len(rows(out / "selected.csv")) == meta["k"]
    assert len(rows(out / "remaining.csv")) == meta["n"] - meta["k"]
    assert civicforum(["selection", "verify", str(out), "--seed", "2026"]) == 0


def report_for_genders(tmp_path: Path, genders: str, values: str) -> str:
    """report.html for a panel of 4 from one person per letter of ``genders`` (quotas 1-3, X 0-1)."""
    features = tmp_path / "features.csv"
    quotas = {"F": "1,3", "M": "1,3", "X": "0,1"}
    features.write_text("feature,value,min,max\n" + "".join(f"gender,{v},{quotas[v]}\n" for v in values))
    people = tmp_path / "people.csv"
    people.write_text("id,gender\n" + "".join(f"p{i},{gender}\n" for i, gender in enumerate(genders)))
    assert select(people, features, tmp_path / "out", "--panel", "4", "--seed", "1") == 0
    return (tmp_path / "out" / "report.html").read_text()


def test_report_hides_small_pool_counts(tmp_path: Path) -> None:
    page = report_for_genders(tmp_path, "FFFMMMMMMX", "FMX")
    # On a panel of 4 every count is below 5, and quotas of 1 to 3 would narrow F's and M's further; X's
    # count, 0, is shown, so its quota gives nothing away.
    limits = '<td class="number">not shown</td><td class="number">not shown</td>'
    assert f'<td>Gender</td><th scope="row">M</th>{limits}' in page and page.count(limits) == 2
    assert "for example a target of exactly 2" in page
    assert page.count('<td class="number">fewer than 5</td></tr>') == 2
    assert '<td class="number">6</td></tr>' in page


def test_report_hides_a_count_that_would_give_away_a_lone_small_one(tmp_path: Path) -> None:
    page = report_for_genders(tmp_path, "FFFMMMMMMM", "FM")
    # 10 volunteers, 7 men: the 3 women would be 10 - 7, so 7 is not shown either; on a panel of 4
    # both counts are below 5.
    assert '<th scope="row">M</th>' in page and '<td class="number">7</td>' not in page
    assert page.count('<td class="number">not shown</td></tr>') == 1
    assert page.count('<td class="number">fewer than 5</td>') == 3
    assert page.count('<td class="number">fewer than 5</td><td class="number">') == 2


def test_xlsx_input_gives_the_same_draw_as_csv(small: tuple[Path, Path], tmp_path: Path) -> None:
    from openpyxl import Workbook

    converted = []
    for source in small:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for line in csv.reader(source.read_text(encoding="utf-8-sig").splitlines()):
            sheet.append([int(cell) if cell.isdigit() else cell for cell in line])
        target = tmp_path / f"{source.stem}.xlsx"
        book.save(target)
        converted.append(target)
    assert select(*small, tmp_path / "csv", "--panel", "20", "--seed", "9") == 0
    assert select(converted[0], converted[1], tmp_path / "xlsx", "--panel", "20", "--seed", "9") == 0
    from_csv, from_xlsx = (
        json.loads((tmp_path / d / "distribution.json").read_text()) for d in ("csv", "xlsx")
    )
    assert from_xlsx["commitment"] == from_csv["commitment"]
    assert from_xlsx["selected"] == from_csv["selected"]


@pytest.mark.parametrize("layout", ["out-is-a-file", "parent-is-a-file", "folder-where-a-file-goes"])
def test_an_unusable_out_directory_exits_2_before_solving_and_writes_nothing(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    """Before, each of these ended a finished run in a FileExistsError or IsADirectoryError traceback."""
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me")
    out = {
        "out-is-a-file": blocker,
        "parent-is-a-file": blocker / "out",
        "folder-where-a-file-goes": tmp_path / "out",
    }[layout]
    if layout == "folder-where-a-file-goes":
        (out / "report.html").mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    assert select(*small, out, "--panel", "20", "--seed", "1") == 2
    error = capsys.readouterr().err
    assert f"--out {out}" in error and "Nothing was written." in error
    assert "checking the quotas" not in error  # refused before any computation
    assert sorted(tmp_path.rglob("*")) == before
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize(
    ("distribution", "selected", "fragment"),
    [
        ("[]", "id\np1\n", "no commitment"),
        ('{"lottery": {"panels": [["p1"]]}}', "id\np1\n", "no commitment"),
        ('{"commitment": "ab", "lottery": []}', "id\np1\n", "no commitment"),
        ('{"commitment": "ab", "lottery": {"panels": "p1"}}', "id\np1\n", "lists of ids"),
        ('{"commitment": "ab", "lottery": {"panels": [["p1"]]}}', "id\n" + "p" * 200_000 + "\n", "row 2"),
        ('{"commitment": "ab", "lottery": {"panels": [["p1"]]}}', "ref\np1\n", "no column 'id'"),
        ("[" * 100_000 + "]" * 100_000, "id\np1\n", "nests lists or objects far deeper"),
    ],
    ids=["list", "no-commitment", "lottery-list", "panels-text", "oversized-cell", "no-id-column", "deep"],
)
def test_verify_exits_2_on_edited_files_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], distribution: str, selected: str, fragment: str
) -> None:
    """Before, each of these stopped verify with a TypeError, KeyError, csv.Error or RecursionError
    traceback (exit status 1, as if the draw did not match)."""
    (tmp_path / "distribution.json").write_text(distribution)
    (tmp_path / "selected.csv").write_text(selected)
    assert civicforum(["selection", "verify", str(tmp_path), "--seed", "1"]) == 2
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize(
    ("files", "given", "message"),
    [
        (
            (),
            "missing",
            "{d}/missing: there is no such folder; give the folder holding distribution.json and",
        ),
        (
            ("distribution.json", "selected.csv"),
            "distribution.json",
            "{d}/distribution.json is a file: give the folder that holds distribution.json and selected.csv "
            "({d}), not a file in it.",
        ),
        (
            ("distribution.json",),
            "",
            "{d} has no file named selected.csv. Both files come from the selection",
        ),
        (
            ("distribution (1).json", "selected.csv"),
            "",
            "{d} has no file named distribution.json (there is 'distribution (1).json': rename it "
            "distribution.json). Both",
        ),
        (
            ("lottery.json",),
            "",
            "{d} has no file named distribution.json (only lottery.json, written before the draw: verify "
            "needs the files the draw wrote); {d} has no file named selected.csv.",
        ),
    ],
    ids=["no-folder", "a-file", "no-selected", "browser-renamed", "commit-only"],
)
def test_verify_says_in_words_which_folder_or_file_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: tuple[str, ...], given: str, message: str
) -> None:
    """Before, Python's own words: "[Errno 20] Not a directory: '.../distribution.json/distribution.json'"
    for a file given instead of its folder, and "[Errno 2] No such file or directory" for a second
    download the browser had named 'distribution (1).json'."""
    for name in files:
        (tmp_path / name).write_text("{}")
    assert civicforum(["selection", "verify", str(tmp_path / given), "--seed", "1"]) == 2
    error = capsys.readouterr().err
    assert message.format(d=tmp_path) in error
    assert "Errno" not in error


def test_verify_says_plainly_that_a_utf_16_distribution_json_is_not_utf_8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-saved as UTF-16 (Notepad's 'Unicode'), it was refused with Python's own words inside the
    message: "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"."""
    (tmp_path / "distribution.json").write_text('{"commitment": "ab"}', encoding="utf-16")
    (tmp_path / "selected.csv").write_text("id\np1\n")
    assert civicforum(["selection", "verify", str(tmp_path), "--seed", "1"]) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path}: cannot read the selection (distribution.json is not UTF-8 text: was it saved again in "
        "another encoding, such as UTF-16?); it needs distribution.json and selected.csv as 'civicforum "
        "select' wrote them.\n"
    )


def test_verify_says_where_a_distribution_json_stops_being_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file cut short was refused with the parser's 'Expecting value: line 1 column 1 (char 0)'."""
    (tmp_path / "distribution.json").write_text('{"commitment": "ab",\n "lottery": ')
    (tmp_path / "selected.csv").write_text("id\np1\n")
    assert civicforum(["selection", "verify", str(tmp_path), "--seed", "1"]) == 2
    error = capsys.readouterr().err
    assert "distribution.json is not valid JSON from line 2, column 13: was it edited or cut short?" in error
    assert "Expecting" not in error


def test_verify_reads_a_distribution_json_saved_with_a_byte_order_mark(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert select(*small, out, "--panel", "20", "--seed", "7") == 0
    document = out / "distribution.json"
    document.write_text(document.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert civicforum(["selection", "verify", str(out), "--seed", "7"]) == 0


@pytest.mark.parametrize("panels", ["0", "100000000"])
def test_a_lottery_size_out_of_range_is_refused_at_once(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], panels: str
) -> None:
    """10^8 panels ran for minutes with no output; now it is refused before reading the files."""
    assert select(*small, tmp_path / "out", "--panel", "20", "--lottery-panels", panels) == 2
    error = capsys.readouterr().err
    assert "--lottery-panels: give a number of panels from 1 to 100,000" in error
    assert "checking the quotas" not in error
    assert not (tmp_path / "out").exists()


def test_an_empty_out_is_refused_rather_than_filling_the_current_directory(
    small: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--out "$OUT"`` with the variable unset wrote the panel among whatever files were in the folder."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        civicforum(["select", str(small[0]), str(small[1]), "--out", "", "--panel", "20", "--seed", "1"])
    assert exit_.value.code == 2
    assert "argument --out: is empty, which would put the results in the current directory" in (
        capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--panel", "1,200", "--panel: '1,200' is not a whole number; write it in digits only, such as 1200"),
        ("--panel", "20.0", "--panel: '20.0' is not a whole number; write it in digits only, such as 20"),
        ("--lottery-panels", "1e3", "--lottery-panels: '1e3' is not a whole number; write it in digits only"),
        # argparse said "invalid float value: 'soon'".
        (
            "--time-limit",
            "soon",
            "--time-limit: 'soon' is not a number; write it in digits, with a point before any decimals, "
            "such as 2.5",
        ),
        ("--time-limit", "2,5", "--time-limit: '2,5' is not a number; write it in digits, with a point"),
    ],
)
def test_a_number_written_as_people_or_spreadsheets_do_says_how_to_write_it(
    small: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    expected: str,
) -> None:
    """argparse said "invalid int value: '1,200'", which names no fix."""
    with pytest.raises(SystemExit) as exit_:
        select(*small, tmp_path / "out", "--panel", "20", option, value)
    assert exit_.value.code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_panel_impossible_whatever_the_quotas_does_not_blame_the_features_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Too few households for the panel was reported as 'features.csv: No panel can meet all the quotas.
    ... The panel has 2 places but the pool has only 1 households', sending the officer to the quotas."""
    people, features = write_inputs(
        tmp_path,
        "id,gender,home\np1,F,1 High St\np2,M,1 High St\n",
        "feature,value,min,max\ngender,F,0,2\ngender,M,0,2\n",
    )
    assert select(people, features, tmp_path / "out", "--panel", "2", "--address-columns", "home") == 2
    assert capsys.readouterr().err.endswith(
        "\nNo panel can meet all the quotas.\nThe panel has 2 places but the pool has only 1 household (one "
        "person per household); make the panel at most 1 place, or recruit more households.\nNo change to "
        "the quotas can make a panel possible.\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_hostile_value_is_quoted_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Infeasible quotas were explained with the file's own names, printed raw to the terminal; a value
    holding a control character is now refused as it is read, and quoted escaped."""
    people, features = write_inputs(
        tmp_path, "id,gender\np1,F\np2,F\n", "feature,value,min,max\ngender,F,0,2\ngender,\x1b[2JX,1,2\n"
    )
    assert select(people, features, tmp_path / "out", "--panel", "1") == 2
    error = capsys.readouterr().err
    assert "row 3, column 'value': '\\x1b[2JX' holds a control character (U+001B)" in error
    assert "\x1b" not in error


def test_one_out_directory_never_mixes_two_runs(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, a commit-only run wrote a new lottery.json beside an earlier draw's selected.csv, and a draw
    without --expect-commitment wrote its panel beside a lottery.json it had never been checked against."""
    drawn = tmp_path / "drawn"
    assert select(*small, drawn, "--panel", "20", "--seed", "1") == 0
    before = {path.name: path.read_bytes() for path in drawn.iterdir()}
    assert select(*small, drawn, "--panel", "20", "--commit-only") == 2
    assert "already holds a drawn selection (selected.csv, remaining.csv" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in drawn.iterdir()} == before

    published = tmp_path / "published"
    assert select(*small, published, "--panel", "20", "--commit-only") == 0
    commitment = json.loads((published / "lottery.json").read_text())["commitment"]
    capsys.readouterr()
    assert select(*small, published, "--panel", "20", "--seed", "2") == 2
    assert f"only with --expect-commitment {commitment}" in capsys.readouterr().err
    assert [path.name for path in published.iterdir()] == ["lottery.json"]
    assert select(*small, published, "--panel", "20", "--seed", "2", "--expect-commitment", commitment) == 0
    assert json.loads((published / "distribution.json").read_text())["commitment"] == commitment


def test_a_value_missing_from_the_features_file_is_told_once_for_all_its_rows(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value spelt differently from the features file on every row gave one line per row (100 here,
    1,000 for a pool of 1,000); it is now one line: the value, how many rows, the first few, what to do."""
    people = copy_with(small[0], tmp_path / "people.csv", ",female,", ",femail,")
    assert select(people, small[1], tmp_path / "out", "--panel", "20") == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if "femail" in line]
    assert lines == [
        f"{people}, column 'gender': 'femail' is not a value of 'gender' in the features file (allowed: "
        "female, male), on 100 rows (rows 2, 3, 4, 5, 6 and 95 more); correct those rows, or add a quota "
        "row for it if it is a value the panel should have."
    ]
    assert not (tmp_path / "out").exists()


def test_an_empty_id_column_is_refused(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--id-column "" (a script's empty variable) silently used the default column."""
    assert select(*small, tmp_path / "out", "--panel", "20", "--id-column", "") == 2
    assert capsys.readouterr().err.startswith("--id-column is empty; give the name of the column of ids")
    assert not (tmp_path / "out").exists()


def test_an_id_with_a_line_break_is_refused_naming_its_row(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id with a line break in its cell was accepted, and selected.csv then held an id that a reader
    (and ``selection verify``) takes for two lines."""
    people = copy_with(small[0], tmp_path / "people.csv", "\np3,", '\n"p\n3",')
    assert select(people, small[1], tmp_path / "out", "--panel", "20") == 2
    assert (
        f"{people}, row 5, column 'id': the id 'p\\n3' holds a line break; remove it, so the id is on one "
        "line."
    ) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_lottery_of_one_panel_is_not_called_panels(
    small: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert select(*small, out, "--panel", "20", "--seed", "1", "--lottery-panels", "1") == 0
    captured = capsys.readouterr()
    assert "Lottery of 1 panel (rounding" in captured.out and "a lottery of 1 panel\n" in captured.err
    assert civicforum(["selection", "verify", str(out), "--seed", "1"]) == 0
    assert "matches the 1 panel published, and seed" in capsys.readouterr().out


def test_the_summary_writes_large_counts_as_people_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = "id,gender\n" + "".join(f"p{i},{'FM'[i % 2]}\n" for i in range(1200))
    paths = write_inputs(tmp_path, people, "feature,value,min,max\ngender,F,5,5\ngender,M,5,5\n")
    assert select(*paths, tmp_path / "out", "--panel", "10", "--seed", "1") == 0
    assert capsys.readouterr().out.startswith("Selected 10 of 1,200 volunteers (leximin, ")


def test_a_quota_check_cut_short_says_so_and_the_draw_goes_ahead_as_before(
    small: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A check of the quotas stopped by its time limit was taken, without a word, as 'a panel exists'.
    The draw still goes ahead (the search stops with a message if no panel exists) and draws the same
    panel, but the officer is told the quotas were not checked."""
    assert select(*small, tmp_path / "checked", "--panel", "20", "--seed", "s") == 0
    capsys.readouterr()
    monkeypatch.setattr(importlib.import_module("civicforum.selection.diagnose"), "SOLVE_TIME_LIMIT", 0.0)
    assert select(*small, tmp_path / "unchecked", "--panel", "20", "--seed", "s") == 0
    assert (
        "Note: the check of the quotas could not tell within 0 seconds whether any panel meets them all. "
        "The search goes ahead and stops with a message if no panel does."
    ) in capsys.readouterr().err
    for name in ("selected.csv", "probabilities.csv"):
        assert (tmp_path / "checked" / name).read_bytes() == (tmp_path / "unchecked" / name).read_bytes()


def test_replacements_after_a_quota_check_cut_short_keep_the_quotas_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module("civicforum.selection.diagnose"), "SOLVE_TIME_LIMIT", 0.0)
    out = select_replacements(tmp_path, kept=["p0"])
    assert (
        "could not tell within 0 seconds whether any panel meets them all, so no quota was relaxed around "
        "the members kept. The search goes ahead"
    ) in capsys.readouterr().err
    assert json.loads((out / "distribution.json").read_text())["relaxed_quotas"] == []


@pytest.mark.parametrize(
    ("people", "option", "where"),
    [
        ("name,gender\nAnn Lee,F\nBo Ray,M\n", (), "row 1, column 'name': the ids are read from the column"),
        (
            "ref,email,gender\nr1,ann@example.org,F\nr2,bo@example.org,M\n",
            ("--id-column", "email"),
            "row 1, column 'email': the ids are read from the column 'email'",
        ),
        (
            "ref,gender\nann@example.org,F\nr2,M\nbo@example.org,M\n",
            (),
            "column 'ref': these ids are email addresses, on 2 rows (rows 2, 4)",
        ),
    ],
    ids=["first-column-of-names", "email-column", "email-addresses"],
)
def test_names_or_email_addresses_as_ids_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    people: str,
    option: tuple[str, ...],
    where: str,
) -> None:
    """A pool without an id column had its first column, often the names, taken as ids, and --id-column
    email was taken as given: the ids then went into lottery.json and distribution.json, the files
    published for anyone to check the draw, with every panel of the lottery."""
    people_path, features = write_inputs(
        tmp_path, people, "feature,value,min,max\ngender,F,0,1\ngender,M,0,1\n"
    )
    assert select(people_path, features, tmp_path / "out", "--panel", "1", *option) == 2
    error = capsys.readouterr().err
    assert f"{people_path}, {where}" in error
    assert "the ids are published (lottery.json and distribution.json" in error
    assert not (tmp_path / "out").exists()
