"""Pages cost the same number of queries with a small forum and one ten times larger (no N+1)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.factories import make_council, make_forum, make_user, make_user_with_role
from tests.recruitment.conftest import publish_selection

from civicforum.core.models import AuditEvent, ForumRole, Role
from civicforum.recruitment.models import (
    Address,
    AddressList,
    EmailStatus,
    Invitation,
    InvitationBatch,
    InvitationBatchStatus,
    LetterStatus,
    Lottery,
    MemberStatus,
    PanelMember,
    ReachedBy,
    RecruitmentSettings,
    Respondent,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import quotas, synthetic

STAFF_ROLES = [Role.OFFICER, Role.FACILITATOR, Role.EVALUATOR]


def build_forum(forum: Any, scale: int) -> dict[str, int]:
    """A recruiting forum whose every list grows with ``scale``: quota questions and wards (so
    categories), address lists, addresses, letters, registrations, panel members, selection runs, audit
    entries and staff."""
    rng = random.Random(scale)
    RecruitmentSettings.objects.create(forum=forum, registration_open=True)
    wards = [(f"Ward {n}", 1 / (2 * scale)) for n in range(2 * scale)]
    synthetic.create_questions(forum, wards, forum.panel_size)
    for n in range(scale - 1):
        categories = [(f"Answer {n}.{c}", Decimal("0.25")) for c in range(4)]
        quotas.add_question(forum, None, f"Extra question {n}", "", categories, True, special_category=False)
    address_list = AddressList.objects.create(
        forum=forum, filename="addresses.csv", address_count=100 * scale
    )
    Address.objects.bulk_create(
        Address(
            address_list=address_list,
            uprn=str(n),
            address_line_1=f"{n} Test Road",
            postcode="NM1 1AB",
            ward=wards[n % len(wards)][0],
            deprivation_decile=n % 10 + 1,
        )
        for n in range(100 * scale)
    )
    older_lists = AddressList.objects.bulk_create(
        AddressList(forum=forum, filename=f"older-{n}.csv") for n in range(scale - 1)
    )
    Lottery.objects.bulk_create(
        Lottery(forum=forum, address_list=older, letters_requested=0, seed=str(n))
        for n, older in enumerate(older_lists)
    )
    letters_per_ward = {ward: 25 for ward, _share in wards}
    lottery = Lottery.objects.create(
        forum=forum,
        address_list=address_list,
        letters_requested=50 * scale,
        seed="s",
        letters_per_ward=letters_per_ward,
    )
    Invitation.objects.bulk_create(
        Invitation(lottery=lottery, address=address, reference=f"L{scale}-{address.pk}")
        for address in address_list.addresses.all()[: 50 * scale]
    )
    invitations = list(lottery.invitations.select_related("address"))
    start = datetime(2026, 11, 2, tzinfo=UTC)
    pool = synthetic.populate_pool(forum, invitations, 20 * scale, start, rng)
    runs = []
    for n in range(scale):
        runs.append(
            SelectionRun.objects.create(
                forum=forum,
                panel_size=forum.panel_size,
                status=RunStatus.DONE,
                result={
                    "probabilities": {r.reference: 0.1 for r in pool},
                    "tokens": {f"V{i:04d}": r.reference for i, r in enumerate(pool)},
                    "lottery_panels": [[f"V{i:04d}" for i in range(3)]],
                    "chosen_index": 0,
                },
                published_at=start if n == 0 else None,
                finished_at=start,
            )
        )
    members = PanelMember.objects.bulk_create(
        PanelMember(
            forum=forum,
            run=runs[0],
            respondent=respondent,
            status=[MemberStatus.SELECTED, MemberStatus.CONFIRMED, MemberStatus.DECLINED][n % 3],
        )
        for n, respondent in enumerate(pool[: 6 * scale])
    )
    PanelMember.objects.bulk_create(
        PanelMember(forum=forum, run=runs[-1], respondent=pool[-1 - n], replaces=declined)
        for n, declined in enumerate(m for m in members if m.status == MemberStatus.DECLINED)
    )
    staff = [make_user(f"staff{scale}-{n}") for n in range(2 * scale)]
    ForumRole.objects.bulk_create(
        ForumRole(forum=forum, user=user, role=STAFF_ROLES[n % len(STAFF_ROLES)])
        for n, user in enumerate(staff)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            forum=forum,
            actor=staff[n % len(staff)],
            actor_label=staff[n % len(staff)].username,
            action="recruitment.personal_data_viewed",
            target_type="recruitment.panelmember",
            target_id=str(members[0].pk),
            details={"what": "panel list", "people": n},
        )
        for n in range(50 * scale)
    )
    return {"lottery": lottery.pk, "run": runs[0].pk}


def page_urls(forum: Any, ids: dict[str, int]) -> dict[str, str]:
    slug = {"forum_slug": forum.slug}
    names = [
        "recruitment:overview",
        "recruitment:respondents",
        "recruitment:respondents_contacts_csv",
        "recruitment:respondents_answers_csv",
        "recruitment:panel_csv",
        "recruitment:quotas",
        "recruitment:questions",
        "recruitment:draw_lottery",
        "recruitment:start_selection",
        "recruitment:panel",
        "recruitment:selection_record",
        "processes:forum",
        "processes:forum_staff",
        "processes:forum_people",
        "processes:audit_log",
        "processes:audit_log_csv",
    ]
    urls = {name: reverse(name, kwargs=slug) for name in names}
    urls["recruitment:lottery"] = reverse(
        "recruitment:lottery", kwargs={**slug, "lottery_id": ids["lottery"]}
    )
    urls["recruitment:run"] = reverse("recruitment:run", kwargs={**slug, "run_id": ids["run"]})
    urls["processes:dashboard"] = reverse("processes:dashboard")
    urls["processes:home"] = reverse("processes:home")
    return urls


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def page_query_counts(client: Any, council: Any, scale: int) -> dict[str, int]:
    """Each page's query count for the officer of a forum built at ``scale``."""
    forum = make_forum(council, panel_size=12)
    officer = make_user_with_role(Role.OFFICER, forum)
    ids = build_forum(forum, scale)
    client.force_login(officer)
    return {name: count_queries(client, url) for name, url in page_urls(forum, ids).items()}


