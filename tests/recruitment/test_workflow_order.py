"""The officer's steps in the order that keeps the draw fair: the questions before registration opens,
registration closed before the panel is drawn, and nobody joining the pool once it is closed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from tests.recruitment.conftest import close_registration
from tests.recruitment.test_resident_journey import answer_every_step

from civicforum.recruitment.models import Invitation, RecruitmentSettings, Respondent, SelectionRun
from civicforum.recruitment.services import civic_lottery, quotas, registration, selection

pytestmark = pytest.mark.django_db


def staff_url(name: str, forum: Any) -> str:
    return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug})


def open_registration(forum: Any) -> None:
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)


def test_a_panel_is_drawn_only_once_registration_has_closed(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """People registering after the draw would change the pool the published record says was drawn
    from, so the draw waits until registration is closed, and the page says where to close it."""
    forum = pool[0].forum
    open_registration(forum)
    client = signed_in_client(officer)
    page = client.get(staff_url("start_selection", forum)).content.decode()
    assert "Registration is still open, so people could join after the draw" in page
    assert f'href="{staff_url("settings", forum)}">Close registration in the recruitment settings</a>' in page
    assert "Selection method" not in page
    refused = client.post(staff_url("start_selection", forum), {"algorithm": "legacy", "seed": "s"})
    assert refused.status_code == 200 and "Registration is still open" in refused.content.decode()
    with pytest.raises(selection.DrawBlocked):
        selection.start_run(forum, officer, "legacy", seed="s")
    assert not SelectionRun.objects.exists()

    close_registration(forum)
    started = client.post(staff_url("start_selection", forum), {"algorithm": "legacy", "seed": "s"})
    assert started.status_code == 302 and SelectionRun.objects.filter(forum=forum).count() == 1


def test_someone_still_filling_in_the_form_when_registration_closes_is_told_and_not_registered(
    client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """The check-your-answers page saved a registration even after the officer had closed registration
    (perhaps to draw the panel); now the resident is told registration has closed and whom to call."""
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(phone="01632 960 123")
    answer_every_step(client, recruiting_forum, civic_lottery.issue_code(invitation))
    close_registration(recruiting_forum)
    response = client.post(reverse("recruitment:register_check", args=[recruiting_forum.slug]))
    page = response.content.decode()
    assert response.status_code == 403 and "Registration is closed" in page
    assert "you have not been registered" in page and "call us on 01632 960 123" in page
    assert not Respondent.objects.filter(forum=recruiting_forum).exists()
    # An officer can still register someone on their behalf, for example from a paper form sent in time.
    details = registration.Registration(full_name="Alan Turing", phone="01632 960001")
    assert registration.register(recruiting_forum, invitation, details, officer).registered_by == officer


def test_registration_opens_only_once_the_questions_are_set_and_not_during_a_draw(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Registration could be opened with no questions set up, so the first registrants were never asked
    what the quotas count; and reopening it while a panel was being drawn let the pool change mid-draw."""
    client = signed_in_client(officer)
    url = staff_url("settings", forum)
    data = {"registration_open": "on", "adults_per_household": "2", "phone": "", "session_dates": ""}
    page = client.post(url, data).content.decode()
    assert "<title>Error: Recruitment settings" in page
    assert "Add the questions registrants answer, such as their age group, before opening" in page
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open

    quotas.add_question(forum, officer, "How old are you?", "", [("16 to 29", None), ("30+", None)], True)
    SelectionRun.objects.create(forum=forum, panel_size=forum.panel_size, status="running")
    page = client.post(url, data).content.decode()
    assert "A panel is being drawn from the people registered so far" in page
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open

    SelectionRun.objects.filter(forum=forum).update(status="done")
    assert client.post(url, data).status_code == 302
    assert RecruitmentSettings.objects.get(forum=forum).registration_open
