"""Support needs (often health data) are asked only of members accepting their place, when they reply,
not of everyone registering: nothing before the draw uses them (UK GDPR art. 5(1)(c), data minimisation)."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import draw_panel, mark_invited, one_invitation_sent
from tests.recruitment.test_views import ANSWERS

from civicforum.recruitment.models import (
    Invitation,
    MemberStatus,
    PanelMember,
    RecruitmentSettings,
    Respondent,
)
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
    url = reverse("recruitment:panel_reply", args=[member.forum.slug])
    return client.post(url, posted, follow=True).content.decode()


def test_a_member_accepting_their_place_says_what_support_they_need_and_one_declining_keeps_none(
    client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
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
    """Both the notice and the reply page that asks say when support needs are asked, why, who sees them
    and when they are deleted (the reply page said nothing of it; the notice said neither who nor when)."""
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(retention_until=date(2027, 9, 30))
    one_invitation_sent(recruiting_forum)
    notice = html.unescape(client.get(f"/forums/{recruiting_forum.slug}/register/privacy/").content.decode())
    reply_page = client.get(reverse("recruitment:panel_reply", args=[recruiting_forum.slug])).content.decode()
    for page in (notice, html.unescape(reply_page)):
        assert "only if you are chosen, when you accept your place" in page  # when
        assert "only to arrange that support, and not to choose anyone" in page  # why
        assert "Only the council officers running the forum see it" in page  # who
        assert "If you cannot take part, we do not keep it" in page and "on 30 September 2027" in page
    assert "Which sessions you can attend and any support you need" not in notice
    site_notice = html.unescape(client.get(reverse("privacy")).content.decode())
    assert (
        "Only the officers running the forum see it. If you cannot take part, we do not keep it"
        in site_notice
    )


def test_an_officer_records_the_support_a_member_accepting_by_phone_needs(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Registration by phone asked for support needs too; a member now accepting by phone tells the
    officer, who had nowhere to record it."""
    from tests.recruitment.conftest import staff_url

    from civicforum.core.models import AuditEvent

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    phoned, declined = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id")[:2]
    PanelMember.objects.filter(pk=declined.pk).update(status=MemberStatus.DECLINED)
    client = signed_in_client(officer)
    support = reverse("recruitment:member_support", args=[forum.slug, phoned.pk])
    assert f'href="{support}">Support needs' in client.get(staff_url("panel", forum)).content.decode()

    page = html.unescape(client.get(support).content.decode())
    assert f"What support does {phoned.respondent.full_name} need to take part?" in page
    assert "It is deleted if the member declines their place" in page
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
    from tests.factories import sign_in_browser

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).order_by("id").first()
    page.goto(f"{live_server.url}{reverse('recruitment:panel_reply', args=[forum.slug])}")
    axe_check(page)
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}{reverse('recruitment:member_support', args=[forum.slug, member.pk])}")
    axe_check(page)
    page.get_by_label("What support does").fill("Large print")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Support needs of")
    assert Respondent.objects.get(pk=member.respondent_id).access_needs == "Large print"


def needs_of(member: PanelMember) -> str:
    return Respondent.objects.get(pk=member.respondent_id).access_needs


def test_a_member_who_declines_keeps_no_support_needs_even_those_given_before(
    client: Any, pool: Any, officer: Any
) -> None:
    """'Kept only if they accept': a member declining online, or an officer recording that a member who
    had accepted now cannot come, leaves nothing about their support (often health) behind, which no
    page or file shows a declined member's and only the purge would otherwise delete."""
    from civicforum.recruitment.services import selection

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    registered_before, accepted = PanelMember.objects.filter(forum=forum).order_by("id")[:2]
    Respondent.objects.filter(pk=registered_before.respondent_id).update(access_needs="Large print")
    page = reply(client, registered_before, "no", "A hearing loop")
    assert "We have not kept what you wrote about support" in html.unescape(page)
    assert needs_of(registered_before) == ""

    reply(client, accepted, "yes", "Step-free access")
    selection.set_member_status(accepted, MemberStatus.DECLINED, officer)  # they phoned: cannot come
    assert needs_of(accepted) == ""


def test_a_confirmed_member_replying_again_adds_the_support_they_need(
    client: Any, pool: Any, officer: Any
) -> None:
    """A member who remembers something after accepting could only be told 'We already have a reply';
    what they typed was lost. Accepting again adds it; declining after accepting still needs a call."""
    from django.db import connection

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).order_by("id").first()
    reply(client, member, "yes", "Step-free access")
    page = html.unescape(reply(client, member, "yes", "A hearing loop"))
    assert "Your place is confirmed" in page and "We have noted the support you need" in page
    assert needs_of(member) == "Step-free access\nA hearing loop"
    assert "We already have a reply for this place" in html.unescape(reply(client, member, "no", ""))
    assert needs_of(member) == "Step-free access\nA hearing loop"
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute(
            "SELECT access_needs FROM recruitment_respondent WHERE id = %s", [member.respondent_id]
        )
        assert "hearing" not in str(cursor.fetchone()[0]).lower()


