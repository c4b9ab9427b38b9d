"""What the accessibility statement may claim: the compliance status and dates the council has set.

The regulations ask the statement to say how far the site meets WCAG 2.2 AA, but only the council can say
so, after testing it: CivicForum's own tests are no such claim. 'Partially compliant' is stated only with the
problems listed, as the regulations require; anything less reads as not yet stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

FULL = "full"
PARTIAL = "partial"


@dataclass(frozen=True)
class Compliance:
    """``status``: FULL, PARTIAL or "" (not yet stated); ``problems``: the failures a partial status lists."""

    status: str
    problems: tuple[str, ...]
    tested: date | None
    prepared: date | None

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
    """The council's statement of compliance, from the settings; a date that is not YYYY-MM-DD is unset."""
    status = settings.CIVICFORUM_ACCESSIBILITY_STATUS.strip().lower()
    problems = tuple(settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS)
    if status not in (FULL, PARTIAL) or (status == PARTIAL and not problems):
        status = ""
    return Compliance(
        status,
        problems if status == PARTIAL else (),
        _date(settings.CIVICFORUM_ACCESSIBILITY_TESTED),
        _date(settings.CIVICFORUM_ACCESSIBILITY_PREPARED),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
