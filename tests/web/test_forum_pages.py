"""Public forum pages, the officer dashboard and the forum form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from tests.factories import make_forum, make_user, make_user_with_role
from tests.races import race, racing

from civicforum.core.models import AuditEvent, ForumRole, Role
from civicforum.core.passwords import link_lifetime
from civicforum.core.roles import COUNCIL_ADMIN
from civicforum.processes import services
from civicforum.processes.models import Forum, StageKind

pytestmark = pytest.mark.django_db


# A forum that ends before today needs a tick saying it has already run: the form's dates stay ahead.
YEAR = date.today().year + 1
NEXT_YEAR = str(YEAR)


def valid_form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Libraries forum",
        "question": "What should our libraries be for?",
        "area": "Northam",
        "summary": "",
        "starts_on_0": "1",
        "starts_on_1": "3",
        "starts_on_2": NEXT_YEAR,
        "ends_on_0": "30",
        "ends_on_1": "9",
        "ends_on_2": NEXT_YEAR,
        "panel_size": "40",
        "stages": [kind.value for kind in StageKind],
        "current_stage": StageKind.DESIGN.value,
        "published": "on",
    }
    data.update(overrides)
    return data


def test_home_lists_published_forums_only_current_before_past(client: Any) -> None:
    shown = make_forum(title="Parks forum")
    past = make_forum(title="Libraries forum", starts_on=date(2020, 1, 1), ends_on=date(2020, 6, 1))
    hidden = make_forum(title="Secret draft forum", published=False)
    response = client.get(reverse("processes:home"))
    page = response.content.decode()
    assert response.context["current_forums"] == [shown]
    assert response.context["past_forums"] == [past]
    assert page.index("Parks forum") < page.index("Past forums") < page.index("Libraries forum")
    assert hidden.title not in page


def test_forum_page_shows_question_and_timeline_with_current_stage(client: Any) -> None:
    forum = make_forum(current_stage=StageKind.SELECTION, question="Where should the new bus lanes go?")
    response = client.get(forum.get_absolute_url())
    page = response.content.decode()
    assert "Where should the new bus lanes go?" in page
    timeline = response.context["timeline"]
    assert [entry.kind for entry in timeline] == [kind.value for kind in StageKind]
    statuses = {entry.kind: entry.status for entry in timeline}
    assert statuses["recruitment"] == "completed"
    assert statuses["selection"] == "current"
    assert statuses["deliberation"] == "upcoming"
    assert 'aria-current="step"' in page


def test_unpublished_forum_is_hidden_from_the_public_but_not_from_its_evaluator(client: Any) -> None:
    """A draft is the ordinary 404 to anyone without a staff role on it (a sign-in page or a 403
    would tell the public it exists); its staff still see it."""
    forum = make_forum(published=False)
    staff_elsewhere = make_user_with_role(Role.OFFICER, make_forum())
    for visitor in [None, make_user(), make_user_with_role(Role.PANEL_MEMBER, forum), staff_elsewhere]:
        if visitor is not None:
            client.force_login(visitor)
        response = client.get(forum.get_absolute_url())
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()
        assert forum.title not in response.content.decode()
    for role in [Role.EVALUATOR, COUNCIL_ADMIN]:
        client.force_login(make_user_with_role(role, forum))
        assert client.get(forum.get_absolute_url()).status_code == 200


def test_roles_do_not_leak_to_other_forums(client: Any) -> None:
    forum, other = make_forum(), make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    assert client.get(reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})).status_code == 200
    assert client.get(reverse("processes:forum_edit", kwargs={"forum_slug": other.slug})).status_code == 403


def test_unknown_forum_gives_styled_404(client: Any) -> None:
    response = client.get("/forums/no-such-forum/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "govuk-template__header" in response.content.decode()


def test_officer_creates_forum_and_it_is_audited(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    client.force_login(officer)
    response = client.post(
        reverse("processes:forum_create"), valid_form_data(council=str(forum.council.pk), stages=["design"])
    )
    created = Forum.objects.get(title="Libraries forum")
    assert response.status_code == 302
    assert response["Location"] == reverse("processes:forum_staff", kwargs={"forum_slug": created.slug})
    assert created.slug == "libraries-forum"
    assert list(created.stages.values_list("kind", flat=True)) == ["design"]
    event = AuditEvent.objects.get(action="forum.created")
    assert (event.actor, event.forum, event.details["title"]) == (officer, created, "Libraries forum")
    assert "Libraries forum" in client.get(reverse("processes:home")).content.decode()


@pytest.mark.parametrize("creator", [Role.OFFICER, COUNCIL_ADMIN])
def test_whoever_creates_a_forum_can_run_it(client: Any, creator: str) -> None:
    """An officer of another forum becomes the new forum's officer (they were shown 'You do not have
    permission' on it); a council administrator already runs every forum of the council and gets no role."""
    forum = make_forum()
    user = make_user_with_role(creator, forum)
    client.force_login(user)
    response = client.post(
        reverse("processes:forum_create"), valid_form_data(council=str(forum.council.pk)), follow=True
    )
    created = Forum.objects.get(title="Libraries forum")
    assert response.status_code == 200
    assert "Recruitment and selection" in response.content.decode()
    roles = list(ForumRole.objects.filter(forum=created).values_list("user", "role"))
    assert roles == ([(user.pk, Role.OFFICER)] if creator == Role.OFFICER else [])
    granted = AuditEvent.objects.filter(action="role.granted", forum=created)
    assert granted.count() == (1 if creator == Role.OFFICER else 0)


def test_a_forum_called_new_gets_a_staff_page_of_its_own(client: Any) -> None:
    """Its slug was 'new', so its staff page was /staff/forums/new/: the 'Create a forum' form, again."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    response = client.post(
        reverse("processes:forum_create"),
        valid_form_data(council=str(forum.council.pk), title="New"),
        follow=True,
    )
    created = Forum.objects.get(title="New")
    assert created.slug == "new-2"
    assert response.redirect_chain[-1][0] == reverse("processes:forum_staff", kwargs={"forum_slug": "new-2"})
    assert "Change forum details" in response.content.decode()


def test_a_long_title_gets_a_slug_short_enough_for_the_letters_cut_at_a_word(client: Any) -> None:
    """Slugs of up to 90 characters made the letters' web address too long to print, and the letters were
    refused. New slugs stop at 50 characters after a whole word, a second forum's '-2' included; an
    existing forum keeps its slug, which its letters and links already carry."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    title = "Northam Town Centre, Harbourside and Riverside 2027: Neighbourhoods Future Citizens' Forum"
    for _ in range(2):
        client.post(
            reverse("processes:forum_create"), valid_form_data(council=str(forum.council.pk), title=title)
        )
    slugs = list(Forum.objects.filter(title=title).order_by("pk").values_list("slug", flat=True))
    assert slugs == [
        "northam-town-centre-harbourside-and-riverside-2027",  # 50 characters
        "northam-town-centre-harbourside-and-riverside-2",
    ]
    assert services.unique_slug("A" * 80) == "a" * 50
    old = Forum.objects.get(slug=slugs[0])
    old.slug = "northam-town-centre-harbourside-and-riverside-neighbourhoods-future-2027"
    old.save(update_fields=["slug"])
    client.post(
        reverse("processes:forum_edit", kwargs={"forum_slug": old.slug}),
        valid_form_data(council=str(forum.council.pk), title=title + " (spring)"),
    )
    old.refresh_from_db()
    assert old.title.endswith("(spring)") and old.slug.endswith("-future-2027")


