"""Data protection: audited access, anonymised aggregates, and deletion on the retention date."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.formats import date_format

from civicforum.core import audit
from civicforum.core.models import CouncilAdministrator, ForumRole
from civicforum.recruitment.models import (
    INVITATIONS_UNFINISHED,
    Address,
    Invitation,
    InvitationBatch,
    InvitationBatchStatus,
    Lottery,
    PanelMember,
    QuotaQuestion,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
)
from civicforum.recruitment.services import registration
from civicforum.recruitment.services.civic_lottery import forum_directory
from civicforum.recruitment.services.locks import lock_forum
from civicforum.recruitment.services.quotas import QUOTA_FIELDS, feature_values, questions_with_categories
from civicforum.recruitment.services.selection import forget_references, panel_against_targets
from civicforum.selection.disclosure import withhold_small_counts


def log_personal_data_access(user: Any, forum: Any, what: str, count: int) -> None:
    """Every page or file that shows registration data to staff leaves a trace (UK GDPR accountability).

    ``count``: how many people's data it shows. None (nobody registered yet, or the data was deleted under
    the retention schedule and the page shows only '(data deleted)') is no view of personal data, and is
    not logged as one."""
    if count:
        audit.record(user, "recruitment.personal_data_viewed", forum=forum, what=what, people=count)


def people_shown(members: list[PanelMember]) -> int:
    """How many of the panel page's ``members`` it shows details of: those whose registration is kept
    (none once the data was deleted under the retention schedule)."""
    return sum(1 for member in members if member.respondent_id is not None)


# What the retention purge (``purge_forum``) deletes and keeps, as the officer is told before it happens.
DELETED_ON_RETENTION_DATE = (
    "everyone’s registration (names, contact details, answers and support needs), the addresses and "
    "invitations with their codes, the letters and mailing files, and panel members’ and participants’ "
    "access to the forum"
)
KEPT_AFTER_RETENTION_DATE = (
    "the counts (registrations by ward, week and answer, letters per ward, the panel’s make-up) and the "
    "published selection record, which names nobody"
)
# A deletion date set this close (or today) is confirmed with a tick: the daily purge may run before
# anyone looks again, and what it deletes cannot be brought back.
CONFIRM_DELETION_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class ScheduledDeletion:
    """When a forum's registration data is to be deleted, seen on ``today``."""

    on: date
    today: date

    @property
    def days_left(self) -> int:
        return (self.on - self.today).days

    @property
    def near(self) -> bool:
        """Close enough that setting it needs the officer's confirmation, and the pages warn of it."""
        return deletion_is_near(self.on, self.today)

    @property
    def when(self) -> str:
        """When, in words: 'today, 27 November 2026', 'tomorrow, ...', 'on 31 December 2027, in 399 days',
        or, the date passed before the daily purge ran, 'at the next daily deletion (due on ...)'."""
        day = f"{self.on:%-d %B %Y}"
        if self.days_left < 0:
            return f"at the next daily deletion (due on {day})"
        if self.days_left <= 1:
            return f"{('today', 'tomorrow')[self.days_left]}, {day}"
        return f"on {day}, in {self.days_left:,} days"

    deleted = DELETED_ON_RETENTION_DATE
    kept = KEPT_AFTER_RETENTION_DATE


def scheduled_deletion(
    settings_row: RecruitmentSettings, today: date | None = None
) -> ScheduledDeletion | None:
    """The deletion still to come (None: no date is set, or the data was already deleted)."""
    if settings_row.purged_at or settings_row.retention_until is None:
        return None
    return ScheduledDeletion(settings_row.retention_until, today or timezone.localdate())


def deletion_is_near(day: date, today: date | None = None) -> bool:
    """Whether deleting the registration data on ``day`` is within ``CONFIRM_DELETION_WITHIN``."""
    return day - (today or timezone.localdate()) <= CONFIRM_DELETION_WITHIN


def aggregates(forum: Any, questions: list[QuotaQuestion] | None = None) -> dict[str, Any]:
    """Counts only: by ward, by registration week, by quota answer, and panel outcomes. ``questions``: the
    forum's ``questions_with_categories``, when the caller has them already."""
    if questions is None:
        questions = questions_with_categories(forum)
    registered = Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED)
    respondents = list(registered.only(*QUOTA_FIELDS, "registered_at"))
    by_answer: dict[str, Counter[str]] = {q.key: Counter() for q in questions}
    for respondent in respondents:
        for key, value in feature_values(respondent, questions).items():
            by_answer[key][value] += 1
    # The council's week: a registration at 00:30 on a summer Monday is 23:30 on Sunday in UTC.
    weeks = Counter(timezone.localtime(r.registered_at).strftime("%G-W%V") for r in respondents)
    members = Counter(PanelMember.objects.filter(forum=forum).values_list("status", flat=True))
    return {
        "registered": len(respondents),
        "withdrawn": Respondent.objects.filter(forum=forum, status=RespondentStatus.WITHDRAWN).count(),
        "by_ward": dict(Counter(r.ward for r in respondents)),
        "by_week": dict(sorted(weeks.items())),
        "by_answer": {key: dict(counter) for key, counter in by_answer.items()},
        "panel": dict(members),
    }


