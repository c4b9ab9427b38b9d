"""Print-ready invitation letters, streamed to disk one page at a time.

ReportLab's canvas keeps every page in memory until it saves, which for 30,000 letters means hundreds
of megabytes. So we write the PDF objects ourselves, in order, straight to the file, and keep only each
object's byte offset for the cross-reference table. ReportLab still does the typography: it wraps the
text with the metrics of the font the PDF embeds, so lines break exactly as a PDF viewer will set them.

The font is DejaVu Sans (regular and bold), which covers Welsh (ŵ ŷ Ŵ Ŷ) and most European alphabets:
the standard PDF fonts only have Windows-1252, where those letters printed as "?". We take the files
matplotlib ships (``mpl-data/fonts/ttf``, licence ``LICENSE_DEJAVU`` beside them: the Bitstream Vera
licence, which allows redistribution) and embed only the glyphs the letters use, subset with fontTools
once every page is written. Everything that is the same on every letter
(heading, body text, logo, QR code to the registration page, footer) is one shared form drawn on each
page, so a page adds only its address, reference and code: 30,000 letters take a few seconds (see
the README note in this package for the measured figure).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import logging
import math
import os
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template
from typing import BinaryIO

import segno
from django.utils import timezone
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth

from civicforum.plain_text import one_line
from civicforum.wording import counted, whole_number

PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4 in points
MARGIN = 60.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BODY_TOP = 585.0  # where the body starts under a one-line heading; a longer heading pushes it down
HEADING_BASELINE = BODY_TOP + 20  # the heading's first line: its top stays below the address block
HEADING_SIZES = (15.0, 14.0, 13.0, 12.0)  # a long heading shrinks to fit two lines, then wraps downwards
ADDRESS_TOP, ADDRESS_LEADING = 700.0, 14.0  # first address line's baseline, and the step down
ADDRESS_SIZE = 11.0
# From the first address line's baseline to the last's: the window holds six lines above the heading.
ADDRESS_DEPTH = 5 * ADDRESS_LEADING
BOX_TOP = 235.0  # the registration box; body text must end above it
BODY_SIZE, BODY_LEADING = 11.0, 15.0
QR_LEFT = PAGE_WIDTH - MARGIN - 115  # the QR code in the registration box; its text stops short of it
BOX_TEXT_WIDTH = QR_LEFT - (MARGIN + 14) - 8
ADDRESS_WIDTH = 380 - 70 - 10  # the address block ends before the date and reference
SMALLEST_SIZE = 7.0
LOGO_HEIGHT = 48.0
LOGO_WIDTH = TEXT_WIDTH / 3  # a wider logo is printed smaller, leaving the council's name room beside it
NAME_SIZE, NAME_SMALLEST = 16.0, 11.0  # the council's name; at 11 points its 200 characters take 4 lines
# The most lines of name and address the envelope window holds at SMALLEST_SIZE (nine): lines close up
# to stay above the heading, each line's size at most its spacing / 1.2, so a tenth would print below it.
WINDOW_LINES = int(ADDRESS_DEPTH / (SMALLEST_SIZE * 1.2)) + 1
WEB_ADDRESS_SIZE = 8.5  # a web address residents type is never smaller: it goes on two lines instead
BOX_LEADING = 15.0  # from one line of the registration box's text to the next
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_KEYS = {REGULAR: "F1", BOLD: "F2"}

DEFAULT_HEADING = "You are invited to join $forum"
DEFAULT_BODY = """\
Dear resident,

$council is bringing together a group of local people to help decide an important question for \
the area. Your household is one of $households picked at random from every address in the area.

Up to $adults aged 16 or over living at this address can register. From everyone who registers, a panel \
of people who reflect the whole area will be chosen by lottery. Members meet over several sessions, \
hear from experts and each other, and make recommendations that the council will answer in public. \
Members receive a thank-you payment, and we pay for travel, care costs and any support you need.

