"""Background tasks (django-tasks): long jobs report progress on their model row for the progress bar."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task

from civicforum.recruitment.services import answer_again, civic_lottery, panel_invitations, selection


@task()
def generate_letters(lottery_id: int, registration_url: str, generation: int) -> None:
    civic_lottery.generate_letters(lottery_id, registration_url, generation)


@task()
def run_selection(run_id: int) -> None:
    selection.execute_run(run_id)


@task()
def send_invitations(batch_id: int) -> None:
    panel_invitations.send_batch(batch_id)


@task()
def email_answer_again(question_id: int, url: str) -> None:
    answer_again.send_emails(question_id, url)


def start(job: Task[Any, Any], *args: Any) -> threading.Thread | None:
    """Enqueue ``job``; in development with the immediate backend, run it in a thread (returned) instead.

    The immediate backend would run it inside the request, so the officer would see no progress bar
    and wait for the whole run; a thread lets the page show progress without a worker process.
    Production uses the database backend and ``civicforum db_worker``.
    """
    if settings.DEBUG and isinstance(job.get_backend(), ImmediateBackend):
        thread = threading.Thread(target=_call_and_close, args=(job, *args), daemon=True)
        thread.start()
        return thread
    job.enqueue(*args)
    return None


def _call_and_close(job: Task[Any, Any], *args: Any) -> None:
    try:
        job.call(*args)
    finally:
        connection.close()