def pool_figures(
    forum: Any, settings_row: RecruitmentSettings, questions: list[QuotaQuestion]
) -> dict[str, Any]:
    """The counts the dashboards show: live, or once the personal data is deleted (``settings_row``, the
    forum's recruitment settings the page has already read, says when), those kept then. The page has
    read the ``questions`` too."""
    return settings_row.retained_aggregates if settings_row.purged_at else aggregates(forum, questions)


def week_label(week: str) -> str:
    """A registration week as ``aggregates`` keys it (ISO year and week, '2026-W45') in words for the
    officer: 'Week of 2 November 2026', the Monday it starts."""
    monday = datetime.strptime(f"{week}-1", "%G-W%V-%u").date()
    return f"Week of {date_format(monday, 'j F Y')}"


def visible_counts(counts: list[int], exact: bool) -> list[str]:
    """One table's counts (adding up to a known total) as a viewer may see them.

    ``exact``: someone allowed personal data (a forum officer). Others, such as evaluators, get small
    counts withheld, and any count that would give one away, as on public pages.
    """
    if exact:
        return [str(count) for count in counts]
    return withhold_small_counts([("", count) for count in counts])


def response_by_ward(forum: Any, by_ward: dict[str, int]) -> list[tuple[str, int, int, float | None]]:
    """(ward, people registered, letters sent, people per 100 letters) for every ward with either."""
    letters: Counter[str] = Counter()
    for per_ward in Lottery.objects.filter(forum=forum).values_list("letters_per_ward", flat=True):
        letters.update(per_ward)
    rows = []
    for ward in sorted(set(letters) | set(by_ward)):
        sent = letters[ward]
        rate = round(100 * by_ward.get(ward, 0) / sent, 1) if sent else None
        rows.append((ward, by_ward.get(ward, 0), sent, rate))
    return rows


def forum_end_problems(forum: Any, ends_on: date) -> dict[str, str]:
    """An error for a forum end date after the day its registration data is to be deleted: the purge
    would take the panel's contact details while the panel still meets. Once deleted, nothing is lost."""
    row = RecruitmentSettings.objects.filter(forum=forum, purged_at__isnull=True).first()
    if row is None or row.retention_until is None or ends_on <= row.retention_until:
        return {}
    return {
        "ends_on": (
            f"End date must be on or before {row.retention_until:%-d %B %Y}, when registration data is "
            "deleted: change the date to delete registration data in the recruitment settings first"
        )
    }


