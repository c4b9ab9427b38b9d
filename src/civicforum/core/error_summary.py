"""What a page's one GOV.UK error summary lists (``core/includes/error_summary.html`` draws it).

Forms, refused uploads, quota boxes and error-level messages each become ``ErrorItem`` lines, so every
page shows its problems with the same markup, each linked to the box that corrects it where there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from django import forms
from django.contrib import messages
from django.utils.html import format_html


class ErrorItem(NamedTuple):
    """One line of an error summary: what is wrong, and the id of the box to correct it in ("" when no box
    on the page can: the line is then plain text, as for a refusal that has nothing to do with a field)."""

    text: str
    link: str = ""


class ShownMessages(NamedTuple):
    """A request's messages as its page shows them: errors in an error summary, others in banners."""

    errors: list[ErrorItem]
    banners: list[Any]


def form_errors(*page_forms: forms.BaseForm | str | None) -> list[ErrorItem]:
    """The error summary's lines for each form in turn (``None``, or "" from a template, for a form the
    page does not show): one per message of each field, linked to the box to correct, as GOV.UK asks. A
    date links to the box that holds the mistake, else its day box (its outer id is a <div>, which cannot
    take focus); radios and checkboxes to their first option, numbered from 1; errors not tied to a field
    to the form's first box."""
    return [item for form in page_forms if isinstance(form, forms.BaseForm) for item in _form_errors(form)]


def _form_errors(form: forms.BaseForm) -> list[ErrorItem]:
    visible = form.visible_fields()
    first = _first_box(visible[0]) if visible else ""
    items = [ErrorItem(str(error), first) for error in form.non_field_errors()]
    for field in visible:
        parts = getattr(field.field, "fields", ())
        wrong_parts = [getattr(part.widget, "errors", []) for part in parts]
        for message in dict.fromkeys(str(error) for error in field.errors):
            part = next((n for n, errors in enumerate(wrong_parts) if message in map(str, errors)), None)
            box = f"{field.auto_id}_{part}" if part is not None else _first_box(field)
            items.append(ErrorItem(message, box))
    return items


def _first_box(field: forms.BoundField) -> str:
    if getattr(field.field, "fields", ()):
        return f"{field.auto_id}_0"
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{field.auto_id}_1"
    return str(field.auto_id)


def shown_messages(request_messages: Iterable[Any]) -> ShownMessages:
    """Split the request's messages: an error-level one (a refusal after a redirect) belongs in an error
    summary, announced and focused like a form's errors, and makes the page's title start 'Error: '."""
    errors: list[ErrorItem] = []
    banners: list[Any] = []
    for message in request_messages:
        if message.level >= messages.ERROR:
            errors.append(ErrorItem(str(message)))
        else:
            banners.append(message)
    return ShownMessages(errors, banners)


ERROR_PREFIX = "Error: "


def error_title(title: str, request_messages: Iterable[Any]) -> str:
    """The page's <title>, starting 'Error: ' when an error message is shown (GOV.UK's pattern). A page
    whose own form has errors already starts its title so, and is not given the prefix twice."""
    if shown_messages(request_messages).errors and not title.startswith(ERROR_PREFIX):
        return format_html("{}{}", ERROR_PREFIX, title)
    return title
