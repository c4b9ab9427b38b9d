"""Attacks a council's penetration tester would try on recruitment pages, each refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from civicforum.recruitment.models import Invitation
from civicforum.recruitment.services import civic_lottery, quotas

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def test_officers_words_on_the_registration_pages_are_shown_as_text_not_html(
    client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """crispy-forms-gds prints a question's label and hint unescaped: the forum's area (in the area
    question's hint) and a quota question's wording must reach the public page as text."""
    recruiting_forum.area = HOSTILE
    recruiting_forum.save()
    question = quotas.add_question(
        recruiting_forum, officer, HOSTILE, HOSTILE, [("A", None), ("B", None)], False
    )
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())
    client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, "code"]), {"code": code})
    for step, shown in [("area", 1), (f"q-{question.key}", 3)]:  # hint; title, heading and hint
        page = client.get(reverse("recruitment:register_step", args=[recruiting_forum.slug, step])).content
        assert HOSTILE not in page.decode(), step
        assert page.decode().count(HOSTILE_ESCAPED) == shown, step
