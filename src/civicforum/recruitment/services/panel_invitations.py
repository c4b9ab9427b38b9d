"""Telling selected people they have been chosen (email where we have one, a letter for everyone),
and their reply online."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from civicforum.core import audit
from civicforum.plain_text import one_line
from civicforum.recruitment.models import (
    ABOUT_THE_PERSON,
    INVITATIONS_UNFINISHED,
    NOT_EMAILED,
    EmailStatus,
    InvitationBatch,
    InvitationBatchStatus,
    MemberStatus,
    PanelMember,
    ReachedBy,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    invitation_outcome,
    not_emailed_q,
)
from civicforum.recruitment.services import civic_lottery, mail, registration
from civicforum.recruitment.services.addresses import PRINTED_COLUMNS
from civicforum.recruitment.services.blockers import Blocker
from civicforum.recruitment.services.letters import (
    WINDOW_LINES,
    Letter,
    LetterDesign,
    address_fits,
    write_letters,
)
from civicforum.recruitment.services.locks import lock_forum
from civicforum.wording import counted

logger = logging.getLogger(__name__)

HEADING = "You have been chosen for $forum"
GREETING = "Dear panel member,"  # the letter's, one text for every page; an email names its member
BODY = f"""\
{GREETING}

Thank you for registering. The lottery has chosen you as one of the residents who will take part in \
$forum, run by $council.

Please tell us by $reply_by whether you can take part, and if you can, any support you need to take \
part (for example step-free access, a hearing loop, large print or help with care). If you cannot, we \
will offer your place to someone else, so please tell us either way.

We will send you the dates, the venue and everything you need to know, and we will pay for travel, \
care and any support you need, as well as a thank-you payment."""
# The web address has a line to itself: beside "or call us" it was set so small that the end of the line
# was cut off. The member is registered already: the phone line takes their reply.
BOX_TEXT = "Tell us by $reply_by whether you can take part.\nGo to $url\nand enter your reference:"
PHONE_TEXT = "Or call us on $phone and give us your reference."
FOOTER = (
    "You registered to take part. The privacy notice on the registration page says how we use your details."
)


def awaiting_invitation(forum: Any) -> QuerySet[PanelMember]:
    """Selected members not yet invited whose registration is still held (an erased one has no contact)."""
    return PanelMember.objects.filter(
        forum=forum, status=MemberStatus.SELECTED, invited_at__isnull=True, respondent__isnull=False
    )


@dataclass(frozen=True)
class InvitationsToSend:
    """What 'Send invitations' would send now, for the check page before it: every member gets a letter,
    and those who gave an email address an email too, which cannot be recalled once sent."""

    members: int
    emails: int

    @property
    def letters_only(self) -> int:
        return self.members - self.emails


def invitations_to_send(forum: Any) -> InvitationsToSend:
    """How many members await an invitation, and how many of them will be emailed (those with an email
    address, as the sending decides)."""
    emails = list(awaiting_invitation(forum).values_list("respondent__email", flat=True))
    return InvitationsToSend(members=len(emails), emails=sum(1 for email in emails if email))


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


def invited_meanwhile(forum: Any) -> InvitationBatch | None:
    """The forum's latest invitations, if they took everyone selected (None: someone is still waiting)."""
    if awaiting_invitation(forum).exists():
        return None
    return InvitationBatch.objects.filter(forum=forum).first()


class InvitationsBusy(Exception):
    """The batch's invitations are being sent right now: sending them again must wait until it stops."""


def invite_selected(forum: Any, user: Any, reply_url: str, reply_by: str) -> InvitationBatch | None:
    """Record a batch inviting every selected member not yet invited (None: nobody left to invite);
    the caller then queues ``tasks.send_invitations`` for it, which writes their letters and emails them.

    Only the record is made under the forum's lock: two officers pressing "Invite" at once invite each
    member once, since the second press finds them in the first's batch. Nothing is sent inside the
    transaction, so a failure cannot undo the record of emails already gone and have them sent again.
    """
    with transaction.atomic():
        lock_forum(forum.pk)
        members = list(awaiting_invitation(forum).values_list("pk", flat=True))
        if not members:
            return None
        batch = InvitationBatch.objects.create(
            forum=forum, created_by=user, reply_url=reply_url, reply_by=reply_by
        )
        PanelMember.objects.filter(pk__in=members).update(
            invited_at=batch.created_at, invitation_batch=batch, email_status=EmailStatus.TO_SEND
        )
        audit.record(user, "recruitment.panel_invited", forum=forum, target=batch, members=len(members))
    return batch


