"""The audit log page: a forum's whole trail for its staff, paged, filtered and downloadable as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse
from tests.factories import make_forum, make_user, make_user_with_role

from civicforum.core import audit
from civicforum.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def log_url(forum: Any, name: str = "processes:audit_log") -> str:
    return reverse(name, kwargs={"forum_slug": forum.slug})


def rows(response: Any) -> list[list[str]]:
    """The log table's cells, row by row, as the page shows them."""
    body = response.content.decode().split('<tbody class="govuk-table__body">')[1].split("</tbody>")[0]
    return [
        [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def csv_rows(response: Any) -> list[list[str]]:
    text = response.content.decode()
    assert text.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def test_every_entry_is_listed_newest_first_fifty_a_page_with_govuk_pagination(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    for n in range(120):
        audit.record(officer, "forum.updated", forum=forum, n=n)
    audit.record(officer, "forum.created", forum=make_forum())  # another forum's: never shown
    client.force_login(officer)

    first = client.get(log_url(forum))
    assert len(rows(first)) == 50
    assert "Showing entries 1 to 50 of 120." in first.content.decode()
    assert [e.details["n"] for e in first.context["page"].object_list][:2] == [119, 118]
    page = first.content.decode()
    assert '<nav class="govuk-pagination" aria-label="Pagination">' in page
    assert 'aria-label="Page 1" aria-current="page"' in page
    assert 'href="?page=2" rel="next"' in page
    assert 'rel="prev"' not in page

    last = client.get(log_url(forum), {"page": 3})
    assert len(rows(last)) == 20
    assert [e.details["n"] for e in last.context["page"].object_list][-1] == 0
    assert 'href="?page=2" rel="prev"' in last.content.decode()
    assert "(page 3 of 3)" in last.content.decode().split("</title>")[0]
    assert client.get(log_url(forum), {"page": "many"}).context["page"].number == 1


def test_filters_by_action_and_by_user_and_keep_them_across_pages(client: Any) -> None:
    forum = make_forum()
    officer, evaluator = make_user("olive"), make_user_with_role(Role.EVALUATOR, forum)
    audit.record(officer, "role.granted", forum=forum)
    for _ in range(55):
        audit.record(officer, "stage.updated", forum=forum)
    audit.record(None, "stage.updated", forum=forum)
    audit.record(make_user("stan"), "stage.updated", forum=forum)
    client.force_login(evaluator)

    page = client.get(log_url(forum)).content.decode()
    assert '<option value="stage.updated">Stage dates or description changed</option>' in page
    assert '<option value="olive">olive</option>' in page
    assert "Clear filters" not in page

    by_action = client.get(log_url(forum), {"action": "role.granted"})
    assert rows(by_action) == [[rows(by_action)[0][0], "olive", "Role given", ""]]
    assert "Clear filters" in by_action.content.decode()

    both = client.get(log_url(forum), {"action": "stage.updated", "actor": "olive"})
    assert both.context["page"].paginator.count == 55
    assert 'href="?action=stage.updated&amp;actor=olive&amp;page=2" rel="next"' in both.content.decode()
    second = client.get(log_url(forum), {"action": "stage.updated", "actor": "olive", "page": 2})
    assert {row[1] for row in rows(second)} == {"olive"} and len(rows(second)) == 5
    assert 'value="stage.updated" selected' in second.content.decode()


def test_a_filter_value_the_log_does_not_hold_shows_nothing_and_says_why(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "forum.updated", forum=forum)
    client.force_login(officer)
    response = client.get(log_url(forum), {"action": "forum.deleted"})
    page = response.content.decode()
    assert "Select an action from the list" in page.split("</h1>")[0]
    assert "No entries match these filters." in page
    assert csv_rows(client.get(log_url(forum, "processes:audit_log_csv"), {"action": "forum.deleted"})) == [
        audit.CSV_HEADER
    ]


def test_times_are_uk_local_time(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    event = audit.record(officer, "forum.updated", forum=forum)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC))
    client.force_login(officer)
    assert rows(client.get(log_url(forum)))[0][0] == "1 July 2026 at 10:30am"  # British Summer Time
    assert (
        csv_rows(client.get(log_url(forum, "processes:audit_log_csv")))[1][0] == "2026-07-01T10:30:00+01:00"
    )


def test_only_the_forums_staff_see_its_log(client: Any) -> None:
    """The role matrix checks every role; here, staff of one forum are refused another forum's log."""
    forum, other = make_forum(), make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, other))
    assert client.get(log_url(forum)).status_code == 403
    assert client.get(log_url(forum, "processes:audit_log_csv")).status_code == 403
    client.force_login(make_user_with_role(Role.PANEL_MEMBER, forum))
    assert client.get(log_url(forum)).status_code == 403
    assert client.get(log_url(forum, "processes:audit_log_csv")).status_code == 403


