"""Answers erased when their question was marked as asking for special category data, given again.

Marking a question people have already answered erases their answers (``quotas.mark_special_category``):
they were never told it asked for special category data, so gave no explicit consent (UK GDPR art. 9).
Erasing alone left them counted as 'Prefer not to say' with no way back. Here they give the answer again,
this time on a page that says what the answer is and asks for that consent, while registration is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from civicforum.core import audit
from civicforum.recruitment.models import (
    ABOUT_THE_PERSON,
    AnswerToGiveAgain,
    QuotaQuestion,
    Respondent,
    RespondentStatus,
)
from civicforum.recruitment.services import registration
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
    """One question's erased answers: how many, and how many people have given theirs again."""

    erased: int
    given_again: int

    @property
    def still_to_give(self) -> int:
        return self.erased - self.given_again


def asked_again(forum: Any) -> dict[int, AskedAgain]:
    """By question id, the questions of ``forum`` whose earlier answers were erased (of people still
    registered: a withdrawal erases the record too)."""
    counts = (
        AnswerToGiveAgain.objects.filter(
            question__forum=forum, respondent__status=RespondentStatus.REGISTERED
        )
        .values("question_id")
        .annotate(erased=Count("id"), given_again=Count("id", filter=Q(given_again_at__isnull=False)))
        .order_by()
    )
    return {row["question_id"]: AskedAgain(row["erased"], row["given_again"]) for row in counts}


def give_again(
    forum: Any, question: QuotaQuestion, reference: str, contact: str, answer: str, client: str
) -> Respondent:
    """The person (proved by their reference and contact detail, rate-limited as every such check) gives
    again, with their explicit consent, the answer erased when ``question`` was marked; they may change it
    again later. Under the forum's lock, as a registration: refused once registration has closed
    (``RegistrationClosed``: the panel may be drawn from the answers as they are) or while a draw reads
    the answers (``DrawInProgress``)."""
    respondent = registration.find_own_registration(forum, reference, contact, client)
    with transaction.atomic():
        lock_forum(forum.pk)
        if not registration.is_open(forum):
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
            None, "recruitment.answer_given_again", forum=forum, target=respondent, question=question.key
        )
    return respondent


def still_to_give_csv(question: QuotaQuestion) -> tuple[str, int]:
    """The people whose answer to ``question`` was erased and who have not given it again, with their
    contact details, for the officer to tell them; and the row count. It holds no answer: only that
    they had given one."""
    people = [
        row.respondent
        for row in AnswerToGiveAgain.objects.filter(
            question=question,
            given_again_at__isnull=True,
            respondent__status=RespondentStatus.REGISTERED,
        )
        .select_related("respondent")
        .defer(*(f"respondent__{field}" for field in ABOUT_THE_PERSON))
    ]
    rows = [[person.reference, person.full_name, person.email, person.phone] for person in people]
    return table_csv(["reference", "name", "email", "phone"], rows), len(rows)
