"""Template helpers: permission checks and small GOV.UK formatting aids."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import format_html_join

register = template.Library()


def _current_user(context: template.Context) -> Any:
    return getattr(context.get("request"), "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def forum_can(context: template.Context, perm: str, forum: Any) -> bool:
    """``{% forum_can "processes.change_forum" forum as can_edit %}``: may the current user do this?"""
    user = _current_user(context)
    return bool(user is not None and user.has_perm(perm, forum))


@register.filter
def govuk_paragraphs(text: str) -> str:
    """Plain text with blank-line breaks as GOV.UK body paragraphs (escaped)."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", str(text or "")) if part.strip()]
    return format_html_join("", '<p class="govuk-body">{}</p>', ((part,) for part in paragraphs))


@register.simple_tag(takes_context=True)
def forum_links(context: template.Context, forum: Any, place: str) -> list[Any]:
    """``{% forum_links forum "staff" as links %}``: links other apps registered for this page."""
    from civicforum.core.forum_links import links_for

    user = _current_user(context)
    return links_for(user, forum, place) if user is not None else []