def test_the_csv_holds_the_filtered_entries_safe_to_open_in_a_spreadsheet(client: Any) -> None:
    forum = make_forum(slug="parks")
    officer = make_user_with_role(Role.OFFICER, forum)
    hostile = make_user("+cmd")  # a valid username a spreadsheet would run as a formula
    audit.record(officer, "forum.created", forum=forum, target=forum)
    audit.record(hostile, "role.granted", forum=forum)
    audit.record(None, "recruitment.letters_generated", forum=forum)
    client.force_login(officer)

    response = client.get(log_url(forum, "processes:audit_log_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="parks-audit-log.csv"'
    header, *entries = csv_rows(response)
    assert header == ["when", "who", "action", "description", "details", "target_type", "target_id"]
    assert [row[1:] for row in entries] == [
        ["System", "recruitment.letters_generated", "Invitation letters made", "", "", ""],
        ["'+cmd", "role.granted", "Role given", "", "", ""],
        [officer.username, "forum.created", "Forum created", "", "processes.forum", str(forum.pk)],
    ]

    filtered = client.get(log_url(forum, "processes:audit_log_csv"), {"actor": "+cmd"})
    assert [row[1] for row in csv_rows(filtered)[1:]] == ["'+cmd"]


def test_the_staff_page_links_to_the_full_log_and_the_log_to_its_csv(client: Any) -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "forum.updated", forum=forum)
    client.force_login(officer)
    staff_page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug}))
    assert f'href="{log_url(forum)}">View the full audit log</a>' in staff_page.content.decode()
    log_page = client.get(log_url(forum), {"action": "forum.updated", "page": "1"}).content.decode()
    assert f'href="{log_url(forum, "processes:audit_log_csv")}?action=forum.updated"' in log_page


def test_each_entry_says_what_it_recorded_in_words_but_never_whom_it_was_about(client: Any) -> None:
    """A data-protection officer reads what was exported and for how many people, not just that
    something was; a username recorded with a role change stays out of the log's pages and CSV."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(
        officer, "recruitment.personal_data_viewed", forum=forum, what="pool export (CSV)", people=1500
    )
    audit.record(officer, "role.granted", forum=forum, user="jo.bloggs", role="facilitator")
    audit.record(officer, "recruitment.settings_changed", forum=forum, fields=["closes_at", "panel_size"])
    audit.record(officer, "recruitment.lottery_drawn", forum=forum)  # recorded before it had details
    client.force_login(officer)

    shown = [row[3] for row in rows(client.get(log_url(forum)))]
    assert shown == ["", "‘Closes at’, ‘Panel size’", "Facilitator", "pool export (CSV), 1,500 people"]
    exported = [row[4] for row in csv_rows(client.get(log_url(forum, "processes:audit_log_csv")))[1:]]
    assert exported == shown
    assert "jo.bloggs" not in client.get(log_url(forum)).content.decode()


def test_changed_settings_are_named_as_their_forms_label_them_not_by_field_name(client: Any) -> None:
    """The log showed 'registration_open': the officer reads the words of the form they changed, and a
    name no form labels (a field since removed) as words. The entries keep the field names."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "recruitment.settings_changed", forum=forum, fields=["phone", "registration_open"])
    audit.record(officer, "forum.updated", forum=forum, changed=["summary", "current_stage", "stages"])
    audit.record(officer, "stage.updated", forum=forum, stage="design", changed=["starts_on", "summary"])
    audit.record(officer, "recruitment.settings_changed", forum=forum, fields=["registration_closes_on"])
    client.force_login(officer)

    shown = [row[3] for row in rows(client.get(log_url(forum)))]
    assert shown == [
        "‘Registration closes on’",
        "Design: ‘Start date’, ‘What happens in this stage’",
        "‘Summary’, ‘Current stage’, ‘Stages this forum will include’",
        "‘Phone number for registering by phone’, ‘Registration is open to the public’",
    ]
    exported = [row[4] for row in csv_rows(client.get(log_url(forum, "processes:audit_log_csv")))[1:]]
    assert exported == shown
    assert AuditEvent.objects.filter(forum=forum).order_by("id")[0].details == {
        "fields": ["phone", "registration_open"]
    }


def test_counts_in_an_entry_s_details_agree_with_their_number(client: Any) -> None:
    """The details said '1 people' when the officer viewed one member's page, and '1 addresses', '1
    emails'; counts of one now take the singular and large ones a thousands separator."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "recruitment.personal_data_viewed", forum=forum, what="member decline", people=1)
    audit.record(officer, "recruitment.addresses_imported", forum=forum, count=1)
    audit.record(officer, "recruitment.panel_invitations_sent", forum=forum, emailed=1200, email_failed=1)
    audit.record(officer, "recruitment.quotas_proposed", forum=forum, categories=2)
    client.force_login(officer)

    shown = [row[3] for row in rows(client.get(log_url(forum)))]
    assert shown == ["2 categories", "1,200 emailed, 1 email failed", "1 address", "member decline, 1 person"]


def test_roles_and_stages_in_an_entry_s_details_read_as_the_forms_name_them(client: Any) -> None:
    """Role and stage entries showed their codes ('panel_member', 'council_response'), and the tick that
    keeps unused special category questions, which the settings form adds only sometimes, its field
    name; they now read as the pages name them. A code nobody names is shown as it is."""
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "role.granted", forum=forum, role="panel_member")
    audit.record(officer, "stage.updated", forum=forum, stage="council_response", changed=["summary"])
    audit.record(officer, "role.removed", forum=forum, role="retired_role")
    audit.record(
        officer,
        "recruitment.settings_changed",
        forum=forum,
        fields=["keep_special_questions", "registration_open"],
    )
    client.force_login(officer)

    shown = [row[3] for row in rows(client.get(log_url(forum)))]
    assert shown[0] == "‘Keep special category questions no quota uses’, ‘Registration is open to the public’"
    assert shown[1:] == ["retired_role", "Council response: ‘What happens in this stage’", "Panel member"]
