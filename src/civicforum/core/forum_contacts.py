"""The phone number residents can call about a forum. The app that holds it (recruitment's settings)
registers a lookup, so that pages of apps that cannot import that app, such as the forum's own page,
still print it.

    from civicforum.core import forum_contacts
    forum_contacts.register(phones_for)  # in your AppConfig.ready()

A lookup takes a list of forums and returns ``{forum.pk: phone}`` for those it knows a number for, in one
query however many forums a page lists (the accessibility statement lists every current forum).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

Lookup = Callable[[Sequence[Any]], dict[Any, str]]
_lookups: list[Lookup] = []


def register(lookup: Lookup) -> None:
    _lookups.append(lookup)


def phones_for(forums: Sequence[Any]) -> dict[Any, str]:
    """The number residents can call about each of ``forums``, by forum pk: the first a registered lookup
    knows, or "" when none does."""
    phones = {forum.pk: "" for forum in forums}
    for lookup in _lookups:
        missing = [forum for forum in forums if not phones[forum.pk]]
        if not missing:
            break
        phones.update({pk: phone for pk, phone in lookup(missing).items() if phone and pk in phones})
    return phones


def phone_for(forum: Any) -> str:
    """The number residents can call about ``forum``, or "" when no lookup knows one."""
    return phones_for([forum])[forum.pk]


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

    forums = list(
        Forum.objects.filter(published=True, ends_on__gte=timezone.localdate())
        .select_related("council")
        .order_by("council__name", "title")
    )
    phones = phones_for(forums)
    return [
        ForumContact(forum.council.name, forum.council.website, forum.title, phones[forum.pk])
        for forum in forums
    ]