def purge_forum(forum: Any, user: Any = None) -> int:
    """Keep the aggregates, then delete every respondent of the forum; returns how many were deleted.

    Recruitment is over, so what only served it goes too (UK GDPR storage limitation): the addresses
    and the invitation rows (which households were written to, with their codes' hashes), each
    selection run's map from opaque ids to registration references, and the audit log's references to
    registrations, panel members and residents' accounts (its events stay: who on staff did what, and
    when), and the panel members' and participants' roles on the forum; their accounts stay only if they
    still have a role elsewhere (``erase_finished_accounts``). Kept: the counts (registrations by ward
    and answer, letters per ward on each lottery for response rates), the lottery and address list
    records without addresses, and the published draw under opaque ids.
    """
    settings_row, _ = RecruitmentSettings.objects.get_or_create(forum=forum)
    with transaction.atomic():
        # After a registration, a draw or invitations being recorded, before any that would follow; and
        # invitations being sent check under this lock that their batch was not stopped here.
        lock_forum(forum.pk)
        # The published selection record shows the panel's make-up, which needs the answers.
        settings_row.retained_aggregates = {
            **aggregates(forum),
            "panel_composition": panel_against_targets(forum),
        }
        settings_row.purged_at = timezone.now()
        settings_row.panel_letters = ""
        settings_row.registration_open = False  # the codes stop working with the invitations
        settings_row.save(
            update_fields=["retained_aggregates", "purged_at", "panel_letters", "registration_open"]
        )
        for letters in forum_directory(forum).glob("panel-letters-*.pdf"):  # names and addresses
            letters.unlink()
        # What a worker killed while writing letters or a mailing file left half-written holds the same.
        for partial in forum_directory(forum).rglob("*.part"):
            partial.unlink(missing_ok=True)
        InvitationBatch.objects.filter(forum=forum).update(letters="")
        stopped = InvitationBatch.objects.filter(forum=forum, status__in=INVITATIONS_UNFINISHED).update(
            status=InvitationBatchStatus.STOPPED, updated_at=timezone.now()
        )
        # The lottery's letters and mailing CSV hold addresses and the only plain-text copies of the
        # registration codes; invitations keep the codes' hashes.
        for lottery in Lottery.objects.filter(forum=forum):
            for stored in (lottery.letters_pdf, lottery.mailing_csv):
                if stored:
                    Path(stored).unlink(missing_ok=True)
        Lottery.objects.filter(forum=forum).update(letters_pdf="", mailing_csv="")
        deleted, _ = Respondent.objects.filter(forum=forum).delete()
        invitations, _ = Invitation.objects.filter(lottery__forum=forum).delete()
        addresses, _ = Address.objects.filter(address_list__forum=forum).delete()
        forget_references(forum)
        audit.forget_targets(forum, Respondent, "A registration, deleted under the retention schedule")
        audit.forget_targets(
            forum, PanelMember, "A panel member, whose details were deleted under the retention schedule"
        )
        audit.forget_residents(forum, "A resident, whose details were deleted under the retention schedule")
        # Who held an account as a panel member or participant goes with who registered: the forum is over.
        resident_roles = ForumRole.objects.filter(forum=forum, role__in=audit.RESIDENT_ROLES)
        residents = set(resident_roles.values_list("user", flat=True))
        roles, _ = resident_roles.delete()
        accounts = erase_finished_accounts(residents)
        in_progress = clear_registrations_in_progress(forum)
        audit.record(
            user,
            "recruitment.personal_data_purged",
            forum=forum,
            respondents=deleted,
            invitations=invitations,
            addresses=addresses,
            resident_roles=roles,
            accounts_erased=accounts,
            registrations_in_progress=in_progress,
            invitation_batches_stopped=stopped,
        )
    return deleted


def clear_registrations_in_progress(forum: Any) -> int:
    """Take the forum's half-finished registrations out of every live session; returns how many.

    A browser that started registering keeps the answers given so far (a name, contact details,
    special-category answers; encrypted) in its session until the session expires, up to two weeks
    after its last change: past the retention date, and for a registration that can no longer be
    finished. Sessions live in the database (Django's default engine, which CivicForum uses), so the
    purge reads each live one and removes the forum's entry through the session store, leaving the rest
    of the session (an officer stays signed in). Expired sessions are deleted daily by ``purge_expired``.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):  # sessions held in a cache or the browser's cookie
        return 0
    key = registration.session_key(forum)
    live = store_class.get_model_class().objects.filter(expire_date__gt=timezone.now())
    cleared = 0
    for session in live.iterator():
        store = store_class(session.session_key)
        if key in store.decode(session.session_data):
            store.pop(key)
            store.save()
            cleared += 1
    return cleared


def erase_finished_accounts(user_ids: set[int]) -> int:
    """Deactivate the accounts among ``user_ids`` that no longer serve any forum, and erase who they were;
    returns how many. Called by the purge for its panel members and participants, once their roles on the
    forum are gone. An account with a role on another forum, or with powers of its own (site staff, a
    council's administrator), stays as it is: it still serves that purpose, and that forum's own purge
    comes to it.

    The others would otherwise keep a resident's name and email address (also their username) for no
    purpose once the forum is over (UK GDPR storage limitation), and could still sign in. The row itself
    stays, deactivated, rather than being deleted: audit events of forums not yet purged still point to it
    as who acted, and keep the username they recorded until their own purge, which finds the resident by
    that username (``audit.forget_residents``). The username becomes 'erased account <id>', which no
    sign-in form accepts (it has spaces), and the person can later be given a new account with the same
    email address. The password can no longer be used, nor can a set-password link be made for it."""
    users = get_user_model()
    finished = (
        users.objects.filter(pk__in=user_ids, is_staff=False, is_superuser=False)
        .exclude(pk__in=ForumRole.objects.values("user"))
        .exclude(pk__in=CouncilAdministrator.objects.values("user"))
    )
    return finished.update(
        username=Concat(Value("erased account "), Cast("pk", output_field=CharField())),
        first_name="",
        last_name="",
        email="",
        is_active=False,
        password=make_password(None),
    )


def purge_expired(today: date | None = None) -> int:
    """Purge every forum whose retention date has passed (the daily task and management command).

    Expired sessions go too: a registration left half-way keeps its answers (encrypted) in the
    session table, which Django only empties when asked."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    today = today or timezone.localdate()
    due = RecruitmentSettings.objects.filter(
        retention_until__lte=today, purged_at__isnull=True
    ).select_related("forum")
    return sum(purge_forum(row.forum) for row in due)