def send_again(batch: InvitationBatch, user: Any) -> int:
    """Mark the batch to send again its emails that failed (and, if its sending stopped part-way, the
    rest it had not reached), for the caller to queue ``tasks.send_invitations``; returns how many emails
    that is. Raises ``InvitationsBusy`` while it is sending.

    Emails cut off mid-send (``EmailStatus.SENDING``) stay as they are: they may have gone. Members the
    officer has told another way (``record_reached``) are not emailed again.
    """
    with transaction.atomic():
        current = _locked_unless_sending(
            batch,
            "These invitations are being sent, perhaps after a colleague's request. Wait for them to "
            "finish: this page shows their progress.",
        )
        unreached = current.recipients.filter(reached_by="")
        unreached.filter(email_status=EmailStatus.FAILED).update(email_status=EmailStatus.TO_SEND)
        _skip_replied(current)
        emails = unreached.filter(email_status=EmailStatus.TO_SEND).count()
        current.status = InvitationBatchStatus.QUEUED
        current.error = ""
        current.updated_at = timezone.now()
        current.save(update_fields=["status", "error", "updated_at"])
        audit.record(
            user, "recruitment.panel_invitations_resent", forum=current.forum, target=current, emails=emails
        )
    return emails


def _locked_unless_sending(batch: InvitationBatch, busy: str) -> InvitationBatch:
    """The batch read again under the forum's lock (inside a transaction); raises ``InvitationsBusy``
    with the message ``busy`` while it is being sent (queued or sending, and not stuck)."""
    lock_forum(batch.forum_id)
    current = InvitationBatch.objects.select_related("forum").get(pk=batch.pk)
    if current.status in INVITATIONS_UNFINISHED and not current.looks_stuck(timezone.now()):
        raise InvitationsBusy(busy)
    return current


def send_batch(batch_id: int) -> None:
    """Write the batch's letters (once) and send each email still to send (background task).

    Every email is marked as being sent before it goes and as sent or failed after, each saved at
    once: running the task again, or a colleague's "send again", never sends one twice. A batch the
    retention purge stopped (``privacy.purge_forum``) is left as it is: nothing is written or sent.

    Each run records in the audit log the emails it sent, even when another run ended the batch first
    (a "Send again" on a batch that only looked stuck runs alongside the first sending) or the purge
    stopped it part-way: those emails went all the same.
    """
    batch = InvitationBatch.objects.select_related("forum__council").get(pk=batch_id)
    waiting = InvitationBatch.objects.filter(pk=batch.pk, status=InvitationBatchStatus.QUEUED)
    if not waiting.update(status=InvitationBatchStatus.SENDING, updated_at=timezone.now()):
        return  # already sent, being sent by another run of the task, or stopped by the purge
    try:
        design = letter_design(batch.forum, batch.reply_url, batch.reply_by)
        if not batch.letters and not _write_letters(batch, design):
            return  # stopped by the purge meanwhile
        emailed, failed = _email(batch, design)
    except Exception as error:
        logger.exception("invitations batch %s failed", batch.pk)
        failure = type(error).__name__
        _finish(
            batch,
            InvitationBatchStatus.FAILED,
            error=(
                f"the server stopped sending them ({failure}). Send them again; if that fails too, ask "
                "your IT team to check the server's log."
            ),
        )
        audit.record(
            None, "recruitment.panel_invitations_failed", forum=batch.forum, target=batch, failure=failure
        )
        raise
    _finish(batch, InvitationBatchStatus.DONE)
    audit.record(
        None,
        "recruitment.panel_invitations_sent",
        forum=batch.forum,
        target=batch,
        emailed=emailed,
        email_failed=failed,
    )


def _report(batch: InvitationBatch, **fields: Any) -> None:
    InvitationBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now(), **fields)


def _finish(batch: InvitationBatch, status: str, error: str = "") -> None:
    """Record how the sending ended, unless another run ended it or the purge stopped it meanwhile."""
    sending = InvitationBatch.objects.filter(pk=batch.pk, status=InvitationBatchStatus.SENDING)
    sending.update(status=status, error=error, updated_at=timezone.now())


