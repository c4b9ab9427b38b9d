"""``civicforum purge_recruitment_data``: delete registration data past each forum's retention date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from civicforum.recruitment.services.privacy import purge_expired


class Command(BaseCommand):
    help = "Delete respondents' personal data on forums whose retention date has passed; keep aggregates."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        self.stdout.write(f"Deleted the registration data of {deleted} respondents.")
