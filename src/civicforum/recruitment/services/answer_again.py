"""Answers erased when their question was marked as asking for special category data, given again.

Marking a question people have already answered erases their answers (``quotas.mark_special_category``):
they were never told it asked for special category data, so gave no explicit consent (UK GDPR art. 9).
Erasing alone left them counted as 'Prefer not to say' with no way back. Here they give the answer again
with that consent: online while registration is open, on a page that says why it was erased, or by phone
or on paper through an officer; and the officer emails them the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from civicforum.core import audit
from civicforum.plain_text import one_line
from civicforum.recruitment.models import (
    ABOUT_THE_PERSON,
    INVITATIONS_SILENT_TOO_LONG,
    AnswerToGiveAgain,
    EmailStatus,
    QuotaQuestion,
    Respondent,
    RespondentStatus,
)
from civicforum.recruitment.services import mail, registration
from civicforum.recruitment.services.export import table_csv
from civicforum.recruitment.services.locks import lock_forum


class NothingToGiveAgain(Exception):
    """The person proved the registration is theirs, but it held no erased answer to this question."""

    def __init__(self, question: QuotaQuestion) -> None:
        super().__init__(
            f"Your registration has no earlier answer to ‘{question.label}’ to give again: you registered "
            "after we started asking for consent to it, or chose ‘Prefer not to say’ at the time. There "
            "is nothing you need to do"
        )


@dataclass(frozen=True)
class AskedAgain:
    """One question's erased answers: how many, how many people have given theirs again, and where the
    emails asking the others stand."""

    erased: int
    given_again: int
    emailed: int = 0
    being_emailed: int = 0
    email_stopped: int = 0
    email_failed: int = 0
    no_email_address: int = 0

    @property
    def still_to_give(self) -> int:
        return self.erased - self.given_again

    @property
    def to_email(self) -> int:
        """Still to give it again, not known to have no email address, and not emailed: never, or the
        email failed, or its sending stopped (a worker that died)."""
        return self.still_to_give - self.emailed - self.being_emailed - self.no_email_address


# An email marked to send or being sent: by a task still running, unless nothing moved for a while.
SENDING = (EmailStatus.TO_SEND, EmailStatus.SENDING)


def _sending_stopped(now: datetime) -> Q:
    """Marked to send or being sent, with nothing moved for ``INVITATIONS_SILENT_TOO_LONG``: the task's
    worker died, and only the officer's button will send it."""
    return Q(email_status__in=SENDING, email_changed_at__lt=now - INVITATIONS_SILENT_TOO_LONG)


def asked_again(forum: Any) -> dict[int, AskedAgain]:
    """By question id, the questions of ``forum`` whose earlier answers were erased (of people still
    registered: a withdrawal erases the record too). Emails count only for those who have not given
    their answer again, which is what the officer acts on."""
    still = Q(given_again_at__isnull=True)
    sending = Q(email_status__in=SENDING) & still
    stopped = _sending_stopped(timezone.now())
    counts = (
        AnswerToGiveAgain.objects.filter(
            question__forum=forum, respondent__status=RespondentStatus.REGISTERED
        )
        .values("question_id")
        .annotate(
            erased=Count("id"),
            given_again=Count("id", filter=Q(given_again_at__isnull=False)),
            emailed=Count("id", filter=Q(email_status=EmailStatus.SENT) & still),
            being_emailed=Count("id", filter=sending & ~stopped),
            email_stopped=Count("id", filter=sending & stopped),
            email_failed=Count("id", filter=Q(email_status=EmailStatus.FAILED) & still),
            no_email_address=Count("id", filter=Q(email_status=EmailStatus.NO_ADDRESS) & still),
        )
        .order_by()
    )
    asked = {}
    for row in counts:
        question_id = row.pop("question_id")
        asked[question_id] = AskedAgain(**row)
    return asked


