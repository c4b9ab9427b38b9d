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
        recruiting_forum, officer, HOSTILE, HOSTILE, [("A", None), ("B", None)], False, special_category=False
    )
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())
    client.post(reverse("recruitment:register_step", args=[recruiting_forum.slug, "code"]), {"code": code})
    for step, shown in [("area", 1), (f"q-{question.key}", 3)]:  # hint; title, heading and hint
        page = client.get(reverse("recruitment:register_step", args=[recruiting_forum.slug, step])).content
        assert HOSTILE not in page.decode(), step
        assert page.decode().count(HOSTILE_ESCAPED) == shown, step


def test_pages_with_a_resident_s_details_are_never_kept_by_the_browser_or_a_proxy(
    client: Any, pool: Any, officer: Any
) -> None:
    """On a library computer the next person must not find, with the Back button or in the browser's
    cache, the name, contact details and answers (ethnicity, disability) someone has just entered or an
    officer has just looked at; nor may a proxy keep them."""
    forum = pool[0].forum
    slug = forum.slug
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=forum, respondents=None).first())
    steps = [reverse("recruitment:register_step", args=[slug, step]) for step in ("code", "name")]
    entered = client.post(steps[0], {"code": code})
    resident_pages = [entered, client.get(steps[1])]
    resident_pages += [
        client.get(reverse(f"recruitment:{name}", args=[slug]))
        for name in ("register_check", "withdraw_public", "withdrawn", "panel_reply", "panel_replied")
    ]
    client.force_login(officer)
    staff = [
        reverse(f"recruitment:{name}", kwargs={"forum_slug": slug})
        for name in (
            "panel",
            "respondents",
            "respondents_contacts_csv",
            "respondents_answers_csv",
            "panel_csv",
        )
    ]
    staff.append(reverse("recruitment:withdraw", kwargs={"forum_slug": slug, "respondent_id": pool[0].pk}))
    staff_pages = [client.get(url) for url in staff]
    for response in resident_pages + staff_pages:
        assert "no-store" in response["Cache-Control"], response.request["PATH_INFO"]
        assert "private" in response["Cache-Control"], response.request["PATH_INFO"]
    assert [response.status_code for response in staff_pages] == [200] * 6
