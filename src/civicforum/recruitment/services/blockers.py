"""Why an officer's step cannot be taken yet, in one shape for every step's page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Blocker:
    """Why the step cannot be taken now, and a link to the page where the officer can put it right
    (``recruitment/blocker.html`` shows both)."""

    text: str
    fix_label: str
    fix_url: str