def give_again(
    forum: Any, question: QuotaQuestion, reference: str, contact: str, answer: str, client: str
) -> Respondent:
    """The person (proved by their reference and contact detail, rate-limited as every such check) gives
    again, with their explicit consent, the answer erased when ``question`` was marked; they may change it
    again later. Refused once registration has closed (``RegistrationClosed``: the panel may be drawn
    from the answers as they are)."""
    respondent = registration.find_own_registration(forum, reference, contact, client)
    return _save(question, respondent, answer, None)


def record_given_again(question: QuotaQuestion, reference: str, answer: str, user: Any) -> Respondent:
    """An officer records the answer someone gave again by phone or on paper, with their consent, for
    people who do not go online. As an officer registering someone: also once registration has closed,
    for an answer given before it closed. Raises ``registration.CodeProblem`` for a reference no
    registration has."""
    respondent = Respondent.objects.filter(
        forum=question.forum,
        reference=registration.normalise_reference(reference),
        status=RespondentStatus.REGISTERED,
    ).first()
    if respondent is None:
        raise registration.CodeProblem(
            "No registration of this forum has that reference: check it with the person (it starts with "
            "R-, as on the list of who to tell)"
        )
    return _save(question, respondent, answer, user)


def _save(question: QuotaQuestion, respondent: Respondent, answer: str, officer: Any) -> Respondent:
    """Save the answer given again, under the forum's lock as a registration is: never while a draw reads
    the answers (``DrawInProgress``), and from the person themselves (no ``officer``) only while
    registration is open."""
    forum = question.forum
    with transaction.atomic():
        lock_forum(forum.pk)
        if officer is None and not registration.is_open(forum):
            raise registration.RegistrationClosed
        if registration.run_in_progress(forum):
            raise registration.DrawInProgress
        to_give = (
            AnswerToGiveAgain.objects.filter(
                question=question,
                respondent=respondent,
                respondent__status=RespondentStatus.REGISTERED,  # not withdrawn since it was found
            )
            .select_related("respondent")
            .first()
        )
        if to_give is None:
            raise NothingToGiveAgain(question)
        respondent = to_give.respondent
        respondent.answers = {**respondent.answers, question.key: answer}
        respondent.save(update_fields=["answers"])
        to_give.given_again_at = timezone.now()
        to_give.save(update_fields=["given_again_at"])
        audit.record(
            officer, "recruitment.answer_given_again", forum=forum, target=respondent, question=question.key
        )
    return respondent


def _still_to_give(question: QuotaQuestion) -> QuerySet[AnswerToGiveAgain]:
    """Erased answers to ``question`` not given again, of people still registered."""
    return AnswerToGiveAgain.objects.filter(
        question=question, given_again_at__isnull=True, respondent__status=RespondentStatus.REGISTERED
    )


def _with_contacts(to_give: QuerySet[AnswerToGiveAgain]) -> QuerySet[AnswerToGiveAgain]:
    """With each person's name and contact details, never their answers (left encrypted)."""
    return to_give.select_related("respondent").defer(*(f"respondent__{field}" for field in ABOUT_THE_PERSON))


# What the list of people to tell says of the email asking them (the task's steps in the officer's words).
EMAILED = {
    EmailStatus.NOT_RECORDED: "not emailed",
    EmailStatus.TO_SEND: "being emailed",
    EmailStatus.SENDING: "being emailed",
    EmailStatus.SENT: "emailed",
    EmailStatus.FAILED: "email failed",
    EmailStatus.NO_ADDRESS: "no email address",
}


def still_to_give_csv(question: QuotaQuestion) -> tuple[str, int]:
    """The people whose answer to ``question`` was erased and who have not given it again, with their
    contact details and whether they were emailed, for the officer to tell the rest; and the row count.
    It holds no answer: only that they had given one."""
    rows = [
        [
            to_give.respondent.reference,
            to_give.respondent.full_name,
            to_give.respondent.email,
            to_give.respondent.phone,
            EMAILED[EmailStatus(to_give.email_status)],
        ]
        for to_give in _with_contacts(_still_to_give(question))
    ]
    return table_csv(["reference", "name", "email", "phone", "emailed"], rows), len(rows)


