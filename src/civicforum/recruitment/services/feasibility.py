"""Why no panel can be drawn, in the officer's words.

The engine's diagnosis names quotas by their internal keys ("what-is-your-gender woman") and speaks of its
own options (min_flex/max_flex). Here the keys become the questions and answers as the officer typed them,
and a pool too small for the panel is said plainly, with what to do about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from civicforum.recruitment.services import engine
from civicforum.recruitment.services.quotas import PREFER_NOT_TO_SAY, questions_with_categories
from civicforum.selection import Instance, QuotaCheckUndecided
from civicforum.wording import counted, whole_number

NO_FIX_WITHIN_FLEX = "No change to the quotas within their min_flex/max_flex limits makes a panel possible."
NO_FIX = (
    "No change to the quotas alone makes a panel possible: recruit more volunteers or reduce the panel size."
)


# The engine lists a line's items (the quotas that clash, the smallest change) under it, each as "  - ...":
# plain text for the command line, a nested list on a page.
ITEM = "  - "


@dataclass(frozen=True)
class Point:
    """One line of an explanation, with the items the engine listed under it."""

    text: str
    items: tuple[str, ...] = ()


def as_points(lines: Sequence[str]) -> list[Point]:
    """``lines`` for a bulleted list: each "  - " item under the line before it, without the dash."""
    points: list[Point] = []
    for line in lines:
        if line.startswith(ITEM) and points:
            points[-1] = Point(points[-1].text, (*points[-1].items, line.removeprefix(ITEM)))
        else:
            points.append(Point(line.strip()))
    return points


@dataclass(frozen=True)
class Infeasibility:
    """The explanation, line by line; ``pool_too_small``: the pool has fewer households than places;
    ``undecided``: the check ran out of time, so the quotas are not known to be possible (nor impossible)."""

    lines: tuple[str, ...]
    pool_too_small: bool = False
    undecided: bool = False

    @property
    def blocks_draw(self) -> bool:
        """No panel can be drawn: a check that ran out of time leaves the draw to search for longer."""
        return not self.undecided

    def text(self) -> str:
        return "\n".join(self.lines)

    def points(self) -> list[Point]:
        """The lines after the first (which the pages show as a warning), as bullets."""
        return as_points(self.lines[1:])


def explain(forum: Any, instance: Instance) -> Infeasibility | None:
    """None when some panel meets every quota; otherwise why not, with the officer's labels, or that the
    check could not tell in time (``undecided``)."""
    short = pool_shortfall(instance)
    if short:
        return Infeasibility(("No panel can be drawn from this pool.", short), pool_too_small=True)
    try:
        text = engine.infeasibility(instance)
    except QuotaCheckUndecided as undecided:
        return check_ran_out_of_time(undecided.seconds)
    if text is None:
        return None
    text = in_officers_words(forum, text.replace(NO_FIX_WITHIN_FLEX, NO_FIX))
    return Infeasibility(tuple(text.splitlines()))


# After a draw proved no panel meets the quotas, when the check of which quotas clash ran out of time.
CLASH_NOT_FOUND_IN_TIME = (
    "Which quotas clash could not be worked out in time, so none is named here. Loosen some of the quotas "
    "(lower a minimum or raise a maximum), save them, and the quotas page checks them again."
)


def check_ran_out_of_time(seconds: float) -> Infeasibility:
    """What an officer needs when the check stopped undecided: saying nothing (as before) read as 'the
    quotas are fine', which was not known."""
    return Infeasibility(
        (
            f"The quotas could not be checked within {seconds:g} seconds, so it is not known whether any "
            "panel can meet them all.",
            "This can happen with a large pool or many quotas: the quotas may be fine, or no panel may meet "
            "them.",
            "You can still start the selection, which searches for longer. If no panel can meet the quotas, "
            "the draw stops and says so.",
            "Or loosen some of the quotas (lower a minimum or raise a maximum) and save them to check again.",
        ),
        undecided=True,
    )


def pool_shortfall(instance: Instance) -> str | None:
    """The plain reason when the pool (one person per household) cannot fill the panel, else None."""
    volunteers, places = len(instance.people), instance.panel_size
    households = len({person.household or f"person:{person.id}" for person in instance.people})
    advice = "Recruit more volunteers or reduce the panel size."
    if volunteers < places:
        return (
            f"The pool has {counted(volunteers, 'volunteer', 'volunteers')} but the panel has "
            f"{whole_number(places)} places. {advice}"
        )
    if households < places:
        return (
            f"The pool has {whole_number(volunteers)} volunteers but they live in only "
            f"{whole_number(households)} households, and only one person per household can be on a panel of "
            f"{whole_number(places)}. {advice}"
        )
    return None


def in_officers_words(forum: Any, text: str) -> str:
    """``text`` with each "question-key answer-key" as “Answer” (Question), and question keys as labels."""
    answers: dict[str, str] = {}
    questions: dict[str, str] = {}
    for question in questions_with_categories(forum):
        questions[question.key] = f"“{question.label}”"
        for key, label in [(c.key, c.label) for c in question.categories.all()] + [
            (PREFER_NOT_TO_SAY, "Prefer not to say")
        ]:
            answers[f"{question.key} {key}"] = f"“{label}” ({question.label})"
    if not answers:
        return text
    text = _replace_whole(text, answers)
    return re.sub(
        r"(?<=The quotas for )(\S+)(?= add up)", lambda match: questions.get(match[1], match[1]), text
    )


def _replace_whole(text: str, words: dict[str, str]) -> str:
    """Replace each key of ``words`` where it stands on its own (not inside a longer key), longest first."""
    pattern = "|".join(re.escape(key) for key in sorted(words, key=len, reverse=True))
    return re.sub(rf"(?<![\w-])(?:{pattern})(?![\w-])", lambda match: words[match[0]], text)
