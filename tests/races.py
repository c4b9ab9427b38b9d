"""Races between two database connections, run only on PostgreSQL (CI's second pass, ``.ci/run``): one
thread holds its transaction open until the other has reached the same step, so the outcome never depends
on timing. ``@racing`` marks such a test; ``race(first, second)`` runs the two."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction


def racing(test: Callable[..., None]) -> Any:
    """Marks a race between two connections: PostgreSQL only, with each thread's work committed for real."""
    return pytest.mark.postgres(pytest.mark.django_db(transaction=True)(test))


def race(first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Run ``first`` in one thread's transaction, kept open until ``second`` (in another thread) has had
    time to reach the same rows; return what each returned or raised."""
    outcomes: list[Any] = [None, None]
    first_done = threading.Event()
    let_first_commit = threading.Event()

    def in_thread(index: int, work: Callable[[], Any], hold: bool) -> None:
        try:
            with transaction.atomic():
                outcomes[index] = work()
                if hold:
                    first_done.set()
                    let_first_commit.wait(timeout=10)
        except Exception as error:
            outcomes[index] = error
        finally:
            first_done.set()
            connection.close()

    one = threading.Thread(target=in_thread, args=(0, first, True))
    one.start()
    first_done.wait(timeout=10)
    two = threading.Thread(target=in_thread, args=(1, second, False))
    two.start()
    two.join(timeout=1)  # with the lock, the second waits for the first to commit
    let_first_commit.set()
    one.join()
    two.join()
    return outcomes
