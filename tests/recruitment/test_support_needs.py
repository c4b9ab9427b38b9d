"""Support needs (often health data) are asked only of members accepting their place, when they reply,
not of everyone registering: nothing before the draw uses them (UK GDPR art. 5(1)(c), data minimisation)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import draw_panel
from tests.recruitment.test_views import ANSWERS

from civicforum.recruitment.models import Invitation, MemberStatus, PanelMember, Respondent
from civicforum.recruitment.services import civic_lottery

pytestmark = pytest.mark.django_db


def test_registering_never_asks_what_support_someone_needs(client: Any, recruiting_forum: Any) -> None:
    forum = recruiting_forum
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=forum).first())
    for name, data in [("code", {"code": code}), *ANSWERS]:
        response = client.post(reverse("recruitment:register_step", args=[forum.slug, name]), data)
        assert response.status_code == 302, name
    assert client.get(reverse("recruitment:register_step", args=[forum.slug, "access"])).status_code == 404
    check = client.get(reverse("recruitment:register_check", args=[forum.slug])).content.decode()
    assert "Check your answers" in html.unescape(check) and "Support you need" not in check
    client.post(reverse("recruitment:register_check", args=[forum.slug]))
    assert Respondent.objects.get(forum=forum).access_needs == ""


def reply(client: Any, member: PanelMember, answer: str, access_needs: str) -> str:
    respondent = member.respondent
    posted = {
        "reference": respondent.reference,
        "contact": respondent.email,
        "answer": answer,
        "access_needs": access_needs,
    }
    return client.post(reverse("recruitment:panel_reply", args=[member.forum.slug]), posted).content.decode()


def test_a_member_accepting_their_place_says_what_support_they_need_and_one_declining_keeps_none(
    client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    draw_panel(forum, officer)
    accepting, declining, registered_before = PanelMember.objects.filter(forum=forum).order_by("id")[:3]
    form = client.get(reverse("recruitment:panel_reply", args=[forum.slug])).content.decode()
    assert "If you can take part, do you need any support? (optional)" in form

    assert "Your place is confirmed" in reply(client, accepting, "yes", "  Step-free access ")
    assert "We will offer your place" in reply(client, declining, "no", "A hearing loop")
    # Registered when the form still asked: that answer is kept, and what they add now joins it.
    Respondent.objects.filter(pk=registered_before.respondent_id).update(access_needs="Large print")
    reply(client, registered_before, "yes", "A quiet room")

    def needs(member: PanelMember) -> str:
        member.refresh_from_db()
        return Respondent.objects.get(pk=member.respondent_id).access_needs

    assert needs(accepting) == "Step-free access" and accepting.status == MemberStatus.CONFIRMED
    assert needs(declining) == "" and declining.status == MemberStatus.DECLINED
    assert needs(registered_before) == "Large print\nA quiet room"


def test_the_privacy_notice_says_support_needs_are_asked_only_of_members(
    client: Any, recruiting_forum: Any
) -> None:
    notice = html.unescape(client.get(f"/forums/{recruiting_forum.slug}/register/privacy/").content.decode())
    assert "If you are chosen and accept your place, any support you need to take part" in notice
    assert "Which sessions you can attend and any support you need" not in notice