@pytest.mark.django_db
def test_no_page_asks_more_of_the_database_for_a_larger_forum(client: Any) -> None:
    """Ten times the addresses, letters, registrations, members, runs, categories, audit entries and
    staff cost every page the same queries: nothing is fetched once per row."""
    council = make_council()
    small = page_query_counts(client, council, 1)
    large = page_query_counts(client, council, 10)
    assert {name: (small[name], large[name]) for name in small if large[name] != small[name]} == {}


def test_the_pool_is_listed_a_page_at_a_time(signed_in_client: Any, pool: Any, officer: Any) -> None:
    """Only one page of registrations is fetched and decrypted; GOV.UK pagination reaches the rest, and
    the audit log records how many people each page showed."""
    forum = pool[0].forum
    client = signed_in_client(officer)
    url = reverse("recruitment:respondents", kwargs={"forum_slug": forum.slug})
    first = client.get(url).content.decode()
    last = client.get(url, {"page": 3}).content.decode()
    assert first.count('<tr class="govuk-table__row">\n      <td') == 50
    assert last.count('<tr class="govuk-table__row">\n      <td') == 50
    assert "150 people</caption>" in first and "Showing people 101 to 150 of 150" in last
    assert 'class="govuk-pagination"' in first and 'href="?page=2" rel="next"' in first
    earliest = Respondent.objects.filter(forum=forum).first()
    assert earliest is not None and earliest.reference in first and earliest.reference not in last
    logged = AuditEvent.objects.filter(forum=forum, action="recruitment.personal_data_viewed")
    assert [event.details["people"] for event in logged.order_by("id")] == [50, 50]


