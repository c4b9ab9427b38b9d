import ast
from pathlib import Path
from typing import Any

import pytest

from civicforum.recruitment import tasks
from civicforum.recruitment.services import panel_invitations, quotas, selection


@pytest.mark.django_db(transaction=True)
def test_in_development_a_run_goes_to_a_thread_and_finishes(pool: Any, officer: Any, settings: Any) -> None:
    settings.DEBUG = True
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "leximin")
    thread = tasks.start(tasks.run_selection, run.pk)
    assert thread is not None
    thread.join()
    run.refresh_from_db()
    assert run.status == "committed" and not run.members.exists()  # waiting for its draw code
    run = selection.draw(run, "s", "", officer)
    assert run.status == "done" and run.members.count() == 12


def test_otherwise_the_task_is_enqueued(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    assert tasks.start(tasks.run_selection, run.pk) is None
    run.refresh_from_db()
    assert run.status == "committed"  # the immediate backend worked out its lottery on enqueue


def test_services_never_import_the_tasks_that_run_them() -> None:
    """Tasks import the services they run; a view queues the task once its service has saved the work
    (as the selection, the lottery's letters and the panel's invitations do). A service importing tasks
    back, even inside a function to dodge the cycle, hides who queues what."""
    services = Path(panel_invitations.__file__).parent
    importing = [
        path.name
        for path in sorted(services.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and (node.module == "civicforum.recruitment.tasks" or any(a.name == "tasks" for a in node.names))
    ]
    assert importing == []