def letter_design(forum: Any, reply_url: str, reply_by: str) -> LetterDesign:
    """The letter (and email) of a batch of invitations; the invite page checks it fits
    (``letters.check_fits``) before any batch is made, so a web address too long to print stops
    nothing half-way."""
    settings_row, _ = RecruitmentSettings.objects.get_or_create(forum=forum)
    return LetterDesign(
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
        phone_text=PHONE_TEXT,
        footer=FOOTER,
    )


def _recipients(batch: InvitationBatch) -> QuerySet[PanelMember]:
    """The batch's members with the contact details the letter and email need (never their answers)."""
    return (
        batch.recipients.select_related("respondent__invitation__address")
        .defer(*(f"respondent__{name}" for name in ABOUT_THE_PERSON))
        .order_by("id")
    )


def _write_letters(batch: InvitationBatch, design: LetterDesign) -> bool:
    """One PDF for the batch (the panel page offers the latest for download); False if the purge stopped
    the batch meanwhile, and nothing is kept.

    The PDF is written under a name of its own, then put in place under the forum's lock (which the
    purge takes too) only if the batch is still being sent and has no letters yet: a second run of the
    task (a "Send again" on a batch that only looked stuck) never writes over the letters, and a purge
    meanwhile leaves no names and addresses behind. The draft's name matches the purge's pattern
    (``panel-letters-*.pdf``), for a run killed before recording it.
    """
    directory = civic_lottery.forum_directory(batch.forum)
    directory.mkdir(parents=True, exist_ok=True)
    # Named by the council's time (settings.TIME_ZONE), as the letters are dated: just after midnight in a
    # British summer the UTC time still gave the day before.
    created = timezone.localtime(batch.created_at)
    path = directory / f"panel-letters-{created:%Y%m%d-%H%M%S}-{batch.pk}.pdf"
    draft = path.with_name(f"{path.stem}-draft-{uuid.uuid4().hex}.pdf")
    members = list(_recipients(batch).filter(respondent__isnull=False, status=MemberStatus.SELECTED))
    written = write_letters(draft, design, (_letter(member) for member in members))
    try:
        with transaction.atomic():
            lock_forum(batch.forum_id)
            status, letters = InvitationBatch.objects.values_list("status", "letters").get(pk=batch.pk)
            if status != InvitationBatchStatus.SENDING or letters:
                return status == InvitationBatchStatus.SENDING
            draft.replace(path)
            batch.letters = str(path)
            _report(batch, letters=batch.letters, letters_written=written)
            RecruitmentSettings.objects.filter(forum=batch.forum).update(panel_letters=batch.letters)
            # Withdrawn while the letters were written, outside the lock: their letter goes now.
            written_for = [member.respondent_id for member in members]
            withdrawn = Respondent.objects.filter(pk__in=written_for).exclude(
                status=RespondentStatus.REGISTERED
            )
            for gone in withdrawn.only("pk"):  # never their (erased) answers
                drop_from_letters(gone)
        return True
    finally:
        draft.unlink(missing_ok=True)  # not kept, or failed to be: no stray copy of names and addresses


def drop_from_letters(respondent: Respondent) -> int:
    """Write again, without ``respondent``'s letter, the letters PDF of each batch that invited them (their
    registration erased: ``registration.withdraw``, under the forum's lock, which writing the letters
    takes too); returns how many files were written again. The letter printed their name and home
    address, which would otherwise stay on disk until the retention purge. The PDF keeps its name and
    date, and the letters of the batch's members still registered (those who answered since included:
    it is the record of what was sent); with none left, it is deleted."""
    rewritten = 0
    batches = InvitationBatch.objects.filter(recipients__respondent=respondent).exclude(letters="").distinct()
    for batch in batches.select_related("forum__council"):
        path = Path(batch.letters)
        members = list(
            _recipients(batch)
            .filter(respondent__status=RespondentStatus.REGISTERED)
            .exclude(respondent=respondent)
        )
        written = 0
        if members and path.exists():
            design = replace(
                letter_design(batch.forum, batch.reply_url, batch.reply_by),
                letter_date=timezone.localdate(batch.created_at),
            )
            written = write_letters(path, design, (_letter(member) for member in members))
        else:
            path.unlink(missing_ok=True)
            RecruitmentSettings.objects.filter(forum=batch.forum, panel_letters=batch.letters).update(
                panel_letters=""
            )
        InvitationBatch.objects.filter(pk=batch.pk).update(
            letters=batch.letters if written else "", letters_written=written
        )
        rewritten += 1
    return rewritten