def test_officer_cannot_create_a_forum_for_another_council(client: Any) -> None:
    forum, elsewhere = make_forum(), make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    response = client.post(
        reverse("processes:forum_create"), valid_form_data(council=str(elsewhere.council.pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Forum.objects.filter(title="Libraries forum").exists()


def test_edit_keeps_slug_and_updates_stages(client: Any) -> None:
    forum = make_forum(title="Old title")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    response = client.post(url, valid_form_data(title="New title", stages=["design", "recruitment"]))
    assert response.status_code == 302
    forum.refresh_from_db()
    assert forum.title == "New title"
    assert sorted(forum.stages.values_list("kind", flat=True)) == ["design", "recruitment"]
    assert AuditEvent.objects.filter(action="forum.updated", forum=forum).exists()


def test_the_forums_words_are_saved_without_characters_that_change_how_they_display(client: Any) -> None:
    """The title is printed on the letters and every public page, the summaries on the forum's public page:
    a right-to-left override pasted into one showed it reversed to residents, a control character as a box."""
    forum = make_forum(starts_on=date(YEAR, 1, 1), ends_on=date(YEAR, 12, 31))
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    typed = valid_form_data(
        title="Libraries\u202e forum",
        question="What should\x07 our libraries be for?",
        area="North\x1bam",
        summary="Residents\u202e meet\r\n\r\nsix times",
    )
    edited = client.post(reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug}), typed)
    assert edited.status_code == 302
    forum.refresh_from_db()
    assert (forum.title, forum.question, forum.area) == (
        "Libraries forum",
        "What should our libraries be for?",
        "Northam",
    )
    assert forum.summary == "Residents meet\n\nsix times"
    stage_url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "design"})
    assert client.post(stage_url, {"summary": "Six\u202e sessions\x07"}).status_code == 302
    assert forum.stages.get(kind="design").summary == "Six sessions"


def test_moving_a_forum_to_another_stage_is_audited_with_what_changed(client: Any) -> None:
    forum = make_forum(title="Libraries forum", question="What should our libraries be for?", area="Northam")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    data = valid_form_data(current_stage="selection", panel_size="50")
    for name in ("starts_on", "ends_on"):
        day = getattr(forum, name)
        data.update({f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)})
    assert client.post(url, data).status_code == 302
    details = AuditEvent.objects.get(action="forum.updated", forum=forum).details
    assert details["changed"] == ["panel_size", "current_stage"]
    assert details["current_stage"] == {"from": "recruitment", "to": "selection"}


