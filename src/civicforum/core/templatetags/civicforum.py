"""Template helpers: permission checks and small GOV.UK formatting aids."""

from __future__ import annotations

import re
from typing import Any

from crispy_forms_gds.templatetags.crispy_forms_gds import field_errors
from django import forms, template
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


def _first_input_id(field: Any) -> str:
    # crispy-forms-gds numbers radios and checkboxes from 1; the field's own id names no element.
    several = isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
    return f"{field.auto_id}_1" if several else field.auto_id


@register.filter
def error_summary_links(form: Any) -> list[tuple[str, str]]:
    """(id, message) for each link in a form's GOV.UK error summary: each goes to the box or the first
    option to fix, so keyboard and screen reader users land on it, with or without JavaScript."""
    fields = form.visible_fields()
    first = _first_input_id(fields[0]) if fields else ""
    links = [(first, str(error)) for error in form.non_field_errors()]
    for field in fields:
        target = _first_input_id(field)
        for field_id, errors in field_errors(field):
            links += [(target if field_id == field.auto_id else field_id, str(error)) for error in errors]
    return links
