"""``civicforum rotate_field_encryption``: re-encrypt registration data with the first configured key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from civicforum.recruitment.models import Respondent, RunStatus, SelectionRun
from civicforum.recruitment.services.selection import opened_answers, sealed_answers

ENCRYPTED_FIELDS = ["full_name", "email", "phone", "answers", "availability", "access_needs"]


class Command(BaseCommand):
    help = (
        "Re-encrypt every respondent with the newest FIELD_ENCRYPTION_KEYS key, so older keys can be dropped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for respondent in Respondent.objects.select_for_update().iterator(chunk_size=500):
                respondent.save(update_fields=ENCRYPTED_FIELDS)
                count += 1
            # The answers a lottery waiting for its draw code keeps (``selection.sealed_answers``).
            for run in SelectionRun.objects.select_for_update().filter(status=RunStatus.COMMITTED):
                if "answers" in run.result:
                    run.result["answers"] = sealed_answers(opened_answers(run.result["answers"]))
                    run.save(update_fields=["result"])
        self.stdout.write(f"Re-encrypted the registration data of {count} respondents.")