BAD_INPUTS = [
    ({"title": ""}, "title", "Enter a title"),
    ({"question": ""}, "question", "Enter the question the forum will answer"),
    ({"panel_size": "forty"}, "panel_size", "Panel size must be a whole number"),
    ({"panel_size": "0"}, "panel_size", "Panel size must be at least 1"),
    ({"panel_size": "100000"}, "panel_size", "Panel size must be 1000 or fewer"),
    ({"starts_on_0": "31", "starts_on_1": "2"}, "starts_on", "Start date must be a real date"),
    (
        {"ends_on_2": "2200000000"},
        "ends_on",
        f"End date must include a year with 4 numbers, like {date.today().year}",
    ),
    ({"starts_on_0": "", "starts_on_1": "", "starts_on_2": ""}, "starts_on", "Enter the start date"),
    (
        {"ends_on_2": str(date.today().year)},
        "ends_on",
        "End date must be the same as or after the start date",
    ),
    ({"ends_on_1": "abc"}, "ends_on", "End date must be a real date"),
    ({"stages": []}, "stages", "Select at least one stage"),
    ({"stages": ["design"], "current_stage": "selection"}, "current_stage", "Current stage must be one of"),
    ({"current_stage": "nonsense"}, "current_stage", "Select a valid choice"),
    ({"title": "t" * 201}, "title", "Title must be 200 characters or fewer"),
    ({"question": "q" * 301}, "question", "Question must be 300 characters or fewer"),
    ({"area": "a" * 201}, "area", "Area must be 200 characters or fewer"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUTS)
def test_bad_input_is_named_in_the_error_summary(
    client: Any, changes: dict, field: str, message: str
) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    response = client.post(
        reverse("processes:forum_create"), valid_form_data(council=str(forum.council.pk), **changes)
    )
    assert response.status_code == 200
    page = response.content.decode()
    summary = page[
        page.index('class="govuk-error-summary"') : page.index("</ul>", page.index("govuk-error-summary"))
    ]
    assert message in summary
    assert f'href="#id_{field}' in summary
    assert "<title>Error: " in page
    assert Forum.objects.count() == 1


def test_a_forum_that_has_already_run_is_created_only_once_the_past_dates_are_confirmed(client: Any) -> None:
    """A forum created with dates entirely in the past was saved without a word, shown as finished: right
    for a forum recorded after it ran, wrong for a mistyped year. A tick below the dates now says which."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    last_year = str(date.today().year - 1)
    data = valid_form_data(council=str(forum.council.pk), starts_on_2=last_year, ends_on_2=last_year)
    page = client.post(reverse("processes:forum_create"), data).content.decode()
    assert not Forum.objects.filter(title="Libraries forum").exists()
    summary = page[page.index('class="govuk-error-summary"') : page.index("</ul>", page.index("govuk-error"))]
    assert "Tick to confirm that the forum has already run, or change the end date" in summary
    assert 'href="#id_past_dates"' in summary and "<title>Error: " in page
    assert f"The end date, 30 September {last_year}, is in the past." in page
    assert page.index('name="ends_on_2"') < page.index('name="past_dates"') < page.index('name="panel_size"')
    response = client.post(reverse("processes:forum_create"), data | {"past_dates": "on"})
    assert response.status_code == 302 and Forum.objects.get(title="Libraries forum").is_finished


def test_a_finished_forum_is_edited_without_confirming_its_dates_again_unless_they_change(
    client: Any,
) -> None:
    forum = make_forum(starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    data = valid_form_data(
        current_stage=forum.current_stage,
        **{"starts_on_0": "1", "starts_on_1": "1", "starts_on_2": "2020"},
        **{"ends_on_0": "31", "ends_on_1": "12", "ends_on_2": "2020"},
    )
    assert client.post(url, data).status_code == 302  # a new title, the same dates
    moved = client.post(url, data | {"ends_on_0": "30"})
    assert (
        moved.status_code == 200
        and "Tick to confirm that the forum has already run" in moved.content.decode()
    )
    forum.refresh_from_db()
    assert (forum.title, forum.ends_on) == ("Libraries forum", date(2020, 12, 31))
    assert services.past_dates_warning(forum, date.today(), dates_changed=True) == ""


def test_garbage_post_does_not_crash(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(COUNCIL_ADMIN, forum))
    response = client.post(
        reverse("processes:forum_create"), {"council": "x" * 5000, "stages": "\x00", "title": "☃"}
    )
    assert response.status_code == 200


def test_login_errors_use_the_error_summary(client: Any) -> None:
    response = client.post(reverse("login"), {"username": "nobody", "password": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter your password" in page
    assert 'href="#id_password"' in page


def test_officer_gives_and_removes_a_role(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    newcomer = make_user(username="grace", email="grace@council.example")
    client.force_login(officer)
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    response = client.post(url, {"user": "GRACE@council.example", "role": Role.FACILITATOR})
    assert response.status_code == 302
    forum_role = ForumRole.objects.get(forum=forum, user=newcomer)
    assert forum_role.role == Role.FACILITATOR
    remove = reverse(
        "processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": forum_role.pk}
    )
    assert client.post(remove).status_code == 302
    assert not ForumRole.objects.filter(forum=forum, user=newcomer).exists()
    assert list(AuditEvent.objects.filter(forum=forum).values_list("action", flat=True)) == [
        "role.removed",
        "role.granted",
    ]


@pytest.mark.parametrize(
    ("role", "words"), [(Role.EVALUATOR, "an evaluator"), (Role.OFFICER, "a forum officer")]
)
def test_giving_a_role_says_so_in_a_sentence(client: Any, role: str, words: str) -> None:
    """It said 'Grace Lewis is now evaluator' and 'is now forum officer on ...'."""
    forum = make_forum()
    make_user(username="grace", first_name="Grace", last_name="Lewis")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    given = client.post(url, {"user": "grace", "role": role}, follow=True).content.decode()
    assert f"Grace Lewis is now {words}" in given
    client.force_login(make_user_with_role(COUNCIL_ADMIN, forum))
    new_account = reverse("processes:forum_account_create", kwargs={"forum_slug": forum.slug})
    data = {"first_name": "Ada", "last_name": "Byron", "email": "ada@council.example", "role": role}
    assert f"Ada Byron is now {words} on {forum.title}" in client.post(new_account, data).content.decode()


def test_role_form_names_the_unknown_account(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    page = client.post(url, {"user": "nobody", "role": "wizard"}).content.decode()
    assert "There is no active account with that username or email address" in page
    assert "Select a role" in page and 'href="#id_role' in page
    assert "Select a valid choice" not in page
    assert 'href="#id_user"' in page


def test_role_form_says_in_govuk_words_when_the_username_is_too_long(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    page = client.post(url, {"user": "x" * 255, "role": Role.FACILITATOR}).content.decode()
    assert "Username or email address must be 254 characters or fewer" in page
    assert "Ensure this value" not in page


def test_roles_on_another_forum_cannot_be_removed_through_this_one(client: Any) -> None:
    forum, other = make_forum(), make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    elsewhere = ForumRole.objects.create(forum=other, user=make_user(), role=Role.PANEL_MEMBER)
    remove = reverse(
        "processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": elsewhere.pk}
    )
    response = client.post(remove, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "processes:forum_people", kwargs={"forum_slug": forum.slug}
    )
    assert "That role is no longer on this forum" in response.content.decode()
    assert ForumRole.objects.filter(pk=elsewhere.pk).exists()


def test_going_back_to_a_removal_already_made_leads_to_the_people_page(client: Any) -> None:
    """Back to the confirmation page after removing a role, or a second press of 'Remove role', was
    'Page not found: if you typed the web address, check it is correct'."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    helper = ForumRole.objects.create(forum=forum, user=make_user(), role=Role.FACILITATOR)
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": helper.pk})
    assert client.post(remove).status_code == 302
    people = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    for again in (client.get, client.post):
        response = again(remove, follow=True)
        assert response.redirect_chain == [(people, 302)]
        assert "It may have been removed already" in response.content.decode()
    assert AuditEvent.objects.filter(action="role.removed").count() == 1


def test_a_stage_cannot_fall_outside_the_forum_dates(client: Any) -> None:
    forum = make_forum(starts_on=date(2027, 3, 1), ends_on=date(2027, 9, 30))
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "deliberation"})
    early = {"starts_on_0": "5", "starts_on_1": "5", "starts_on_2": "1999"}
    page = client.post(url, early).content.decode()
    assert "Start date must be on or after the forum’s start date, 1 March 2027" in page
    assert 'href="#id_starts_on' in page
    late = {"ends_on_0": "1", "ends_on_1": "10", "ends_on_2": "2027"}
    assert "End date must be on or before the forum’s end date, 30 September 2027" in (
        client.post(url, late).content.decode()
    )
    stage = forum.stages.get(kind="deliberation")
    assert (stage.starts_on, stage.ends_on) == (None, None)
    assert not AuditEvent.objects.filter(action="stage.updated").exists()


def test_officer_edits_a_stage_and_the_public_timeline_shows_it(client: Any) -> None:
    # Next year's forum: the stage's dates below fall within it, and ahead of today (a stage not started
    # whose dates have passed needs a tick), whatever the day.
    forum = make_forum(starts_on=date(YEAR, 1, 1), ends_on=date(YEAR, 12, 31))
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "deliberation"})
    bad = client.post(
        url,
        {
            "starts_on_0": "5",
            "starts_on_1": "5",
            "starts_on_2": NEXT_YEAR,
            "ends_on_0": "1",
            "ends_on_1": "5",
            "ends_on_2": NEXT_YEAR,
            "summary": "Six sessions",
        },
    )
    assert "End date must be the same as or after the start date" in bad.content.decode()
    good = client.post(
        url, {"starts_on_0": "5", "starts_on_1": "5", "starts_on_2": NEXT_YEAR, "summary": "Six sessions"}
    )
    assert good.status_code == 302
    page = client.get(forum.get_absolute_url()).content.decode()
    assert "Six sessions" in page and f"5 May {YEAR}" in page
    assert (
        client.get(
            reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "nope"})
        ).status_code
        == 404
    )


def test_a_forum_past_its_end_date_shows_every_stage_completed(client: Any) -> None:
    forum = make_forum(
        starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31), current_stage=StageKind.EVALUATION
    )
    response = client.get(forum.get_absolute_url())
    assert {entry.status for entry in response.context["timeline"]} == {"completed"}
    assert "Finished" in response.content.decode()


def _account_form_as_council_admin(client: Any, forum: Any) -> str:
    """Sign in as the forum's council administrator; the address of the create-an-account form."""
    client.force_login(make_user_with_role(COUNCIL_ADMIN, forum))
    return reverse("processes:forum_account_create", kwargs={"forum_slug": forum.slug})


def _account(name: str, email: str, role: str) -> dict[str, str]:
    """The create-an-account form's fields for a person called ``name`` (first and last)."""
    first_name, last_name = name.split()
    return {"first_name": first_name, "last_name": last_name, "email": email, "role": role}


