"""The phone number residents can call about a forum. The app that holds it (recruitment's settings)
registers a lookup, so that pages of apps that cannot import that app, such as the forum's own page,
still print it.

    from civicforum.core import forum_contacts
    forum_contacts.register(lambda forum: ...)  # in your AppConfig.ready(); return "" if none
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_lookups: list[Callable[[Any], str]] = []


def register(lookup: Callable[[Any], str]) -> None:
    _lookups.append(lookup)


def phone_for(forum: Any) -> str:
    """The first number a registered lookup knows for ``forum``, or "" when none does."""
    return next((phone for lookup in _lookups if (phone := lookup(forum))), "")
