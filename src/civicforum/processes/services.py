"""Business rules for forums: what the public sees, who sees which forum, creating and editing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from civicforum.core import audit
from civicforum.core.models import AuditEvent, CouncilAdministrator, ForumRole, Role
from civicforum.core.roles import COUNCIL_ADMIN, STAFF_FORUM_ROLES, councils_open_to, grant_role, roles_on
from civicforum.processes.models import STAGE_ORDER, Council, Forum, Stage, StageKind
from civicforum.recruitment.models import MemberStatus, PanelMember
from civicforum.recruitment.services import quotas, registration
from civicforum.wording import plural


@dataclass(frozen=True)
class TimelineEntry:
    """One stage as shown on the public timeline."""

    kind: str
    label: str
    status: str  # "completed", "current" or "upcoming"
    starts_on: date | None
    ends_on: date | None
    summary: str

    @property
    def status_label(self) -> str:
        return {"completed": "Completed", "current": "In progress", "upcoming": "Not started"}[self.status]

    @property
    def tag_class(self) -> str:
        return {"completed": "govuk-tag--green", "current": "govuk-tag--blue", "upcoming": "govuk-tag--grey"}[
            self.status
        ]


def public_forums() -> QuerySet[Forum]:
    return Forum.objects.filter(published=True).select_related("council").order_by("-starts_on", "title")


def current_and_past(forums: QuerySet[Forum]) -> tuple[list[Forum], list[Forum]]:
    """Split forums into those still running (or not started) and those past their end date."""
    listed = list(forums)
    return [f for f in listed if not f.is_finished], [f for f in listed if f.is_finished]


def forums_taken_part_in(user: Any) -> QuerySet[Forum]:
    """The public forums on which the user is a panel member or a participant: where signing in takes
    an account with no staff role (to its forum's page when it has exactly one)."""
    held = ForumRole.objects.filter(user=user, role__in=(Role.PANEL_MEMBER, Role.PARTICIPANT))
    return public_forums().filter(pk__in=held.values("forum_id"))


def staff_forums(user: Any) -> QuerySet[Forum]:
    """Forums on which the user holds a staff role, directly or as council administrator."""
    forums = Forum.objects.select_related("council").order_by("-starts_on", "title")
    if user.is_superuser:
        return forums
    direct = ForumRole.objects.filter(user=user, role__in=STAFF_FORUM_ROLES).values("forum_id")
    administered = CouncilAdministrator.objects.filter(user=user).values("council_id")
    return forums.filter(pk__in=direct) | forums.filter(council_id__in=administered)


def councils_for_new_forum(user: Any) -> QuerySet[Council]:
    """Councils in which the user may open a forum."""
    if user.is_superuser:
        return Council.objects.all()
    if not user.is_active:
        return Council.objects.none()
    return Council.objects.filter(councils_open_to(user))


def timeline(forum: Forum) -> list[TimelineEntry]:
    """The forum's stages in order, each marked completed, current or upcoming."""
    stages = sorted(forum.stages.all(), key=lambda stage: stage.position)
    entries = []
    for stage in stages:
        entries.append(
            TimelineEntry(
                kind=stage.kind,
                label=stage.get_kind_display(),
                status=stage_status(forum, stage),
                starts_on=stage.starts_on,
                ends_on=stage.ends_on,
                summary=stage.summary,
            )
        )
    return entries


def stage_status(forum: Forum, stage: Stage) -> str:
    """How the timeline shows ``stage``: "completed", "current" or "upcoming", from the forum's current
    stage (every stage is completed once the forum is finished), never from the stage's own dates."""
    current = len(STAGE_ORDER) if forum.is_finished else STAGE_ORDER.index(forum.current_stage)
    return "completed" if stage.position < current else "current" if stage.position == current else "upcoming"


# A slug is printed on the letters, in the registration and reply addresses: one of 90 characters (from a
# long title) made an address too long for them, which refused to print it.
SLUG_LENGTH = 50


def unique_slug(title: str, exclude_pk: int | None = None) -> str:
    """A slug from ``title``, at most ``SLUG_LENGTH`` characters cut at a word's end (a uniqueness suffix
    included), that no other forum has and whose pages are the forum's own."""
    base = _shortened(slugify(title), SLUG_LENGTH) or "forum"
    slug, suffix = base, 2
    while Forum.objects.filter(slug=slug).exclude(pk=exclude_pk).exists() or not _leads_to_its_pages(slug):
        ending = f"-{suffix}"
        slug, suffix = _shortened(base, SLUG_LENGTH - len(ending)) + ending, suffix + 1
    return slug


def _shortened(slug: str, length: int) -> str:
    """``slug`` cut to at most ``length`` characters after a whole word (mid-word only if its first word is
    longer)."""
    if len(slug) <= length:
        return slug
    word_end = slug.rfind("-", 0, length + 1)
    return slug[:word_end] if word_end > 0 else slug[:length]


def _leads_to_its_pages(slug: str) -> bool:
    """Whether the forum's public and staff addresses reach its pages: a forum called 'New' had its staff
    page at /staff/forums/new/, the address of 'Create a forum', and its officer could never open it."""
    pages = ("processes:forum", "processes:forum_staff")
    return all(resolve(reverse(name, kwargs={"forum_slug": slug})).view_name == name for name in pages)


# What an officer edits on the forum form; an update's audit entry names the ones that changed.
AUDITED_FORUM_FIELDS = (
    *("title", "question", "area", "summary", "starts_on", "ends_on"),
    *("panel_size", "current_stage", "published"),
)


@transaction.atomic
def save_forum(actor: Any, forum: Forum, stage_kinds: list[str]) -> Forum:
    """Create or update a forum and its set of stages, and audit the change."""
    creating = forum.pk is None
    before = Forum.objects.filter(pk=forum.pk).values(*AUDITED_FORUM_FIELDS).first() or {}
    if not forum.slug:
        forum.slug = unique_slug(forum.title, exclude_pk=forum.pk)
    forum.full_clean()
    forum.save()
    wanted = set(stage_kinds) | {forum.current_stage}
    existing = set(forum.stages.values_list("kind", flat=True))
    forum.stages.exclude(kind__in=wanted).delete()
    Stage.objects.bulk_create(
        [Stage(forum=forum, kind=kind) for kind in STAGE_ORDER if kind in wanted - existing]
    )
    changes: dict[str, Any] = {}
    if not creating:
        changed = [name for name in AUDITED_FORUM_FIELDS if getattr(forum, name) != before.get(name)]
        changes["changed"] = changed
        if "current_stage" in changed:
            changes["current_stage"] = {"from": before["current_stage"], "to": forum.current_stage}
        if existing != wanted:  # removing a stage deletes its dates and description
            changed.append("stages")
            changes["stages_removed"] = [kind for kind in STAGE_ORDER if kind in existing - wanted]
            changes["stages_added"] = [kind for kind in STAGE_ORDER if kind in wanted - existing]
    audit.record(
        actor,
        "forum.created" if creating else "forum.updated",
        forum=forum,
        target=forum,
        title=forum.title,
        stages=[kind for kind in STAGE_ORDER if kind in wanted],
        **changes,
    )
    if creating and not actor.has_perm("processes.change_forum", forum):
        # An officer of another of the council's forums opens this one: without a role on it they would
        # land on 'You do not have permission' and never see the forum they just created.
        assign_role(actor, forum, actor, Role.OFFICER)
    return forum


def all_stage_kinds() -> list[str]:
    return [kind.value for kind in StageKind]


def find_user(identifier: str) -> Any | None:
    """An active account by username or email address (case-insensitive), or None."""
    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(username__iexact=identifier).first() or users.filter(email__iexact=identifier).first()
        if identifier
        else None
    )