def _email(batch: InvitationBatch, design: LetterDesign) -> tuple[int, int]:
    """Email each member still to send to, in one session with the mail server; returns how many emails
    went and how many failed."""
    emailed = failed = 0
    phone = design.phone
    subject = design.fill(HEADING)
    body = design.fill(BODY)
    _skip_replied(batch)
    with mail.mail_session() as connection:
        for member in _recipients(batch).filter(email_status=EmailStatus.TO_SEND, reached_by=""):
            respondent = member.respondent
            if respondent is None or not respondent.email:  # erased meanwhile, or letter only
                _mark(member, EmailStatus.NO_ADDRESS)
                continue
            if not _claim(member):
                continue  # taken meanwhile (never send twice), or the registration deleted
            _report(batch)
            text = (
                _greeting_by_name(body, respondent.full_name)
                + email_reply_steps(batch.reply_url, respondent.reference, phone)
                + f"\n\n{design.council_name}"  # who writes: the sender may be a no-reply address
            )
            # Everyone also gets a letter, so a mail server failure must not stop the batch: mark it,
            # for the officer to send again once the mail settings are checked.
            if mail.send(connection, subject, text, respondent.email, f"panel member {respondent.reference}"):
                _mark(member, EmailStatus.SENT, after=EmailStatus.SENDING)
                emailed += 1
            else:
                _mark(member, EmailStatus.FAILED, after=EmailStatus.SENDING)
                failed += 1
    return emailed, failed


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch's emails stand, for its page."""

    members: int
    emails: dict[str, int]  # by ``invitation_outcome``: an ``EmailStatus``, or told another way
    busy: bool  # queued or sending, with recent signs of life
    stuck: bool  # queued or sending, silent too long
    can_send_again: bool
    not_emailed: list[PanelMember]  # once not busy: failed, never reached or cut off mid-send
    reached: list[PanelMember]  # told another way instead, for the record of how

    @property
    def people_shown(self) -> int:
        return len(self.not_emailed) + len(self.reached)

    def count(self, status: str) -> int:
        return self.emails.get(status, 0)

    @property
    def handled(self) -> int:
        """Members done with: emailed or not by now, or told another way (never emailed after that)."""
        return self.members - self.count(EmailStatus.TO_SEND) - self.count(EmailStatus.SENDING)

    @property
    def percent(self) -> int:
        return int(100 * self.handled / self.members) if self.members else 100


def batch_progress(batch: InvitationBatch, now: datetime) -> BatchProgress:
    """The batch's members by where their invitation stands (``invitation_outcome``: told another way, else
    their email's status) and, once it is not being sent, who has not been emailed (with their
    contact details, for the officer to send again or call); and who the officer told another way."""
    emails: Counter[str] = Counter()
    counted = batch.recipients.values("email_status", "reached_by").annotate(count=Count("pk"))
    for status, reached_by, count in counted.values_list("email_status", "reached_by", "count"):
        emails[invitation_outcome(status, reached_by)] += count
    to_send = emails[EmailStatus.FAILED] + emails[EmailStatus.TO_SEND]
    stuck = batch.looks_stuck(now)
    busy = batch.status in INVITATIONS_UNFINISHED and not stuck
    reached = ~Q(reached_by="")
    listed = list(_recipients(batch).filter(reached if busy else reached | Q(email_status__in=NOT_EMAILED)))
    stopped = batch.status == InvitationBatchStatus.STOPPED
    can_send_again = (
        not busy and not stopped and bool(to_send or batch.status == InvitationBatchStatus.FAILED)
    )
    return BatchProgress(
        sum(emails.values()),
        emails,
        busy,
        stuck,
        can_send_again,
        not_emailed=[member for member in listed if member.not_emailed],
        reached=[member for member in listed if member.reached_by],
    )


WAIT_TO_RECORD_REACHED = (
    "These invitations are being sent. Wait for them to finish before recording who you told another "
    "way: this page shows their progress."
)