def test_council_admin_creates_an_account_and_the_person_sets_a_password(client: Any) -> None:
    forum = make_forum()
    url = _account_form_as_council_admin(client, forum)
    response = client.post(url, _account("Grace Lewis", "Grace@Council.example", Role.FACILITATOR))
    link = response.context["link"]
    assert "Account created" in response.content.decode()
    assert ForumRole.objects.filter(
        forum=forum, user__username="grace@council.example", role="facilitator"
    ).exists()
    assert AuditEvent.objects.filter(action="account.created", forum=forum).exists()

    client.logout()
    form_page = client.get(link, follow=True)
    assert "Choose a password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    mismatch = client.post(set_url, {"new_password1": "lantern-orchard-42", "new_password2": "other"})
    assert "The two passwords do not match" in mismatch.content.decode()
    done = client.post(
        set_url, {"new_password1": "lantern-orchard-42", "new_password2": "lantern-orchard-42"}
    )
    assert done.status_code == 302
    assert client.login(username="grace@council.example", password="lantern-orchard-42")
    assert "This link has expired" in client.get(link, follow=True).content.decode()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("lantern", "Password must be 8 characters or more"),
        ("12345678", "Password must include letters or symbols, not only numbers"),
        ("password1", "Password is one that many people use: choose one that is harder to guess"),
        ("grace@council", "Password is too similar to your username: choose one that is harder to guess"),
    ],
)
def test_the_set_password_page_says_what_is_wrong_with_a_password_in_govuk_style(
    client: Any, password: str, message: str
) -> None:
    """Django's messages ('This password is too short. It must contain at least 8 characters.', 'Your
    password can’t be entirely numeric.') ended with full stops and used contractions, on the confirmation
    box, and '12345678' got two. The New password box now shows the first problem, in plain words."""
    person = make_user(username="grace@council.example", first_name="Grace", last_name="Lewis")
    person.set_unusable_password()
    person.save()
    form_page = client.get(services.set_password_link(person), follow=True)
    hint = form_page.content.decode()
    assert "Your password must not be only numbers." in hint and "’t" not in hint and "n't" not in hint
    page = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    ).content.decode()
    summary = page[page.index('class="govuk-error-summary"') : page.index("</ul>", page.index("govuk-error"))]
    assert re.findall(r'<li><a href="#(\w+)">([^<]*)</a></li>', summary) == [("id_new_password1", message)]
    assert page.count(message) == 2  # the summary and the box


def test_a_wrong_password_is_told_in_govuk_style_and_the_hint_says_passwords_are_case_sensitive(
    client: Any,
) -> None:
    """Django's 'Enter a correct username and password. Both are case-sensitive.' ended with a full stop,
    as GOV.UK error messages do not, and was wrong about usernames that are email addresses."""
    make_user(username="grace@council.example", password="lantern-orchard-42")
    assert "Your password is case-sensitive." in client.get(reverse("login")).content.decode()
    page = client.post(
        reverse("login"), {"username": "grace@council.example", "password": "Lantern-orchard-42"}
    ).content.decode()
    summary = page[page.index('class="govuk-error-summary"') : page.index("</ul>", page.index("govuk-error"))]
    assert re.findall(r'<li><a href="#(\w+)">([^<]*)</a></li>', summary) == [
        ("id_username", "Enter a correct username and password")
    ]
    assert "Both are case-sensitive" not in page


def test_a_null_character_typed_at_sign_in_names_its_box(client: Any) -> None:
    """Django said 'Null characters are not allowed.', naming no box and ending with a full stop."""
    page = client.post(reverse("login"), {"username": "grace\x00", "password": "x\x00"}).content.decode()
    assert "Username must not include control characters" in page
    assert "Password must not include control characters" in page
    assert "Null characters are not allowed" not in page


def test_an_audit_entry_reads_in_the_councils_time() -> None:
    """Its text gave the time in UTC, an hour off the audit log page in British Summer Time."""
    event = AuditEvent(created_at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC), action="forum.updated")
    assert str(event) == "2026-07-01 09:30 system forum.updated"


def test_someone_signs_in_with_their_email_address_typed_with_capitals(client: Any) -> None:
    """The account form keeps the username in lower case: 'Grace@Council.example', as the administrator
    typed it and the person would too, was refused with 'Both are case-sensitive'."""
    make_user(username="grace@council.example", password="lantern-orchard-42")
    signed_in = client.post(
        reverse("login"), {"username": "Grace@Council.example", "password": "lantern-orchard-42"}
    )
    assert signed_in.status_code == 302
    client.logout()
    make_user(username="GRACE@council.example", password="other-orchard-42")  # two: which one is unclear
    refused = client.post(
        reverse("login"), {"username": "Grace@Council.example", "password": "lantern-orchard-42"}
    )
    assert refused.status_code == 200 and "Enter a correct username and password" in refused.content.decode()


def test_a_panel_member_given_an_account_learns_their_username_and_is_not_sent_to_the_staff_area(
    client: Any,
) -> None:
    """The link's page never said which username to sign in with (the account form made it from an email
    address the person may not have typed themselves), and both the page after it and the sign-in page
    spoke of 'the staff area', for council officers, facilitators and evaluators, to a panel member."""
    forum = make_forum()
    url = _account_form_as_council_admin(client, forum)
    link = client.post(url, _account("Alan Hughes", "Alan@Home.example", Role.PANEL_MEMBER)).context["link"]
    client.logout()
    form_page = client.get(link, follow=True)
    assert "Your username is <strong>alan@home.example</strong>" in form_page.content.decode()
    password = {"new_password1": "lantern-orchard-42", "new_password2": "lantern-orchard-42"}
    done = client.post(form_page.redirect_chain[-1][0], password, follow=True).content.decode()
    sign_in = client.get(reverse("login")).content.decode()
    assert "Password saved" in done
    assert "staff area" not in done and "staff area" not in sign_in
    assert "panel members and participants the council has given an account" in sign_in


def test_account_form_refuses_an_existing_email(client: Any) -> None:
    forum = make_forum()
    make_user(username="sam", email="sam@council.example")
    url = _account_form_as_council_admin(client, forum)
    page = client.post(
        url, {"first_name": "Sam", "last_name": "Reid", "email": "SAM@council.example", "role": ""}
    )
    text = page.content.decode()
    assert "There is already an account with this email address" in text
    assert "Select a role" in text and 'href="#id_email"' in text


def test_account_form_says_in_govuk_words_when_a_name_or_email_is_too_long(client: Any) -> None:
    forum = make_forum()
    url = _account_form_as_council_admin(client, forum)
    email = "g" * 140 + "@council.example"  # the email becomes the username, which holds 150
    data = {"first_name": "G" * 200, "last_name": "L" * 151, "email": email, "role": Role.FACILITATOR}
    text = client.post(url, data).content.decode()
    assert "First name must be 150 characters or fewer" in text
    assert "Last name must be 150 characters or fewer" in text
    assert "Email address must be 150 characters or fewer" in text
    assert "Ensure this value" not in text and 'href="#id_first_name"' in text
    assert not ForumRole.objects.filter(forum=forum, role=Role.FACILITATOR).exists()