def new_account_email_problem(email: str) -> str:
    """Why no new account may use ``email``, or ''. One person, one account: a second account would split
    their roles and audit trail, and a deactivated account was switched off on purpose, so only a site
    administrator may bring it back."""
    same = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    if same.filter(is_active=True).exists():
        return "There is already an account with this email address. Give it a role instead."
    if same.exists():
        return (
            "This email address belongs to a deactivated account. Ask a site administrator to reactivate it, "
            "then give it a role"
        )
    return ""


def assign_role(actor: Any, forum: Forum, user: Any, role: str) -> ForumRole:
    forum_role = grant_role(user, forum, role)
    audit.record(actor, "role.granted", forum=forum, target=forum_role, user=user.get_username(), role=role)
    return forum_role


# The permission needed to see the names of people holding a resident role; staff names are always shown.
RESIDENT_NAMES_PERMISSION = {
    Role.PANEL_MEMBER: "processes.see_panel_member_names",
    Role.PARTICIPANT: "processes.see_participant_names",
}


def people_for(
    viewer: Any, forum: Forum, residents_by_name: bool = False
) -> tuple[list[ForumRole], list[str]]:
    """The roles on ``forum`` whose holders ``viewer`` sees by name, and a count for each other role (like
    '12 panel members'). Staff are always named. Residents (panel members, public participants) are named
    only with ``residents_by_name`` (the people page, which logs each view as access to personal data) and
    only to those who need them (UK GDPR data minimisation): officers and council administrators manage
    people, facilitators work with the panel, evaluators need numbers only. The forum's staff page, which
    staff open many times a day, counts them: naming them there would mean either an unlogged view of
    personal data or an audit log filled with visits to the page."""
    hidden = [
        role
        for role, perm in RESIDENT_NAMES_PERMISSION.items()
        if not (residents_by_name and viewer.has_perm(perm, forum))
    ]
    roles = forum.roles.select_related("user").order_by("role", "user__username")
    counts = Counter(forum.roles.filter(role__in=hidden).values_list("role", flat=True))
    # "with an account": '1 panel member' beside a panel of 60 read as the panel drawn.
    return list(roles.exclude(role__in=hidden)), [
        f"{counts[role]} {Role(role).label.lower()}{plural(counts[role], '', 's')} with an account"
        for role in hidden
        if counts[role]
    ]


