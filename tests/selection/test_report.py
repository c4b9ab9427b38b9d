"""report.html as an officer or a resident reads it: numbers, words and layout, checked in a browser."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.plain_text import CONTROL_CHARACTERS
from civicforum.selection.diagnose import QuotaChange
from civicforum.selection.lottery import Lottery
from civicforum.selection.report import ReportData, render_report
from civicforum.selection.types import Algorithm, Instance, Person, Quota, SelectionResult
from civicforum.wording import counted, plural, whole_number

POOL_SIZE = 1500
WOMEN = 1200


def report_data(
    seed: str = "7 14 21", algorithm: Algorithm = Algorithm.MAXIMIN, relaxation: tuple[QuotaChange, ...] = ()
) -> ReportData:
    """A pool of 1,500 (1,200 women), a panel of 10 and a lottery of 1,000 copies of one panel."""
    people = tuple(
        Person(f"p{i}", {"gender": "Female" if i < WOMEN else "Male", "age_bracket": "16-29"})
        for i in range(POOL_SIZE)
    )
    quotas = (
        Quota("gender", "Female", 5, 5),
        Quota("gender", "Male", 5, 5),
        Quota("age_bracket", "16-29", 10, 10),
    )
    panel = tuple(sorted([f"p{i}" for i in range(5)] + [f"p{WOMEN + i}" for i in range(5)]))
    chances = {
        p.id: 5 / WOMEN if p.features["gender"] == "Female" else 5 / (POOL_SIZE - WOMEN) for p in people
    }
    result = SelectionResult(algorithm, "HiGHS", (panel,), (1.0,), chances)
    lottery = Lottery((panel,) * 1000, "ab" * 32, 0.001)
    return ReportData(Instance(people, quotas, 10), result, lottery, seed, 0, panel, relaxation)


def report(**options: Any) -> str:
    return render_report(report_data(**options))


def test_counts_have_thousands_separators() -> None:
    page = report()
    assert "1,500 volunteers were in the pool" in page
    assert "a lottery of 1,000 equally likely panels" in page and "The 1,000 panels" in page
    assert '<td class="number">1,200</td>' in page  # women in the pool, and in the histogram table
    assert ">1200<" not in page and ">1500<" not in page


def test_counts_are_written_with_the_words_that_go_with_them() -> None:
    """The helpers the engines' reports and messages share (civicforum.wording)."""
    assert [counted(n, "panel", "panels") for n in (0, 1, 2, 1000)] == [
        "0 panels",
        "1 panel",
        "2 panels",
        "1,000 panels",
    ]
    assert [plural(n, "is", "are") for n in (0, 1, 2)] == ["are", "is", "are"]
    assert whole_number(1234567) == "1,234,567"


def test_one_panel_and_one_replacement_are_not_counted_as_many() -> None:
    """A lottery of one panel read "a lottery of 1 equally likely panels" and "The 1 panels were fixed";
    one confirmed member and one replacement read "1 members were", "1 replacements were"."""
    data = report_data()
    panel = data.panel
    one = replace(
        data,
        lottery=Lottery((panel,), "ab" * 32, 0.0),
        instance=replace(data.instance, panel_size=2, already_selected=frozenset(panel[:1])),
    )
    page = render_report(one)
    assert "a lottery of 1 panel that meets the quotas" in page and "The 1 panel was fixed" in page
    assert "1 member was already confirmed and kept their places; 1 replacement was drawn." in page


def test_the_verify_command_can_be_pasted_into_a_terminal_as_shown() -> None:
    """Double quotes, which Unix shells, Windows' cmd and PowerShell all read alike, unless the seed holds a
    character one of them reads inside double quotes: then quoted for a Unix shell."""
    page = report(seed="7 14 21; it's public")
    assert (
        "<code>civicforum selection verify DIRECTORY --seed &quot;7 14 21; it&#x27;s public&quot;</code>"
        in page
    )
    page = report(seed="7 14 21; it's $5")
    quoted = "&#x27;7 14 21; it&#x27;&quot;&#x27;&quot;&#x27;s $5&#x27;"  # '7 14 21; it'"'"'s $5'
    assert f"<code>civicforum selection verify DIRECTORY --seed {quoted}</code>" in page


def test_the_method_and_the_chances_are_explained_in_words() -> None:
    page = report(algorithm=Algorithm.MAXIMIN)
    assert "MAXIMIN" not in page
    assert (
        "using the maximin method, which made the smallest chance anyone had as large as the quotas allow"
        in page
    )
    # the equal share the chances are measured against: 10 of 1,500
    assert "Without quotas every volunteer would have had the same chance, 0.7%." in page
    assert '<td>Age bracket</td><th scope="row">16-29</th>' in page and "age_bracket" not in page