def test_forum_summary_is_escaped_and_split_into_paragraphs(client: Any) -> None:
    forum = make_forum(summary="<script>alert(1)</script> first\n\n  second paragraph  ")
    page = client.get(forum.get_absolute_url()).content.decode()
    assert '<p class="govuk-body">&lt;script&gt;alert(1)&lt;/script&gt; first</p>' in page
    assert '<p class="govuk-body">second paragraph</p>' in page
    assert "<script>alert(1)" not in page


def test_a_stage_summary_keeps_the_paragraphs_the_officer_typed(client: Any) -> None:
    forum = make_forum()
    forum.stages.filter(kind="deliberation").update(summary="Six sessions.\n\n<b>Bring</b> a friend.")
    page = client.get(forum.get_absolute_url()).content.decode()
    assert '<p class="govuk-body">Six sessions.</p>' in page
    assert '<p class="govuk-body">&lt;b&gt;Bring&lt;/b&gt; a friend.</p>' in page


def test_giving_a_role_someone_already_holds_says_so_and_is_not_audited_again(client: Any) -> None:
    forum = make_forum()
    make_user(username="grace", first_name="Grace", last_name="Hopper")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    assert client.post(url, {"user": "grace", "role": Role.EVALUATOR}).status_code == 302
    again = client.post(url, {"user": "grace", "role": Role.EVALUATOR})
    page = again.content.decode()
    assert again.status_code == 200 and "<title>Error:" in page
    assert "Grace Hopper is already an evaluator on this forum" in page and 'href="#id_user"' in page
    assert AuditEvent.objects.filter(forum=forum, action="role.granted").count() == 1


def test_unticking_a_stage_is_audited_with_the_stages_removed(client: Any) -> None:
    forum = make_forum(title="Libraries forum", question="What should our libraries be for?", area="Northam")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    data = valid_form_data(current_stage="recruitment", stages=["recruitment", "selection", "evaluation"])
    for name in ("starts_on", "ends_on"):
        day = getattr(forum, name)
        data.update({f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)})
    url = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    assert client.post(url, data).status_code == 302
    details = AuditEvent.objects.get(action="forum.updated", forum=forum).details
    assert details["changed"] == ["stages"]
    assert details["stages_removed"] == ["design", "deliberation", "recommendations", "council_response"]
    assert details["stages_added"] == []


def test_a_stage_edit_is_audited_with_the_dates_before_and_after(client: Any) -> None:
    forum = make_forum(starts_on=date(YEAR, 1, 1), ends_on=date(YEAR, 12, 31))
    forum.stages.filter(kind="deliberation").update(starts_on=date(YEAR, 5, 1), summary="Six sessions")
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "deliberation"})
    data = {"starts_on_0": "8", "starts_on_1": "5", "starts_on_2": NEXT_YEAR, "summary": "Six sessions"}
    assert client.post(url, data).status_code == 302
    details = AuditEvent.objects.get(action="stage.updated", forum=forum).details
    assert details == {
        "stage": "deliberation",
        "changed": ["starts_on"],
        "starts_on": {"from": f"{YEAR}-05-01", "to": f"{YEAR}-05-08"},
    }


def test_an_officer_cannot_remove_their_own_officer_role_and_lock_themselves_out(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    client.force_login(officer)
    own = ForumRole.objects.get(forum=forum, user=officer)
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": own.pk})
    page = client.post(remove, follow=True)
    assert page.status_code == 200
    assert "You cannot remove your own forum officer role" in page.content.decode()
    assert ForumRole.objects.filter(pk=own.pk).exists()
    assert not AuditEvent.objects.filter(action="role.removed").exists()


def test_the_people_page_says_why_an_officer_cannot_remove_their_own_role_instead_of_offering_it(
    client: Any,
) -> None:
    """The page offered 'Remove' on the officer's own role, and following it was refused. It now says
    why in its place; other roles keep the link, as does a council administrator's own officer role,
    which they may remove."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    helper = ForumRole.objects.create(forum=forum, user=make_user(), role=Role.FACILITATOR)
    own = ForumRole.objects.get(forum=forum, user=officer)

    def remove(forum_role: ForumRole) -> str:
        url = reverse(
            "processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": forum_role.pk}
        )
        return f'href="{url}"'

    people = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    client.force_login(officer)
    page = client.get(people).content.decode()
    assert remove(own) not in page and remove(helper) in page
    assert page.count("You cannot remove your own forum officer role.") == 1
    admin = make_user_with_role(COUNCIL_ADMIN, forum)
    admins_own = ForumRole.objects.create(forum=forum, user=admin, role=Role.OFFICER)
    client.force_login(admin)
    page = client.get(people).content.decode()
    assert remove(admins_own) in page and remove(own) in page and "You cannot remove" not in page


def test_only_removing_the_last_active_forum_officer_warns_that_nobody_will_run_the_forum() -> None:
    forum = make_forum()
    first = ForumRole.objects.create(
        forum=forum, user=make_user(first_name="Ada", last_name="Byron"), role=Role.OFFICER
    )
    helper = ForumRole.objects.create(forum=forum, user=make_user(), role=Role.FACILITATOR)
    assert services.role_removal_warning(helper) == ""
    second = ForumRole.objects.create(forum=forum, user=make_user(), role=Role.OFFICER)
    assert services.role_removal_warning(first) == "" and services.role_removal_warning(second) == ""
    second.user.is_active = False  # a deactivated officer runs nothing
    second.user.save()
    assert services.role_removal_warning(first) == (
        "Ada Byron is the only forum officer. Without a forum officer, nobody will run this forum day to "
        "day: only council administrators will be able to manage it."
    )


def test_a_council_administrator_confirms_before_removing_the_last_forum_officer(client: Any) -> None:
    """The last officer's role went at one press, with no word that only council administrators would be
    left to run the forum. The confirmation page now says so and asks for a tick; other removals do not."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    own = ForumRole.objects.get(forum=forum, user=officer)
    client.force_login(make_user_with_role(COUNCIL_ADMIN, forum))
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": own.pk})
    page = client.get(remove).content.decode()
    assert "govuk-warning-text" in page and "nobody will run this forum day to day" in page
    assert "I understand that this forum will have no forum officer" in page
    refused = client.post(remove)
    assert refused.status_code == 200 and ForumRole.objects.filter(pk=own.pk).exists()
    page = refused.content.decode()
    assert "<title>Error: " in page and 'href="#id_understood"' in page
    assert "Confirm that this forum will have no forum officer, or give someone else the role first" in page
    assert not AuditEvent.objects.filter(action="role.removed").exists()
    assert client.post(remove, {"understood": "on"}).status_code == 302
    assert not ForumRole.objects.filter(pk=own.pk).exists()
    assert AuditEvent.objects.filter(action="role.removed", forum=forum).count() == 1


@racing
def test_two_administrators_removing_the_last_two_officers_at_once_leave_one_and_ask_for_the_tick(
    client: Any,
) -> None:
    """Each administrator's page showed two officers, so neither was asked to confirm. Without a lock each
    removal counted the other officer as still there and the forum was left with none, unconfirmed: the
    second now waits for the first, is refused, and its page asks for the tick."""
    forum = make_forum()
    first, second = (ForumRole.objects.create(forum=forum, user=make_user(), role=Role.OFFICER) for _ in "12")
    client.force_login(make_user_with_role(COUNCIL_ADMIN, forum))
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": second.pk})
    colleague = make_user_with_role(COUNCIL_ADMIN, forum)

    outcomes = race(
        lambda: services.remove_role(colleague, ForumRole.objects.get(pk=first.pk)),
        lambda: client.post(remove),
    )

    assert outcomes[0] is None and outcomes[1].status_code == 200
    page = outcomes[1].content.decode()
    assert "<title>Error: " in page and "is the only forum officer" in page
    assert "Confirm that this forum will have no forum officer, or give someone else the role first" in page
    assert list(ForumRole.objects.filter(forum=forum, role=Role.OFFICER)) == [second]
    assert AuditEvent.objects.filter(action="role.removed").count() == 1


@racing
def test_one_role_removed_by_two_people_at_once_is_removed_and_audited_once(client: Any) -> None:
    """The second removal found the role gone only after the first committed, and recorded a second
    'role removed' for it in the audit log; it now says the role is no longer there."""
    forum = make_forum()
    helper = ForumRole.objects.create(forum=forum, user=make_user(), role=Role.FACILITATOR)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": helper.pk})
    colleague = make_user_with_role(Role.OFFICER, forum)

    outcomes = race(lambda: services.remove_role(colleague, helper), lambda: client.post(remove, follow=True))

    assert outcomes[0] is None and "That role is no longer on this forum" in outcomes[1].content.decode()
    assert AuditEvent.objects.filter(action="role.removed").count() == 1


def test_the_forum_summary_box_says_how_to_make_paragraphs(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    page = client.get(reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})).content.decode()
    assert 'id="id_summary_hint"' in page
    assert "Leave a blank line between paragraphs" in page.split('id="id_summary_hint"')[1][:200]


