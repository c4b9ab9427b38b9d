"""A selection that cannot be made is explained in the officer's words: the questions and answers as they
typed them (not internal keys or engine options), and a pool too small for the panel said plainly."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from tests.recruitment.conftest import run_selection, staff_url

from civicforum.recruitment.models import QuotaCategory, SelectionRun
from civicforum.recruitment.services import feasibility, quotas
from civicforum.selection.types import Instance, Person


def test_a_failed_run_and_the_quotas_page_name_the_questions_and_answers_the_officer_typed(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    forum = pool[0].forum
    QuotaCategory.objects.filter(question__forum=forum, key="north-ward").update(min_members=12)
    QuotaCategory.objects.filter(question__forum=forum, key="south-ward").update(min_members=1)
    run = run_selection(forum, officer, "leximin")
    assert run.status == "failed"
    clash = "The quotas for “Ward” add up to at least 13 but the panel has only 12 places."
    assert clash in run.error
    assert "(Ward): lower the minimum from" in run.error
    for internal in ("north-ward", "south-ward", "ward ", "flex"):
        assert internal not in run.error
    html = signed_in_client(officer).get(f"/staff/forums/{forum.slug}/recruitment/quotas/").content.decode()
    assert clash in html and "north-ward" not in html.split("<form")[0]
    assert "Change the panel size" not in html


def test_a_pool_smaller_than_the_panel_is_said_plainly_with_a_link_to_the_panel_size(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    forum = pool[0].forum
    forum.panel_size = 500
    forum.save()
    run = run_selection(forum, officer, "leximin")
    plainly = (
        "The pool has 150 volunteers but the panel has 500 places. "
        "Recruit more volunteers or reduce the panel size."
    )
    assert run.status == "failed" and plainly in run.error and "flex" not in run.error
    client = signed_in_client(officer)
    edit = f"/staff/forums/{forum.slug}/edit/"
    link = f'<a class="govuk-link" href="{edit}#id_panel_size">Change the panel size</a>'
    staff = f"/staff/forums/{forum.slug}/recruitment"
    for path in (f"{staff}/selection/{run.pk}/", f"{staff}/quotas/"):
        html = client.get(path).content.decode()
        assert plainly in html and link in html
    assert 'id="id_panel_size"' in client.get(edit).content.decode()

    forum.panel_size = 130
    forum.save()
    households = len({respondent.invitation_id for respondent in pool})
    assert feasibility.pool_shortfall(quotas.build_instance(forum)) == (
        f"The pool has 150 volunteers but they live in only {households} households, and only one person per "
        "household can be on a panel of 130. Recruit more volunteers or reduce the panel size."
    )


def test_the_quotas_and_run_the_selection_pages_list_the_smallest_change_as_clean_bullets(
    pool: Any, officer: Any, signed_in_client: Any
) -> None:
    """The engine lists the smallest change as "  - " lines for the command line; the pages showed them
    as bullets starting with a stray "- ". Now each change is a bullet of its own under the line that
    introduces it, and reads as a sentence."""
    forum = pool[0].forum
    QuotaCategory.objects.filter(question__forum=forum, key="north-ward").update(min_members=12)
    QuotaCategory.objects.filter(question__forum=forum, key="south-ward").update(min_members=1)
    client = signed_in_client(officer)
    staff = f"/staff/forums/{forum.slug}/recruitment"
    run = run_selection(forum, officer, "leximin")
    assert "\n  - “South Ward” (Ward): lower the minimum from 1 to 0" in run.error  # the CLI's plain text
    for path in (f"{staff}/quotas/", f"{staff}/selection/", f"{staff}/selection/{run.pk}/"):
        html = client.get(path).content.decode()
        assert "<li>Smallest change that makes a panel possible (total 1):\n" in html
        assert (
            '<ul class="govuk-list govuk-list--bullet"><li>“South Ward” (Ward): lower the minimum from 1 to 0'
            "</li></ul></li>" in html
        )
        assert "<li>  -" not in html and "<li>-" not in html and "<li> -" not in html


def test_a_pool_of_one_volunteer_is_counted_as_one() -> None:
    assert feasibility.pool_shortfall(Instance((Person("p0", {}),), (), 2)) == (
        "The pool has 1 volunteer but the panel has 2 places. Recruit more volunteers or reduce the panel "
        "size."
    )


def test_a_pool_too_small_writes_its_counts_as_gov_uk_style_does() -> None:
    """'The pool has 1200 volunteers': GOV.UK style writes 1,200."""
    people = tuple(Person(f"p{number}", {}, household=f"h{number % 1100}") for number in range(1200))
    assert feasibility.pool_shortfall(Instance(people, (), 1500)) == (
        "The pool has 1,200 volunteers but the panel has 1,500 places. Recruit more volunteers or reduce the "
        "panel size."
    )
    assert feasibility.pool_shortfall(Instance(people, (), 1150)) == (
        "The pool has 1,200 volunteers but they live in only 1,100 households, and only one person per "
        "household can be on a panel of 1,150. Recruit more volunteers or reduce the panel size."
    )


UNDECIDED = (
    "The quotas could not be checked within 0 seconds, so it is not known whether any panel can meet them "
    "all."
)


@pytest.fixture
def check_runs_out_of_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's quota check stops before deciding, as a large pool can make it do within its minute."""
    monkeypatch.setattr(importlib.import_module("civicforum.selection.diagnose"), "SOLVE_TIME_LIMIT", 0.0)


