"""In Chromium: the officer's quotas table errors and the run page's quota ranges, with axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import PASSWORD

from civicforum.recruitment.models import QuotaCategory

pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, officer: Any) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_quota_error_in_the_summary_takes_the_officer_to_its_box(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any, officer: Any
) -> None:
    woman = QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman")
    sign_in(page, live_server.url, officer)
    page.goto(f"{live_server.url}/staff/forums/{recruiting_forum.slug}/recruitment/quotas/")
    page.fill(f"#min-{woman.pk}", "three")
    page.get_by_role("button", name="Save quotas and check").click()
    assert page.title().startswith("Error: Quotas")
    page.locator(".govuk-error-summary").get_by_role("link").click()
    box = page.get_by_role("textbox", name="Minimum for Woman (What is your gender?)")
    expect(box).to_be_focused()
    expect(box).to_have_value("three")
    expect(box).to_have_accessible_description(
        "Error: Minimum for Woman (What is your gender?) must be a whole number from 0 to 12"
    )
    axe_check(page)
