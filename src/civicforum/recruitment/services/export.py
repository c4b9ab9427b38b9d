"""The officer's spreadsheets of the pool: personal data, so every download is audit-logged by the view.

Data minimisation (UK GDPR): no file puts everyone's special-category answers next to their name. The
contacts file has names and contact details, the answers file the quota answers with no reference, in a
random order, so that the two files cannot be matched row by row (nothing an officer does needs an
answer linked to a person: the quotas page and the draw read the answers themselves), and support
needs and sessions are only in the panel file, for the people whose support the officer actually
arranges. The two files share no column but the status, which matches nothing: a withdrawn person's
answers are erased.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from civicforum.recruitment.models import (
    ABOUT_THE_PERSON,
    MemberStatus,
    PanelMember,
    Respondent,
    RespondentStatus,
)
from civicforum.recruitment.services.quotas import answer_options, questions_with_categories
from civicforum.spreadsheet import spreadsheet_safe


def table_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A CSV whose cells cannot run as formulas when opened in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return buffer.getvalue()


def contacts_csv(forum: Any) -> tuple[str, int]:
    """Everyone's name and contact details without their answers (withdrawn people show only their
    reference), and the row count."""
    header = ["reference", "status", "registered_at", "by_phone", "possible_duplicate_of"]
    header += ["name", "email", "phone", "ward"]
    people = list(
        Respondent.objects.filter(forum=forum)
        .select_related("possible_duplicate_of")
        .defer(*ABOUT_THE_PERSON)
    )
    rows = []
    for respondent in people:
        if respondent.status == RespondentStatus.WITHDRAWN:  # nothing else of theirs is kept
            rows.append([respondent.reference, respondent.status] + [""] * (len(header) - 2))
            continue
        duplicate = respondent.possible_duplicate_of
        rows.append(
            [
                respondent.reference,
                respondent.status,
                timezone.localtime(respondent.registered_at).isoformat(timespec="minutes"),
                "yes" if respondent.registered_by_id else "no",
                duplicate.reference if duplicate else "",
                respondent.full_name,
                respondent.email,
                respondent.phone,
                respondent.ward,
            ]
        )
    return table_csv(header, rows), len(people)


def answers_csv(forum: Any, shuffle: random.Random | None = None) -> tuple[str, int]:
    """Everyone's answers to the questions asked (to check the quotas), and the row count: with no name,
    contact details or reference, and the rows in a random order (``shuffle``; a fresh one each time
    by default), so that row N is not the contacts file's row N.

    Nor the ward, which the contacts file has: in a ward where one person registered, it would say whose
    answers a row holds, and elsewhere narrow it down. That holds when the ward is one of the forum's
    quota questions (answered from the address) too: the dashboard counts the pool by ward, as it does
    by every quota question, so checking that quota needs no ward beside the other answers."""
    questions = [q for q in questions_with_categories(forum) if not q.from_address]
    labels = {q.key: {o.key: o.label for o in answer_options(q)} for q in questions}
    header = ["status"] + [q.label for q in questions]
    people = list(Respondent.objects.filter(forum=forum).only("forum", "status", "answers"))
    rows = []
    for respondent in people:
        answers = respondent.answers or {}
        row = [respondent.status]
        rows.append(row + [labels[q.key].get(answers.get(q.key, ""), "") for q in questions])
    (shuffle or random.SystemRandom()).shuffle(rows)
    return table_csv(header, rows), len(people)


def panel_csv(forum: Any) -> tuple[str, int]:
    """Selected and confirmed members' contact details, sessions they can attend and support needs (to
    arrange that support), and the row count. Members who declined or withdrew are left out."""
    header = ["reference", "member_status", "name", "email", "phone", "sessions", "access_needs"]
    members = list(
        PanelMember.objects.filter(
            forum=forum,
            status__in=(MemberStatus.SELECTED, MemberStatus.CONFIRMED),
            respondent__status=RespondentStatus.REGISTERED,
        )
        .select_related("respondent")
        .defer("respondent__answers")
        .order_by("id")
    )
    rows = [
        [
            member.respondent.reference,
            member.get_status_display(),
            member.respondent.full_name,
            member.respondent.email,
            member.respondent.phone,
            "; ".join(member.respondent.availability or []),
            member.respondent.access_needs,
        ]
        for member in members
    ]
    return table_csv(header, rows), len(rows)
