"""The roles API, the permission decorator and the audit log that other apps build on."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.views.generic import TemplateView
from tests.factories import PASSWORD, make_forum, make_user, make_user_with_role

from civicforum.core import audit, forum_links
from civicforum.core.models import Role
from civicforum.core.permissions import ForumPermissionMixin, forum_permission_required
from civicforum.core.roles import COUNCIL_ADMIN, grant_role, is_facilitator, is_forum_staff, roles_on

pytestmark = pytest.mark.django_db


@forum_permission_required("processes.change_forum")
def _edit_view(request: Any, forum_slug: str) -> HttpResponse:
    return HttpResponse(request.forum.title)


class _StaffView(ForumPermissionMixin, TemplateView):
    permission_required = "processes.view_forum_staff_area"

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(self.get_context_data()["forum"].slug)


def _request(user: Any) -> Any:
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return request


def test_council_admin_role_comes_from_the_council() -> None:
    forum = make_forum()
    admin = make_user_with_role(COUNCIL_ADMIN, forum)
    sibling = make_forum(council=forum.council)
    assert roles_on(admin, sibling) == {COUNCIL_ADMIN}
    assert roles_on(admin, make_forum()) == frozenset()


def test_granting_a_role_takes_effect_for_the_same_user_object() -> None:
    forum, user = make_forum(), make_user()
    assert not is_facilitator(user, forum)
    grant_role(user, forum, Role.FACILITATOR)
    assert is_facilitator(user, forum) and is_forum_staff(user, forum)


def test_decorator_answers_login_403_404_or_the_view() -> None:
    forum = make_forum(title="Parks")
    assert _edit_view(_request(AnonymousUser()), forum_slug=forum.slug).status_code == 302
    with pytest.raises(PermissionDenied):
        _edit_view(_request(make_user_with_role(Role.EVALUATOR, forum)), forum_slug=forum.slug)
    with pytest.raises(Http404):
        _edit_view(_request(make_user()), forum_slug="missing")
    assert (
        _edit_view(_request(make_user_with_role(Role.OFFICER, forum)), forum_slug=forum.slug).content
        == b"Parks"
    )


def test_mixin_sets_the_forum() -> None:
    forum = make_forum()
    view = _StaffView.as_view()
    assert view(_request(make_user_with_role(Role.FACILITATOR, forum)), forum_slug=forum.slug).content == (
        forum.slug.encode()
    )
    with pytest.raises(PermissionDenied):
        view(_request(make_user_with_role(Role.PANEL_MEMBER, forum)), forum_slug=forum.slug)


def test_template_tag_reports_what_the_user_may_do() -> None:
    forum = make_forum()
    template = Template('{% load civicforum %}{% forum_can "processes.change_forum" forum as ok %}{{ ok }}')
    for role, expected in [(Role.OFFICER, "True"), (Role.EVALUATOR, "False")]:
        request = _request(make_user_with_role(role, forum))
        assert template.render(Context({"request": request, "forum": forum})) == expected


def test_audit_record_keeps_actor_target_and_details() -> None:
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    event = audit.record(officer, "letters.sent", forum=forum, target=forum, count=6000)
    assert (event.actor_label, event.target_type, event.target_id) == (
        officer.username,
        "processes.forum",
        str(forum.pk),
    )
    assert event.details == {"count": 6000}
    assert list(audit.events_for_forum(forum)) == [event]
    anonymous = audit.record(AnonymousUser(), "registration.submitted", forum=forum)
    assert anonymous.actor is None and anonymous.actor_label == ""


def recorded_actions() -> set[str]:
    """Every action the code passes to ``audit.record``, read from the source (f-strings expanded)."""
    from pathlib import Path

    from civicforum.recruitment.models import MemberStatus

    source = "\n".join(p.read_text() for p in Path(audit.__file__).parents[1].rglob("*.py"))
    actions = set(re.findall(r'audit\.record\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', source))
    actions |= set(
        re.findall(r'audit\.record\(\s*[^,]+,\s*"[a-z_.]+" if [^"]+ else "([a-z_]+\.[a-z_]+)"', source)
    )
    assert 'f"recruitment.member_{' in source  # the one action built from a value
    replies = (MemberStatus.CONFIRMED, MemberStatus.DECLINED)  # the statuses a reply sets
    return actions | {f"recruitment.member_{status}" for status in replies}


def test_every_action_in_the_audit_log_is_described_in_words(client: Any) -> None:
    actions = recorded_actions()
    assert len(actions) > 20 and "role.granted" in actions
    assert sorted(a for a in actions if audit.describe(a) == a) == []
    assert sorted(set(audit.DETAILS) - actions) == [], "details for an action nobody records"
    forum = make_forum()
    officer = make_user_with_role(Role.OFFICER, forum)
    audit.record(officer, "role.granted", forum=forum, target=forum)
    client.login(username=officer.username, password=PASSWORD)
    page = client.get(reverse("processes:forum_staff", args=[forum.slug])).content.decode()
    assert "Role given" in page and "role.granted" not in page


def test_registered_forum_links_show_by_page_stage_and_permission(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forum_links, "_links", {})
    forum_links.register(
        forum_links.ForumLink(
            place="public", label="Register now", url_name="processes:forum", stages=("recruitment",)
        )
    )
    forum_links.register(
        forum_links.ForumLink(
            place="staff",
            label="Edit everything",
            url_name="processes:forum_edit",
            perm="processes.change_forum",
        )
    )
    forum_links.register(
        forum_links.ForumLink(
            place="public",
            label="Read the record",
            url_name="recruitment:selection_record",
            available=lambda forum: forum.title.startswith("Published"),
        )
    )
    recruiting, deliberating = make_forum(), make_forum(current_stage="deliberation")
    assert "Register now" in client.get(recruiting.get_absolute_url()).content.decode()
    assert "Register now" not in client.get(deliberating.get_absolute_url()).content.decode()
    assert "Read the record" not in client.get(recruiting.get_absolute_url()).content.decode()
    published = make_forum(title="Published forum")
    assert "Read the record" in client.get(published.get_absolute_url()).content.decode()
    staff_page = f"/staff/forums/{recruiting.slug}/"
    client.force_login(make_user_with_role(Role.EVALUATOR, recruiting))
    assert "Edit everything" not in client.get(staff_page).content.decode()
    client.force_login(make_user_with_role(Role.OFFICER, recruiting))
    assert (
        f'href="/staff/forums/{recruiting.slug}/edit/">Edit everything'
        in client.get(staff_page).content.decode()
    )


@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        (Role.PANEL_MEMBER, "/forums/{slug}/"),
        (Role.PARTICIPANT, "/forums/{slug}/"),
        (Role.OFFICER, "/staff/"),
    ],
)
def test_signing_in_lands_on_a_page_the_role_may_see(client: Any, role: str, lands_on: str) -> None:
    """A panel member or participant landed on the list of forums, with nothing there for them: their
    forum's page is where they take part."""
    forum = make_forum()
    user = make_user_with_role(role, forum)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.url == lands_on.format(slug=forum.slug)
    page = client.get(response.url).content.decode()
    assert ("Staff area" in page) is (role == Role.OFFICER)


