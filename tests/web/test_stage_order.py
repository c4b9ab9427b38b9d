"""A forum's stages run in order: each starts on or after the day the one before it ends."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from tests.factories import make_forum, make_user_with_role

from civicforum.core.models import Role
from civicforum.processes import services
from civicforum.processes.models import Stage

pytestmark = pytest.mark.django_db

# Next year: a forum form whose dates have passed also asks to confirm the forum has already run.
YEAR = date.today().year + 1


def typed(name: str, day: date) -> dict[str, str]:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


@pytest.fixture
def forum_with_recruitment_and_deliberation() -> Any:
    """Recruitment in January, deliberation from March to May; selection is not yet dated."""
    forum = make_forum(starts_on=date(YEAR, 1, 1), ends_on=date(YEAR, 12, 31))
    Stage.objects.filter(forum=forum, kind="recruitment").update(
        starts_on=date(YEAR, 1, 4), ends_on=date(YEAR, 1, 29)
    )
    Stage.objects.filter(forum=forum, kind="deliberation").update(
        starts_on=date(YEAR, 3, 6), ends_on=date(YEAR, 5, 15)
    )
    return forum


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            typed("starts_on", date(YEAR, 1, 20)) | typed("ends_on", date(YEAR, 2, 10)),
            "starts_on",
            f"Start date must be on or after the end of the Recruitment stage, 29 January {YEAR}: "
            "Selection comes after Recruitment",
        ),
        (
            typed("starts_on", date(YEAR, 2, 10)) | typed("ends_on", date(YEAR, 3, 20)),
            "ends_on",
            f"End date must be on or before the start of the Deliberation stage, 6 March {YEAR}: "
            "Selection comes before Deliberation",
        ),
        (
            typed("ends_on", date(YEAR, 1, 2)),
            "ends_on",
            f"End date must be on or after the end of the Recruitment stage, 29 January {YEAR}: "
            "Selection comes after Recruitment",
        ),
    ],
)
def test_a_stage_that_overlaps_or_comes_before_its_neighbour_is_refused_naming_both_stages(
    client: Any, forum_with_recruitment_and_deliberation: Any, dates: dict[str, str], field: str, message: str
) -> None:
    forum = forum_with_recruitment_and_deliberation
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "selection"})
    page = client.post(url, dates).content.decode()
    assert page.count(message) == 2  # the summary and the field
    assert f'href="#id_{field}_0">{message}' in page
    assert forum.stages.get(kind="selection").starts_on is None


def test_a_stage_may_start_the_day_the_one_before_it_ends_skipping_stages_without_dates(
    client: Any, forum_with_recruitment_and_deliberation: Any
) -> None:
    forum = forum_with_recruitment_and_deliberation
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "recommendations"})
    # Selection has no dates, so deliberation is recommendations' neighbour; a handover day is shared.
    response = client.post(url, typed("starts_on", date(YEAR, 5, 15)) | typed("ends_on", date(YEAR, 6, 1)))
    assert response.status_code == 302
    assert forum.stages.get(kind="recommendations").starts_on == date(YEAR, 5, 15)


def test_the_forum_dates_cannot_be_moved_off_its_dated_stages(
    client: Any, forum_with_recruitment_and_deliberation: Any
) -> None:
    from tests.web.test_forum_pages import valid_form_data

    forum = forum_with_recruitment_and_deliberation
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})
    dates = typed("starts_on", date(YEAR, 2, 1)) | typed("ends_on", date(YEAR, 4, 30))
    page = client.post(url, valid_form_data(**dates)).content.decode()
    for message in (
        f"Start date must be on or before 4 January {YEAR}, when the Recruitment stage starts: "
        "change that stage’s dates first",
        f"End date must be on or after 15 May {YEAR}, when the Deliberation stage ends: "
        "change that stage’s dates first",
    ):
        assert page.count(message) == 2
    forum.refresh_from_db()
    assert forum.starts_on == date(YEAR, 1, 1)
    # A stage the forum no longer includes takes its dates with it.
    assert client.post(url, valid_form_data(stages=["design"], **dates)).status_code == 302


def test_the_forum_form_warns_that_unticking_a_stage_deletes_its_dates_only_once_it_has_some(
    client: Any,
) -> None:
    """A new forum has no stage dates to lose: the warning on the create page only worried the officer."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    warning = "Unticking a stage deletes its dates and description."
    page = client.get(reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug})).content.decode()
    assert warning in page
    assert warning not in client.get(reverse("processes:forum_create")).content.decode()


def test_stage_dates_in_the_past_that_the_timeline_contradicts_need_a_tick(client: Any) -> None:
    """The forum form asked to confirm dates in the past, the stage form never did: a Deliberation stage
    typed a year early (or on a forum whose current stage was not moved on) ended before today while the
    timeline still showed it 'Not started'. A stage already completed on the timeline needs no tick."""
    today = date.today()
    forum = make_forum(starts_on=today - timedelta(days=400), ends_on=today + timedelta(days=300))
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "deliberation"})
    past = typed("starts_on", today - timedelta(days=60)) | typed("ends_on", today - timedelta(days=10))

    refused = client.post(url, past)

    page = refused.content.decode()
    assert refused.status_code == 200 and forum.stages.get(kind="deliberation").ends_on is None
    ended = today - timedelta(days=10)
    assert f"The end date, {ended:%-d %B %Y}, is in the past, but the forum’s current stage is " in page
    assert "so the timeline shows Deliberation as not started" in page
    assert 'href="#id_past_dates">Tick to confirm that these dates are right, or change them' in page
    assert page.index('name="ends_on_2"') < page.index('name="past_dates"') < page.index('name="summary"')
    assert client.post(url, past | {"past_dates": "on"}).status_code == 302
    assert forum.stages.get(kind="deliberation").ends_on == ended
    # Saved again with the same dates (a new description), it is not asked again.
    assert client.post(url, past | {"summary": "Six sessions"}).status_code == 302
    design = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "design"})
    before = typed("starts_on", today - timedelta(days=90)) | typed("ends_on", today - timedelta(days=61))
    assert client.post(design, before).status_code == 302


@pytest.mark.parametrize(
    ("kind", "starts", "ends", "asked"),
    [
        ("recruitment", -20, 20, False),  # the current stage began before today: as expected
        ("recruitment", -20, -1, True),  # ...but it ended yesterday and still shows in progress
        ("selection", -1, None, True),  # not started, yet its start date has passed
        ("selection", 0, 10, False),  # starts today
    ],
)
def test_which_stage_dates_in_the_past_ask_for_a_tick(
    kind: str, starts: int, ends: int | None, asked: bool
) -> None:
    today = date.today()
    forum = make_forum()  # in recruitment
    stage = forum.stages.get(kind=kind)
    ends_on = today + timedelta(days=ends) if ends is not None else None
    warning = services.stage_past_dates_warning(stage, today + timedelta(days=starts), ends_on)
    assert bool(warning) is asked
    assert not asked or f"timeline shows {stage.get_kind_display()} as " in warning
