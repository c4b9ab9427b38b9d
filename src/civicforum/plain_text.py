"""Text as it reads: without the characters that do not show but change what a reader sees.

Control characters (ESC, a backspace...) show as boxes, or as nothing, and can hide what a text says. The
bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) make a text display in
another order than it reads ("Trojan Source"): pasted into a name, they show it backwards on a seating
plan. Right-to-left names and words need none of them; the left-to-right and right-to-left marks they may
need (U+200E, U+200F) are kept. Plain Python, so that the web app (which removes them from what people
type) and the engines (which refuse them in ids and remove them from their reports) share one definition.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Sequence

from civicforum.wording import plural

# Tab and line breaks are kept: a statement or an address may have lines. C1 controls (U+0080-U+009F)
# are what a file saved in another encoding leaves, never text.
CONTROL_CHARACTERS = dict.fromkeys(
    [
        *range(0x00, 0x09),
        0x0B,
        0x0C,
        *range(0x0E, 0x20),
        *range(0x7F, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
)
LINE_SPACES = dict.fromkeys(map(ord, "\t\n\r"), " ")


def as_shown(text: str) -> str:
    """``text`` without ``CONTROL_CHARACTERS``, so that it displays in the order it reads."""
    return text.translate(CONTROL_CHARACTERS)


def html_text(text: str) -> str:
    """``text`` for an HTML page: without ``CONTROL_CHARACTERS`` and escaped."""
    return html.escape(as_shown(text))


def plain_line(text: str) -> str:
    """``text`` as a one-line box keeps it: no ``CONTROL_CHARACTERS``, a tab or line break made a space."""
    return as_shown(text).translate(LINE_SPACES).strip()


def one_line(text: str) -> str:
    """``text`` with every run of spaces and line breaks made one space: for a text that goes mid-sentence
    or in an email's subject (Django refuses a line break there, BadHeaderError)."""
    return " ".join(text.split())


def hidden_characters(text: str) -> list[str]:
    """The ``CONTROL_CHARACTERS`` in ``text``, each named for a message: 'U+202E (RIGHT-TO-LEFT OVERRIDE)'."""
    found = sorted({char for char in text if ord(char) in CONTROL_CHARACTERS})
    return [f"U+{ord(char):04X} ({unicodedata.name(char, 'a control character')})" for char in found]


# What a message calls the invisible characters most often pasted into a cell; others go by their
# Unicode name ('a right-to-left override').
INVISIBLE_NAMES = {
    0x09: "a tab",
    0x0A: "a line break",
    0x0D: "a carriage return (a line break)",
    0xAD: "a soft hyphen",
    0x200B: "a zero-width space",
    0x200C: "a zero-width non-joiner",
    0x200D: "a zero-width joiner",
    0x200E: "a left-to-right mark",
    0x200F: "a right-to-left mark",
    0x2060: "a word joiner",
    0xFEFF: "a zero-width no-break space or byte order mark",
}
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")  # control, format, line and paragraph separators


# Joiners show where they change how the text around them displays: a zero-width joiner between two
# emoji makes them one (a health worker, a family), and in the scripts whose letters join or change shape
# (Arabic, Persian, Syriac, Thaana, N'Ko, the Indic scripts, Sinhala, Mongolian) either joiner changes the
# letters' forms: Persian writes a non-joiner inside many words.
ZERO_WIDTH_NON_JOINER, ZERO_WIDTH_JOINER = "\u200c", "\u200d"
SHAPING_SCRIPTS = ((0x0600, 0x0DFF), (0x1800, 0x18AF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFC))
# What may follow an emoji before a joiner: the emoji presentation selector and the skin tones.
EMOJI_MODIFIERS = chr(0xFE0F) + "".join(map(chr, range(0x1F3FB, 0x1F400)))
# A region's flag (Wales, Scotland, England) is a black flag, tag letters naming the region, a cancel tag.
BLACK_FLAG, CANCEL_TAG, TAG_LETTERS = chr(0x1F3F4), chr(0xE007F), range(0xE0020, 0xE007F)


def invisible_characters(text: str) -> list[str]:
    """Every character in ``text`` that shows as nothing (or as a box) yet makes it another text: control
    characters, tab and line breaks included, and Unicode format characters (zero-width spaces, joiners,
    direction marks), each named for a message: 'a zero-width space (U+200B)'. Joiners and tags that
    change what shows (``visible_formatting``) are part of the text. Stricter than ``hidden_characters``,
    for a value that sorts people into groups, where any of them makes a group of its own that looks
    like another."""
    shown = visible_formatting(text)
    return _named(
        char
        for index, char in enumerate(text)
        if unicodedata.category(char) in INVISIBLE_CATEGORIES and index not in shown
    )


def visible_formatting(text: str) -> set[int]:
    """Positions in ``text`` of format characters that change what shows: a zero-width joiner between
    two emoji, either joiner between two letters of a script that shapes its letters, and the tags of a
    region's flag."""
    shown: set[int] = set()
    for index, char in enumerate(text[1:-1], start=1):
        if char not in (ZERO_WIDTH_JOINER, ZERO_WIDTH_NON_JOINER):
            continue
        before, after = text[:index].rstrip(EMOJI_MODIFIERS)[-1:], text[index + 1]
        emoji = char == ZERO_WIDTH_JOINER and _is_emoji(before) and _is_emoji(after)
        if emoji or (_shapes(before) and _shapes(after)):
            shown.add(index)
    for index, char in enumerate(text):
        if char == BLACK_FLAG:
            end = index + 1
            while end < len(text) and ord(text[end]) in TAG_LETTERS:
                end += 1
            if end > index + 1 and text[end : end + 1] == CANCEL_TAG:
                shown.update(range(index + 1, end + 1))
    return shown


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" if char else False


def _shapes(char: str) -> bool:
    """Whether ``char`` is a letter or mark of a script whose letters join or change shape."""
    if not char or unicodedata.category(char)[0] not in "LM":
        return False
    return any(first <= ord(char) <= last for first, last in SHAPING_SCRIPTS)


def untypable_characters(text: str) -> list[str]:
    """``invisible_characters`` and the spaces other than an ordinary one (a no-break space, a thin
    space...), named alike: 'a no-break space (U+00A0)'. For a code people type from what they see, such
    as a draw's seed read out or published: each would make it another code while looking the same."""
    odd_spaces = _named(char for char in text if unicodedata.category(char) == "Zs" and char != " ")
    return invisible_characters(text) + odd_spaces


def not_showing(names: Sequence[str]) -> str:
    """The characters ``invisible_characters`` named, for a message: 'a tab (U+0009), which does not show'."""
    return f"{', '.join(names)}, which {plural(len(names), 'does', 'do')} not show"


def _named(chars: Iterable[str]) -> list[str]:
    """Each of ``chars`` once, in code point order, as a message names it: 'a zero-width space (U+200B)'."""
    return [f"{_invisible_name(char)} (U+{ord(char):04X})" for char in sorted(set(chars))]


def _invisible_name(char: str) -> str:
    if ord(char) in INVISIBLE_NAMES:
        return INVISIBLE_NAMES[ord(char)]
    name = unicodedata.name(char, "").lower()
    if unicodedata.category(char) == "Cc" or not name:
        return "a control character"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