def test_support_needs_a_member_gives_online_are_in_the_audit_log_without_what_they_are(
    client: Any, pool: Any, officer: Any
) -> None:
    """An officer's changes were logged, but not what a member gave on the reply page: the log showed no
    one had ever given them. It now says that the member did, online, and never what (often health)."""
    from tests.web.test_audit_log import rows

    from civicforum.core.models import AuditEvent

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    first, declining, without = PanelMember.objects.filter(forum=forum).order_by("id")[:3]
    reply(client, first, "yes", "Step-free access")
    reply(client, first, "yes", "A hearing loop")
    reply(client, declining, "no", "Large print")  # not kept, so not given
    reply(client, without, "yes", "  ")

    events = AuditEvent.objects.filter(action="recruitment.support_needs_given").order_by("id")
    assert [(e.actor, e.target_id, e.details) for e in events] == [
        (None, str(first.respondent_id), {"given": "none recorded before"}),
        (None, str(first.respondent_id), {"given": "added to those recorded before"}),
    ]
    client.force_login(officer)
    log = client.get(reverse("processes:audit_log", args=[forum.slug]))
    given = [row[1:] for row in rows(log) if "support they need" in row[2]]
    assert given == [
        ["System", "A member gave the support they need, replying online", "added to those recorded before"],
        ["System", "A member gave the support they need, replying online", "none recorded before"],
    ]
    recorded = " ".join(
        str(value) for event in AuditEvent.objects.all() for value in (event.details, event.target_label)
    )
    assert "step-free" not in recorded.lower() and "hearing loop" not in recorded.lower()