SUBJECT = "Your answer to ‘{question}’: {forum}"
BODY = """\
Dear {name},

Thank you for registering for {forum}, run by {council}.

When you registered, you answered the question ‘{question}’. The law protects answers to this question \
more strongly (they are special category data), so we may keep yours only if you agree, and we had not \
asked you. We have erased your answer: for now the panel is chosen as if you had said ‘Prefer not to say’.

If you would like your answer to count, you can give it again until registration closes, at {url}. You \
will need your reference, {reference}, and the email address or phone number you gave when you \
registered.

You do not have to do anything: your registration stays as it is."""


def queue_emails(question: QuotaQuestion, user: Any) -> int:
    """Mark for emailing everyone still to give their answer to ``question`` again who has not been
    emailed, or whose email failed; returns how many, for the caller to queue ``tasks.email_answer_again``.
    Only while registration is open: the email says they can answer until it closes. Emails whose
    sending stopped (nothing moved for ``INVITATIONS_SILENT_TOO_LONG``: the worker died) are sent again;
    of those, only the one being sent when it died may have gone already."""
    with transaction.atomic():
        lock_forum(question.forum_id)
        if not registration.is_open(question.forum):
            raise registration.RegistrationClosed
        now = timezone.now()
        queued = (
            _still_to_give(question)
            .filter(
                Q(email_status__in=(EmailStatus.NOT_RECORDED, EmailStatus.FAILED)) | _sending_stopped(now)
            )
            .update(email_status=EmailStatus.TO_SEND, email_changed_at=now)
        )
        audit.record(
            user, "recruitment.answer_again_emails", forum=question.forum, target=question, emails=queued
        )
    return queued


def send_emails(question_id: int, url: str) -> None:
    """Email everyone marked by ``queue_emails`` (background task). Each email is marked as being sent
    before it goes and as sent or failed after, so the task run again never sends one twice; someone who
    gave their answer again or withdrew meanwhile is skipped."""
    question = QuotaQuestion.objects.select_related("forum__council").get(pk=question_id)
    forum = question.forum
    phone = registration.phone_for(forum)
    queued = AnswerToGiveAgain.objects.filter(question=question, email_status=EmailStatus.TO_SEND)
    with mail.mail_session() as connection:
        for to_give in _with_contacts(queued):
            respondent = to_give.respondent
            if not respondent.email:
                _mark(to_give, EmailStatus.NO_ADDRESS)
                continue
            claimed = (
                _still_to_give(question)
                .filter(pk=to_give.pk, email_status=EmailStatus.TO_SEND)
                .update(email_status=EmailStatus.SENDING, email_changed_at=timezone.now())
            )
            if not claimed:
                continue
            text = BODY.format(
                name=one_line(respondent.full_name),
                forum=forum.title,
                council=forum.council.name,
                question=question.label,
                url=url,
                reference=respondent.reference,
            )
            if phone:
                text += f"\n\nIf you have a question, call {phone}."
            text += f"\n\n{forum.council.name}"  # who writes: the sender may be a no-reply address
            subject = SUBJECT.format(question=question.label, forum=forum.title)
            sent = mail.send(
                connection, subject, text, respondent.email, f"registrant {respondent.reference}"
            )
            _mark(to_give, EmailStatus.SENT if sent else EmailStatus.FAILED, after=EmailStatus.SENDING)


def _mark(to_give: AnswerToGiveAgain, status: str, after: str = EmailStatus.TO_SEND) -> None:
    AnswerToGiveAgain.objects.filter(pk=to_give.pk, email_status=after).update(
        email_status=status, email_changed_at=timezone.now()
    )