def test_a_stage_with_only_an_end_date_shows_it_on_the_timeline(client: Any) -> None:
    forum = make_forum(starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    forum.stages.filter(kind="council_response").update(ends_on=date(2027, 6, 30))
    page = client.get(forum.get_absolute_url()).content.decode()
    assert '<div class="govuk-task-list__hint">Ends 30 June 2027</div>' in page


def _new_link_url(forum: Any, user: Any) -> str:
    return reverse("processes:forum_set_password_link", kwargs={"forum_slug": forum.slug, "user_id": user.pk})


def test_an_officer_sends_a_new_set_password_link_when_the_first_one_expired(client: Any) -> None:
    forum = make_forum()
    newcomer = make_user(username="grace@council.example", first_name="Grace", last_name="Lewis")
    newcomer.set_unusable_password()
    newcomer.save()
    ForumRole.objects.create(forum=forum, user=newcomer, role=Role.PANEL_MEMBER)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    people = client.get(reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})).content.decode()
    assert f'action="{_new_link_url(forum, newcomer)}"' in people
    assert client.get(_new_link_url(forum, newcomer)).status_code == 405
    response = client.post(_new_link_url(forum, newcomer))
    assert "New set-password link for Grace Lewis" in response.content.decode()
    assert AuditEvent.objects.filter(action="account.link_issued", forum=forum).count() == 1
    client.logout()
    assert "Choose a password" in client.get(response.context["link"], follow=True).content.decode()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(3 * 24 * 3600, "3 days"), (24 * 3600, "1 day"), (12 * 3600, "12 hours"), (90 * 60, "90 minutes")],
)
def test_the_link_pages_say_how_long_a_link_works_from_the_setting(
    client: Any, seconds: int, words: str
) -> None:
    """The pages said '3 days' whatever PASSWORD_RESET_TIMEOUT, after which Django refuses the link, was."""
    forum = make_forum()
    newcomer = make_user(first_name="Grace", last_name="Lewis")
    newcomer.set_unusable_password()  # no password chosen yet: a new link is offered
    newcomer.save()
    ForumRole.objects.create(forum=forum, user=newcomer, role=Role.PANEL_MEMBER)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    expired = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"})
    with override_settings(PASSWORD_RESET_TIMEOUT=seconds):
        assert link_lifetime() == words
        issued = client.post(_new_link_url(forum, newcomer)).content.decode()
        assert f"It works once and expires in {words}." in issued
        client.logout()
        refused = client.get(expired).content.decode()
        assert f"Links to choose a password work once and only for {words}." in refused


def test_a_button_address_opened_from_the_history_says_what_happened_and_links_on(client: Any) -> None:
    """The new-link page's address, opened again from the browser's history or with Back and Forward,
    was an empty page (Django's bare 405): no words, no header, no way on."""
    forum = make_forum()
    newcomer = make_user(first_name="Grace", last_name="Lewis")
    ForumRole.objects.create(forum=forum, user=newcomer, role=Role.PANEL_MEMBER)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    response = client.get(_new_link_url(forum, newcomer))
    page = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "This page cannot be opened again" in page and "press it again" in page
    assert f'href="{reverse("processes:home")}"' in page and "govuk-skip-link" in page


def test_a_new_set_password_link_is_refused_once_a_password_is_chosen_or_too_many_were_made(
    client: Any,
) -> None:
    forum = make_forum()
    chosen = make_user(first_name="Sam", last_name="Reid")  # has a password: a link would let its holder in
    waiting = make_user(first_name="Ada", last_name="Byron")
    waiting.set_unusable_password()
    waiting.save()
    for person in (chosen, waiting):
        ForumRole.objects.create(forum=forum, user=person, role=Role.PARTICIPANT)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    page = client.post(_new_link_url(forum, chosen), follow=True).content.decode()
    assert "Sam Reid has already chosen a password" in page
    for _ in range(5):
        assert client.post(_new_link_url(forum, waiting)).status_code == 200
    page = client.post(_new_link_url(forum, waiting), follow=True).content.decode()
    assert "5 set-password links have been made for Ada Byron in the last 24 hours" in page
    assert AuditEvent.objects.filter(action="account.link_issued").count() == 5
    stranger = make_user()
    stranger.set_unusable_password()
    stranger.save()
    assert client.post(_new_link_url(forum, stranger)).status_code == 404


def _forum_with_residents() -> Forum:
    forum = make_forum()
    ForumRole.objects.create(
        forum=forum, user=make_user(first_name="Ada", last_name="Byron"), role="facilitator"
    )
    ForumRole.objects.create(
        forum=forum,
        user=make_user(username="pat@example.org", first_name="Pat", last_name="Panel"),
        role="panel_member",
    )
    ForumRole.objects.create(forum=forum, user=make_user(username="sam@example.org"), role="panel_member")
    for name in ("Quinn", "Robin"):
        ForumRole.objects.create(
            forum=forum, user=make_user(first_name=name, last_name="Public"), role="participant"
        )
    return forum