def test_support_needs_are_kept_as_read_without_control_characters_and_counted_as_gov_uk_does(
    client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    first, second = PanelMember.objects.filter(forum=forum).order_by("id")[:2]
    form = client.get(reverse("recruitment:panel_reply", args=[forum.slug])).content.decode()
    assert 'data-module="govuk-character-count" data-maxlength="1000"' in form
    assert "You can enter up to 1000 characters" in form  # without JavaScript too (GOV.UK's own fallback)
    assert "maxlength" not in form.split('name="access_needs"')[1].split(">")[0]  # never cut silently

    hebrew = "\u05e2\u05d1\u05e8\u05d9\u05ea"
    reply(
        client,
        first,
        "yes",
        f"Ramp\x07\x1b\r\nLarge\x00 print\x7f \u202etxet\u202c \u2067{hebrew}\u2069\u200f",
    )
    # Bidirectional overrides and isolates go too (they reorder what the officer sees); the RTL mark stays.
    assert needs_of(first) == f"Ramp\nLarge print txet {hebrew}\u200f"
    # 1000 characters as the count shows them (a line break is one), though the browser sends 1001.
    reply(client, second, "yes", "a" * 499 + "\r\n" + "b" * 500)
    assert needs_of(second) == "a" * 499 + "\n" + "b" * 500
    too_long = html.unescape(reply(client, first, "yes", "c" * 1001))
    assert "The support you need must be 1,000 characters or fewer" in too_long


def test_a_wrong_or_another_forum_s_reference_keeps_nothing_and_guessing_is_stopped(
    client: Any, pool: Any, officer: Any
) -> None:
    """Support needs are stored only under a reference and contact detail that match on this forum; each
    miss counts towards the limit, after which even the right pair is refused until it passes."""
    from tests.factories import make_forum

    from civicforum.recruitment.services.registration import MAX_FAILED_CODE_CHECKS

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    elsewhere = make_forum(council=forum.council, published=True)
    posted = {
        "reference": member.respondent.reference,
        "contact": member.respondent.email,
        "answer": "yes",
        "access_needs": "A hearing loop",
    }
    one_invitation_sent(elsewhere)
    other_forum = client.post(reverse("recruitment:panel_reply", args=[elsewhere.slug]), posted)
    assert "We could not find a registration" in html.unescape(other_forum.content.decode())
    reply_url = reverse("recruitment:panel_reply", args=[forum.slug])
    for _ in range(MAX_FAILED_CODE_CHECKS - 1):
        client.post(reply_url, {**posted, "reference": "R-AAAAAAAA"})
    refused = html.unescape(client.post(reply_url, posted).content.decode())
    assert "You have made too many attempts" in refused
    assert needs_of(member) == "" and PanelMember.objects.get(pk=member.pk).status == MemberStatus.SELECTED


def test_what_a_member_adds_online_joins_what_an_officer_saved_meanwhile(pool: Any, officer: Any) -> None:
    """The reply read the registration before recording it; support an officer recorded in between (the
    member had phoned too) was overwritten by the older copy plus the new answer."""
    from civicforum.recruitment.services import registration

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    PanelMember.objects.filter(pk=member.pk).update(status=MemberStatus.CONFIRMED)
    member.status = MemberStatus.CONFIRMED  # as the reply returns it, with the registration read before
    registration.change_support_needs(Respondent.objects.get(pk=member.respondent_id), "Large print", officer)
    registration.record_support_needs(member, "A hearing loop")
    assert needs_of(member) == "Large print\nA hearing loop"


def test_the_reply_and_the_officer_s_page_take_support_needs_alike() -> None:
    """Each form defined its own support needs field, sharing only the limit, so the member's and the
    officer's could drift apart in length, clean-up or message; they now share one definition."""
    from civicforum.recruitment.forms import PanelReplyForm, SupportNeedsForm

    def boxes(access_needs: str) -> dict[str, Any]:
        """Both forms sent ``access_needs``, by what their error messages call the box."""
        reply = {"reference": "R-K7QX2MBH", "contact": "ann@example.org", "answer": "yes"}
        return {
            "The support you need": PanelReplyForm({**reply, "access_needs": access_needs}),
            "The support they need": SupportNeedsForm({"access_needs": access_needs}, name="Ann Example"),
        }

    hostile = " \u202eRamp\u202c\x07\r\n" + "a" * 994 + "\u2066\u200f\x00 "  # 1000 characters once cleaned
    for name, form in boxes(hostile).items():
        assert form.is_valid(), name
        assert form.cleaned_data["access_needs"] == "Ramp\n" + "a" * 994 + "\u200f", name
    for name, form in boxes(hostile + "b").items():
        assert form.errors == {"access_needs": [f"{name} must be 1,000 characters or fewer"]}, name


def test_reloading_the_reply_received_page_shows_it_again_and_keeps_the_support_needs_once(
    client: Any, pool: Any, officer: Any
) -> None:
    """The result was the answer to the form's post: reloading it (F5, 'Resubmit') posted the reply again
    and the support needs were added a second time. The result is now a page of its own, and the same
    text sent again (a double click) is not added twice; replying again to add something still adds it,
    and declining after accepting is still refused."""
    from django.test import Client

    from civicforum.core.models import AuditEvent

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    posted = {
        "reference": member.respondent.reference,
        "contact": member.respondent.email,
        "answer": "yes",
        "access_needs": "Step-free access\r\nA hearing loop",
    }
    reply_url = reverse("recruitment:panel_reply", args=[forum.slug])
    received = reverse("recruitment:panel_replied", args=[forum.slug])
    response = client.post(reply_url, posted)
    assert response.status_code == 302 and response.url == received
    for _ in range(2):  # shown, then reloaded
        page = html.unescape(client.get(received).content.decode())
        assert "Your place is confirmed" in page and "We have noted the support you need" in page
    client.post(reply_url, posted)  # sent twice
    assert needs_of(member) == "Step-free access\nA hearing loop"
    assert AuditEvent.objects.filter(action="recruitment.support_needs_given").count() == 1
    reply(client, member, "yes", "Large print")
    assert needs_of(member) == "Step-free access\nA hearing loop\nLarge print"
    assert "We already have a reply for this place" in html.unescape(reply(client, member, "no", ""))
    assert Client().get(received).url == reply_url  # another browser is shown nobody's reply


def test_support_needs_already_recorded_are_not_added_again_but_a_part_of_a_line_is() -> None:
    from civicforum.recruitment.services.registration import already_recorded

    assert already_recorded("Step-free access", "Step-free access")
    assert already_recorded("Large print\nRamp\nA quiet room", "Ramp\nA quiet room")
    assert not already_recorded("", "Ramp")
    assert not already_recorded("Ramp access", "Ramp")
    assert not already_recorded("Large print\nRamp", "Ramp\nA quiet room")


def test_declining_sent_twice_shows_the_same_reply_received_page(
    client: Any, pool: Any, officer: Any
) -> None:
    """A double click on 'Send reply' sent the decline twice: the second was told 'We already have a reply
    for this place', though it was the same reply."""
    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)  # members reply to their invitation
    declining, other = PanelMember.objects.filter(forum=forum).order_by("id")[:2]
    reply(client, declining, "no", "")
    page = html.unescape(reply(client, declining, "no", ""))
    assert "We will offer your place to someone else" in page and "We already have a reply" not in page
    reply(client, other, "yes", "")
    assert "We already have a reply for this place" in html.unescape(reply(client, other, "no", ""))


def test_before_any_invitation_the_reply_page_says_none_has_been_sent(
    client: Any, pool: Any, officer: Any
) -> None:
    """The reply form was shown before any place was offered, and refused every reference given it: the
    page now says no invitation has been sent yet and how one arrives, until the first is sent."""
    forum = pool[0].forum
    draw_panel(forum, officer)
    url = reverse("recruitment:panel_reply", args=[forum.slug])
    for page in (client.get(url), client.post(url, {"reference": "R-AAAAAAAA", "contact": "a@example.org"})):
        text = html.unescape(page.content.decode())
        assert page.status_code == 200
        assert f"No invitations to join the panel for {forum.title} have been sent yet." in text
        assert 'name="reference"' not in text
    mark_invited(forum)
    assert 'name="reference"' in client.get(url).content.decode()
