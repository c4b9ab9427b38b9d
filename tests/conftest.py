"""Fixtures shared by every test directory."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from tests import factories
from tests.browser.fixtures import (  # noqa: F401 - fixtures shared with every directory
    _plain_http_cookies,
    axe_check,
    browser,
    mark_browser_tests,
    page,
    page_without_js,
)

# CI explores the same examples on every run (HYPOTHESIS_PROFILE=ci in .ci/run), so a red build is about
# the change and not a new random draw; locally each run still draws new examples.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: Any, django_db_blocker: Any) -> None:
    """Rate-limit counters live in the cache, a database table that no test's flush empties: each test
    that reaches the database starts with none (tests without a database never count)."""
    if request.node.get_closest_marker("django_db") is None and not DATABASE_FIXTURES & set(
        request.fixturenames
    ):
        return
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        cache.clear()


@pytest.fixture
def forum(db: Any) -> Any:
    return factories.make_forum()


@pytest.fixture
def user_with_role(db: Any) -> Any:
    """``user_with_role("officer", forum)``: a signed-up user holding that role."""
    return factories.make_user_with_role


@pytest.fixture
def signed_in_client(client: Any) -> Any:
    """``signed_in_client(user)``: the Django test client logged in as ``user``."""

    def sign_in(user: Any) -> Any:
        client.force_login(user)
        return client

    return sign_in


def pytest_configure(config: Any) -> None:
    # WhiteNoise warns that STATIC_ROOT is empty; tests serve static files through the finders.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    mark_browser_tests(items)
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI's second pass does)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