You do not need to know anything about the topic. Please register by $reply_by, online or by phone.

If you need this letter in another format or language, call us and we will help."""


@dataclass(frozen=True)
class LetterDesign:
    """What an officer controls. ``heading`` and ``body`` may use $council, $forum, $url, $adults,
    $households and $reply_by. ``adults`` is how many people one letter's code registers, which the letter
    must not overstate: a third adult of a household told 'anyone' can register is then refused.
    ``households`` is how many addresses the draw wrote to, which the letter states: a fixed 'a few
    thousand' was wrong for a draw of 100. Without ``letter_date`` the letter is dated today in the
    council's time zone (``settings.TIME_ZONE``)."""

    council_name: str
    forum_title: str
    registration_url: str
    heading: str = DEFAULT_HEADING
    body: str = DEFAULT_BODY
    reply_by: str = ""
    adults: int = 2
    households: int = 0
    phone: str = ""
    logo: bytes | None = None
    letter_date: date | None = None
    footer: str = (
        "Your address was chosen at random from the council's list of addresses. "
        "We hold no other information about you unless you register. "
        "The privacy notice is on the registration page."
    )
    box_heading: str = "How to register"
    box_text: str = "Go to $url\nor scan the QR code with your phone camera,\nand enter your household code:"
    phone_text: str = "Or call us on $phone and we will register you."  # printed only with a ``phone``

    def fill(self, text: str) -> str:
        return Template(text).safe_substitute(
            council=self.council_name,
            forum=self.forum_title,
            url=self.registration_url,
            adults=counted(self.adults, "person", "people"),
            households=whole_number(self.households),
            reply_by=one_line(self.reply_by),
        )


