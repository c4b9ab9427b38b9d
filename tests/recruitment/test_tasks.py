from typing import Any

import pytest

from civicforum.recruitment import tasks
from civicforum.recruitment.services import quotas, selection


@pytest.mark.django_db(transaction=True)
def test_in_development_a_run_goes_to_a_thread_and_finishes(pool: Any, officer: Any, settings: Any) -> None:
    settings.DEBUG = True
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "leximin", seed="s")
    thread = tasks.start(tasks.run_selection, run.pk)
    assert thread is not None
    thread.join()
    run.refresh_from_db()
    assert run.status == "done" and run.members.count() == 12


def test_otherwise_the_task_is_enqueued(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy", seed="s")
    assert tasks.start(tasks.run_selection, run.pk) is None
    run.refresh_from_db()
    assert run.status == "done"  # the immediate backend ran it on enqueue
