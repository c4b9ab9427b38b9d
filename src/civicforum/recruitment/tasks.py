"""Background tasks (django-tasks): long jobs report progress on their model row for the progress bar."""

from __future__ import annotations

from django_tasks import task

from civicforum.recruitment.services import civic_lottery, privacy, selection


@task()
def generate_letters(lottery_id: int, registration_url: str) -> None:
    civic_lottery.generate_letters(lottery_id, registration_url)


@task()
def run_selection(run_id: int) -> None:
    selection.execute_run(run_id)


@task()
def purge_expired_registrations() -> int:
    return privacy.purge_expired()
