"""Template helpers: permission checks and small GOV.UK formatting aids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django import forms, template
from django.core.paginator import Page
from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join

from civicforum.core import audit

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
def error_links(form: forms.BaseForm) -> list[tuple[str, str]]:
    """The error summary's (box id, message) pairs: one per message of each field, linked to the box
    to correct, as GOV.UK asks. A date links to the box that holds the mistake, else its day box
    (its outer id is a <div>, which cannot take focus); radios and checkboxes to their first option,
    numbered from 1; errors not tied to a field to the form's first box."""
    visible = form.visible_fields()
    links = [(_first_box(visible[0]) if visible else "", str(error)) for error in form.non_field_errors()]
    for field in visible:
        parts = getattr(field.field, "fields", ())
        wrong_parts = [getattr(part.widget, "errors", []) for part in parts]
        for message in dict.fromkeys(str(error) for error in field.errors):
            part = next((n for n, errors in enumerate(wrong_parts) if message in map(str, errors)), None)
            links.append((f"{field.auto_id}_{part}" if part is not None else _first_box(field), message))
    return links


def _first_box(field: forms.BoundField) -> str:
    if getattr(field.field, "fields", ()):
        return f"{field.auto_id}_0"
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{field.auto_id}_1"
    return str(field.auto_id)


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
