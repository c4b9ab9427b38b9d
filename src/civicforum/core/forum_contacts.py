"""The phone number residents can call about a forum. The app that holds it (recruitment's settings)
registers a lookup, so that pages of apps that cannot import that app, such as the forum's own page,
still print it.

    from civicforum.core import forum_contacts
    forum_contacts.register(lambda forum: ...)  # in your AppConfig.ready(); return "" if none
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

_lookups: list[Callable[[Any], str]] = []


def register(lookup: Callable[[Any], str]) -> None:
    _lookups.append(lookup)


def phone_for(forum: Any) -> str:
    """The first number a registered lookup knows for ``forum``, or "" when none does."""
    return next((phone for lookup in _lookups if (phone := lookup(forum))), "")


@dataclass(frozen=True)
class ForumContact:
    """Whom a resident contacts about one forum: its council (and website) and the forum's number."""

    council: str
    council_website: str
    forum: str
    phone: str


def public_contacts() -> list[ForumContact]:
    """The contact for each published forum not yet over, for site-wide pages such as the accessibility
    statement; ``phone`` is "" where the council has not set a number for that forum."""
    from civicforum.processes.models import Forum

    forums = Forum.objects.filter(published=True, ends_on__gte=timezone.localdate()).select_related("council")
    return [
        ForumContact(forum.council.name, forum.council.website, forum.title, phone_for(forum))
        for forum in forums.order_by("council__name", "title")
    ]
