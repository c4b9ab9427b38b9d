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


def test_an_officer_records_the_support_a_member_accepting_by_phone_needs(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Registration by phone asked for support needs too; a member now accepting by phone tells the
    officer, who had nowhere to record it."""
    from tests.recruitment.conftest import staff_url

    from civicforum.core.models import AuditEvent

    forum = pool[0].forum
    draw_panel(forum, officer)
    phoned, declined = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id")[:2]
    PanelMember.objects.filter(pk=declined.pk).update(status=MemberStatus.DECLINED)
    client = signed_in_client(officer)
    support = reverse("recruitment:member_support", args=[forum.slug, phoned.pk])
    assert f'href="{support}">Support needs' in client.get(staff_url("panel", forum)).content.decode()

    page = html.unescape(client.get(support).content.decode())
    assert f"What support does {phoned.respondent.full_name} need to take part?" in page
    assert AuditEvent.objects.filter(
        action="recruitment.personal_data_viewed", details__what="member support needs"
    )
    assert client.post(support, {"access_needs": " Wheelchair access "}).status_code == 302
    assert Respondent.objects.get(pk=phoned.respondent_id).access_needs == "Wheelchair access"
    assert AuditEvent.objects.filter(action="recruitment.support_needs_changed", actor=officer).exists()
    declined_support = reverse("recruitment:member_support", args=[forum.slug, declined.pk])
    assert client.get(declined_support).status_code == 404  # support only for members taking part


@pytest.mark.browser
def test_the_support_needs_pages_pass_the_accessibility_check(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    from playwright.sync_api import expect
    from tests.factories import PASSWORD

    forum = pool[0].forum
    draw_panel(forum, officer)
    member = PanelMember.objects.filter(forum=forum).order_by("id").first()
    page.goto(f"{live_server.url}{reverse('recruitment:panel_reply', args=[forum.slug])}")
    axe_check(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('recruitment:member_support', args=[forum.slug, member.pk])}")
    axe_check(page)
    page.get_by_label("What support does").fill("Large print")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Support needs of")
    assert Respondent.objects.get(pk=member.respondent_id).access_needs == "Large print"
