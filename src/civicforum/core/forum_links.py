"""Links other apps add to a forum's public page and staff page, so each app stays self-contained.

Register once at import time, for example in ``yourapp/apps.py`` ``ready()``::

    from civicforum.core.forum_links import ForumLink, register

    register(ForumLink(
        place="public", label="Register your interest", url_name="recruitment:register_start",
        description="If you received a letter, sign up here.", stages=("recruitment",),
    ))
    register(ForumLink(place="staff", label="Recruitment", url_name="recruitment:overview",
                       perm="recruitment.view_pool"))

The URL is reversed with ``forum_slug``. A link shows only to users with ``perm`` on the forum
(``None``: everyone), if ``stages`` is given only while the forum is in one of them, and if
``available`` is given only while it returns True for the forum (e.g. once a record is published,
so that nobody follows a link to a page that does not exist yet).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.urls import reverse

Place = Literal["public", "staff"]


@dataclass(frozen=True)
class ForumLink:
    place: Place
    label: str
    url_name: str
    perm: str | None = None
    description: str = ""
    stages: tuple[str, ...] = ()
    order: int = 100
    available: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class ShownLink:
    label: str
    url: str
    description: str


_links: dict[tuple[str, str], ForumLink] = {}


def register(link: ForumLink) -> ForumLink:
    """Add (or replace, by place and URL name) a link."""
    _links[(link.place, link.url_name)] = link
    return link


def links_for(user: Any, forum: Any, place: Place) -> list[ShownLink]:
    shown = []
    for link in sorted(_links.values(), key=lambda link: (link.order, link.label)):
        if link.place != place or (link.stages and forum.current_stage not in link.stages):
            continue
        if link.perm is not None and not user.has_perm(link.perm, forum):
            continue
        if link.available is not None and not link.available(forum):
            continue
        url = reverse(link.url_name, kwargs={"forum_slug": forum.slug})
        shown.append(ShownLink(label=link.label, url=url, description=link.description))
    return shown