@pytest.mark.parametrize("viewer", [Role.EVALUATOR, Role.FACILITATOR, Role.OFFICER, COUNCIL_ADMIN])
def test_the_staff_page_names_the_staff_and_counts_the_residents(client: Any, viewer: str) -> None:
    """The page staff open many times a day names no resident, so it needs no entry in the audit log."""
    forum = _forum_with_residents()
    client.force_login(make_user_with_role(viewer, forum))
    page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})).content.decode()
    assert "Ada Byron" in page  # staff see who else runs the forum
    assert "Pat Panel" not in page and "2 panel members with an account<" in page
    assert "Quinn Public" not in page and "2 public participants with an account<" in page
    assert not AuditEvent.objects.filter(action="recruitment.personal_data_viewed").exists()


@pytest.mark.parametrize(
    ("viewer", "manages"),
    [(Role.EVALUATOR, False), (Role.FACILITATOR, False), (Role.OFFICER, True), (COUNCIL_ADMIN, True)],
)
def test_only_those_who_run_the_forum_are_told_they_manage_it(
    client: Any, viewer: str, manages: bool
) -> None:
    """An evaluator's staff page was titled 'Manage Parks forum', and the public page offered them 'Manage
    this forum', though they can only look: the words say what the role can do."""
    forum = make_forum(title="Parks forum")
    make_user_with_role(Role.OFFICER, forum)
    client.force_login(make_user_with_role(viewer, forum))
    staff = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})).content.decode()
    public = client.get(reverse("processes:forum", kwargs={"forum_slug": forum.slug})).content.decode()
    title = re.search(r"<title>(.*?)</title>", staff, re.S)[1].strip()
    if manages:
        assert title.startswith("Manage Parks forum – ")
        assert "Manage this forum" in public and "Change forum details" in staff
    else:
        assert title.startswith("Parks forum – Staff area – ")
        assert "Manage" not in staff and "Run the forum" not in staff and "Change forum details" not in staff
        assert "Manage this forum" not in public and "See this forum in the staff area" in public


def test_the_staff_page_counts_accounts_not_the_panel_drawn(client: Any) -> None:
    """Its 'People' list said '2 panel members' beside 'Panel size 60 residents': it counts the accounts
    given the role, not the members drawn, and read as if the panel had two members."""
    forum = _forum_with_residents()
    client.force_login(make_user_with_role(Role.EVALUATOR, forum))
    page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})).content.decode()
    assert "<li>2 panel members with an account</li>" in page


def test_one_resident_in_a_role_is_counted_as_one(client: Any) -> None:
    forum = _forum_with_residents()
    ForumRole.objects.filter(forum=forum, role="participant", user__first_name="Robin").delete()
    client.force_login(make_user_with_role(Role.EVALUATOR, forum))
    page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})).content.decode()
    assert "1 public participant with an account<" in page and "2 panel members with an account<" in page


@pytest.mark.parametrize(
    ("viewer", "named", "counted"),
    [
        (Role.FACILITATOR, ["Pat Panel", "Name not given"], "2 public participants with an account<"),
        (Role.OFFICER, ["Pat Panel", "sam@example.org", "Quinn Public", "Robin Public"], ""),
        (COUNCIL_ADMIN, ["Pat Panel", "sam@example.org", "Quinn Public", "Robin Public"], ""),
    ],
)
def test_the_people_page_names_residents_only_to_those_who_need_them_and_records_each_view(
    client: Any, viewer: str, named: list[str], counted: str
) -> None:
    """Facilitators work with the panel: they see its members' names, never their email addresses (the
    usernames) nor the public participants. Officers manage the accounts. Every view is in the audit log,
    with how many residents it named, like the recruitment pages' personal data."""
    forum = _forum_with_residents()
    user = make_user_with_role(viewer, forum)
    client.force_login(user)
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    response = client.get(url)
    page = response.content.decode()
    assert "Ada Byron" in page and all(name in page for name in named)
    assert "no-store" in response["Cache-Control"]
    if viewer == Role.FACILITATOR:
        assert "pat@example.org" not in page and "sam@example.org" not in page and "Quinn Public" not in page
        assert counted in page and "Give someone a role" not in page and "Remove" not in page
        assert client.post(url, {"user": "someone", "role": "panel_member"}).status_code == 403
    event = AuditEvent.objects.get(action="recruitment.personal_data_viewed", forum=forum)
    assert event.actor == user and event.details == {"what": "people on the forum", "people": len(named)}
    client.get(url)
    assert AuditEvent.objects.filter(action="recruitment.personal_data_viewed", forum=forum).count() == 2


def test_removing_a_role_asks_for_confirmation_on_a_page_of_its_own(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    helper = ForumRole.objects.create(
        forum=forum, user=make_user(first_name="Grace", last_name="Hopper"), role=Role.FACILITATOR
    )
    client.force_login(officer)
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": helper.pk})
    people = client.get(reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})).content.decode()
    assert f'href="{remove}"' in people and f'action="{remove}"' not in people
    page = client.get(remove).content.decode()
    assert "Are you sure you want to remove Grace Hopper as facilitator?" in page
    assert f'action="{remove}"' in page and ForumRole.objects.filter(pk=helper.pk).exists()
    assert client.post(remove).status_code == 302 and not ForumRole.objects.filter(pk=helper.pk).exists()
    own = ForumRole.objects.get(forum=forum, user=officer)
    own_remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": own.pk})
    refused = client.get(own_remove, follow=True).content.decode()
    assert "You cannot remove your own forum officer role" in refused and "Are you sure" not in refused


