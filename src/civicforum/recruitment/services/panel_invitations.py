"""Telling selected people they have been chosen (email where we have one, a letter for everyone),
and their reply online."""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from civicforum.core import audit
from civicforum.recruitment.models import ABOUT_THE_PERSON, MemberStatus, PanelMember, RecruitmentSettings
from civicforum.recruitment.services import registration
from civicforum.recruitment.services.blockers import Blocker
from civicforum.recruitment.services.letters import Letter, LetterDesign, write_letters
from civicforum.recruitment.services.locks import lock_forum

logger = logging.getLogger(__name__)

HEADING = "You have been chosen for $forum"
BODY = """\
Dear panel member,

Thank you for registering. The lottery has chosen you as one of the residents who will take part in \
$forum, run by $council.

Please tell us by $reply_by whether you can take part. If you cannot, we will offer your place to \
someone else, so please tell us either way.

We will send you the dates, the venue and everything you need to know, and we will pay for travel, \
care and any support you need, as well as a thank-you payment."""
BOX_TEXT = "Tell us by $reply_by whether you can take part:\ngo to $url or call us,\nquoting your reference:"
FOOTER = (
    "You registered to take part. The privacy notice on the registration page says how we use your details."
)


@dataclass(frozen=True)
class InvitationBatch:
    members: int
    emailed: int
    email_failed: int
    letters: Path | None


def awaiting_invitation(forum: Any) -> QuerySet[PanelMember]:
    """Selected members not yet invited whose registration is still held (an erased one has no contact)."""
    return PanelMember.objects.filter(
        forum=forum, status=MemberStatus.SELECTED, invited_at__isnull=True, respondent__isnull=False
    )


def invite_blocker(forum: Any) -> Blocker | None:
    """Why the invitations cannot go out now (None: they can): nobody is waiting for one, or the draw
    that chose them has no published selection record yet (the public's check on the draw should be
    there before anyone is told they were chosen; replacement draws publish no record)."""

    def url(name: str, **kwargs: Any) -> str:
        return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug, **kwargs})

    waiting = awaiting_invitation(forum)
    if not waiting.exists():
        if PanelMember.objects.filter(forum=forum).exists():
            return Blocker(
                "Everyone selected has already been invited. Record their replies on the panel page.",
                "Go to the panel",
                url("panel"),
            )
        return Blocker(
            "Nobody has been selected yet. Run the selection first.",
            "Run the selection",
            url("start_selection"),
        )
    unpublished = (
        waiting.filter(run__is_replacement=False, run__published_at__isnull=True)
        .values_list("run", flat=True)
        .first()
    )
    if unpublished is not None:
        return Blocker(
            "Publish the selection record before inviting anyone: it lets the public check the draw, and "
            "once members are invited the panel can no longer be drawn again.",
            "Check the selection and publish its record",
            url("run", run_id=unpublished),
        )
    return None


def invite_selected(forum: Any, user: Any, reply_url: str, reply_by: str, directory: Path) -> InvitationBatch:
    """Email and write to every selected member not yet invited; the letters PDF goes to ``directory``.

    Two officers pressing "Invite" at once invite each member once: the forum's row stays locked until
    the members are marked invited, so the second press finds nobody left to invite.
    """
    with transaction.atomic():
        lock_forum(forum.pk)
        return _invite_uninvited(forum, user, reply_url, reply_by, directory)


def _invite_uninvited(
    forum: Any, user: Any, reply_url: str, reply_by: str, directory: Path
) -> InvitationBatch:
    members = list(
        awaiting_invitation(forum)
        .select_related("respondent__invitation__address")
        .defer(*(f"respondent__{name}" for name in ABOUT_THE_PERSON))
    )
    if not members:
        return InvitationBatch(0, 0, 0, None)
    settings_row, _ = RecruitmentSettings.objects.get_or_create(forum=forum)
    design = LetterDesign(
        council_name=forum.council.name,
        forum_title=forum.title,
        registration_url=reply_url,
        heading=HEADING,
        body=BODY,
        reply_by=reply_by,
        phone=settings_row.phone,
        logo=bytes(settings_row.logo) if settings_row.logo else None,
        box_heading="How to reply",
        box_text=BOX_TEXT,
        footer=FOOTER,
    )
    emailed, failed = _email(members, design, reply_url, settings_row.phone)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"panel-letters-{timezone.now():%Y%m%d-%H%M%S}.pdf"
    write_letters(path, design, (_letter(member) for member in members))
    PanelMember.objects.filter(pk__in=[m.pk for m in members]).update(invited_at=timezone.now())
    settings_row.panel_letters = str(path)
    settings_row.save(update_fields=["panel_letters"])
    audit.record(
        user,
        "recruitment.panel_invited",
        forum=forum,
        members=len(members),
        emailed=emailed,
        email_failed=failed,
    )
    return InvitationBatch(len(members), emailed, failed, path)