def test_a_quota_check_that_runs_out_of_time_is_not_shown_as_quotas_that_can_be_met(
    pool: Any, officer: Any, signed_in_client: Any, check_runs_out_of_time: None
) -> None:
    """Both pages showed nothing, as if the quotas were fine. Now they say the check could not finish, what
    that means and what to do, and the selection can still be started: its own search takes longer."""
    forum = pool[0].forum
    client = signed_in_client(officer)
    quotas_page = client.get(staff_url("quotas", forum)).content.decode()
    assert UNDECIDED in quotas_page
    assert "A panel meeting every quota can be drawn" not in quotas_page
    start_page = client.get(staff_url("start_selection", forum)).content.decode()
    for said in (
        UNDECIDED,
        "You can still start the selection, which searches for longer. If no panel can meet the quotas, the "
        "draw stops and says so.",
        "Or loosen some of the quotas (lower a minimum or raise a maximum) and save them to check again.",
    ):
        assert said in quotas_page and said in start_page
    assert "No panel can be drawn yet" not in start_page
    assert "The panel of 12 is drawn from the 150 people registered" in start_page
    assert 'name="algorithm"' in start_page

    response = client.post(staff_url("start_selection", forum), {"algorithm": "legacy"})
    run = SelectionRun.objects.get(forum=forum)
    assert response.status_code == 302 and run.status == "committed", run.error
    client.post(response.url, {"code": "4 17 23 31 38 45"})
    run.refresh_from_db()
    assert run.status == "done" and run.members.count() == 12, run.error


def test_a_draw_that_finds_no_panel_after_an_undecided_check_says_so_without_the_undecided_advice(
    pool: Any, officer: Any, check_runs_out_of_time: None
) -> None:
    """The draw proved no panel exists; the check of which quotas clash ran out of time again. The run
    page says no panel meets the quotas, not that it is unknown and the draw may be started, and what to
    do, where it said only 'No panel can meet all the quotas.'"""
    forum = pool[0].forum
    QuotaCategory.objects.filter(question__forum=forum, key="north-ward").update(min_members=12)
    QuotaCategory.objects.filter(question__forum=forum, key="south-ward").update(min_members=1)
    run = run_selection(forum, officer, "leximin")
    assert run.status == "failed"
    assert run.error == (
        "No panel can meet all the quotas. Which quotas clash could not be worked out in time, so none is "
        "named here. Loosen some of the quotas (lower a minimum or raise a maximum), save them, and the "
        "quotas page checks them again."
    )