def record_reached(batch: InvitationBatch, user: Any, member_ids: list[int], how: str) -> int:
    """Record that the officer told these members of the batch not emailed about their invitation
    another way (``ReachedBy``), each audit-logged; returns how many. They no longer count as not emailed
    and are not emailed again. Raises ``InvitationsBusy`` while the batch is being sent (who was emailed
    is not settled yet).

    Under the forum's lock, as "Send again" takes it: a member emailed meanwhile, or recorded by a
    colleague, is left as it is.
    """
    with transaction.atomic():
        current = _locked_unless_sending(batch, WAIT_TO_RECORD_REACHED)
        not_emailed = current.recipients.filter(not_emailed_q())
        members = list(not_emailed.filter(pk__in=member_ids).select_related("respondent"))
        now = timezone.now()
        PanelMember.objects.filter(pk__in=[m.pk for m in members]).update(reached_by=how, reached_at=now)
        for member in members:
            audit.record(
                user,
                "recruitment.member_reached_another_way",
                forum=current.forum,
                target=member,
                how=ReachedBy(how).label.lower(),
                batch=current.pk,
            )
    return len(members)


def _skip_replied(batch: InvitationBatch) -> None:
    """Members who replied, withdrew or were replaced since the batch was recorded (or since their email
    failed) are not asked to reply any more."""
    replied = batch.recipients.filter(email_status=EmailStatus.TO_SEND).exclude(status=MemberStatus.SELECTED)
    replied.update(email_status=EmailStatus.NOT_NEEDED)


def _claim(member: PanelMember) -> bool:
    """Mark the member's email as being sent, if it is still to send, they have still not replied, the
    officer has not told them another way and their registration is still held (a reply, the officer or
    the retention purge may have come since the batch was read)."""
    still_to_send = PanelMember.objects.filter(
        pk=member.pk,
        email_status=EmailStatus.TO_SEND,
        status=MemberStatus.SELECTED,
        respondent__isnull=False,
        reached_by="",
    )
    return still_to_send.update(email_status=EmailStatus.SENDING) == 1


def not_emailed_by_batch(forum: Any, now: datetime) -> list[tuple[InvitationBatch, int]]:
    """The forum's batches that have finished or stopped sending with members not emailed (nor told another
    way), and how many, oldest first: the overview points the officer to each (a batch still sending is
    not done yet)."""
    batches = (
        InvitationBatch.objects.filter(forum=forum)
        .exclude(status=InvitationBatchStatus.STOPPED)
        .annotate(
            not_emailed=Count(
                "recipients",
                filter=not_emailed_q("recipients__"),
            )
        )
        .filter(not_emailed__gt=0)
        .order_by("created_at", "id")
    )
    return [
        (batch, batch.not_emailed)
        for batch in batches
        if batch.status not in INVITATIONS_UNFINISHED or batch.looks_stuck(now)
    ]


def _mark(member: PanelMember, status: str, after: str = EmailStatus.TO_SEND) -> bool:
    """Move the member's email from ``after`` to ``status``, saved at once; False if it had moved on."""
    return PanelMember.objects.filter(pk=member.pk, email_status=after).update(email_status=status) == 1


def _greeting_by_name(body: str, name: str) -> str:
    """The email greets the member by the name they registered with, not as 'panel member'."""
    name = one_line(name)
    return body.replace(GREETING, f"Dear {name},", 1) if name else body


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


def letters_count(forum: Any, letters: str) -> int:
    """How many members a letters PDF names (as the batch it was written for recorded)."""
    batches = InvitationBatch.objects.filter(forum=forum, letters=letters)
    return batches.values_list("letters_written", flat=True).first() or 0


