"""Data migrations, run forwards on rows made with the models as they were before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("recruitment", "0007_run_published_composition")]
AFTER = [("recruitment", "0008_withdrawn_keep_no_registration_time")]


@pytest.mark.django_db(transaction=True)
def test_registrations_withdrawn_before_the_upgrade_lose_their_ward_and_registration_time() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    council = apps.get_model("processes", "Council").objects.create(name="Northam", slug="northam")
    forum = apps.get_model("processes", "Forum").objects.create(
        council=council,
        slug="f",
        title="F",
        question="Q?",
        area="A",
        starts_on=datetime(2026, 1, 1).date(),
        ends_on=datetime(2026, 12, 1).date(),
        panel_size=40,
    )
    respondents = apps.get_model("recruitment", "Respondent").objects
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    withdrawn = respondents.create(
        forum=forum, reference="R-AAAAAAAA", status="withdrawn", ward="North Ward", registered_at=when
    )
    staying = respondents.create(
        forum=forum,
        reference="R-BBBBBBBB",
        ward="North Ward",
        registered_at=when,
        possible_duplicate_of=withdrawn,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    respondents = executor.loader.project_state(AFTER).apps.get_model("recruitment", "Respondent").objects
    assert respondents.filter(pk=withdrawn.pk).values_list("ward", "registered_at").get() == ("", None)
    assert respondents.filter(pk=staying.pk).values_list(
        "ward", "registered_at", "possible_duplicate_of"
    ).get() == (
        "North Ward",
        when,
        None,
    )
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