def test_the_remove_role_page_naming_a_resident_is_recorded_like_the_people_page(client: Any) -> None:
    """Asking to remove a panel member's role showed their name to the officer with no entry in the audit
    log, unlike the people page it comes from. Now it is recorded as personal data viewed (and not kept
    in the browser's cache); a staff member's name, shown on every staff page, is not."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    member = ForumRole.objects.create(
        forum=forum, user=make_user(first_name="Pat", last_name="Panel"), role=Role.PANEL_MEMBER
    )
    helper = ForumRole.objects.create(
        forum=forum, user=make_user(first_name="Grace", last_name="Hopper"), role=Role.FACILITATOR
    )
    client.force_login(officer)

    def remove_page(role: ForumRole) -> Any:
        return client.get(
            reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": role.pk})
        )

    response = remove_page(member)
    assert "Are you sure you want to remove Pat Panel as panel member?" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="recruitment.personal_data_viewed", forum=forum)
    assert event.actor == officer and event.details == {"what": "remove-role confirmation", "people": 1}
    assert "Grace Hopper" in remove_page(helper).content.decode()
    assert AuditEvent.objects.filter(action="recruitment.personal_data_viewed").count() == 1


def test_a_role_not_offered_on_the_account_form_says_select_a_role(client: Any) -> None:
    forum = make_forum()
    url = _account_form_as_council_admin(client, forum)
    data = {"first_name": "Sam", "last_name": "Reid", "email": "sam@council.example", "role": "wizard"}
    page = client.post(url, data).content.decode()
    assert "Select a role" in page and "Select a valid choice" not in page
    assert not ForumRole.objects.filter(forum=forum).exists()


@pytest.mark.parametrize("username", ["old-account", "sam@council.example"])
def test_account_form_refuses_the_email_of_a_deactivated_account(client: Any, username: str) -> None:
    forum = make_forum()
    make_user(username=username, email="sam@council.example", is_active=False)
    url = _account_form_as_council_admin(client, forum)
    data = {"first_name": "Sam", "last_name": "Reid", "email": "Sam@Council.example", "role": "participant"}
    page = client.post(url, data).content.decode()
    assert "This email address belongs to a deactivated account" in page
    assert "Ask a site administrator to reactivate it" in page and 'href="#id_email"' in page
    assert not ForumRole.objects.filter(forum=forum, role=Role.PARTICIPANT).exists()


def test_an_officer_cannot_take_over_someone_who_has_a_role_on_a_forum_they_do_not_manage(
    client: Any,
) -> None:
    """Any officer may give any account a role on their own forum: without this check, an officer of one
    forum could add a newly created officer of another forum to theirs, make a set-password link for
    them and sign in as them."""
    theirs, other = make_forum(), make_forum()
    newcomer = make_user(first_name="Ada", last_name="Byron")
    newcomer.set_unusable_password()
    newcomer.save()
    ForumRole.objects.create(forum=other, user=newcomer, role=Role.OFFICER)
    officer = make_user_with_role(Role.OFFICER, theirs)
    ForumRole.objects.create(forum=theirs, user=newcomer, role=Role.PARTICIPANT)
    client.force_login(officer)
    page = client.post(_new_link_url(theirs, newcomer), follow=True).content.decode()
    assert "Ada Byron also has a role on a forum you do not manage" in page
    assert not AuditEvent.objects.filter(action="account.link_issued").exists()
    ForumRole.objects.create(forum=other, user=officer, role=Role.OFFICER)  # managing both forums: allowed
    assert (
        "New set-password link for Ada Byron" in client.post(_new_link_url(theirs, newcomer)).content.decode()
    )


def test_a_new_forum_stays_hidden_until_its_officer_shows_it(client: Any) -> None:
    """The create form had 'Show this forum on the public website' ticked, so a forum being drafted was
    on the public site from the moment it was saved. Its staff now see it, with a banner saying it is
    hidden and where to show it."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    form = client.get(reverse("processes:forum_create")).content.decode()
    box = re.search(r'<input type="checkbox" name="published"[^>]*>', form)
    assert box and "checked" not in box.group()
    data = valid_form_data(council=str(forum.council.pk))
    del data["published"]  # an unticked box is not sent
    client.post(reverse("processes:forum_create"), data)
    created = Forum.objects.get(title="Libraries forum")
    assert not created.published
    staff_page = client.get(
        reverse("processes:forum_staff", kwargs={"forum_slug": created.slug})
    ).content.decode()
    assert "This forum is not shown on the public website" in staff_page
    assert (
        "This forum is not shown on the public website"
        in client.get(created.get_absolute_url()).content.decode()
    )
    client.logout()
    assert client.get(created.get_absolute_url()).status_code == 404
    assert "Libraries forum" not in client.get(reverse("processes:home")).content.decode()


def test_a_forum_cannot_be_hidden_while_residents_can_register(client: Any) -> None:
    """Unticking 'Show this forum' while registration was open sent residents following their letters to
    a missing page."""
    from civicforum.recruitment.models import RecruitmentSettings

    forum = make_forum()
    RecruitmentSettings.objects.create(forum=forum, registration_open=True)
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    edit = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    data = valid_form_data(current_stage=forum.current_stage)
    del data["published"]
    page = client.post(edit, data).content.decode()
    assert "Close registration before hiding the forum" in page
    forum.refresh_from_db()
    assert forum.published
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)
    assert client.post(edit, data).status_code == 302
    forum.refresh_from_db()
    assert not forum.published


def test_the_django_admin_keeps_a_new_forums_address_as_short_as_the_create_form_does(
    admin_client: Any,
) -> None:
    """The admin filled a new forum's address from its title up to 100 characters, too long for its letters to
    print; forums that already have a longer address keep it."""
    add = admin_client.get(reverse("admin:processes_forum_add")).content.decode()
    assert re.search(r'<input[^>]*name="slug"[^>]*maxlength="50"', add)
    long_slug = "a" * 60
    refused = admin_client.post(reverse("admin:processes_forum_add"), {"slug": long_slug, "title": "T"})
    assert "Ensure this value has at most 50 characters" in refused.content.decode()
    existing = make_forum(slug="b" * 80)
    change = admin_client.get(reverse("admin:processes_forum_change", args=[existing.pk])).content.decode()
    assert re.search(r'<input[^>]*name="slug"[^>]*maxlength="100"', change)


def test_staff_pages_breadcrumbs_lead_back_through_the_staff_area_and_the_forum(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    staff_area = (reverse("processes:dashboard"), "Staff area")
    manage = (reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug}), forum.title)
    recruitment = (reverse("recruitment:overview", kwargs={"forum_slug": forum.slug}), "Recruitment")

    def breadcrumbs(url: str) -> list[tuple[str, str]]:
        page = client.get(url).content.decode()
        nav = re.search(r'<nav class="govuk-breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)
        assert nav, url
        return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]+)">([^<]+)</a>', nav[1])

    assert breadcrumbs(manage[0]) == [staff_area]
    audit_log = reverse("processes:audit_log", kwargs={"forum_slug": forum.slug})
    assert breadcrumbs(audit_log) == [staff_area, manage]
    quotas = reverse("recruitment:quotas", kwargs={"forum_slug": forum.slug})
    assert breadcrumbs(quotas) == [staff_area, manage, recruitment]


def test_a_new_sites_superuser_is_told_where_to_add_the_first_council(client: Any) -> None:
    """A fresh site's superuser saw only 'You do not work on any forums yet', and Create a forum answered
    403 (no council to open it in): adding the council and its administrator needs the site
    administration, which nothing pointed to."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("site-admin", "a@example.org", "x" * 16))
    page = " ".join(client.get(reverse("processes:dashboard")).content.decode().split())
    assert f'<a class="govuk-link" href="{reverse("admin:processes_council_add")}">Add a council</a>' in page
    assert reverse("admin:core_counciladministrator_add") in page
    assert client.get(reverse("admin:processes_council_add")).status_code == 200
    council_admin = make_user_with_role(COUNCIL_ADMIN, make_forum())
    client.force_login(council_admin)
    assert "Add a council" not in client.get(reverse("processes:dashboard")).content.decode()


def test_the_forum_staff_page_names_the_council_administrators_who_run_it(client: Any) -> None:
    """A council administrator runs every forum of their council without a role on each, and the forum's
    page said 'No one has a role on this forum yet' while they ran it."""
    forum = make_forum(title="Parks forum")
    council_admin = make_user_with_role(COUNCIL_ADMIN, forum)
    council_admin.first_name, council_admin.last_name = "Jo", "Patel"
    council_admin.save()
    client.force_login(council_admin)
    page = " ".join(client.get(reverse("processes:forum_staff", args=[forum.slug])).content.decode().split())
    assert "Jo Patel <span" in page and "(council administrator)" in page
    assert "No one has a role on this forum yet" not in page
