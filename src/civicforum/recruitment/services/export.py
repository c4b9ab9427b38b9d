"""The officer's spreadsheet of the pool: personal data, so every download is audit-logged by the view."""

from __future__ import annotations

import csv
import io
from typing import Any

from civicforum.recruitment.models import Respondent, RespondentStatus
from civicforum.recruitment.services.quotas import answer_options, questions_with_categories
from civicforum.spreadsheet import spreadsheet_safe


def pool_csv(forum: Any) -> tuple[str, int]:
    """CSV text of every respondent (withdrawn ones show only their reference) and the row count."""
    questions = [q for q in questions_with_categories(forum) if not q.from_address]
    labels = {q.key: {o.key: o.label for o in answer_options(q)} for q in questions}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = (
        [
            "reference",
            "status",
            "registered_at",
            "by_phone",
            "possible_duplicate_of",
            "name",
            "email",
            "phone",
            "ward",
        ]
        + [q.label for q in questions]
        + ["sessions", "access_needs"]
    )
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    respondents = Respondent.objects.filter(forum=forum).select_related("possible_duplicate_of")
    for respondent in respondents:
        if respondent.status == RespondentStatus.WITHDRAWN:  # nothing else of theirs is kept
            writer.writerow([respondent.reference, respondent.status] + [""] * (len(header) - 2))
            continue
        answers = respondent.answers or {}
        duplicate = respondent.possible_duplicate_of
        row = [
            respondent.reference,
            respondent.status,
            respondent.registered_at.isoformat(timespec="minutes"),
            "yes" if respondent.registered_by_id else "no",
            duplicate.reference if duplicate else "",
            respondent.full_name,
            respondent.email,
            respondent.phone,
            respondent.ward,
        ]
        row += [labels[q.key].get(answers.get(q.key, ""), "") for q in questions]
        row += ["; ".join(respondent.availability or []), respondent.access_needs]
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return buffer.getvalue(), len(respondents)
