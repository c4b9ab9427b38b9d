"""Every error summary link lands on a box the officer can type in or choose: GOV.UK's pattern."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.urls import reverse
from tests.factories import make_forum, make_user_with_role

from civicforum.core.error_summary import error_title
from civicforum.core.models import ForumRole, Role

pytestmark = pytest.mark.django_db


def summary_links(page: str) -> list[tuple[str, str]]:
    summary = page[
        page.index("govuk-error-summary__list") : page.index("</ul>", page.index("govuk-error-summary__list"))
    ]
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


def field_ids(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|textarea|select)[^>]* id="([^"]+)"', page))


def test_dates_radios_and_checkboxes_are_linked_to_their_first_box_once_per_message(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    stage = reverse("processes:stage_edit", kwargs={"forum_slug": forum.slug, "kind": "selection"})
    letters = {"starts_on_0": "x", "starts_on_1": "y", "starts_on_2": "z"}
    short_year = {"ends_on_0": "1", "ends_on_1": "3", "ends_on_2": "27"}
    page = client.post(stage, letters | short_year).content.decode()
    assert summary_links(page) == [
        ("id_starts_on_0", "Start date must be a real date"),
        ("id_ends_on_0", "End date must include a year with 4 numbers, like 2027"),
    ]
    people = client.post(
        reverse("processes:forum_people", kwargs={"forum_slug": forum.slug}), {"user": ""}
    ).content.decode()
    assert summary_links(people) == [
        ("id_user", "Enter a username or email address"),
        ("id_role_1", "Select a role"),
    ]
    edit = client.post(
        reverse("processes:forum_edit", kwargs={"forum_slug": forum.slug}), {"title": ""}
    ).content.decode()
    links = summary_links(edit)
    assert ("id_stages_1", "Select at least one stage") in links
    assert ("id_starts_on_0", "Enter the start date") in links
    assert {target for target, _message in links} <= field_ids(edit)


def test_giving_a_role_to_someone_without_an_account_says_what_to_do(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    url = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    page = client.post(url, {"user": "nobody@example.org", "role": "facilitator"}).content.decode()
    assert summary_links(page) == [
        (
            "id_user",
            "There is no active account with that username or email address: check it, "
            "or ask a council administrator to create the account",
        )
    ]


def error_summary(page: str) -> str:
    start = page.index('<div class="govuk-error-summary"')
    return page[start : page.index("</ul>", start)]


def test_a_refusal_after_a_redirect_is_an_error_summary_and_the_title_says_error(client: Any) -> None:
    """An error message was an 'Important' banner, like news, with nothing in the title: GOV.UK shows a
    refusal as an error summary, announced and focused, and starts the page title with 'Error: '."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    client.force_login(officer)
    own = ForumRole.objects.get(forum=forum, user=officer)
    remove = reverse("processes:forum_role_remove", kwargs={"forum_slug": forum.slug, "role_id": own.pk})
    page = client.post(remove, follow=True).content.decode()
    summary = error_summary(page)
    assert 'data-module="govuk-error-summary"><div role="alert">' in summary
    assert "There is a problem" in summary and "You cannot remove your own forum officer role" in summary
    assert re.search(r"<title>Error: People on ", page)
    assert "govuk-notification-banner" not in page


def test_a_success_message_keeps_its_banner_and_the_title_says_no_error(client: Any) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    colleague = make_user_with_role(Role.FACILITATOR, make_forum(slug="other"))
    people = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    page = client.post(people, {"user": colleague.username, "role": "facilitator"}, follow=True)
    text = page.content.decode()
    assert 'class="govuk-notification-banner govuk-notification-banner--success" role="alert"' in text
    assert "govuk-error-summary" not in text and "<title>Error: " not in text


def test_a_page_with_its_own_errors_and_an_error_message_says_error_once_in_its_title() -> None:
    refused = [Message(messages.ERROR, "That draw is running")]
    assert error_title("Error: Quotas – CivicForum", refused) == "Error: Quotas – CivicForum"
    assert error_title("Quotas – CivicForum", refused) == "Error: Quotas – CivicForum"
    assert error_title("Quotas – CivicForum", [Message(messages.SUCCESS, "Quotas saved")]) == (
        "Quotas – CivicForum"
    )