def council_administrators(forum: Forum) -> list[Any]:
    """The users who administer ``forum``'s council, and so run it without a role of their own on it."""
    administrators = forum.council.administrators.filter(user__is_active=True).select_related("user")
    return [admin.user for admin in administrators.order_by("user__username")]


def residents_named(roles: list[ForumRole]) -> int:
    """How many of ``roles`` are a resident's (panel member or participant): what a page showing them
    records as personal data viewed."""
    return sum(1 for forum_role in roles if forum_role.role in RESIDENT_NAMES_PERMISSION)


def role_removal_problem(actor: Any, forum_role: ForumRole) -> str:
    """Why ``actor`` may not remove ``forum_role``, or ''. Removing your own officer role would lock you
    out of the page you are on, with no way back, and could leave the forum with no one to run it."""
    own_officer_role = forum_role.user_id == actor.pk and forum_role.role == Role.OFFICER
    if own_officer_role and not actor.is_superuser and COUNCIL_ADMIN not in roles_on(actor, forum_role.forum):
        return (
            "You cannot remove your own forum officer role. "
            "Ask another officer or a council administrator to remove it."
        )
    return ""


def role_removal_warning(forum_role: ForumRole) -> str:
    """What removing ``forum_role`` would cost that the remover must confirm, or ''. A council
    administrator may remove the last forum officer (they leave the council, say), but then nobody runs
    the forum day to day: only council administrators can still manage it. A deactivated officer runs
    nothing, so does not count."""
    if forum_role.role != Role.OFFICER:
        return ""
    others = forum_role.forum.roles.filter(role=Role.OFFICER, user__is_active=True).exclude(pk=forum_role.pk)
    if others.exists():
        return ""
    name = forum_role.user.get_full_name() or forum_role.user.get_username()
    return (
        f"{name} is the only forum officer. Without a forum officer, nobody will run this forum day to day: "
        "only council administrators will be able to manage it."
    )