def test_pages_that_count_the_pool_never_read_names_or_contact_details(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The dashboard, quotas, run and public record go through every registration (or every member) to
    count answers; they fetch, and so decrypt, only what the counts need, not names, emails or phones."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="counts")
    run = SelectionRun.objects.get(forum=forum)
    client = signed_in_client(officer)
    slug = {"forum_slug": forum.slug}
    urls = [
        reverse("recruitment:overview", kwargs=slug),
        reverse("recruitment:quotas", kwargs=slug),
        reverse("recruitment:run", kwargs={**slug, "run_id": run.pk}),
        reverse("recruitment:selection_record", kwargs=slug),
    ]
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        personal = [q["sql"] for q in captured if '"recruitment_respondent"."full_name"' in q["sql"]]
        assert personal == [], url


def test_the_dashboard_shows_the_latest_run_without_loading_its_result(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """A run's result holds every volunteer's probability and the lottery's thousand panels; the
    dashboard links to the run by its status only."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="latest")
    client = signed_in_client(officer)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("recruitment:overview", kwargs={"forum_slug": forum.slug}))
    assert "Finished</a>" in page.content.decode()
    runs = [q["sql"] for q in captured if 'FROM "recruitment_selectionrun"' in q["sql"]]
    assert runs and not [sql for sql in runs if '"recruitment_selectionrun"."result"' in sql]


def test_the_public_selection_record_never_loads_the_runs_result(
    client: Any, pool: Any, officer: Any
) -> None:
    """Anyone can open the record: it prints the lottery's size and pick, not every volunteer's chance
    and a thousand panels, so it reads them from their own columns."""
    forum = pool[0].forum
    publish_selection(forum, officer, seed="public-seed")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("recruitment:selection_record", args=[forum.slug])).content.decode()
    assert "Number" in page and "of 1,000</dd>" in page
    assert not [q["sql"] for q in queries if '"recruitment_selectionrun"."result"' in q["sql"]]


def test_the_overview_names_the_latest_address_list_without_asking_again_when_its_data_was_deleted(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    """The list's name says when its addresses were deleted; the overview already has that date, so
    naming the list reads the forum's recruitment settings no more often than a forum without a list.
    The page reads them once, and hands them to what needs them (the pool's figures read them again)."""
    client = signed_in_client(officer)
    url = reverse("recruitment:overview", kwargs={"forum_slug": forum.slug})

    def settings_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url).content.decode()
        return sum('FROM "recruitment_recruitmentsettings"' in q["sql"] for q in captured), page

    without_list, _page = settings_queries()
    assert without_list == 1
    AddressList.objects.create(forum=forum, filename="northam.csv", address_count=9000)
    with_list, page = settings_queries()
    assert with_list == without_list
    assert "Upload the address list</a> – latest: northam.csv (9,000 addresses)</li>" in page


@pytest.mark.parametrize(
    # the lottery page's 13th reads the newest list's addresses per ward, which it shows; the start
    # page's 19th asks whether a lottery waits for its draw code, which starting again sets aside; the
    # questions page's 12th counts the answers erased when a question was marked, and given again
    ("page", "most"),
    [("overview", 19), ("start_selection", 19), ("questions", 12), ("draw_lottery", 13)],
)
def test_pages_ask_the_database_for_each_thing_once(
    signed_in_client: Any, pool: Any, officer: Any, django_assert_max_num_queries: Any, page: str, most: int
) -> None:
    """The overview read the questions twice and asked again whether anyone had registered after counting
    the pool; the selection's start counted the pool it had just loaded; the questions page counted the
    registrations twice. 'What to do next' on the overview asked again whether there were questions and
    an address list and for the latest lottery, which the page had read; the lottery page read the
    recruitment settings twice and the address lists three times. Each page now asks once (the first six
    queries are the sign-in and base page's; the overview's 19th looks for invitations not emailed, and the
    selection's 18th for a draw not yet published that starting again would replace)."""
    forum = pool[0].forum
    forum.lotteries.update(letters_status=LetterStatus.READY)  # 'What to do next' gets as far as the pool
    client = signed_in_client(officer)
    with django_assert_max_num_queries(most):
        assert (
            client.get(reverse(f"recruitment:{page}", kwargs={"forum_slug": forum.slug})).status_code == 200
        )


def test_the_questions_page_reads_the_questions_once_before_anyone_registers(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, django_assert_max_num_queries: Any
) -> None:
    """Before anyone registers, the page also looks for special category questions no quota uses: it
    read every question and its answers again to do so, and asked the database for the ward question."""
    client = signed_in_client(officer)
    with django_assert_max_num_queries(11):
        page = client.get(reverse("recruitment:questions", kwargs={"forum_slug": recruiting_forum.slug}))
    assert "Add the ward as a quota" not in page.content.decode()  # the fixture asks the ward already


def test_the_lottery_page_counts_the_addresses_already_written_to_in_the_database(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    """The page says how many addresses an earlier draw wrote to: it fetched every one of them (tens of
    thousands for a council) to count them in Python."""
    forum = pool[0].forum
    client = signed_in_client(officer)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("recruitment:draw_lottery", kwargs={"forum_slug": forum.slug}))
    assert "200 addresses already have a letter from an earlier draw" in page.content.decode()
    invitations = [q["sql"] for q in captured if 'FROM "recruitment_invitation"' in q["sql"]]
    assert len(invitations) == 1 and invitations[0].startswith("SELECT COUNT(")


def tables_read(client: Any, url: str) -> dict[str, int]:
    """How many queries read each of the tables the page's steps are about."""
    tables = ("quotaquestion", "addresslist", "lottery", "recruitmentsettings")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return {table: sum(f'FROM "recruitment_{table}"' in q["sql"] for q in captured) for table in tables}


def test_what_to_do_next_uses_the_questions_address_list_and_lottery_the_overview_has_read(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    url = reverse("recruitment:overview", kwargs={"forum_slug": forum.slug})
    page_reads = tables_read(signed_in_client(officer), url)
    # the pool's figures read the lotteries' letters per ward, the page its latest five lotteries
    assert page_reads == {"quotaquestion": 1, "addresslist": 1, "lottery": 2, "recruitmentsettings": 1}


def test_the_lottery_page_reads_the_settings_and_the_address_lists_once(
    signed_in_client: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    AddressList.objects.create(forum=forum, filename="second.csv", address_count=10)
    client = signed_in_client(officer)
    url = reverse("recruitment:draw_lottery", kwargs={"forum_slug": forum.slug})
    reads = tables_read(client, url)
    assert reads["recruitmentsettings"] == 1 and reads["addresslist"] == 1
    page = client.get(url).content.decode()
    assert page.count("<option ") == 2 and "second.csv (10 addresses)" in page


def test_the_lottery_page_asks_for_an_address_list_first_when_there_is_none(
    signed_in_client: Any, forum: Any, officer: Any
) -> None:
    page = signed_in_client(officer).get(
        reverse("recruitment:draw_lottery", kwargs={"forum_slug": forum.slug})
    )
    assert "upload the address list</a>" in page.content.decode() and "<select" not in page.content.decode()


def batch_page_queries(client: Any, council: Any, scale: int) -> tuple[int, int]:
    """The queries of the invitations page for a batch of every member of a forum built at ``scale``
    (8 members a unit), with each kind of email status and some told another way; and how many members."""
    forum = make_forum(council, panel_size=12)
    officer = make_user_with_role(Role.OFFICER, forum)
    build_forum(forum, scale)
    batch = InvitationBatch.objects.create(
        forum=forum,
        reply_url="https://example.org/reply/",
        reply_by="1 May",
        status=InvitationBatchStatus.DONE,
    )
    statuses = [EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.SENDING, EmailStatus.TO_SEND]
    members = list(PanelMember.objects.filter(forum=forum))
    for n, member in enumerate(members):
        member.invitation_batch, member.email_status = batch, statuses[n % len(statuses)]
        member.reached_by = ReachedBy.PHONE if n % 3 == 0 and member.email_status != EmailStatus.SENT else ""
    PanelMember.objects.bulk_update(members, ["invitation_batch", "email_status", "reached_by"])
    client.force_login(officer)
    url = reverse("recruitment:invitations", kwargs={"forum_slug": forum.slug, "batch_id": batch.pk})
    return count_queries(client, url), len(members)


@pytest.mark.django_db
def test_the_invitations_page_asks_the_same_of_the_database_for_a_batch_of_a_hundred_and_more(
    client: Any,
) -> None:
    """Members not emailed, those told another way and the form ticking them are read in one query."""
    council = make_council()
    small, few = batch_page_queries(client, council, 1)
    large, many = batch_page_queries(client, council, 15)
    assert few < 10 and many >= 100
    assert large == small
