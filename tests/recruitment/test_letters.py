import csv
import re
import zlib
from dataclasses import replace

import pytest

from civicforum.recruitment.services.letters import (
    Letter,
    LetterDesign,
    LetterTooLong,
    WebAddressTooLong,
    check_fits,
    write_letters,
)
from civicforum.recruitment.services.mailing import write_mailing_csv

DESIGN = LetterDesign("Northam Borough Council", "the Town Centre Future Forum", "https://northam.example/r")


def letters(n):
    for i in range(n):
        yield Letter(
            f"REF-{i}", (f"{i} High (Street)", "Northam", "NM1 2AB"), f"AAAAA-{i:05d}".replace("0", "B")
        )


def page_texts(pdf: bytes) -> list[bytes]:
    streams = re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
    return [zlib.decompress(s) for s in streams]


def test_one_page_per_letter_with_valid_cross_reference_table(tmp_path):
    path = tmp_path / "letters.pdf"
    seen = []
    assert write_letters(path, DESIGN, letters(7), progress=seen.append, progress_every=3) == 7
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.endswith(b"%%EOF\n")
    assert pdf.count(b"/Type /Page ") == 7 and b"/Count 7" in pdf
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    rows = pdf[startxref:].split(b"\n")[2:]
    for number, row in enumerate(rows, start=0):
        if not row.endswith(b" n "):
            continue
        offset = int(row[:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert seen == [3, 6, 7]
    drawn = [text for _x, _y, _r, text in drawn_text(pdf)]
    assert "6 High (Street)" in drawn and "Northam Borough Council" in drawn
    assert b"/FontFile2" in pdf
    assert not list(tmp_path.glob("*.part"))


# The end of an address on the harbour, under a name and a flat of each test's own.
HARBOUR_VIEW = ("Harbour View", "Quay Street", "Northam", "NM1 2AB")


def panel_design(council: str, forum: str, **changes) -> LetterDesign:
    """The panel's invitation letter (its heading, body and reply box) for ``council`` and ``forum``."""
    from civicforum.recruitment.services import panel_invitations

    return LetterDesign(
        council,
        forum,
        "https://northam.example/reply",
        heading=panel_invitations.HEADING,
        body=panel_invitations.BODY,
        box_text=panel_invitations.BOX_TEXT,
        **changes,
    )


def assert_refused_before_writing(folder, design, error, match):
    """Both the up-front check and writing refuse ``design`` with ``error``, and nothing is written."""
    with pytest.raises(error, match=match):
        check_fits(design)
    with pytest.raises(error):
        write_letters(folder / "x.pdf", design, letters(1))
    assert not list(folder.iterdir())


def test_too_long_text_is_refused_before_writing(tmp_path):
    design = LetterDesign("C", "F", "https://x.example", body="Word " * 2000)
    assert_refused_before_writing(tmp_path, design, LetterTooLong, "shorten it by about")


def test_a_failure_midway_leaves_no_file(tmp_path):
    def broken():
        yield from letters(2)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_letters(tmp_path / "x.pdf", DESIGN, broken())
    assert not list(tmp_path.iterdir())


def test_mailing_csv_matches_letters_and_defuses_formulas(tmp_path):
    path = tmp_path / "mailing.csv"
    batch = [Letter("R1", ("=cmd|x", "a", "b", "c", "d", "e", "NM1 2AB"), "AAAAA-BBBBB")]
    assert write_mailing_csv(path, batch) == 1
    header, row = list(csv.reader(path.open(encoding="utf-8")))
    assert header[:2] == ["reference", "code"]
    assert row == ["R1", "AAAAA-BBBBB", "'=cmd|x", "a", "b", "c", "d, e, NM1 2AB"]


def drawn_lines(pdf: bytes) -> list[tuple[str, float, float, float, float, float]]:
    """Every piece of text as (text, size, left, bottom, right, top): its box as a viewer sets it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from civicforum.recruitment.services.letters import BOLD, REGULAR, _font_data

    fonts = {b"F1": REGULAR, b"F2": BOLD}
    found = []
    pattern = rb"BT /(F\d) ([\d.]+) Tf ([\d.]+) ([\d.]+) Td <([0-9A-F]*)> Tj ET"
    for content in page_texts(pdf):
        for font, size, x, y, raw in re.findall(pattern, content, re.S):
            data = _font_data(fonts[font])
            chars = {glyph: chr(code) for code, glyph in data.glyphs.items()}
            text = "".join(chars[int(raw[i : i + 4], 16)] for i in range(0, len(raw), 4))
            size, x, y = float(size), float(x), float(y)
            right = x + stringWidth(text, fonts[font], size)
            found.append(
                (text, size, x, y + data.descent * size / 1000, right, y + data.ascent * size / 1000)
            )
    return found


def drawn_text(pdf: bytes) -> list[tuple[float, float, float, str]]:
    """Every piece of text in the PDF as (x, y, right edge, text), measured as a viewer sets it."""
    from civicforum.recruitment.services.letters import _font_data

    descent = _font_data("DejaVuSans").descent / 1000
    return [
        (x, bottom - descent * size, right, text) for text, size, x, bottom, right, _top in drawn_lines(pdf)
    ]


def test_long_words_and_addresses_stay_on_the_page_and_clear_of_the_qr_code(tmp_path):
    from civicforum.recruitment.services.letters import MARGIN, PAGE_WIDTH

    qr_left = PAGE_WIDTH - MARGIN - 115
    word = "A" * 300
    design = LetterDesign(
        "Northam Borough Council",
        "Forum " + "W" * 120,
        "https://forum.northam.gov.uk/forums/transport-and-congestion/panel/reply/",
        heading="Welcome to " + "Z" * 150,
        body=f"Dear resident,\n\n{word}\n\nReply at $url.",
        box_text="Go to $url or call us,\nquoting your reference:",
    )
    long_name = Letter("R-1", ("Siân " + "B" * 190, "1 High Street", "Northam"), "R-1")
    path = tmp_path / "letters.pdf"
    write_letters(path, design, [long_name])
    drawn = drawn_text(path.read_bytes())
    assert "".join(text for x, _y, _r, text in drawn if x == MARGIN and "A" in text).count("A") == 300
    assert all(right <= PAGE_WIDTH - MARGIN + 0.5 for _x, _y, right, _t in drawn)
    box_lines = [(right, text) for x, y, right, text in drawn if x == MARGIN + 14 and 112 < y < 235]
    assert box_lines and all(right <= qr_left for right, _text in box_lines)
    address = [(right, text) for x, _y, right, text in drawn if x == 70]
    assert "".join(text for _right, text in address).startswith("Siân" + "B" * 190 + "1 High Street")
    assert all(right <= 380 for right, _text in address)


@pytest.mark.parametrize("kind", ["lottery", "panel"])
@pytest.mark.parametrize(
    "url",
    [
        "https://forum.northam.gov.uk/forums/town-centre-future/register/",
        "https://www.northam.gov.uk/democracy/forums/transport-and-congestion-2027/register/",
        # A long slug (made from a long forum title), then a council's long domain.
        "https://forum.northam.gov.uk/forums/town-centre-harbourside-and-riverside-neighbourhoods-future/register/",
        "https://citizens-assembly.north-northamptonshire-borough-council.gov.uk/forums/town-centre/register/",
    ],
)
def test_the_web_address_prints_whole_in_the_box_at_a_readable_size(tmp_path, url, kind):
    """A web address too long for the box even at 7 points was cut with "…", and one that just fitted was
    cut when its exact size measured a hair wider than the box: either way residents got a letter with an
    address that went nowhere. It is now set smaller down to 8.5 points, then printed on two lines, broken
    after a '/', with nothing in the box printed over anything else."""
    from civicforum.recruitment.services import panel_invitations
    from civicforum.recruitment.services.letters import BOX_TEXT_WIDTH, BOX_TOP, MARGIN

    design = LetterDesign("Northam Borough Council", "Forum", url, phone="01234 567890")
    if kind == "panel":
        design = replace(design, box_text=panel_invitations.BOX_TEXT, reply_by="1 December")
    path = tmp_path / "letters.pdf"
    write_letters(path, design, letters(1))
    box = [line for line in drawn_lines(path.read_bytes()) if line[2] == MARGIN + 14 and line[3] < BOX_TOP]
    assert f"Go to {url}" in "".join(text for text, *_rest in box)
    address = [(text, size, right) for text, size, left, _b, right, _t in box if text in f"Go to {url}"]
    assert all(size >= 8.5 and right <= MARGIN + 14 + BOX_TEXT_WIDTH + 0.01 for _text, size, right in address)
    assert len(address) == 1 or address[0][0][-1] in "/-."
    by_height = sorted(box, key=lambda line: -line[3])
    assert all(lower[5] <= upper[3] for upper, lower in zip(by_height, by_height[1:], strict=False))


def test_a_web_address_in_the_letter_text_breaks_only_after_a_slash_hyphen_or_full_stop(tmp_path):
    """$url in the officer's text, too long for a line, was broken wherever the line was full, mid-word
    ('…neighbourhoo' / 'ds-future/…'): it now breaks as the box's does, preferring a '/', so each line
    reads as part of the address."""
    from civicforum.recruitment.services.letters import MARGIN, PAGE_WIDTH

    url = "https://forum.northam.gov.uk/forums/town-centre-harbourside-and-riverside-neighbourhoods-future/register/"
    design = LetterDesign(
        "Northam Borough Council",
        "Forum",
        url,
        heading="Join $forum at $url",
        body="Dear resident,\n\nRegister at $url. Or at https://example.org/" + "x" * 120,
    )
    path = tmp_path / "letters.pdf"
    write_letters(path, design, letters(1))
    drawn = [
        (text, right) for text, _size, left, _b, right, _t in drawn_lines(path.read_bytes()) if left == MARGIN
    ]
    for start in ("Register at", "Join Forum at"):
        first = next(index for index, (text, _right) in enumerate(drawn) if text.startswith(start))
        parts = [text for text, _right in drawn[first + 1 : first + 4]]
        while "".join(parts).rstrip(".") != url and len(parts) > 1:
            parts.pop()
        assert drawn[first][0] == start and "".join(parts).rstrip(".") == url
        assert len(parts) > 1 and all(part[-1] in "/-." for part in parts[:-1])
    assert all(right <= PAGE_WIDTH - MARGIN + 0.5 for _text, right in drawn)
    assert "https://example.org/" + "x" * 120 in "".join(text for text, _right in drawn)  # wrapped whole


def test_a_web_address_too_long_for_two_lines_is_refused_before_writing(tmp_path):
    slug = "northam-town-centre-harbourside-and-riverside-neighbourhoods-future-citizens-forum-2027"
    url = f"https://citizens-assembly.north-northamptonshire-borough-council.gov.uk/forums/{slug}/register/"
    design = LetterDesign("Northam Borough Council", "Forum", url)
    assert_refused_before_writing(
        tmp_path, design, WebAddressTooLong, f"The web address on the letters, {re.escape(url)}, is too"
    )


def test_a_long_name_and_address_print_whole_in_the_window_above_the_heading(tmp_path):
    """Lines too long for the envelope window even at 7 points were cut with "…": a panel member's long
    name, or an address line of a list imported before the importer refused such lines. Royal Mail needs
    the address whole: they go on further lines, which close up to stay above the heading."""
    from pypdf import PdfReader

    design = panel_design("Northam Borough Council", "Forum", reply_by="18 December 2026")
    address = (
        "Professor Dame Angharad Eluned Llewellyn-Pritchard-Vaughan-Wynne-Jones of Llanfairpwllgwyngyll and "
        "Harbourside",
        "Flat 12, Harbour View Court, The Old Customs House and Chandlery Buildings, Quay Street West",
        *HARBOUR_VIEW,
    )
    path = tmp_path / "letters.pdf"
    write_letters(path, design, [Letter("R-1", address, "R-1")])
    text = PdfReader(path).pages[0].extract_text()
    assert "…" not in text
    assert "".join(address).replace(" ", "") in "".join(text.split())
    drawn = drawn_lines(path.read_bytes())
    window = [line for line in drawn if line[2] == 70]
    assert len(window) > len(address) and all(
        size >= 7 and right <= 380 for _t, size, _l, _b, right, _top in window
    )
    by_height = sorted(window, key=lambda line: -line[3])
    assert all(lower[5] <= upper[3] for upper, lower in zip(by_height, by_height[1:], strict=False))
    heading_top = max(line[5] for line in drawn if line[0].startswith("You have been chosen"))
    assert heading_top < by_height[-1][3]


def test_a_reply_by_date_too_long_for_the_panel_box_is_refused_before_writing(tmp_path):
    """ "Tell us by $reply_by whether you can take part." was cut with "…" when the date did not fit even at
    7 points: members got a letter without its deadline. The invite page now refuses it up front."""
    from civicforum.recruitment.services import panel_invitations
    from civicforum.recruitment.services.letters import ReplyByTooLong

    design = replace(DESIGN, box_text=panel_invitations.BOX_TEXT, reply_by="Wednesday " * 6)
    assert_refused_before_writing(
        tmp_path, design, ReplyByTooLong, "^Reply by is too long to print in full on the letters"
    )


def test_a_reply_by_date_of_40_characters_prints_whole_in_the_panel_box(tmp_path):
    """The invite form takes at most 40 characters, which the box prints whole even in capitals."""
    from pypdf import PdfReader

    from civicforum.recruitment.services import panel_invitations

    reply_by = "WEDNESDAY 30 SEPTEMBER 2026 AT 12.30 PM"
    design = replace(DESIGN, box_text=panel_invitations.BOX_TEXT, reply_by=reply_by)
    path = tmp_path / "letters.pdf"
    write_letters(path, design, letters(1))
    assert f"Tell us by {reply_by} whether you can take part." in PdfReader(path).pages[0].extract_text()


def test_welsh_and_other_letters_outside_windows_1252_print_and_extract(tmp_path):
    """Helvetica with Windows-1252 printed ŵ ŷ Ŵ Ŷ as "?": the embedded Unicode font prints them."""
    from pypdf import PdfReader

    welsh = "Cyngor Sir Ynys Môn – ŵ ŷ Ŵ Ŷ"
    designs = {
        "lottery": LetterDesign(welsh, "Fforwm Caergybi", "https://ynysmon.example/r"),
        "panel": panel_design(welsh, "Fforwm Caergybi", reply_by="dydd Llun 1 Rhagfyr"),
    }
    for kind, design in designs.items():
        path = tmp_path / f"{kind}.pdf"
        write_letters(path, design, [Letter("R-1", ("Siôn Ŵyn", "Tŷ Gwyn", "LL65 1AA"), "AAAAA-BBBBB")])
        reader = PdfReader(path)
        text = reader.pages[0].extract_text()
        assert welsh in text, kind
        assert "Siôn Ŵyn" in text and "Tŷ Gwyn" in text, kind
        assert "?" not in text, kind
        assert b"/FontFile2" in path.read_bytes(), kind


def test_a_three_or_four_line_heading_stays_clear_of_the_address_block(tmp_path):
    """The heading used to grow upwards: at three lines it printed over the envelope window."""
    from civicforum.recruitment.services.letters import BOLD, TEXT_WIDTH, wrap

    title = "the Northam Town Centre, Harbourside and Riverside Neighbourhoods Future Citizens' Forum " * 2
    design = panel_design("Northam Borough Council", title.strip())
    heading = " ".join(design.fill(design.heading).split())
    assert 3 <= len(wrap(heading, BOLD, 15, TEXT_WIDTH)) <= 4  # the size that used to print over the address
    address = (
        "Ms Angharad Llewellyn-Pritchard",
        "Flat 12",
        *HARBOUR_VIEW,
    )
    path = tmp_path / "letters.pdf"
    write_letters(path, design, [Letter("R-1", address, "R-1")])
    drawn = drawn_lines(path.read_bytes())

    def box(lines):
        return (
            min(line[2] for line in lines),
            min(line[3] for line in lines),
            max(line[4] for line in lines),
            max(line[5] for line in lines),
        )

    address_box = box([line for line in drawn if line[0] in address])
    heading_drawn = [line for line in drawn if line[0] and line[0] in heading and line[1] >= 12]
    assert " ".join(line[0] for line in heading_drawn) == heading
    heading_box = box(heading_drawn)
    assert heading_box[3] < address_box[1]  # the heading's top is below the address's lowest line
    body_top = max(line[5] for line in drawn if line[0] == "Dear panel member,")
    assert body_top < heading_box[1]  # and the body starts below the heading


def test_the_default_letter_does_not_point_to_a_question_its_heading_does_not_ask():
    # The default heading names the forum ('You are invited to join ...'); it asks no question.
    assert "?" not in DESIGN.fill(DESIGN.heading)
    assert "question in the title" not in DESIGN.fill(DESIGN.body)


def test_a_letter_written_just_after_midnight_in_british_summer_time_is_dated_that_day(tmp_path, monkeypatch):
    """At 00:30 in London on 1 August the clock's UTC date is still 31 July: letters generated then must
    be dated 1 August (the invitation letters and the panel's letters share this date line)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 7, 31, 23, 30, tzinfo=UTC))
    path = tmp_path / "letters.pdf"
    write_letters(path, DESIGN, letters(1))
    assert "Date: 1 August 2026" in [text for _x, _y, _r, text in drawn_text(path.read_bytes())]


# A name of 200 wide letters: five lines of the envelope window even at 7 points.
WIDE_NAME = "W" * 200


def test_a_name_and_address_too_long_for_the_window_at_7_points_is_refused_not_printed_smaller(tmp_path):
    """Ten lines (a 200-character name of wide letters and five address lines) closed up to 6.5 points,
    unreadable where Royal Mail reads the address: they are refused and nothing is written; nine lines
    still print at 7 points or more."""
    from civicforum.recruitment.services.letters import WINDOW_LINES, AddressTooLong, address_fits

    address = ("Flat 1", *HARBOUR_VIEW)
    assert WINDOW_LINES == 9 and not address_fits((WIDE_NAME, *address))
    with pytest.raises(AddressTooLong, match="need 10 lines of the envelope window, where 9 fit"):
        write_letters(tmp_path / "x.pdf", DESIGN, [Letter("R-1", (WIDE_NAME, *address), "R-1")])
    assert not list(tmp_path.iterdir())

    nine = ("W" * 170, *address)
    assert address_fits(nine)
    write_letters(tmp_path / "letters.pdf", DESIGN, [Letter("R-1", nine, "R-1")])
    window = [line for line in drawn_lines((tmp_path / "letters.pdf").read_bytes()) if line[2] == 70]
    assert len(window) == 9 and min(size for _t, size, *_box in window) >= 7


def test_a_name_that_leaves_no_room_for_an_address_is_refused_at_registration():
    """The name form refuses a name that, with an address of five lines, would not fit the envelope
    window at 7 points, and says what to do; a long name of ordinary letters is taken."""
    from civicforum.recruitment.forms import NameForm

    form = NameForm({"full_name": WIDE_NAME})
    assert form.errors["full_name"] == [
        "Name is too long to print on an envelope: write it shorter, for example without middle names "
        "or titles"
    ]
    ordinary = (
        "Professor Dame Angharad Eluned Llewellyn-Pritchard-Vaughan-Wynne-Jones of Llanfairpwllgwyngyll"
    )
    assert NameForm({"full_name": ordinary}).is_valid()


def test_a_wide_logo_and_a_long_council_name_stay_on_the_page_and_clear_of_the_date(tmp_path):
    """A banner logo (600 x 100 pixels) drawn 48 points high left a long council name 160 points to
    print in, and the name ran off the page."""
    from io import BytesIO

    from PIL import Image

    from civicforum.recruitment.services.letters import MARGIN, PAGE_WIDTH, TEXT_WIDTH

    banner = BytesIO()
    Image.new("RGB", (600, 100), "navy").save(banner, format="PNG")
    council = "The Royal Borough of Kensington and Chelsea with the City of Westminster Joint Council"
    design = replace(DESIGN, council_name=council, logo=banner.getvalue())
    path = tmp_path / "letters.pdf"
    write_letters(path, design, letters(1))
    pdf = path.read_bytes()
    logo_width, logo_height = map(
        float,
        re.search(rb"q ([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm /Logo", b"".join(page_texts(pdf))).groups(),
    )
    assert logo_width <= TEXT_WIDTH / 3 + 0.01 and logo_width / logo_height == pytest.approx(6, rel=0.01)
    drawn = drawn_text(pdf)
    name = [
        (y, right, text)
        for x, y, right, text in drawn
        if x == pytest.approx(MARGIN + logo_width + 12, abs=0.01)
    ]
    assert " ".join(text for _y, _right, text in name).split() == council.split()
    assert all(right <= PAGE_WIDTH - MARGIN + 0.5 for _y, right, _text in name)
    date_top = next(y for x, y, _right, text in drawn if text.startswith("Date:")) + 10
    assert len(name) > 1 and min(y for y, _right, _text in name) > date_top