class RoleAlreadyRemoved(Exception):
    """The role was removed (by a colleague, or a second press) before this removal could take it."""


class LastOfficerNotConfirmed(Exception):
    """The role became the forum's last forum officer's after the remover's page was shown: they must
    confirm ``warning`` first."""

    def __init__(self, warning: str) -> None:
        super().__init__(warning)
        self.warning = warning


@transaction.atomic
def remove_role(actor: Any, forum_role: ForumRole, last_officer_confirmed: bool = False) -> None:
    """Remove ``forum_role`` and audit it. Raises ``LastOfficerNotConfirmed`` if it is the forum's last
    forum officer and the remover has not confirmed that (``role_removal_warning``), and
    ``RoleAlreadyRemoved`` if it is gone.

    The forum's officer roles (and this one) are locked first, in one order, so that two administrators
    removing its last two officers at the same moment cannot each count the other as still there: the
    second waits for the first, then sees the one it removes is the last."""
    locked = ForumRole.objects.select_for_update().filter(
        Q(forum_id=forum_role.forum_id, role=Role.OFFICER) | Q(pk=forum_role.pk)
    )
    if forum_role.pk not in set(locked.order_by("pk").values_list("pk", flat=True)):
        raise RoleAlreadyRemoved
    if not last_officer_confirmed and (warning := role_removal_warning(forum_role)):
        raise LastOfficerNotConfirmed(warning)
    audit.record(
        actor,
        "role.removed",
        forum=forum_role.forum,
        target=forum_role,
        user=forum_role.user.get_username(),
        role=forum_role.role,
    )
    forum_role.delete()


def forum_date_problems(
    forum: Forum, starts_on: date, ends_on: date, stage_kinds: list[str]
) -> dict[str, str]:
    """Errors by field for new forum dates that would leave a stage it keeps (``stage_kinds``) outside
    them: the timeline would contradict itself and the stage could not be saved again as it is."""
    kept = [stage for stage in forum.stages.filter(kind__in=stage_kinds) if stage.starts_on or stage.ends_on]
    problems = {}
    first = min(kept, key=lambda stage: stage.starts_on or stage.ends_on, default=None)
    if first is not None and starts_on > (day := first.starts_on or first.ends_on):
        problems["starts_on"] = (
            f"Start date must be on or before {day:%-d %B %Y}, when the {first.get_kind_display()} stage "
            f"{'starts' if first.starts_on else 'ends'}: change that stage’s dates first"
        )
    last = max(kept, key=lambda stage: stage.ends_on or stage.starts_on, default=None)
    if last is not None and ends_on < (day := last.ends_on or last.starts_on):
        problems["ends_on"] = (
            f"End date must be on or after {day:%-d %B %Y}, when the {last.get_kind_display()} stage "
            f"{'ends' if last.ends_on else 'starts'}: change that stage’s dates first"
        )
    return problems


def past_dates_warning(forum: Forum, ends_on: date, dates_changed: bool) -> str:
    """What the officer must confirm before saving a forum that ended before today, or ''. Recording a
    forum that has already run is legitimate, but a slip of the year (2025 for 2027) would show a forum
    that has not begun as finished, every stage completed. A forum saved again with the same dates is not
    asked again, so a finished forum's other details can still be corrected."""
    if ends_on >= timezone.localdate() or (forum.pk is not None and not dates_changed):
        return ""
    return (
        f"The end date, {ends_on:%-d %B %Y}, is in the past. The forum will show as finished, with every "
        "stage completed."
    )