# What ``LetterDesign.fill`` replaces.
PLACEHOLDERS = ("council", "forum", "url", "adults", "households", "reply_by")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in ``text`` that ``fill`` does not know: a typo such as $counsil would be printed as
    it is on every letter."""
    return [name for name in Template(text).get_identifiers() if name not in PLACEHOLDERS]


def has_line_break(text: str) -> bool:
    """Whether ``text`` holds a line break of any kind (a reply-by date must not: it is printed
    mid-sentence in the letter's text and its box, and in the email)."""
    return len(text.strip().splitlines()) > 1


@dataclass(frozen=True)
class Letter:
    reference: str
    address_lines: tuple[str, ...]
    code: str


class LetterTooLong(ValueError):
    """The letter text does not fit on one page."""


class WebAddressTooLong(LetterTooLong):
    """The web address does not fit in the registration box in full, even on two lines."""


class AddressTooLong(ValueError):
    """A name and address that need more lines than the envelope window holds at 7 points: callers check
    (``address_fits``) before writing anything, and ``address_block`` never prints one smaller."""


class ReplyByTooLong(LetterTooLong):
    """The reply-by date does not fit on its line of the box ("Tell us by $reply_by ..."), even in small
    print: the officer writes it shorter."""


def wrap(text: str, font: str, size: float, width: float, url: str = "") -> list[str]:
    """``text`` in lines no wider than ``width``: a word too long for a line is broken across lines
    instead of running off the page. The web address ``url`` breaks only where the box's does
    (``url_breaks``), so each line reads as part of an address; anything else (hundreds of letters typed
    without a space) breaks where the line is full."""
    _register_fonts()
    lines: list[str] = []
    for line in simpleSplit(text, font, size, width):
        breaks = url_breaks(line, url) if url and url in line else []
        start = 0
        while stringWidth(line[start:], font, size) > width:
            full = start + 1
            while stringWidth(line[start : full + 1], font, size) <= width:
                full += 1
            cut = _preferred_break(line, [cut for cut in breaks if start < cut <= full]) or full
            lines.append(line[start:cut])
            start = cut
        lines.append(line[start:])
    return lines


def _fitting_size(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The size, from ``size`` down to ``smallest``, at which ``text`` fits ``width`` (else ``smallest``).

    It is rounded down to the tenth of a point the PDF records (``_text``): the exact size that fills
    ``width`` measured a hair wider than it, or printed a hair wider, and cut a web address that fitted
    into "…/regist…"."""
    _register_fonts()
    natural = stringWidth(text, font, size)
    if natural > width:
        size = max(smallest, math.floor(10 * size * width / natural) / 10)
    return size


def window_lines(lines: Iterable[str]) -> list[tuple[str, float]]:
    """The name and address as the envelope window sets them, as (line, size) before spacing: each line
    smaller to fit (down to 7 points), and one too long even then (a long name, or a line of an address
    list imported before the importer refused such lines) on as many lines as it needs."""
    printed: list[tuple[str, float]] = []
    for line in lines:
        size = _fitting_size(line, REGULAR, ADDRESS_SIZE, ADDRESS_WIDTH, SMALLEST_SIZE)
        if stringWidth(line, REGULAR, size) <= ADDRESS_WIDTH:
            printed.append((line, size))
        else:
            printed += [(part, size) for part in wrap(line, REGULAR, size, ADDRESS_WIDTH)]
    return printed


def address_fits(lines: Iterable[str]) -> bool:
    """Whether the name and address print in the envelope window at 7 points or more (``WINDOW_LINES``)."""
    return len(window_lines(lines)) <= WINDOW_LINES


# An address prints on at most five lines (three address lines, town, postcode: ``Address.lines``), each
# one line of the window (the importer refuses longer ones), which leaves the rest for a person's name.
ADDRESS_LINES = 5
NAME_LINES = WINDOW_LINES - ADDRESS_LINES


def name_fits(name: str) -> bool:
    """Whether ``name`` leaves room in the envelope window for any address (``NAME_LINES`` at 7 points)."""
    return len(window_lines([name])) <= NAME_LINES


def address_block(lines: Iterable[str]) -> list[tuple[str, float, float]]:
    """The name and address in the envelope window as (line, size, baseline), never cut: Royal Mail needs
    the address whole. Lines are set as ``window_lines`` says; more lines than the window holds at full
    spacing close up, and shrink to match, above the heading, but never below 7 points: more than
    ``WINDOW_LINES`` raises ``AddressTooLong`` (unreadable, and Royal Mail needs a legible address)."""
    printed = window_lines(lines)
    if len(printed) > WINDOW_LINES:
        raise AddressTooLong(  # naming nobody: the message may reach the server's log
            f"A name and address need {len(printed)} lines of the envelope window, where {WINDOW_LINES} fit."
        )
    leading = min(ADDRESS_LEADING, ADDRESS_DEPTH / max(len(printed) - 1, 1))
    return [
        (line, min(size, leading / 1.2), ADDRESS_TOP - index * leading)
        for index, (line, size) in enumerate(printed)
    ]


def address_line_characters(line: str) -> int:
    """About how many characters like ``line``'s print on one line of the envelope window, at 7 points
    (``len(line)`` when it fits). The address importer refuses a longer line, which the window
    would print on two."""
    _register_fonts()
    width = stringWidth(line, REGULAR, SMALLEST_SIZE)
    return len(line) if width <= ADDRESS_WIDTH else int(len(line) * ADDRESS_WIDTH / width)


def web_address_lines(line: str, url: str) -> list[tuple[str, float]]:
    """A line of the registration box holding the web address ``url`` ("Go to $url"), as printed lines
    and their sizes: smaller to fit (down to 8.5 points), else on two lines at 8.5 points, broken after a '/'
    of the address (or, if none fits, a '-' or '.'). Never cut: a letter with half its address is no
    use to the resident, so an address too long for that raises ``WebAddressTooLong`` before anything
    is written."""
    size = _fitting_size(line, REGULAR, BODY_SIZE, BOX_TEXT_WIDTH, WEB_ADDRESS_SIZE)
    if stringWidth(line, REGULAR, size) <= BOX_TEXT_WIDTH:
        return [(line, size)]

    def fits(part: str) -> bool:
        return stringWidth(part, REGULAR, WEB_ADDRESS_SIZE) <= BOX_TEXT_WIDTH

    cut = _preferred_break(
        line, [cut for cut in url_breaks(line, url) if fits(line[:cut]) and fits(line[cut:])]
    )
    if cut is None:
        raise WebAddressTooLong(
            f"The web address on the letters, {url}, is too long to print in full, even on two lines "
            f"({len(url)} characters). Ask your site administrator to give this forum a shorter web "
            "address (its slug, in the site's administration) or to run the site at a shorter domain, "
            "then try again."
        )
    return [(line[:cut], WEB_ADDRESS_SIZE), (line[cut:], WEB_ADDRESS_SIZE)]


def url_breaks(line: str, url: str) -> list[int]:
    """Where ``line`` may break inside the web address ``url`` it holds: after a '/', '-' or '.' past the
    scheme, never at the address's end."""
    start = line.index(url)
    after_scheme = url.find("://") + 3 if "://" in url else 0
    return [start + index + 1 for index in range(after_scheme, len(url) - 1) if url[index] in "/-."]


def _preferred_break(line: str, cuts: list[int]) -> int | None:
    """The last of ``cuts`` (from ``url_breaks``) after a '/', else the last of them (None: there is none)."""
    after_slash = [cut for cut in cuts if line[cut - 1] == "/"]
    return max(after_slash or cuts, default=None)


def box_lines(design: LetterDesign) -> list[tuple[str, float, float]]:
    """The registration box's text as (line, size, baseline): up to three lines of ``box_text``, the
    web address's on two close lines when it needs them (``web_address_lines``)."""
    lines: list[tuple[str, float, float]] = []
    y = BOX_TOP - 46
    for text in design.fill(design.box_text).splitlines()[:3]:
        if design.registration_url and design.registration_url in text:
            printed = web_address_lines(text, design.registration_url)
        else:
            printed = [(text, _box_line_size(text))]
        for index, (line, size) in enumerate(printed):
            if index:
                y -= size * 1.2
            lines.append((line, size, y))
        y -= BOX_LEADING
    return lines


def _box_line_size(text: str) -> float:
    """The size, down to 7 points, at which a line of the box without the web address fits it; raises
    ``ReplyByTooLong`` when it does not fit even then. The reply-by date is the only part of those lines
    that varies ("Tell us by $reply_by whether you can take part."), and a deadline is never cut."""
    size = _fitting_size(text, REGULAR, BODY_SIZE, BOX_TEXT_WIDTH, SMALLEST_SIZE)
    if stringWidth(text, REGULAR, size) > BOX_TEXT_WIDTH:
        raise ReplyByTooLong(
            "Reply by is too long to print in full on the letters: write it shorter, for example "
            "18 December 2026"
        )
    return size


def body_lines(design: LetterDesign) -> list[tuple[str, bool]]:
    """The body as (line, starts_new_paragraph) after wrapping."""
    lines: list[tuple[str, bool]] = []
    for paragraph in design.fill(design.body).replace("\r\n", "\n").split("\n\n"):
        wrapped = wrap(" ".join(paragraph.split()), REGULAR, BODY_SIZE, TEXT_WIDTH, design.registration_url)
        for index, line in enumerate(wrapped):
            lines.append((line, index == 0 and bool(lines)))
    return lines


def heading_lines(design: LetterDesign) -> tuple[float, list[str]]:
    """The heading's size and lines. It never grows upwards into the address block (a long heading, or
    a long forum title in "You have been chosen for $forum", printed over the envelope window): it
    shrinks until it fits two lines, and below 12 points it wraps downwards, pushing the body down."""
    text = " ".join(design.fill(design.heading).split())
    for size in HEADING_SIZES:
        lines = wrap(text, BOLD, size, TEXT_WIDTH, design.registration_url)
        if len(lines) <= 2:
            return size, lines
    return HEADING_SIZES[-1], lines


@dataclass(frozen=True)
class _Layout:
    """A design's heading and body as wrapped lines: wrapping is the costly part of the shared page, so a
    PDF wraps its text once, checks that it fits and draws every page from it."""

    heading_size: float
    heading: list[str]
    body: list[tuple[str, bool]]
    box: list[tuple[str, float, float]]

    @property
    def code_baseline(self) -> float:
        """Where each letter's code is printed: under the box's text, lower when the web address took
        a second line."""
        return min(BOX_TOP - 100, min((y for _line, _size, y in self.box), default=BOX_TOP) - 24)

    @property
    def heading_drop(self) -> float:
        """How far below ``BODY_TOP`` the body starts: the heading's lines after the first."""
        return (len(self.heading) - 1) * self.heading_size * 1.2


def _layout(design: LetterDesign) -> _Layout:
    return _Layout(*heading_lines(design), body_lines(design), box_lines(design))


def check_fits(design: LetterDesign) -> None:
    """Raise ``LetterTooLong`` (saying how much to cut) when the text would run into the code box, or
    ``WebAddressTooLong`` when the web address cannot be printed in full."""
    _check_fits(_layout(design))


def _check_fits(layout: _Layout) -> None:
    height = len(layout.body) * BODY_LEADING + sum(BODY_LEADING / 2 for _line, new in layout.body if new)
    available = BODY_TOP - layout.heading_drop - BOX_TOP - 20
    if height > available:
        extra = int((height - available) // BODY_LEADING) + 1
        raise LetterTooLong(f"The letter text is too long for one page: shorten it by about {extra} lines.")


def partial_path(path: Path) -> Path:
    """Where one writer builds ``path`` before moving it into place: a name of its own, so that a second
    writer of the same file (a worker still running an abandoned task) cannot write into the same one."""
    return path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")


def write_letters(
    path: Path,
    design: LetterDesign,
    letters: Iterable[Letter],
    progress: Callable[[int], None] | None = None,
    progress_every: int = 500,
) -> int:
    """Write one page per letter to ``path`` (atomically: a partial file never appears); returns the count."""
    layout = _layout(design)
    _check_fits(layout)
    partial = partial_path(path)
    try:
        with partial.open("wb") as handle:
            count = _PdfWriter(handle).write(design, layout, letters, progress, progress_every)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def _font_path(name: str) -> str:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The letters need matplotlib's DejaVu fonts: install matplotlib.")
    return os.path.join(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf", f"{name}.ttf")


@functools.cache
def _register_fonts() -> None:
    """Give ReportLab the embedded fonts' metrics, so text wraps as it will print."""
    from reportlab.pdfbase.ttfonts import TTFont as ReportLabFont

    for name in FONT_KEYS:
        pdfmetrics.registerFont(ReportLabFont(name, _font_path(name)))


@dataclass(frozen=True)
class _FontData:
    """What the writer needs from one TrueType font: glyph numbers, widths and descriptor figures."""

    name: str
    glyphs: dict[int, int]  # code point -> glyph number
    widths: dict[int, int]  # glyph number -> advance width in 1/1000 em
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int


@functools.cache
def _font_data(name: str) -> _FontData:
    from fontTools.ttLib import TTFont

    font = TTFont(_font_path(name), lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    order = {glyph: number for number, glyph in enumerate(font.getGlyphOrder())}
    metrics = font["hmtx"].metrics
    head, hhea = font["head"], font["hhea"]
    return _FontData(
        name=name,
        glyphs={code: order[glyph] for code, glyph in font.getBestCmap().items()},
        widths={order[glyph]: round(advance * scale) for glyph, (advance, _lsb) in metrics.items()},
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),  # type: ignore[arg-type]
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
    )


_Used = dict[str, dict[int, str]]  # font name -> glyph number -> the text it stands for


def _text(x: float, y: float, font: str, size: float, text: str, used: _Used) -> bytes:
    """Show ``text`` in ``font`` (REGULAR or BOLD) as two-byte glyph numbers (Identity-H)."""
    data = _font_data(font)
    seen = used[font]
    codes = []
    for char in text:
        glyph = data.glyphs.get(ord(char), 0)  # 0 is the font's "missing" box, never a silent "?"
        if glyph:
            seen.setdefault(glyph, char)
        codes.append(glyph)
    hexed = b"".join(b"%04X" % glyph for glyph in codes)
    return b"BT /%s %.1f Tf %.2f %.2f Td <%s> Tj ET\n" % (FONT_KEYS[font].encode(), size, x, y, hexed)


def _subset_font(name: str, glyphs: Iterable[int]) -> bytes:
    """The TrueType file with only ``glyphs`` drawn; glyph numbers are kept, so the text stays valid."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True
    options.hinting = False
    options.notdef_outline = True
    options.layout_features = []
    options.name_IDs = []
    options.drop_tables = [*options.drop_tables, "FFTM"]
    font = TTFont(_font_path(name), recalcTimestamp=False)  # the same letters give the same bytes
    logging.getLogger("fontTools.subset").setLevel(logging.WARNING)  # it logs each table at INFO
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted({0, *glyphs}))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _to_unicode(used: dict[int, str]) -> bytes:
    """The CMap that lets a PDF viewer copy, search and read aloud the text (glyph -> characters)."""
    rows = [
        b"<%04X> <%s>" % (glyph, text.encode("utf-16-be").hex().upper().encode())
        for glyph, text in sorted(used.items())
    ]
    blocks = []
    for start in range(0, len(rows), 100):
        chunk = rows[start : start + 100]
        blocks.append(b"%d beginbfchar\n%s\nendbfchar\n" % (len(chunk), b"\n".join(chunk)))
    return (
        b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + b"".join(blocks)
        + b"endcmap\nCMapName currentdict /CIDInit /ProcSet findresource /defineresource pop\nend\nend"
    )


class _PdfWriter:
    """A minimal PDF 1.4 writer: objects go straight to the file; only their offsets stay in memory."""

    def __init__(self, handle: BinaryIO):
        self.handle = handle
        self.offsets: list[int] = [0]  # object 0 is the free-list head
        self.handle.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def put(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.handle.tell()
        self.handle.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def put_stream(self, number: int, entries: bytes, data: bytes) -> None:
        packed = zlib.compress(data, 6)
        self.put(
            number,
            b"<< %s /Filter /FlateDecode /Length %d >>\nstream\n" % (entries, len(packed))
            + packed
            + b"\nendstream",
        )

    def write(
        self,
        design: LetterDesign,
        layout: _Layout,
        letters: Iterable[Letter],
        progress: Callable[[int], None] | None,
        progress_every: int,
    ) -> int:
        catalog, pages = self.reserve(), self.reserve()
        regular, bold, shared = self.reserve(), self.reserve(), self.reserve()
        used: _Used = {name: {} for name in FONT_KEYS}
        fonts = b"/Font << /F1 %d 0 R /F2 %d 0 R >>" % (regular, bold)
        qr = self.reserve()
        self.put_stream(
            qr, b"/Type /XObject /Subtype /Form /BBox [0 0 %d %d]" % _qr_size(design), _qr_ops(design)
        )
        images = b"/QR %d 0 R" % qr
        if design.logo:
            logo = self.reserve()
            width, height, pixels = _logo_pixels(design.logo)
            self.put_stream(
                logo,
                b"/Type /XObject /Subtype /Image /Width %d /Height %d" % (width, height)
                + b" /ColorSpace /DeviceRGB /BitsPerComponent 8",
                pixels,
            )
            images += b" /Logo %d 0 R" % logo
        self.put_stream(
            shared,
            b"/Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources << %s /XObject << %s >> >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, fonts, images),
            _shared_ops(design, layout, used),
        )
        resources = b"<< %s /XObject << /Letter %d 0 R >> >>" % (fonts, shared)
        page_numbers: list[int] = []
        for letter in letters:
            content, page = self.reserve(), self.reserve()
            self.put_stream(content, b"", _letter_ops(letter, layout, used))
            self.put(
                page,
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Resources %s /Contents %d 0 R >>"
                % (pages, PAGE_WIDTH, PAGE_HEIGHT, resources, content),
            )
            page_numbers.append(page)
            if progress and len(page_numbers) % progress_every == 0:
                progress(len(page_numbers))
        kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
        self.put(pages, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(page_numbers), kids))
        self.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
        self._put_font(regular, REGULAR, used[REGULAR])
        self._put_font(bold, BOLD, used[BOLD])
        self._finish(catalog)
        if progress:
            progress(len(page_numbers))
        return len(page_numbers)

    def _put_font(self, number: int, name: str, used: dict[int, str]) -> None:
        """Embed the subset font (written last: only now do we know every glyph the pages use)."""
        data = _font_data(name)
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(repr(sorted(used)).encode()).digest()[:6])
        base = f"{tag}+{name}".encode()
        descendant, descriptor, file, cmap = self.reserve(), self.reserve(), self.reserve(), self.reserve()
        self.put(
            number,
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H"
            b" /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (base, descendant, cmap),
        )
        widths = b" ".join(b"%d [%d]" % (glyph, data.widths.get(glyph, 0)) for glyph in sorted({0, *used}))
        self.put(
            descendant,
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>"
            % (base, descriptor, widths),
        )
        self.put(
            descriptor,
            b"<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0"
            b" /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
            % (base, *data.bbox, data.ascent, data.descent, data.ascent, file),
        )
        font_file = _subset_font(name, used)
        self.put_stream(file, b"/Length1 %d" % len(font_file), font_file)
        self.put_stream(cmap, b"", _to_unicode(used))

    def _finish(self, catalog: int) -> None:
        xref = self.handle.tell()
        rows = [b"0000000000 65535 f \n"] + [b"%010d 00000 n \n" % offset for offset in self.offsets[1:]]
        self.handle.write(b"xref\n0 %d\n" % len(self.offsets) + b"".join(rows))
        self.handle.write(
            b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self.offsets), catalog, xref)
        )


def _qr_matrix(design: LetterDesign) -> tuple[bytearray, ...]:
    return segno.make(design.registration_url, error="m", micro=False).matrix


def _qr_size(design: LetterDesign) -> tuple[int, int]:
    size = len(_qr_matrix(design))
    return size, size


def _qr_ops(design: LetterDesign) -> bytes:
    """The QR code as filled rectangles, one per run of dark modules, in module units."""
    matrix = _qr_matrix(design)
    size = len(matrix)
    ops = [b"0 g\n"]
    for row_index, row in enumerate(matrix):
        y = size - 1 - row_index
        column = 0
        while column < size:
            if row[column]:
                start = column
                while column < size and row[column]:
                    column += 1
                ops.append(b"%d %d %d 1 re\n" % (start, y, column - start))
            else:
                column += 1
    ops.append(b"f\n")
    return b"".join(ops)


def _logo_pixels(logo: bytes) -> tuple[int, int, bytes]:
    from PIL import Image

    with Image.open(io.BytesIO(logo)) as image:
        rgb = image.convert("RGB")
        return rgb.width, rgb.height, rgb.tobytes()


def logo_size(width: int, height: int) -> tuple[float, float]:
    """The logo's printed width and height in points: ``LOGO_HEIGHT`` high, unless that would make it
    wider than ``LOGO_WIDTH``. A wide banner drawn 48 points high pushed the council's name off the page."""
    scale = min(LOGO_HEIGHT / height, LOGO_WIDTH / width)
    return width * scale, height * scale


def council_name_lines(name: str, width: float) -> tuple[list[str], float]:
    """The council's name in lines no wider than ``width``, beside the logo, and their size: smaller to
    fit one line (down to ``NAME_SMALLEST``), then on as many lines as it needs."""
    size = _fitting_size(name, BOLD, NAME_SIZE, width, NAME_SMALLEST)
    return wrap(name, BOLD, size, width), size


def _shared_ops(design: LetterDesign, layout: _Layout, used: _Used) -> bytes:
    ops: list[bytes] = []
    top = PAGE_HEIGHT - MARGIN
    name_x = MARGIN
    if design.logo:
        width, height, _pixels = _logo_pixels(design.logo)
        draw_width, draw_height = logo_size(width, height)
        bottom = top - 40 + (LOGO_HEIGHT - draw_height) / 2  # a shorter logo is centred in the band
        ops.append(b"q %.2f 0 0 %.2f %.2f %.2f cm /Logo Do Q\n" % (draw_width, draw_height, MARGIN, bottom))
        name_x = MARGIN + draw_width + 12
    name_lines, name_size = council_name_lines(design.council_name, PAGE_WIDTH - MARGIN - name_x)
    for index, line in enumerate(name_lines):
        ops.append(_text(name_x, top - 20 - index * name_size * 1.2, BOLD, name_size, line, used))
    # The council's day (settings.TIME_ZONE), not the server clock's: just after midnight in a British
    # summer the clock's UTC date is still yesterday.
    letter_date = (design.letter_date or timezone.localdate()).strftime("%-d %B %Y")
    ops.append(_text(380, 700, REGULAR, 10, f"Date: {letter_date}", used))
    y = HEADING_BASELINE
    for line in layout.heading:
        ops.append(_text(MARGIN, y, BOLD, layout.heading_size, line, used))
        y -= layout.heading_size * 1.2
    y = BODY_TOP - 8 - layout.heading_drop
    for line, new_paragraph in layout.body:
        if new_paragraph:
            y -= BODY_LEADING / 2
        ops.append(_text(MARGIN, y, REGULAR, BODY_SIZE, line, used))
        y -= BODY_LEADING
    ops.append(b"0.2 w 0 G %.2f %.2f %.2f %.2f re S\n" % (MARGIN, 95, TEXT_WIDTH, BOX_TOP - 95))
    ops.append(_text(MARGIN + 14, BOX_TOP - 26, BOLD, 13, design.box_heading, used))
    for line, size, y in layout.box:
        ops.append(_text(MARGIN + 14, y, REGULAR, size, line, used))
    if design.phone:
        phone_line = Template(design.phone_text).safe_substitute(phone=design.phone)
        ops.append(_text(MARGIN + 14, 107, REGULAR, BODY_SIZE, phone_line, used))
    qr_modules, _ = _qr_size(design)
    scale = 100.0 / qr_modules
    ops.append(b"q %.4f 0 0 %.4f %.2f %.2f cm /QR Do Q\n" % (scale, scale, QR_LEFT, 112))
    for index, line in enumerate(wrap(design.fill(design.footer), REGULAR, 8, TEXT_WIDTH)):
        ops.append(_text(MARGIN, 70 - 10 * index, REGULAR, 8, line, used))
    return b"".join(ops)


def _letter_ops(letter: Letter, layout: _Layout, used: _Used) -> bytes:
    ops = [b"q /Letter Do Q\n"]
    for line, size, y in address_block(letter.address_lines):
        ops.append(_text(70, y, REGULAR, size, line, used))
    ops.append(_text(380, 686, REGULAR, 10, f"Reference: {letter.reference}", used))
    ops.append(_text(MARGIN + 14, layout.code_baseline, BOLD, 20, letter.code, used))
    return b"".join(ops)