def _email(members: list[PanelMember], design: LetterDesign, reply_url: str, phone: str) -> tuple[int, int]:
    """Email each member who gave an address; returns how many emails went and how many failed.

    One session with the mail server for the whole batch: opening one per member (TLS and sign-in each
    time) took long enough, for a panel of 60, to outlast the web server's timeout.
    """
    emailed = failed = 0
    connection = get_connection()
    with contextlib.suppress(smtplib.SMTPException, OSError):  # then each email tries, and is counted
        connection.open()  # kept open: sending through a closed connection opens and closes one per email
    try:
        for member in members:
            respondent = member.respondent
            if respondent is None or not respondent.email:
                continue
            # One line whatever the forum's title holds: a line break in a subject is refused by Django
            # (BadHeaderError), which stopped the whole batch with a server error.
            subject = " ".join(design.fill(HEADING).split())
            text = design.fill(BODY) + email_reply_steps(reply_url, respondent.reference, phone)
            # Everyone also gets a letter, so a mail server failure must not stop the batch: count it
            # and tell the officer, who can check the mail settings.
            try:
                emailed += EmailMessage(subject, text, None, [respondent.email], connection=connection).send()
            except (smtplib.SMTPException, OSError) as error:
                # Only the kind of failure: smtplib's exceptions carry the refused email addresses.
                logger.error(
                    "Could not email panel member %s: %s", respondent.reference, type(error).__name__
                )
                failed += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return emailed, failed


def email_reply_steps(reply_url: str, reference: str, phone: str) -> str:
    """How to reply, for the end of the email: the reply page asks for the contact detail as well as the
    reference, and the letter's phone route belongs in the email too."""
    steps = (
        f"\n\nTo reply, go to {reply_url}. You will need your reference, {reference}, and the email address "
        "or phone number you gave when you registered."
    )
    return steps + (
        f"\n\nIf you have a question, or would rather reply by phone, call {phone}." if phone else ""
    )


def latest_letters_count(forum: Any) -> int:
    """How many members the latest letters PDF names: one batch, all marked invited at one instant."""
    latest = PanelMember.objects.filter(forum=forum).aggregate(latest=Max("invited_at"))["latest"]
    return PanelMember.objects.filter(forum=forum, invited_at=latest).count() if latest else 0


def _letter(member: PanelMember) -> Letter:
    respondent = member.respondent
    assert respondent is not None
    address = respondent.invitation.address.lines() if respondent.invitation else ()
    return Letter(respondent.reference, (respondent.full_name, *address), respondent.reference)


def reply(forum: Any, reference: str, contact: str, accepts: bool, client: str) -> PanelMember:
    """A selected person accepts or declines their place (raises ``CodeProblem`` if not found).

    The forum's row is locked first, as an officer recording a reply and a draw saving replacements lock
    it (``selection.set_member_status``, ``selection._save_result``), and the place is read again under
    the lock: of an accept and a decline sent at once, or a reply and an officer's correction, the first
    counts and the second is told the reply is already recorded, rather than silently replacing it.
    """
    respondent = registration.find_own_registration(forum, reference, contact, client)
    with transaction.atomic():
        lock_forum(forum.pk)
        memberships = respondent.memberships.all()
        member = memberships.filter(status=MemberStatus.SELECTED).first()
        if member is None:
            if memberships.exists():
                raise registration.CodeProblem(already_replied(forum))
            raise registration.CodeProblem("There is no place waiting for a reply under that reference")
        member.status = MemberStatus.CONFIRMED if accepts else MemberStatus.DECLINED
        member.save(update_fields=["status", "changed_at"])
        audit.record(None, f"recruitment.member_{member.status}", forum=forum, target=member, online=True)
    return member


def already_replied(forum: Any) -> str:
    phone = registration.phone_for(forum)
    call = f"call us on {phone}" if phone else "contact us"
    return f"We already have a reply for this place. If you want to change it, {call}"