def stage_past_dates_warning(stage: Stage, starts_on: date | None, ends_on: date | None) -> str:
    """What the officer must confirm before giving ``stage`` dates in the past that the timeline, which
    follows the forum's current stage, would contradict, or ''. A stage that ended before today yet shows
    'In progress' or 'Not started', or one not started that began before today, is either a slip of the
    year or a forum whose current stage was not moved on. A completed stage's past dates are what is
    expected (a forum recorded after it ran is confirmed once, on its own dates)."""
    status = stage_status(stage.forum, stage)
    today = timezone.localdate()
    shown = "in progress" if status == "current" else "not started"
    if status != "completed" and ends_on and ends_on < today:
        day, which = ends_on, "end"
    elif status == "upcoming" and starts_on and starts_on < today:
        day, which = starts_on, "start"
    else:
        return ""
    return (
        f"The {which} date, {day:%-d %B %Y}, is in the past, but the forum’s current stage is "
        f"{stage.forum.get_current_stage_display()}, so the timeline shows "
        f"{stage.get_kind_display()} as {shown}. If the forum has moved on, change its current stage in "
        "the forum’s details."
    )


def hiding_problems(forum: Forum) -> dict[str, str]:
    """An error for hiding a forum while its registration is open: residents would follow their letters to
    registration pages that are no longer there."""
    if registration.is_open(forum):
        return {
            "published": (
                "Close registration before hiding the forum: residents registering from their letters "
                "would find its pages gone"
            )
        }
    return {}


def panel_size_problems(forum: Forum, panel_size: int) -> dict[str, str]:
    """An error for a panel size smaller than recruitment already needs, naming what to change first.
    Members already selected or confirmed stay on the panel, and the saved quotas must still fit it
    (``quotas.quota_clashes``): otherwise no panel can be drawn, or the quotas page refuses its own
    limits, which the officer would only learn later from the quotas page or a failed selection run."""
    members = PanelMember.objects.filter(forum=forum).exclude(status=MemberStatus.DECLINED).count()
    clashes = quotas.quota_clashes(forum, panel_size)
    if members > panel_size and (not clashes or members >= clashes[0].needed):
        return {
            "panel_size": (
                f"Panel size must be at least {members}: {members} residents are already on the panel "
                "(selected or confirmed). If some have dropped out, mark them as declined on the panel "
                "page first"
            )
        }
    if clashes:
        return {
            "panel_size": (
                f"Panel size must be at least {clashes[0].needed}: "
                f"{'; '.join(clash.reason for clash in clashes)}. Lower the quotas on the quotas page first, "
                f"or keep the panel size of {forum.panel_size}"
            )
        }
    return {}


def stage_date_problems(stage: Stage, starts_on: date | None, ends_on: date | None) -> dict[str, str]:
    """Errors by field for stage dates the forum's timeline would contradict: outside the forum's own
    dates, or out of order with the nearest dated stage before or after it. Stages follow one another
    (the timeline shows one current stage), so a stage starts on or after the day the one before ends."""
    forum = stage.forum
    dated = [
        other
        for other in sorted(forum.stages.exclude(pk=stage.pk), key=lambda other: other.position)
        if other.starts_on or other.ends_on
    ]
    before = next((other for other in reversed(dated) if other.position < stage.position), None)
    after = next((other for other in dated if other.position > stage.position), None)
    problems = {}
    for name, label, day in (("starts_on", "Start date", starts_on), ("ends_on", "End date", ends_on)):
        if day is None:
            continue
        if day < forum.starts_on:
            problems[name] = (
                f"{label} must be on or after the forum’s start date, {forum.starts_on:%-d %B %Y}"
            )
        elif day > forum.ends_on:
            problems[name] = f"{label} must be on or before the forum’s end date, {forum.ends_on:%-d %B %Y}"
        elif before is not None and day < (limit := before.ends_on or before.starts_on):
            problems[name] = (
                f"{label} must be on or after the {'end' if before.ends_on else 'start'} of the "
                f"{before.get_kind_display()} stage, {limit:%-d %B %Y}: "
                f"{stage.get_kind_display()} comes after {before.get_kind_display()}"
            )
        elif after is not None and day > (limit := after.starts_on or after.ends_on):
            problems[name] = (
                f"{label} must be on or before the {'start' if after.starts_on else 'end'} of the "
                f"{after.get_kind_display()} stage, {limit:%-d %B %Y}: "
                f"{stage.get_kind_display()} comes before {after.get_kind_display()}"
            )
    return problems


