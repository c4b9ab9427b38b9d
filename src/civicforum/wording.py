"""Counts in words, for messages and reports: "1 panel", "1,300 people", "2 volunteers have".

Plain Python, so that engines and Django apps can both use it (Django's ``pluralize`` filter stays in
templates).
"""

from __future__ import annotations


def whole_number(value: int) -> str:
    """A whole number as people write it: 1,500 rather than 1500."""
    return f"{value:,}"


def plural(count: int, one: str, many: str) -> str:
    """``one`` when ``count`` is exactly 1, else ``many``: 0 takes the plural ("0 volunteers"). Works for
    verbs too: ``plural(n, "is", "are")``."""
    return one if count == 1 else many


def counted(count: int, one: str, many: str) -> str:
    """``count`` as people write it and the words that go with it: "1 panel", "1,000 panels",
    "2 members were"."""
    return f"{whole_number(count)} {plural(count, one, many)}"
