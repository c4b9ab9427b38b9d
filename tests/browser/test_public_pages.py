"""Every public page passes axe-core at WCAG 2.2 A/AA and shows the GOV.UK furniture."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import make_forum

PUBLIC_PATHS = ["/", "/forums/{slug}/", "/accessibility/", "/privacy/", "/accounts/login/", "/no-such-page/"]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_page_is_accessible(page: Any, live_server: Any, axe_check: Any, path: str) -> None:
    forum = make_forum(title="Parks forum", summary="Residents decide how to spend the parks budget.")
    page.goto(live_server.url + path.format(slug=forum.slug))
    assert page.locator("a.govuk-skip-link").get_attribute("href") == "#main-content"
    assert page.locator("main#main-content h1").count() == 1
    axe_check(page)
