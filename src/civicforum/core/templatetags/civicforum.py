"""Template helpers: permission checks and small GOV.UK formatting aids."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def forum_can(context: template.Context, perm: str, forum: Any) -> bool:
    """``{% forum_can "processes.change_forum" forum as can_edit %}``: may the current user do this?"""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return bool(user is not None and user.has_perm(perm, forum))


@register.filter
def govuk_paragraphs(text: str) -> str:
    """Plain text with blank-line breaks as GOV.UK body paragraphs (escaped)."""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", str(text or "")) if part.strip()]
    return format_html_join("", '<p class="govuk-body">{}</p>', ((part,) for part in paragraphs))
