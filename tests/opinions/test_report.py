"""report.html of an opinion map as a resident reads it: numbers written as people write them, and
what the figures mean said in words."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.opinions.engine import MapSettings, OpinionMap, compute_map
from civicforum.opinions.outputs import map_document, write_map_svg, write_report_html, write_statements_csv
from civicforum.opinions.votes import VoteMatrix
from civicforum.plain_text import CONTROL_CHARACTERS

CAMP = 600  # two camps of 600 who vote on all 10 statements, and 100 who vote on 2 only
SPLIT, SHARED = range(5), range(5, 10)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Camp 0 agrees with statements 0-4 and camp 1 disagrees; nearly everyone agrees with 5-9."""
    rng = np.random.default_rng(1)
    rows: list[tuple[int, int, int]] = []
    for person in range(2 * CAMP):
        camp = person // CAMP
        for statement in SPLIT:
            rows.append((person, statement, (1 if camp == 0 else -1) * (1 if rng.random() < 0.9 else -1)))
        for statement in SHARED:
            rows.append((person, statement, 1 if rng.random() < 0.85 else 0))
    rows += [(2 * CAMP + late, statement, 1) for late in range(100) for statement in (5, 6)]
    participants, statements, votes = zip(*rows, strict=True)
    opinion_map = compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=MapSettings())
    texts = {s: f"Statement number {s}" for s in range(10)}
    directory = tmp_path_factory.mktemp("map")
    write_report_html(opinion_map, texts, directory / "report.html")
    write_map_svg(opinion_map, directory / "map.svg")
    return directory


@pytest.fixture(scope="module")
def report(written: Path) -> str:
    return (written / "report.html").read_text(encoding="utf-8")


def test_counts_have_thousands_separators(report: str) -> None:
    assert "1,300 people voted on 10 statements. 1,200 of them voted on enough" in report
    assert "of 1,300 people agreed" in report
    assert not any(f"{n} " in report for n in ("1300", "1200"))


def test_the_figures_are_explained_in_words_not_scores(report: str) -> None:
    assert "The other 100 voted on too few statements to be placed in a group and are drawn in grey" in report
    assert "How to read the map:" in report
    assert re.search(r"[\d,]+ of 1,300 people agreed \(\d+%\)\.", report)
    assert "score" not in report and "group-informed consensus" not in report
    assert re.search(r"Agreed by \d+% of Group A and \d+% of Group B\.", report)


def _contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_every_mark_on_the_map_stands_out_from_the_white_background(written: Path) -> None:
    """WCAG 1.4.11: marks with no black outline need 3:1 contrast; those not in a group were #bbbbbb."""
    svg = (written / "map.svg").read_text(encoding="utf-8")
    marks = set(re.findall(r'style="fill: (#[0-9a-f]{6}); stroke: (#[0-9a-f]{6})"', svg))
    assert marks, "the map draws the people not placed in a group"
    assert all(_contrast_with_white(fill) >= 3 for fill, stroke in marks if stroke != "#000000")


def test_the_report_reflows_at_320_pixels_and_passes_axe_in_a_browser(
    browser: Any, axe_check: Any, written: Path
) -> None:
    """As the selection report's and the seating plan's: a council publishes it for residents to read."""
    # bypass_csp, as the browser fixtures' pages have, lets axe-core be injected
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto((written / "report.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        axe_check(page)
    finally:
        context.close()


def test_residents_words_cannot_widen_the_page_or_turn_the_figures_around(
    browser: Any, tmp_path: Path
) -> None:
    """A 300-letter word made the page 3,872 pixels wide at 320, and a right-to-left override (U+202E)
    in a statement ran on into the quotation mark after it: texts now wrap anywhere, sit in <bdi> and
    lose the override, which showed the statement itself reversed."""
    rows = [(p, s, 1) for p in range(40) for s in range(4)]  # every statement is listed as agreed
    participants, statements, votes = zip(*rows, strict=True)
    opinion_map = compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=MapSettings())
    texts = {0: "x" * 300, 1: "\u202eevil", 2: "مرحبا بكم في المنتدى!", 3: "<script>alert(1)</script>"}
    write_report_html(opinion_map, texts, tmp_path / "report.html")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "&ldquo;<bdi>evil</bdi>&rdquo;" in report
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in report
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto((tmp_path / "report.html").as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_control_characters_in_a_statement_are_dropped_from_the_report(tmp_path: Path) -> None:
    """ESC, BEL and NUL showed as boxes in the statement; the words around them stay."""
    rows = [(p, s, 1) for p in range(40) for s in range(4)]
    participants, statements, votes = zip(*rows, strict=True)
    opinion_map = compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=MapSettings())
    write_report_html(opinion_map, {0: "More\x1b[31m buses\x07\x00 please"}, tmp_path / "report.html")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<bdi>More[31m buses please</bdi>" in report
    assert not any(character in report for character in "\x1b\x07\x00")


def test_a_statement_without_text_is_named_by_its_id(tmp_path: Path) -> None:
    """A blank comment-body (or one of spaces) was listed as '“”', which did not say which statement."""
    rows = [(p, s, 1) for p in range(40) for s in range(4)]
    participants, statements, votes = zip(*rows, strict=True)
    opinion_map = compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=MapSettings())
    write_report_html(opinion_map, {0: "", 1: " \n ", 2: "\u202e", 3: "Buses"}, tmp_path / "report.html")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    for shown in ("Statement 0", "Statement 1", "Statement 2", "Buses"):
        assert f"&ldquo;<bdi>{shown}</bdi>&rdquo;" in report
    assert not re.search(r"<bdi>\s*</bdi>", report)


@pytest.fixture(scope="module")
def everyone_agrees() -> OpinionMap:
    """Four statements every one of 40 people agreed with: the report lists them all."""
    rows = [(p, s, 1) for p in range(40) for s in range(4)]
    participants, statements, votes = zip(*rows, strict=True)
    return compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=MapSettings())


