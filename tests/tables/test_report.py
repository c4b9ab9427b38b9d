"""The printable ``plan.html``: every table's make-up readable as text, and accessible."""

from civicforum.tables import Allocation, Member
from civicforum.tables.report import plan_html, scores

ETHNICITIES = [
    "White English British",
    "Gypsy or Irish Traveller",
    "Welsh English Bilingual",
    "Asian",
    "<b>Other</b>",
]


def plan() -> str:
    members = {
        f"m{i}": Member(f"m{i}", {"ethnicity": ETHNICITIES[i % 5], "gender": "FM"[i % 2]}) for i in range(10)
    }
    allocation = Allocation(
        seating=[[["m0", "m1", "m2", "m3", "m4"], ["m5", "m6", "m7", "m8", "m9"]]],
        facilitators=[["Ann", None]],
    )
    features = ["ethnicity", "gender"]
    return plan_html(members, allocation, features, scores(members, allocation, features))


def test_each_table_gives_its_counts_as_text():
    html = plan()
    assert '<span class="count">Asian: 1</span>' in html
    assert '<span class="count">F: 3</span>' in html and '<span class="count">M: 2</span>' in html
    assert "<p>Facilitator: Ann</p>" in html


def test_long_values_are_abbreviated_only_when_the_initials_are_unambiguous():
    html = plan()
    assert '<abbr title="Gypsy or Irish Traveller">GOIT</abbr>: 1' in html
    assert "Abbreviations: GOIT = Gypsy or Irish Traveller." in html
    # The other two long values share the initials WEB, so both are printed whole.
    assert '<span class="count">White English British: 1</span>' in html
    assert '<span class="count">Welsh English Bilingual: 1</span>' in html
    assert "WEB" not in html


def test_values_are_escaped():
    html = plan()
    assert "<b>Other</b>" not in html and "&lt;b&gt;Other&lt;/b&gt;: 1" in html


def test_plan_passes_axe_in_a_browser(browser, axe_check, tmp_path):
    path = tmp_path / "plan.html"
    path.write_text(plan(), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        axe_check(page)
    finally:
        page.close()