def test_signing_in_with_a_part_in_two_forums_or_in_a_hidden_one_lands_on_the_forums_list(
    client: Any,
) -> None:
    user = make_user_with_role(Role.PANEL_MEMBER, make_forum())
    grant_role(user, make_forum(), Role.PARTICIPANT)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.url == "/"
    hidden = make_user_with_role(Role.PANEL_MEMBER, make_forum(published=False))  # its page is a 404
    response = client.post("/accounts/login/", {"username": hidden.username, "password": PASSWORD})
    assert response.url == "/"


@pytest.mark.parametrize(
    "page_name",
    ["processes:dashboard", "processes:forum_create", "processes:forum_staff", "processes:audit_log"],
)
def test_the_staff_area_tells_an_account_taking_part_whom_it_is_for(client: Any, page_name: str) -> None:
    """It said 'Your account does not have a role on this forum that allows this': a panel member has a
    role, and the staff area is not a forum's page. The forum's staff pages, and 'Create a forum', said
    it too."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.PANEL_MEMBER, forum))
    no_forum = ("processes:dashboard", "processes:forum_create")
    kwargs = {} if page_name in no_forum else {"forum_slug": forum.slug}
    response = client.get(reverse(page_name, kwargs=kwargs))
    page = response.content.decode()
    assert response.status_code == 403
    assert "The staff area is for council officers, facilitators and evaluators." in page
    assert "Your account is for taking part in forums: see the forum pages." in page
    assert "does not have a role on this forum" not in page


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.EVALUATOR])
def test_staff_who_cannot_create_a_forum_are_told_who_can(client: Any, role: str) -> None:
    """'Create a forum' belongs to no forum, yet refused a facilitator with 'Your account does not have a
    role on this forum that allows this'."""
    client.force_login(make_user_with_role(role, make_forum()))
    response = client.get(reverse("processes:forum_create"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Forums are created by council administrators and by the forum officers" in page
    assert "Ask your council administrator to create the forum" in page
    assert "does not have a role on this forum" not in page


def test_staff_refused_a_page_of_a_forum_are_told_it_takes_a_role_on_it(client: Any) -> None:
    """An officer of another forum is staff: their refusal still names the forum's role."""
    client.force_login(make_user_with_role(Role.OFFICER, make_forum()))
    page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": make_forum().slug}))
    assert page.status_code == 403 and "does not have a role on this forum" in page.content.decode()


def test_a_facilitators_link_to_the_people_page_says_what_it_lists(client: Any) -> None:
    """It read 'See who is on the panel', but the page lists the accounts with a role on the forum, not
    the panel drawn (whose names facilitators may not see)."""
    forum = make_forum()
    client.force_login(make_user_with_role(Role.FACILITATOR, forum))
    page = client.get(reverse("processes:forum_staff", kwargs={"forum_slug": forum.slug})).content.decode()
    people = reverse("processes:forum_people", kwargs={"forum_slug": forum.slug})
    assert f'href="{people}">See who has a role on this forum</a>' in page
    assert "on the panel" not in page