@settings(max_examples=100, deadline=None)
@given(
    texts=st.lists(
        st.text(
            st.one_of(
                st.sampled_from('aZ 7<&"\u05d0\u0627\u200e\u200f\t\n'),
                st.sampled_from(sorted(map(chr, CONTROL_CHARACTERS))),
            ),
            max_size=12,
        ),
        min_size=4,
        max_size=4,
    )
)
def test_no_control_or_direction_override_character_ever_reaches_the_published_files(
    everyone_agrees: OpinionMap, texts: list[str]
) -> None:
    """A statement holding a right-to-left override showed reversed in report.html, statements.csv and
    map.json, and ESC as a box; right-to-left marks (U+200E, U+200F), tabs and line breaks stay."""
    by_id = dict(enumerate(texts))
    with tempfile.TemporaryDirectory() as folder:
        write_report_html(everyone_agrees, by_id, Path(folder) / "report.html")
        write_statements_csv(everyone_agrees, by_id, Path(folder) / "statements.csv")
        published = [
            (Path(folder) / name).read_text(encoding="utf-8") for name in ("report.html", "statements.csv")
        ]
    document = json.dumps(map_document(everyone_agrees, by_id, MapSettings()), ensure_ascii=False)
    for text in [*published, document]:
        assert not set(map(ord, text)) & set(CONTROL_CHARACTERS)


def _report_of(rows: list[tuple[int, int, int]], tmp_path: Path, settings: MapSettings) -> str:
    participants, statements, votes = zip(*rows, strict=True)
    opinion_map = compute_map(VoteMatrix.from_rows(participants, statements, votes), settings=settings)
    write_report_html(opinion_map, {s: f"Statement number {s}" for s in range(4)}, tmp_path / "report.html")
    return (tmp_path / "report.html").read_text(encoding="utf-8")


def test_agreed_across_every_group_lists_only_what_every_group_agreed_with(tmp_path: Path) -> None:
    """Two camps of 20 agree with statement 0 and split on 1-3 (each person passes on one of those).
    Before, the section listed the top five by group-informed consensus whatever they were: 'Agreed by
    100% of Group A and 0% of Group B'."""
    rows = [
        (p, s, 1 if s == 0 else 0 if s == 1 + p % 3 else 1 if p < 20 else -1)
        for p in range(40)
        for s in range(4)
    ]
    report = _report_of(rows, tmp_path, MapSettings(min_votes=4, max_groups=2))
    every_group = report.split("<h2>Agreed across every group</h2>")[1]
    assert re.findall(r"Statement number (\d)", every_group) == ["0"]
    assert "Agreed by 100% of Group A and 100% of Group B." in every_group
    rows = [(p, s, 0 if s == p % 4 else 1 if p < 20 else -1) for p in range(40) for s in range(4)]
    every_group = _report_of(rows, tmp_path, MapSettings(min_votes=4, max_groups=2)).split(
        "every group</h2>"
    )[1]
    assert "No statement was agreed by more than half of every group." in every_group
    assert "Statement number" not in every_group


def test_a_map_without_groups_says_so_in_sentences(tmp_path: Path) -> None:
    """Nobody reached --min-votes: before, 'placed in one of 0 opinion groups' and 'Agreed by .'."""
    rows = [(p, s, 1) for p in range(10) for s in range(2)] + [(99, 3, 1)]
    report = _report_of(rows, tmp_path, MapSettings(min_votes=3))
    assert "None of them voted on enough statements to be placed in an opinion group" in report
    assert "0 opinion groups" not in report and "Agreed by ." not in report
    assert "There are no groups to compare." in report


def test_one_person_one_group_and_one_statement_read_as_english(tmp_path: Path) -> None:
    """Before: '1 people voted on 1 statements ... placed in one of 1 opinion groups', 'Group A: 1 people'."""
    opinion_map = compute_map(VoteMatrix.from_rows([7], [3], [1]), settings=MapSettings(min_votes=1))
    write_report_html(opinion_map, {}, tmp_path / "report.html")
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (
        "<p>1 person voted on 1 statement. 1 of them voted on enough statements to be placed in the one "
        in report
    )
    assert "<h3>Group A: 1 person</h3>" in report