def unprintable_letters(forum: Any) -> list[str]:
    """The members awaiting an invitation whose letter cannot print their name and address whole and
    legible in the envelope window, as 'R-K7QX2MBH: ...': an address line breaking the importer's rule
    (``civic_lottery.line_problems``: a list imported before it), or a name and address needing more lines
    than the window holds at 7 points (a name registered before the name form refused such names).
    Checked before any batch is made: the batch's letters are written before its emails go."""
    members = (
        awaiting_invitation(forum)
        .select_related("respondent__invitation__address")
        .defer(*(f"respondent__{name}" for name in ABOUT_THE_PERSON))
        .order_by("id")
    )
    checked: dict[str, str | None] = {}
    found = []
    for member in members:
        letter = _letter(member)
        invitation = member.respondent.invitation if member.respondent else None
        values = [getattr(invitation.address, column) for column in PRINTED_COLUMNS] if invitation else []
        problems = civic_lottery.line_problems(values, checked) if invitation else []
        if not address_fits(letter.address_lines):
            problems.append(
                f"their name and address need more than the {WINDOW_LINES} lines the envelope window "
                "holds at a readable size"
            )
        found += [f"{letter.reference}: {problem}" for problem in problems]
    return found


def unprintable_letters_message(problems: list[str]) -> str:
    """Why the panel's invitations cannot go (``unprintable_letters`` found ``problems``), and what to do."""
    return (
        "The invitations cannot be sent: each member's letter must print their name and address whole and "
        "legible in the envelope window, and "
        f"{counted(len(problems), 'problem stops', 'problems stop')} that. For an address line, "
        f"{civic_lottery.CORRECT_ADDRESS_LINE[0].lower()}{civic_lottery.CORRECT_ADDRESS_LINE[1:]} "
        "A name too long to print was registered before the registration form refused such names: ask "
        "the person how to write it shorter, and correct it from the list of registered people (Correct "
        "details). "
        f"{civic_lottery.listed(problems)}"
    )


def _letter(member: PanelMember) -> Letter:
    respondent = member.respondent
    assert respondent is not None
    address = respondent.invitation.address.lines() if respondent.invitation else ()
    return Letter(respondent.reference, (respondent.full_name, *address), respondent.reference)


def any_place_offered(forum: Any) -> bool:
    """Whether any member has been sent their invitation: until then ``reply`` finds no place for any
    reference, so the reply page says none has been sent instead of offering its form."""
    return forum.panel_members.filter(invited_at__isnull=False).exists()


def reply(forum: Any, reference: str, contact: str, accepts: bool, client: str) -> PanelMember:
    """A selected person accepts or declines their place (raises ``CodeProblem`` if not found).

    The forum's row is locked first, as an officer recording a reply and a draw saving replacements lock
    it (``selection.set_member_status``, ``selection._save_result``), and the place is read again under
    the lock: of an accept and a decline sent at once, or a reply and an officer's correction, the first
    counts and the second is told the reply is already recorded, rather than silently replacing it.
    A member already confirmed may accept again (to add support they need): their place is returned as
    it is. A place not yet offered (no invitation sent) is not found: the officer confirms only invited
    members, and the form must not tell a registrant they were drawn before the council does.
    """
    respondent = registration.find_own_registration(forum, reference, contact, client)
    with transaction.atomic():
        lock_forum(forum.pk)
        memberships = respondent.memberships.all()
        member = memberships.filter(status=MemberStatus.SELECTED, invited_at__isnull=False).first()
        if member is None and accepts:
            confirmed = memberships.filter(status=MemberStatus.CONFIRMED).first()
            if confirmed is not None:
                return confirmed  # accepting again, to add support they need: nothing else changes
        if member is None:
            if memberships.exclude(status=MemberStatus.SELECTED).exists():
                raise registration.CodeProblem(already_replied(forum))
            raise registration.CodeProblem("There is no place waiting for a reply under that reference")
        member.status = MemberStatus.CONFIRMED if accepts else MemberStatus.DECLINED
        member.save(update_fields=["status", "changed_at"])
        audit.record(None, f"recruitment.member_{member.status}", forum=forum, target=member, online=True)
    return member


def declined_again(shown: dict[str, Any], reference: str, accepts: bool) -> bool:
    """Whether a reply is the decline this browser has just had recorded (``shown``: the result it was
    shown), sent again by a double click: it is shown that result again, not told 'We already have a
    reply'. Accepting again goes through ``reply``, as it may add support needs."""
    declined = shown.get("status") == MemberStatus.DECLINED
    return not accepts and declined and registration.same_reference(shown.get("reference", ""), reference)


def already_replied(forum: Any) -> str:
    phone = registration.phone_for(forum)
    call = f"call us on {phone}" if phone else "contact us"
    return f"We already have a reply for this place. If you want to change it, {call}"
