"""The printable ``plan.html``: every table's make-up readable as text, and accessible."""

from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.plain_text import CONTROL_CHARACTERS
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


def two_sessions(names=None) -> str:
    """Two sessions of four members; m3 misses the second."""
    members = {f"m{i}": Member(f"m{i}", {"gender": "FM"[i % 2]}) for i in range(4)}
    allocation = Allocation(
        seating=[[["m0", "m1"], ["m2", "m3"]], [["m0", "m2"], ["m1"]]], facilitators=[[None, None]] * 2
    )
    return plan_html(members, allocation, ["gender"], scores(members, allocation, ["gender"]), names)


def test_one_pair_seated_together_twice_is_one_pair():
    members = {f"m{i}": Member(f"m{i}", {"gender": "FM"[i % 2]}) for i in range(3)}
    allocation = Allocation(
        seating=[[["m0", "m1"], ["m2"]], [["m0", "m1"], ["m2"]]], facilitators=[[None] * 2] * 2
    )
    html = plan_html(members, allocation, ["gender"], scores(members, allocation, ["gender"]))
    assert "1 pair sits together in more than one session." in html


def test_the_seat_finder_gives_everyones_table_in_every_session():
    html = two_sessions()
    assert ">Where each member sits</h2>" in html
    assert '<tr><th scope="row">m2</th><td>2</td><td>1</td></tr>' in html
    assert '<tr><th scope="row">m3</th><td>2</td><td>absent</td></tr>' in html


def test_names_are_printed_beside_ids_and_order_the_lists_and_are_escaped():
    names = {"m0": "Zoë", "m1": "adam", "m2": "Bo <b>x</b>"}  # m3 has no name: the id alone
    html = two_sessions(names)
    finder = html[html.index("Where each member sits") :]
    rows = [finder.index(text) for text in ("adam (m1)", "Bo &lt;b&gt;x&lt;/b&gt; (m2)", "Zoë (m0)")]
    assert rows == sorted(rows) and finder.index("m3</th>") < rows[0]  # unnamed first, then by name
    assert "<b>x</b>" not in html
    assert "<ul><li>adam (m1)</li><li>Zoë (m0)</li></ul>" in html
    assert "in order of name" in html


def ten_sessions() -> str:
    """A seat finder wider than a phone's screen: ten session columns."""
    members = {f"m{i}": Member(f"m{i}", {"gender": "FM"[i % 2]}) for i in range(4)}
    allocation = Allocation(seating=[[["m0", "m1"], ["m2", "m3"]]] * 10, facilitators=[[None, None]] * 10)
    return plan_html(members, allocation, ["gender"], scores(members, allocation, ["gender"]))


def test_plan_passes_axe_in_a_browser_on_a_desktop_and_a_phone(browser, axe_check, tmp_path):
    page = browser.new_page()
    try:
        for number, text in enumerate([plan(), two_sessions({"m0": "Zoë", "m1": "Adam"}), ten_sessions()]):
            path = tmp_path / f"plan{number}.html"
            path.write_text(text, encoding="utf-8")
            for width in (1280, 320):
                page.set_viewport_size({"width": width, "height": 800})
                page.goto(path.as_uri())
                axe_check(page)
    finally:
        page.close()


def test_a_keyboard_user_can_scroll_the_seat_finder_on_a_phone(browser, tmp_path):
    path = tmp_path / "plan.html"
    path.write_text(ten_sessions(), encoding="utf-8")
    page = browser.new_page(viewport={"width": 320, "height": 800})
    try:
        page.goto(path.as_uri())
        region = page.get_by_role("region", name="Where each member sits")
        region.focus()
        page.keyboard.press("ArrowRight")
        assert region.evaluate("element => element.scrollLeft") > 0
    finally:
        page.close()


def test_values_with_numbers_are_listed_in_numeric_order():
    wards = ["Ward 10", "ward 2", "Ward 1", "Ward 2"]
    ages = ["16-29", "75+", "5-15", "30-44"]
    members = {f"m{i}": Member(f"m{i}", {"ward": wards[i], "age": ages[i]}) for i in range(4)}
    allocation = Allocation(seating=[[["m0", "m1", "m2", "m3"]]], facilitators=[[None]])
    features = ["ward", "age"]
    html = plan_html(members, allocation, features, scores(members, allocation, features))
    counts = [
        html.index(f'<span class="count">{v}: 1</span>') for v in ["Ward 1", "Ward 2", "ward 2", "Ward 10"]
    ]
    assert counts == sorted(counts)
    counts = [html.index(f'<span class="count">{v}: 1</span>') for v in ["5-15", "16-29", "30-44", "75+"]]
    assert counts == sorted(counts)


# Text as a hostile or careless spreadsheet holds it: letters, right-to-left script, the marks it may
# need (kept), and every control and direction override or isolate.
HOSTILE_TEXT = st.text(
    st.one_of(
        st.sampled_from("aZ 7<&\"'\u05d0\u0627\u200e\u200f\t\n"),
        st.sampled_from(sorted(map(chr, CONTROL_CHARACTERS))),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(HOSTILE_TEXT, min_size=4, max_size=4),
    names=st.lists(HOSTILE_TEXT, min_size=4, max_size=4),
    feature=HOSTILE_TEXT,
    facilitator=HOSTILE_TEXT,
)
def test_no_control_or_direction_override_character_ever_reaches_the_plan(
    values, names, feature, facilitator
):
    """A name, value or feature pasted with a right-to-left override (U+202E) showed reversed on the
    printed plan ('\u202eAnn Lee' as 'eeL nnA'), and ESC as a box; the plan now shows text as it reads."""
    members = {f"m{i}": Member(f"m{i}", {feature: values[i]}) for i in range(4)}
    allocation = Allocation(seating=[[["m0", "m1"], ["m2", "m3"]]], facilitators=[[facilitator, None]])
    html = plan_html(
        members,
        allocation,
        [feature],
        scores(members, allocation, [feature]),
        {f"m{i}": name for i, name in enumerate(names)},
    )
    assert not set(map(ord, html)) & set(CONTROL_CHARACTERS)


def test_a_name_pasted_with_a_direction_override_reads_as_typed_and_keeps_right_to_left_marks():
    html = two_sessions({"m0": "\u202eAnn Lee\u202c", "m1": "\u05d3\u05df\u200f"})
    assert "<li>Ann Lee (m0)</li>" in html and "\u05d3\u05df\u200f (m1)" in html
