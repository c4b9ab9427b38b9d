"""What the accessibility statement may claim: the compliance status and dates the council has set.

The regulations ask the statement to say how far the site meets WCAG 2.2 AA, but only the council can say
so, after testing it: CivicForum's own tests are no such claim. 'Partially compliant' is stated only with the
problems listed, as the regulations require; anything less reads as not yet stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.checks import Warning, register

FULL = "full"
PARTIAL = "partial"


@dataclass(frozen=True)
class Compliance:
    """``status``: FULL, PARTIAL or "" (not yet stated); ``problems``: the failures a partial status lists;
    ``mistakes``: settings given but not understood, each said in a sentence."""

    status: str
    problems: tuple[str, ...]
    tested: date | None
    prepared: date | None
    mistakes: tuple[str, ...] = ()

    @property
    def unset(self) -> list[str]:
        """The settings the council has still to give, for the note staff see on the statement."""
        missing = {
            "CIVICFORUM_ACCESSIBILITY_STATUS": not self.status,
            "CIVICFORUM_ACCESSIBILITY_TESTED": self.tested is None,
            "CIVICFORUM_ACCESSIBILITY_PREPARED": self.prepared is None,
        }
        return [name for name, is_missing in missing.items() if is_missing]


def compliance() -> Compliance:
    """The council's statement of compliance, from the settings. A setting that is not understood (a status
    other than full or partial, a date not written YYYY-MM-DD) reads as unset, and is named in ``mistakes``,
    so that a typing slip is not mistaken for a setting never given."""
    given = settings.CIVICFORUM_ACCESSIBILITY_STATUS.strip()
    status = given.lower()
    problems = tuple(settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS)
    mistakes = []
    if status and status not in (FULL, PARTIAL):
        mistakes.append(
            f"CIVICFORUM_ACCESSIBILITY_STATUS is {given!r}, which is neither 'full' nor 'partial'."
        )
        status = ""
    elif status == PARTIAL and not problems:
        mistakes.append(
            "CIVICFORUM_ACCESSIBILITY_STATUS is 'partial' but CIVICFORUM_ACCESSIBILITY_PROBLEMS lists no "
            "problem: a partially compliant statement must list them, separated by '|'."
        )
        status = ""
    tested, prepared = (
        _date(name, mistakes)
        for name in ("CIVICFORUM_ACCESSIBILITY_TESTED", "CIVICFORUM_ACCESSIBILITY_PREPARED")
    )
    return Compliance(status, problems if status == PARTIAL else (), tested, prepared, tuple(mistakes))


def _date(name: str, mistakes: list[str]) -> date | None:
    text = getattr(settings, name).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        mistakes.append(f"{name} is {text!r}, which is not a date written YYYY-MM-DD, such as 2027-02-14.")
        return None


@register()
def statement_settings_understood(app_configs: object, **kwargs: object) -> list[Warning]:
    return [
        Warning(
            mistake,
            hint="Correct it, or unset it; until then the accessibility statement reads as if it were unset.",
            id="core.W001",
        )
        for mistake in compliance().mistakes
    ]
