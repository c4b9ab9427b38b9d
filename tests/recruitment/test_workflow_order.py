"""The officer's steps in the order that keeps the draw fair: the questions before registration opens,
registration closed before the panel is drawn, and nobody joining the pool once it is closed."""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from tests.recruitment.conftest import (
    SEND_INVITATIONS,
    add_age_question,
    close_registration,
    draw_panel,
    finish_run,
    open_registration,
    publish_selection,
    registered,
    run_selection,
    staff_url,
)
from tests.recruitment.test_resident_journey import answer_every_step

from civicforum.recruitment.models import (
    Invitation,
    MemberStatus,
    PanelMember,
    QuotaCategory,
    RecruitmentSettings,
    Respondent,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import (
    civic_lottery,
    panel_invitations,
    quotas,
    registration,
    selection,
    synthetic,
)
from civicforum.recruitment.services.blockers import Blocker

pytestmark = pytest.mark.django_db


OPENING = {"registration_open": "on", "adults_per_household": "2", "phone": "", "session_dates": ""}


def assert_opening_refused(client: Any, forum: Any, reason: str) -> None:
    """Ticking 'Registration is open' on the settings page is refused, saying ``reason``."""
    page = client.post(staff_url("settings", forum), OPENING).content.decode()
    assert "<title>Error: Recruitment settings" in page and reason in page
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open


CLOSING = {"adults_per_household": "2", "phone": "", "session_dates": ""}


@pytest.mark.parametrize("query", ["", "?replacements=1"])
def test_closing_registration_from_the_selection_page_leads_back_to_it(
    signed_in_client: Any, pool: Any, officer: Any, query: str
) -> None:
    """The selection page's warning links to the settings page; once the officer has closed registration
    there they come back to the draw they were starting, not to the overview."""
    forum = pool[0].forum
    if query:  # replacements are drawn once a member has declined
        draw_panel(forum, officer)
        declined = PanelMember.objects.filter(forum=forum).first()
        PanelMember.objects.filter(pk=declined.pk).update(status=MemberStatus.DECLINED)
    open_registration(forum)
    client = signed_in_client(officer)
    page = client.get(staff_url("start_selection", forum) + query).content.decode()
    link = re.search(r'href="([^"]+)">Close registration in the recruitment settings</a>', page)
    assert link is not None

    closed = client.post(html.unescape(link[1]), CLOSING)

    assert closed.status_code == 302 and closed["Location"] == staff_url("start_selection", forum) + query
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_settings_page_never_sends_the_officer_to_another_site(
    signed_in_client: Any, pool: Any, officer: Any, elsewhere: str
) -> None:
    """A ``next`` naming another site (a link someone sent) leads to the overview, as with none."""
    forum = pool[0].forum
    settings_url = f"{staff_url('settings', forum)}?{urlencode({'next': elsewhere})}"
    saved = signed_in_client(officer).post(settings_url, CLOSING)
    assert saved.status_code == 302 and saved["Location"] == staff_url("overview", forum)


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
    back = "?next=" + quote(staff_url("start_selection", forum), safe="")
    assert (
        f'href="{staff_url("settings", forum)}{back}">Close registration in the recruitment settings</a>'
        in page
    )
    assert "Selection method" not in page
    refused = client.post(staff_url("start_selection", forum), {"algorithm": "legacy", "seed": "s"})
    assert refused.status_code == 200 and "Registration is still open" in refused.content.decode()
    with pytest.raises(selection.DrawBlocked):
        selection.start_run(forum, officer, "legacy")
    assert not SelectionRun.objects.exists()

    close_registration(forum)
    ready = client.get(staff_url("start_selection", forum)).content.decode()
    assert "The panel of 12 is drawn from the 150 people registered when registration closed." in ready
    assert "(SHA-256)" not in ready
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


def test_the_draw_and_the_invitations_say_what_blocks_them_in_one_shape(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """Two near-identical classes said why a draw, or the invitations, could not go ahead (one held a URL
    name for its template to resolve, the other the URL), and each page pasted the warning and its link.
    Both are now a ``Blocker``, shown by one include."""
    forum, client = pool[0].forum, signed_in_client(officer)
    open_registration(forum)
    draw, invite = selection.draw_blocker(forum, replacement=False), panel_invitations.invite_blocker(forum)
    assert isinstance(draw, Blocker) and isinstance(invite, Blocker)
    assert (draw.fix_url, invite.fix_url) == (
        staff_url("settings", forum) + "?next=" + quote(staff_url("start_selection", forum), safe=""),
        staff_url("start_selection", forum),
    )
    for blocker, page in ((draw, "start_selection"), (invite, "invite_panel")):
        shown = render_to_string("recruitment/blocker.html", {"blocker": blocker})
        assert shown in client.get(staff_url(page, forum)).content.decode()


def test_a_resident_who_started_before_the_officer_closed_registration_and_drew_is_not_added(
    client: Any, pool: Any, officer: Any
) -> None:
    """The resident answered every question while registration was open; the officer then closed it and
    started the draw. Saving is refused with the closed page, and the pool the draw reads is unchanged
    (the check and the save are made under the forum's lock: ``test_concurrency`` races them)."""
    forum = pool[0].forum
    open_registration(forum)
    invitation = Invitation.objects.filter(lottery__forum=forum, respondents__isnull=True).first()
    answer_every_step(client, forum, civic_lottery.issue_code(invitation))
    close_registration(forum)
    selection.start_run(forum, officer, "legacy")

    response = client.post(reverse("recruitment:register_check", args=[forum.slug]))

    assert response.status_code == 403 and "Registration is closed" in response.content.decode()
    assert registered(forum) == 150


def test_registration_opens_only_once_the_questions_are_set_and_not_during_a_draw(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Registration could be opened with no questions set up, so the first registrants were never asked
    what the quotas count; reopening it while a panel was being drawn let the pool change mid-draw; and
    opening it on a hidden forum sent residents to registration pages nobody could see."""
    client = signed_in_client(officer)
    url, data = staff_url("settings", forum), OPENING
    assert_opening_refused(
        client, forum, "Add the questions registrants answer, such as their age group, before"
    )

    add_age_question(forum, officer)
    SelectionRun.objects.create(forum=forum, panel_size=forum.panel_size, status="running")
    page = client.post(url, data).content.decode()
    assert "A panel is being drawn from the people registered so far" in page
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open

    SelectionRun.objects.filter(forum=forum).update(status="done")
    forum.published = False
    forum.save()
    page = client.post(url, data).content.decode()
    assert "Show the forum on the public website before opening registration" in page
    assert not RecruitmentSettings.objects.get(forum=forum).registration_open

    forum.published = True
    forum.save()
    assert client.post(url, data).status_code == 302
    assert RecruitmentSettings.objects.get(forum=forum).registration_open


def test_removing_a_question_asks_first_and_says_what_goes_with_it(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """'Remove' deleted the question, its answers, shares and quotas at one click."""
    from civicforum.recruitment.models import QuotaCategory, QuotaQuestion

    forum, client = recruiting_forum, signed_in_client(officer)
    age = QuotaQuestion.objects.get(forum=forum, key="age")
    QuotaCategory.objects.filter(question=age, key="16-29").update(min_members=2, max_members=4)
    QuotaCategory.objects.filter(question=age, key="30-44").update(min_members=2, max_members=2)
    QuotaCategory.objects.filter(question=age, key="45-64").update(max_members=3)
    QuotaCategory.objects.filter(question=age, key="65-plus").update(min_members=1)
    remove = reverse("recruitment:remove_question", kwargs={"forum_slug": forum.slug, "question_id": age.pk})
    listing = client.get(staff_url("questions", forum)).content.decode()
    assert (
        f'href="{remove}">Remove<span class="govuk-visually-hidden"> the question ‘How old are you?’'
        in listing
    )
    page = client.get(remove).content.decode()
    assert "Remove the question ‘How old are you?’?</h1>" in page
    assert "its 4 answers: 16 to 29, 30 to 44, 45 to 64, 65 or over" in page
    assert "the population shares of 4 of those answers" in page
    # The ranges read as the public selection record words them (quotas.target_words).
    assert (
        "the quotas set on it (16 to 29 2 to 4, 30 to 44 2, 45 to 64 up to 3, 65 or over at least 1): the "
        "selection will no longer balance"
    ) in page
    assert "Yes, remove this question</button>" in page and QuotaQuestion.objects.filter(pk=age.pk).exists()
    done = client.post(remove, follow=True).content.decode()
    assert "‘How old are you?’ removed" in done and not QuotaQuestion.objects.filter(pk=age.pk).exists()


def test_once_anyone_has_registered_questions_are_neither_removed_nor_added(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A question added after people registered had no answer from them (the quotas counted them as
    'prefer not to say'); removing one threw their answers away. The ward, from the address, may be added."""
    from civicforum.recruitment.models import QuotaQuestion

    forum, client = pool[0].forum, signed_in_client(officer)
    gender = QuotaQuestion.objects.get(forum=forum, key="gender")
    remove = reverse(
        "recruitment:remove_question", kwargs={"forum_slug": forum.slug, "question_id": gender.pk}
    )
    listing = client.get(staff_url("questions", forum)).content.decode()
    assert "150 people have already registered, so the questions can no longer be added or removed" in listing
    assert remove not in listing and "Add question</button>" not in listing
    page = client.get(remove).content.decode()
    assert (
        "You cannot remove ‘What is your gender?’</h1>" in page and "</button>" not in page.split("<main")[1]
    )
    assert client.post(remove).status_code == 200 and QuotaQuestion.objects.filter(pk=gender.pk).exists()
    added = client.post(
        staff_url("questions", forum),
        {"action": "add", "label": "Do you drive?", "categories": "Yes\nNo", "special_category": "no"},
    )
    assert "150 people have already registered" in added.content.decode()
    assert not QuotaQuestion.objects.filter(forum=forum, label="Do you drive?").exists()
    QuotaQuestion.objects.filter(forum=forum, from_address=True).delete()
    client.post(staff_url("questions", forum), {"action": "ward"})
    assert QuotaQuestion.objects.filter(forum=forum, from_address=True).exists()


def test_a_second_draw_never_sends_a_household_a_second_letter(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Drawing the lottery again drew from the whole list, so a household could get two letters, two
    codes and so more places in the pool than its neighbours; the draw page gave no warning."""
    forum = recruiting_forum
    first = set(Invitation.objects.filter(lottery__forum=forum).values_list("address__uprn", flat=True))
    page = signed_in_client(officer).get(staff_url("draw_lottery", forum)).content.decode()
    assert "200 addresses already have a letter from an earlier draw. A new draw leaves them out" in page
    address_list = forum.address_lists.get()
    second = civic_lottery.draw_lottery(forum, officer, address_list, 150, seed="second mailing")
    drawn = set(second.invitations.values_list("address__uprn", flat=True))
    assert len(drawn) == 150 and not drawn & first
    with pytest.raises(
        civic_lottery.LotteryError, match="must be 50 or fewer: the other addresses in the list"
    ):
        civic_lottery.draw_lottery(forum, officer, address_list, 51, seed="third")


def test_members_are_invited_only_once_the_selection_record_is_published(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """'Invite newly selected members' sent invitations before the record was published (after which
    the panel can never be drawn again), and with nobody selected it said 'Everyone selected has already
    been invited'. Each case now says what to do first, with a link to that step."""
    from civicforum.recruitment.models import PanelMember

    forum, client = pool[0].forum, signed_in_client(officer)
    invite = staff_url("invite_panel", forum)
    page = client.get(invite).content.decode()
    assert "Nobody has been selected yet. Run the selection first." in page
    assert f'href="{staff_url("start_selection", forum)}">Run the selection</a>' in page
    run = draw_panel(forum, officer)
    refused = client.post(invite, SEND_INVITATIONS).content.decode()
    assert "Publish the selection record before inviting anyone" in refused
    run_url = reverse("recruitment:run", kwargs={"forum_slug": forum.slug, "run_id": run.pk})
    assert f'href="{run_url}">Check the selection and publish its record</a>' in refused
    assert not PanelMember.objects.filter(forum=forum, invited_at__isnull=False).exists()
    selection.publish(run, officer)
    assert client.post(invite, SEND_INVITATIONS).status_code == 302
    assert PanelMember.objects.filter(forum=forum, invited_at__isnull=False).count() == 12
    assert "Everyone selected has already been invited" in client.get(invite).content.decode()


def test_a_draw_that_could_not_start_anyway_does_not_send_the_officer_to_close_registration(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """With nobody to replace and registration open, the page said to close registration; once closed,
    it said there were no places to fill: a pointless detour. A reason closing cannot fix comes first."""
    page = signed_in_client(officer).get(staff_url("start_selection", recruiting_forum) + "?replacements=1")
    text = page.content.decode()
    assert "Nobody on the panel has declined" in text and "Registration is still open" not in text


def test_the_number_of_adults_a_code_admits_is_set_in_one_place(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """The settings' 'Adults each letter's code may register' changed nothing: each draw took its own
    'Adults per household' (2 unless changed), while residents were told the settings' number."""
    forum, client = recruiting_forum, signed_in_client(officer)
    RecruitmentSettings.objects.filter(forum=forum).update(adults_per_household=3)
    page = client.get(staff_url("draw_lottery", forum)).content.decode()
    assert "Each letter’s code will let up to 3 adults in the household register." in page
    assert "Adults per household" not in page
    client.post(
        staff_url("draw_lottery", forum), {"address_list": forum.address_lists.get().pk, "letters": "10"}
    )
    drawn = forum.lotteries.first()
    assert drawn.letters_requested == 10
    assert set(drawn.invitations.values_list("max_adults", flat=True)) == {3}


def test_the_overview_asks_to_close_registration_once_the_panel_is_chosen(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """With the panel chosen and invited, the overview had nothing to say while registration was open
    (the demo leaves it so): people kept registering for a panel they could join only as replacements."""
    from civicforum.recruitment.services import panel_invitations

    forum, client = pool[0].forum, signed_in_client(officer)
    forum.lotteries.update(letters_status="ready")
    publish_selection(forum, officer, seed="s")
    panel_invitations.invite_selected(forum, officer, "https://example.org/reply", "1 May")
    overview = staff_url("overview", forum)
    assert "What to do next" not in client.get(overview).content.decode()
    open_registration(forum)
    page = client.get(overview).content.decode()
    assert f'href="{staff_url("settings", forum)}">Close registration: the panel has been chosen' in page


def test_the_start_page_offers_no_way_to_register_once_registration_has_closed(
    client: Any, recruiting_forum: Any
) -> None:
    """Once closed, the start page still said 'Call ... and we will register you by phone', though the
    panel may already be being drawn from the people registered."""
    RecruitmentSettings.objects.filter(forum=recruiting_forum).update(phone="01632 960 123")
    start = reverse("recruitment:register_start", args=[recruiting_forum.slug])
    assert "we will register you by phone" in client.get(start).content.decode()
    close_registration(recruiting_forum)
    page = client.get(start).content.decode()
    assert "Registration is closed, so you cannot register now, online or by phone." in page
    assert "If you have a question, call 01632 960 123." in page
    assert "we will register you by phone" not in page and "Start now" not in page


def test_proposing_quotas_says_it_replaces_the_limits_typed(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    """'Propose quotas' overwrote every minimum and maximum the officer had typed, without a word."""
    page = signed_in_client(officer).get(staff_url("quotas", recruiting_forum)).content.decode()
    assert "This replaces the minimum and maximum of every answer that has a population share" in page


def test_once_the_selection_record_is_published_the_panel_cannot_be_drawn_again(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """After publishing, a new draw (nobody invited yet) replaced the panel while the public record
    still showed the first draw's commitment and seed: a panel could be redrawn until one was liked."""
    from civicforum.recruitment.models import PanelMember

    forum = pool[0].forum
    publish_selection(forum, officer, seed="first")
    panel = set(PanelMember.objects.filter(forum=forum).values_list("respondent", flat=True))
    page = signed_in_client(officer).get(staff_url("start_selection", forum)).content.decode()
    assert "The selection record has been published, so the whole panel cannot be drawn again" in page
    assert "Selection method" not in page
    again = selection.start_run(forum, officer, "legacy")  # e.g. a page opened earlier
    again = finish_run(again, officer, "second")
    assert again.status == "failed" and "selection record has been published" in again.error
    assert set(PanelMember.objects.filter(forum=forum).values_list("respondent", flat=True)) == panel


def test_only_the_draw_that_chose_the_panel_can_be_published(
    client: Any, signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """After a second draw, the first draw's page still offered 'Publish': the public record and
    selected.csv then showed draw A while the panel came from draw B, the invite page sent the officer to
    publish B, and the start page said the record was published. A replaced draw's page now says so, with
    a link to the later draw, and offers no publishing; publishing it is refused."""
    forum, officer_client = pool[0].forum, signed_in_client(officer)
    first = draw_panel(forum, officer, seed="A")
    second = run_selection(forum, officer, "leximin", seed="B")
    assert second.status == RunStatus.DONE
    first_url, second_url = (staff_url("run", forum, run_id=run.pk) for run in (first, second))
    page = officer_client.get(first_url).content.decode()
    assert "This draw was replaced by" in page and f'href="{second_url}"' in page
    assert "Publish the selection record" not in page
    assert "This draw was replaced by" not in officer_client.get(second_url).content.decode()

    refused = officer_client.post(first_url, {"understood": "on"}, follow=True).content.decode()
    assert "its selection record cannot be published" in refused
    assert "is now on the forum" not in refused
    with pytest.raises(selection.NotPublishable, match="replaced by a later draw"):
        selection.publish(first, officer)
    assert not SelectionRun.objects.filter(published_at__isnull=False).exists()
    assert client.get(reverse("recruitment:selection_record", args=[forum.slug])).status_code == 404

    selection.publish(second, officer)
    record = client.get(reverse("recruitment:selection_record", args=[forum.slug]))
    assert record.context["run"] == second
    with pytest.raises(selection.NotPublishable):  # nor after the later draw's record went out
        selection.publish(first, officer)
    assert list(SelectionRun.objects.filter(published_at__isnull=False)) == [second]


def test_the_start_page_says_a_new_draw_replaces_one_not_yet_published(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum, client = pool[0].forum, signed_in_client(officer)
    start = staff_url("start_selection", forum)
    assert "Starting the selection again replaces" not in client.get(start).content.decode()
    first = draw_panel(forum, officer, seed="A")
    page = client.get(start).content.decode()
    assert "its selection record has not been published. Starting the selection again replaces" in page
    assert f'href="{staff_url("run", forum, run_id=first.pk)}">that draw</a>' in page


def test_an_officer_registering_someone_after_registration_closed_is_told_when_that_is_right(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The phone route stays open after registration closes (for paper forms sent in time), with nothing
    to say that a late registration changes the pool the panel is drawn from."""
    forum, client = pool[0].forum, signed_in_client(officer)
    code = client.get(
        reverse("recruitment:phone_registration", args=[forum.slug]), follow=True
    ).content.decode()
    assert (
        "Registration is closed to the public: register someone now only if they asked before it closed"
        in code
    )
    open_registration(forum)
    page = client.get(reverse("recruitment:register_step", args=[forum.slug, "code"])).content.decode()
    assert "You are registering someone on their behalf" in page and "Registration is closed" not in page


def test_the_start_page_explains_before_starting_when_the_quotas_allow_no_panel(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The quotas page already said no panel was possible, yet 'Run the selection' offered Start and the
    run then failed. The start page now gives the same reason and the fix, and starts nothing."""
    from civicforum.recruitment.models import QuotaCategory

    forum, client = pool[0].forum, signed_in_client(officer)
    quotas.propose_quotas(forum, officer, slack=2)
    QuotaCategory.objects.filter(question__forum=forum, question__key="gender").update(min_members=7)
    reason = client.get(staff_url("quotas", forum)).context["diagnosis"]
    assert reason and "add up to at least 14" in reason.text()
    page = client.get(staff_url("start_selection", forum))
    text = page.content.decode()
    assert page.context["diagnosis"] == reason
    assert "No panel can be drawn yet" in text and "add up to at least 14" in text
    assert f'href="{staff_url("quotas", forum)}">Change the quotas</a>' in text
    assert "Selection method" not in text and ">Start<" not in text
    refused = client.post(staff_url("start_selection", forum), {"algorithm": "legacy", "seed": "s"})
    assert refused.status_code == 200 and not SelectionRun.objects.exists()

    QuotaCategory.objects.filter(question__forum=forum, question__key="gender").update(min_members=4)
    assert "Selection method" in client.get(staff_url("start_selection", forum)).content.decode()


def test_nobody_is_registered_by_phone_while_a_draw_is_queued_or_running(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """An officer could register someone by phone while a draw waited for the worker (database task
    backend), and that person landed in the pool being drawn from. Now the officer is told to wait for
    the draw to finish; the answers typed are kept and save once it has."""
    forum, client = pool[0].forum, signed_in_client(officer)
    invitation = Invitation.objects.filter(lottery__forum=forum, respondents__isnull=True).first()
    client.get(reverse("recruitment:phone_registration", args=[forum.slug]))
    answer_every_step(client, forum, civic_lottery.issue_code(invitation))
    run = selection.start_run(forum, officer, "legacy")  # queued: no worker has picked it up
    check = reverse("recruitment:register_check", args=[forum.slug])
    refused = client.post(check, follow=True)
    assert refused.redirect_chain == [(check, 302)]
    assert "Wait for the draw to finish (its progress is on the selection run’s page)" in (
        refused.content.decode()
    )
    assert registered(forum) == 150
    start = client.get(reverse("recruitment:phone_registration", args=[forum.slug]), follow=True)
    assert start.redirect_chain == [(reverse("recruitment:run", args=[forum.slug, run.pk]), 302)]
    shown = start.content.decode()  # on the run's page, whose progress it is: no pointing elsewhere
    assert "nobody can be added until the draw has finished. Wait for the draw below to finish, then" in shown
    assert "selection run’s page" not in shown

    finish_run(run, officer)
    client.post(check)
    assert registered(forum) == 151


@pytest.mark.parametrize(("status", "quiet_minutes"), [(RunStatus.QUEUED, 6), (RunStatus.RUNNING, 31)])
def test_a_draw_whose_worker_died_holds_up_neither_registration_nor_the_quotas(
    signed_in_client: Any, pool: Any, officer: Any, status: str, quiet_minutes: int
) -> None:
    """A draw whose worker was killed stays queued or running for ever. Starting a new run already passed
    over it (the run's page calls it stuck), but registration could never open again, nobody could be
    registered by phone and the quotas could never change. A stuck run now holds up nothing anywhere."""
    forum, client = pool[0].forum, signed_in_client(officer)
    stuck = SelectionRun.objects.create(forum=forum, panel_size=forum.panel_size, status=status)
    SelectionRun.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - timedelta(minutes=quiet_minutes)
    )

    assert quotas.change_blocker(forum) is None
    phone = client.get(reverse("recruitment:phone_registration", args=[forum.slug]))
    assert phone.url == reverse("recruitment:register_step", args=[forum.slug, "code"])
    invitation = Invitation.objects.filter(lottery__forum=forum, respondents__isnull=True).first()
    details = registration.Registration(full_name="Alan Turing", phone="01632 960001")
    assert registration.register(forum, invitation, details, officer).registered_by == officer
    assert client.post(staff_url("settings", forum), OPENING).status_code == 302
    assert RecruitmentSettings.objects.get(forum=forum).registration_open


def test_one_registration_is_counted_as_one_person(recruiting_forum: Any) -> None:
    invitation = recruiting_forum.lotteries.get().invitations.select_related("address")[:1]
    registered = synthetic.populate_pool(
        recruiting_forum, invitation, 1, datetime(2026, 11, 2, tzinfo=UTC), random.Random(1)
    )
    assert len(registered) == 1
    assert quotas.questions_locked(recruiting_forum).startswith("1 person has already registered, so the ")


def test_the_locked_question_messages_write_a_count_of_people_as_gov_uk_style_does(
    recruiting_forum: Any, officer: Any
) -> None:
    """'1200 people have already registered': GOV.UK style writes 1,200."""
    Respondent.objects.bulk_create(
        Respondent(forum=recruiting_forum, reference=f"R-{number:05d}", answers={}) for number in range(1200)
    )
    question = recruiting_forum.quota_questions.filter(from_address=False).first()
    question.special_category = True

    assert quotas.questions_locked(recruiting_forum).startswith("1,200 people have already registered, so")
    assert quotas.unmarking_refused(question).startswith("1,200 people have already registered, told by")


def test_a_special_category_question_no_quota_uses_is_flagged_and_opening_registration_needs_a_tick(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """Registration asked ethnicity or disability questions that no quota used, collecting sensitive
    answers no selection rule needed, without a word to the officer. Now the questions and settings pages
    warn and link to removing it, and opening registration needs a tick to keep it."""
    client = signed_in_client(officer)
    add_age_question(forum, officer)
    ethnicity = quotas.add_question(
        forum,
        officer,
        "What is your ethnic group?",
        "",
        [("White", None), ("Asian", None)],
        True,
        special_category=True,
    )
    remove = reverse(
        "recruitment:remove_question", kwargs={"forum_slug": forum.slug, "question_id": ethnicity.pk}
    )
    for page in (staff_url("questions", forum), staff_url("settings", forum)):
        shown = client.get(page).content.decode()
        assert '<div class="govuk-warning-text">' in shown
        assert "This question asks for special category data, such as ethnicity, disability" in shown
        assert "Remove it before anyone registers (questions cannot change after that)" in shown
        assert f'‘What is your ethnic group?’: <a class="govuk-link" href="{remove}">Remove' in shown
        assert "‘How old are you?’:" not in shown

    url, data = staff_url("settings", forum), OPENING
    assert_opening_refused(
        client,
        forum,
        "Tick to confirm you need the answers to ‘What is your ethnic group?’, or remove it in ‘Questions "
        "for registrants’ (or set a quota on it)",
    )
    assert "Keep the question listed above: we need its answers" in client.get(url).content.decode()
    assert client.post(url, {**data, "keep_special_questions": "on"}).status_code == 302
    assert RecruitmentSettings.objects.get(forum=forum).registration_open
    assert "special category" not in client.get(url).content.decode()  # open: nothing left to confirm

    close_registration(forum)
    QuotaCategory.objects.filter(question=ethnicity, key="asian").update(min_members=1)
    assert "This question asks for special" not in client.get(staff_url("questions", forum)).content.decode()
    assert client.post(url, data).status_code == 302  # a quota uses it: no tick needed