AUDITED_STAGE_FIELDS = ("starts_on", "ends_on", "summary")


def update_stage(actor: Any, stage: Stage) -> Stage:
    """Save a stage's dates and description; the audit entry says which changed, and dates from what
    to what, so an evaluator can follow how the timeline moved."""
    before = Stage.objects.filter(pk=stage.pk).values(*AUDITED_STAGE_FIELDS).first() or {}
    stage.full_clean()
    stage.save()
    changed = [name for name in AUDITED_STAGE_FIELDS if getattr(stage, name) != before.get(name)]
    dates = {
        name: {"from": _iso(before.get(name)), "to": _iso(getattr(stage, name))}
        for name in ("starts_on", "ends_on")
        if name in changed
    }
    audit.record(
        actor, "stage.updated", forum=stage.forum, target=stage, stage=stage.kind, changed=changed, **dates
    )
    return stage


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@transaction.atomic
def create_account_with_role(
    actor: Any, forum: Forum, first_name: str, last_name: str, email: str, role: str
) -> tuple[Any, str]:
    """A new account (no password yet) holding ``role``; returns it and the path of its set-password link.

    The link works once and expires after PASSWORD_RESET_TIMEOUT; the administrator passes it on.
    """
    user = get_user_model().objects.create_user(
        username=email.lower(), email=email.lower(), first_name=first_name, last_name=last_name
    )
    user.set_unusable_password()
    user.save()
    assign_role(actor, forum, user, role)
    audit.record(actor, "account.created", forum=forum, target=user, role=role)
    return user, set_password_link(user)


def set_password_link(user: Any) -> str:
    """The path of a link with which ``user`` chooses a password. It works until they choose one (any
    link then stops working) and for PASSWORD_RESET_TIMEOUT at most."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


MAX_LINKS_PER_DAY = 5


def new_link_problem(actor: Any, user: Any) -> str:
    """Why ``actor`` may not make a new set-password link for ``user``, or ''. Whoever holds a link can
    sign in as the person, so links are only for accounts that never chose a password, never for accounts
    with powers beyond a forum or on a forum ``actor`` does not manage (any officer may give any account a
    role on their own forum), and only a few a day: a lost link is replaced, links are not handed out."""
    name = user.get_full_name() or user.get_username()
    if not user.is_active:
        return f"{name}’s account is deactivated. Ask a site administrator to reactivate it first"
    if user.has_usable_password():
        return (
            f"{name} has already chosen a password. If they have forgotten it, "
            "ask a site administrator to reset it"
        )
    if user.is_superuser or user.is_staff or CouncilAdministrator.objects.filter(user=user).exists():
        return f"{name} administers the site or a council. Ask a site administrator for their link"
    if any(
        not actor.has_perm("processes.manage_forum_roles", forum)
        for forum in Forum.objects.filter(roles__user=user).distinct()
    ):
        return (
            f"{name} also has a role on a forum you do not manage. Ask that forum's officer or your council "
            "administrator for their link"
        )
    since = timezone.now() - timedelta(days=1)
    made = AuditEvent.objects.filter(
        action="account.link_issued", target_id=str(user.pk), created_at__gte=since
    ).count()
    if made >= MAX_LINKS_PER_DAY:
        return (
            f"{made} set-password links have been made for {name} in the last 24 hours. "
            "Send them one of those, or try again tomorrow"
        )
    return ""


def issue_set_password_link(actor: Any, forum: Forum, user: Any) -> str:
    """A new set-password link for someone whose first one expired or was lost, audited like the first."""
    audit.record(actor, "account.link_issued", forum=forum, target=user)
    return set_password_link(user)