def test_at_320_pixels_only_the_wide_table_scrolls_and_the_page_passes_axe(
    browser: Any, axe_check: Any, tmp_path: Path
) -> None:
    """WCAG reflow: a phone reader scrolls the quota table sideways, never the whole page."""
    path = tmp_path / "report.html"
    path.write_text(report(), encoding="utf-8")
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        axe_check(page)  # includes: a region that scrolls can be reached and scrolled from the keyboard
    finally:
        context.close()


def test_quotas_changed_to_draw_replacements_are_reported_as_done_not_as_advice() -> None:
    page = report(relaxation=(QuotaChange("age_bracket", "16-29", 10, 10, 9, 11),))
    assert "<li>Age bracket 16-29: minimum lowered from 10 to 9 and maximum raised from 10 to 11</li>" in page


def test_a_lone_volunteer_in_a_range_of_chance_is_one_volunteer() -> None:
    data = report_data()
    chances = {**data.result.selection_probabilities, "p0": 0.5}
    page = render_report(replace(data, result=replace(data.result, selection_probabilities=chances)))
    assert "45.0% to 50.0%: 1 volunteer</title>" in page
    assert "1 volunteers" not in page
    assert "0.0% to 5.0%: 1,499 volunteers</title>" in page


def test_each_table_row_is_named_by_a_row_header_for_screen_readers() -> None:
    """A screen reader announces the value ('Female') or the range of chance with each figure it reads."""
    page = report()
    assert '<th scope="row">Female</th>' in page and '<th scope="row">16-29</th>' in page
    assert re.search(r'<tr><th scope="row">[\d.]+% to [\d.]+%</th><td class="number">', page)


def test_a_group_s_volunteers_do_not_give_away_how_many_of_them_are_on_the_panel() -> None:
    """All 5 volunteers with a disability are on a panel of 8: 'not shown' members beside 5 volunteers
    would say 5, and the 3 others (panel of 8) would follow; so the 5 volunteers are not shown either,
    nor the 35 others, which the 40 in the pool less 35 would give away."""
    people = tuple(Person(f"p{i}", {"disability": "yes" if i < 5 else "no"}) for i in range(40))
    quotas = (Quota("disability", "yes", 0, 8), Quota("disability", "no", 0, 8))
    panel = tuple(f"p{i}" for i in range(8))
    result = SelectionResult(Algorithm.MAXIMIN, "HiGHS", (panel,), (1.0,), {p.id: 0.2 for p in people})
    lottery = Lottery((panel,) * 1000, "ab" * 32, 0.001)
    page = render_report(ReportData(Instance(people, quotas, 8), result, lottery, "seed", 0, panel))
    rows = dict(re.findall(r'<th scope="row">(yes|no)</th>((?:<td class="number">[^<]*</td>)+)</tr>', page))
    cells = {value: re.findall(r'<td class="number">([^<]*)</td>', row) for value, row in rows.items()}
    assert cells["yes"] == ["0", "8", "not shown", "not shown"]
    assert cells["no"] == ["0", "8", "fewer than 5", "not shown"]
    assert "40 volunteers were in the pool" in page


HOSTILE_TEXT = st.text(
    st.one_of(st.sampled_from("aZ 7<&\u0627\u200f"), st.sampled_from(sorted(map(chr, CONTROL_CHARACTERS)))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(feature=HOSTILE_TEXT, values=st.lists(HOSTILE_TEXT, min_size=2, max_size=2, unique=True))
def test_no_control_or_direction_override_character_ever_reaches_the_report(
    feature: str, values: list[str]
) -> None:
    """A quota's feature or value from the features file, pasted with a right-to-left override, showed
    reversed in the published report (and one quota changed for replacements, in its list)."""
    people = tuple(Person(f"p{i}", {feature: values[i % 2]}) for i in range(4))
    quotas = tuple(Quota(feature, value, 1, 1) for value in values)
    panel = ("p0", "p1")
    result = SelectionResult(Algorithm.MAXIMIN, "HiGHS", (panel,), (1.0,), {p.id: 0.5 for p in people})
    relaxation = (QuotaChange(feature, values[0], 1, 1, 0, 2),)
    data = ReportData(
        Instance(people, quotas, 2), result, Lottery((panel,), "ab" * 32, 0.0), "7", 0, panel, relaxation
    )
    assert not set(map(ord, render_report(data))) & set(CONTROL_CHARACTERS)
