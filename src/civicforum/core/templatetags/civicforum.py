"""Template helpers: permission checks and small GOV.UK formatting aids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django import forms, template
from django.core.paginator import Page
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from civicforum.core import audit, passwords
from civicforum.core.error_summary import ErrorItem, error_title, form_errors, shown_messages

register = template.Library()


def _current_user(context: template.Context) -> Any:
    return getattr(context.get("request"), "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def forum_can(context: template.Context, perm: str, forum: Any) -> bool:
    """``{% forum_can "processes.change_forum" forum as can_edit %}``: may the current user do this?"""
    user = _current_user(context)
    return bool(user is not None and user.has_perm(perm, forum))


@register.simple_block_tag
def warning_text(content: str) -> str:
    """GOV.UK warning text around ``content``, which may hold links or other markup, drawn by the one
    include every warning uses (``core/includes/warning_text.html``)."""
    return render_to_string("core/includes/warning_text.html", {"text": content})


@register.simple_block_tag
def scrolling_table(content: str, label: str) -> str:
    """``content`` (a table) in a box that scrolls sideways on a narrow screen or at 400% zoom, so the
    page itself never does (WCAG 1.4.10). The box takes the keyboard focus, so it can be scrolled without
    a mouse, and is named ``label`` (the table's caption) for screen readers."""
    return format_html(
        '<div class="civicforum-table-scroll" role="region" aria-label="{}" tabindex="0">{}</div>',
        label,
        content,
    )


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


@register.simple_tag
def forum_phone(forum: Any) -> str:
    """``{% forum_phone forum as phone %}``: the number residents can call about the forum, or ""."""
    from civicforum.core.forum_contacts import phone_for

    return phone_for(forum)


@register.filter
def error_links(form: forms.BaseForm | str) -> list[ErrorItem]:
    """``{% include "core/includes/error_summary.html" with errors=form|error_links %}``: the lines of
    ``form``'s error summary (see ``error_summary.form_errors``)."""
    return form_errors(form)


register.filter("shown_messages", shown_messages)


@register.simple_block_tag(takes_context=True)
def title_with_errors(context: template.Context, content: str) -> str:
    """The page's <title> (``content``), starting 'Error: ' when the request has an error message; a page
    rendered without a request (the server error page) has no messages."""
    return error_title(content, context.get("messages") or ())


@register.simple_tag
def password_link_lifetime() -> str:
    """``{% password_link_lifetime %}``: how long a link to choose a password works ('3 days')."""
    return passwords.link_lifetime()


@register.filter
def audit_description(action: str) -> str:
    """An audit log action in words (see ``core.audit.DESCRIPTIONS``)."""
    return audit.describe(action)


@register.filter
def audit_details(event: Any) -> str:
    """An audit log entry's details in words (see ``core.audit.DETAILS``)."""
    return audit.summarise(event.action, event.details)


@register.filter
def page_numbers(page: Page[Any]) -> Iterator[int | str]:
    """The numbers GOV.UK pagination lists: the first, the last, the current page and its neighbours,
    with ``Paginator.ELLIPSIS`` for each gap, so a long log does not list hundreds of links."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)


@register.filter
def date_and_time(moment: Any) -> str:
    """'28 November 2026 at 1:19pm': a day and time as GOV.UK writes them, in the site's time zone
    (Django's 'p.m.' ended a sentence in a second full stop)."""
    if not moment:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{date_format(local, 'j F Y')} at {clock_time(local)}"


def clock_time(local: Any) -> str:
    """A time of day as GOV.UK writes it: '1:19pm', 'midday', 'midnight'."""
    if local.minute == 0 and local.hour in (0, 12):
        return "midnight" if local.hour == 0 else "midday"
    return f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
