"""The limit on wrong registration codes lives in a cache every worker process shares (the database), so
N workers do not give N times the tries and a restart does not reset it."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.db import connection

from civicforum.core import rate_limits
from civicforum.recruitment.services import registration

pytestmark = pytest.mark.django_db


def as_another_process(monkeypatch: Any) -> None:
    """Forget every cache client and whatever a process keeps in its own memory, as a new worker would."""
    for name in ("_caches", "_expire_info", "_locks"):
        monkeypatch.setattr(locmem, name, {})
    del caches["default"]


def test_the_cache_is_a_database_table_that_migrate_creates() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHE_TABLE in connection.introspection.table_names()


def test_another_worker_process_sees_the_same_count_of_wrong_codes(
    recruiting_forum: Any, monkeypatch: Any
) -> None:
    client = "203.0.113.7"
    for _ in range(registration.MAX_FAILED_CODE_CHECKS - 1):
        with pytest.raises(registration.CodeProblem):
            registration.check_code(recruiting_forum, "AAAAA-AAAAA", client)
    first = caches["default"]
    as_another_process(monkeypatch)
    assert caches["default"] is not first
    assert (
        caches["default"].get(rate_limits.key(registration.CODE_CHECKS, client))
        == registration.MAX_FAILED_CODE_CHECKS - 1
    )
    with pytest.raises(registration.CodeProblem):
        registration.check_code(recruiting_forum, "AAAAA-AAAAA", client)
    as_another_process(monkeypatch)
    assert registration.is_rate_limited(client)
