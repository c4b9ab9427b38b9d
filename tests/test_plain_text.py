"""Which characters that do not show make a value another value: joiners and tags that change what shows
are part of the text (a family emoji, the flag of Wales, a Persian word), the same characters elsewhere
are not."""

import pytest

from civicforum.plain_text import invisible_characters

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
HEALTH_WORKER = "\U0001f469\U0001f3fd\u200d\u2695\ufe0f"  # a skin tone and a presentation selector first
WALES = "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # 'I want', a non-joiner inside the word
DEVANAGARI = "\u0915\u094d\u200d\u0937"  # a half form asked for with a joiner


@pytest.mark.parametrize("text", [FAMILY, HEALTH_WORKER, WALES, PERSIAN, DEVANAGARI, f"Cymraeg {WALES}"])
def test_joiners_and_tags_that_change_what_shows_are_part_of_the_text(text):
    assert invisible_characters(text) == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Ma\u200dle", "a zero-width joiner (U+200D)"),  # Latin letters do not join
        ("Welsh\u200d", "a zero-width joiner (U+200D)"),
        ("\U0001f468\u200da", "a zero-width joiner (U+200D)"),  # an emoji and a letter
        ("\U0001f468\u200c\U0001f469", "a zero-width non-joiner (U+200C)"),  # only a joiner joins emoji
        ("\u200d\U0001f468", "a zero-width joiner (U+200D)"),
        ("a\U000e0067\U000e007f", "a tag latin small letter g (U+E0067)"),  # tags with no flag
        ("\U0001f3f4\U000e0067\U000e0062", "a tag latin small letter b (U+E0062)"),  # no cancel tag
        (f"{PERSIAN}\u200b", "a zero-width space (U+200B)"),
    ],
)
def test_the_same_characters_elsewhere_show_as_nothing(text, named):
    assert named in invisible_characters(text)
